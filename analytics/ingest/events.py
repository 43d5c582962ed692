"""Importing a district's own event exports: read, map, validate, quarantine, upsert.

``import_events(path, preset=…)`` reads a CSV export (UTF-8 with or without BOM, or
GBK/GB18030) or an Excel workbook, finds the header row below any title rows, maps the
columns of a preset (or of a user mapping) onto the ``events`` table, validates every row
against the invariants of ``shared/design/data-model.md`` and writes the result atomically
(``analytics.store``).

Nothing is lost: a row that breaks a rule goes to ``quarantine`` with its file, row number,
raw text and a Chinese reason naming the column and the rule; every import records
rows_read = accepted + updated + unchanged + quarantined in ``imports``. A file that is not
what it claims (unreadable encoding, not a table, no data rows, missing required columns)
raises :class:`ImportFileError` with one message naming the problem and the fix, and the
database is left as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import catalogue
from analytics.connection import db_url
from analytics.geo import convert_to_wgs84
from analytics.ingest.presets import (
    AUTO,
    EVENT_COLUMNS,
    HEADER_NAME,
    HEADER_SCAN_ROWS,
    HELPER_COLUMNS,
    PLACE_IDS,
    PRESETS,
    Preset,
    column_names,
    find_header,
    fold,
    header_cells,
    recognise,
    resolve,
)
from analytics.ingest.reading import ImportFileError, load_source, read_sheet
from analytics.ingest.rows import ImportResult, Rows, finish, publish_import, raw_text, staging_path
from analytics.ingest.units import (
    Directory,
    add_units,
    extent,
    place_names,
    reference,
    resolve_units,
    unknown_streets,
)
from analytics.ingest.values import (
    CATALOGUE,
    CLOSED_STATUSES,
    OTHER_WHEN_UNKNOWN,
    UNCATEGORISED,
    VOCABULARY,
    example_values,
    parse_booleans,
    parse_codes,
    parse_numbers,
    parse_timestamps,
)
from analytics.masking import MASKERS, mask_frame
from analytics.schema import EVENT_TIMESTAMPS, OTHER, PERSONAL_COLUMNS
from analytics.settings import SettingsError, local_now, zone_problem
from analytics.settings import load as load_settings
from analytics.store import writing

# ---------------------------------------------------------------- preview


_PERSONAL_HEADERS = {  # headers that hold personal data in any preset, and their masker
    fold(header): column
    for preset in PRESETS.values()
    for column, headers in preset.columns.items()
    if column in MASKERS
    for header in headers
}


@dataclass
class FilePreview:
    """What the import page shows before anything is written."""

    kind: str  # CSV, Excel or JSON
    header_row: int  # 1-based row of the header in the file
    headers: list[str]  # the header's cells (blank ones named 第N列)
    found: dict[str, str]  # canonical column -> header, as the preset or mapping matched them
    sample: pd.DataFrame  # the first data rows as text, personal data masked
    problem: str | None  # why the preset's header was not found (the guessed row is shown)
    preset: str = ""  # the preset matched (auto: the one recognised)
    preset_reason: str = ""  # why auto chose it


def _header(sheet, spec: Preset | None, name: str) -> tuple[Preset, int, dict[str, int], str]:
    """The preset (recognised when ``spec`` is None for auto), header row, columns, reason."""
    if spec is None:
        found = recognise(sheet.head, name)
        return found.preset, found.header_index, found.found, found.reason
    index, columns = find_header(sheet.head, spec, name)
    return spec, index, columns, ""


def preview_file(
    source: str | Path | bytes,
    *,
    preset: str = AUTO,
    mapping: dict | None = None,
    name: str | None = None,
    rows: int = 10,
) -> FilePreview:
    """The header the import would use, how its columns map, and the first rows, masked."""
    data, name = load_source(source, name)
    spec = resolve(preset, mapping)
    sheet = read_sheet(data, name, preview=True)
    problem, reason, chosen = None, "", spec.name if spec else ""
    try:
        used, index, found, reason = _header(sheet, spec, name)
        chosen = used.name
    except ImportFileError as exc:  # show the fullest of the first rows instead
        problem = str(exc)
        filled = [sum(bool(c.strip()) for c in r) for r in sheet.head[:HEADER_SCAN_ROWS]]
        if not any(filled):
            raise ImportFileError(f"{name} 没有任何内容。请重新导出后再导入。") from None
        index, found = filled.index(max(filled)), {}
    headers = column_names(header_cells(sheet.head, index))
    body = [(r + [""] * len(headers))[: len(headers)] for r in sheet.head[index + 1 :]]
    body = [r for r in body if any(c.strip() for c in r)][:rows]
    sample = pd.DataFrame(body, columns=headers, dtype=object)
    personal = {headers[j]: c for c, j in found.items() if c in MASKERS}
    personal |= {h: _PERSONAL_HEADERS[fold(h)] for h in headers if fold(h) in _PERSONAL_HEADERS}
    sample = mask_frame(sample, personal, everywhere=True).fillna("")
    return FilePreview(
        kind=sheet.kind,
        header_row=index + 1,
        headers=headers,
        found={c: headers[j] for c, j in found.items()},
        sample=sample,
        problem=problem,
        preset=chosen,
        preset_reason=reason,
    )


# ---------------------------------------------------------------- the import


def _frame(cells: pd.DataFrame, width: int, found: dict[str, int], preset: Preset):
    """Data rows → canonical string columns (None when empty, the preset's or mapping's
    default when it gives one), blank and too-wide flags."""
    filled = cells.ne("")
    blank = ~filled.any(axis=1).to_numpy()
    too_wide = filled.iloc[:, width:].any(axis=1).to_numpy()
    data = {}
    for column in preset.columns:
        if column in found:
            data[column] = _values(cells[found[column]])
    for column in ("street", "community", "grid", *EVENT_COLUMNS, *HELPER_COLUMNS):
        if column not in PLACE_IDS:
            data.setdefault(column, pd.Series(None, index=cells.index, dtype="object"))
    frame = pd.DataFrame(data)
    for column, value in preset.defaults.items():
        if column in frame:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), value)
    return frame, blank, too_wide


def _values(cells: pd.Series) -> pd.Series:
    """A column's cells stripped, empty ones missing. Arrow columns keep the reader's string
    buffers (only a validity bitmap is new, and a chunk is stripped only if it needs it), so
    a million-row file is not held twice."""
    try:
        chunked = cells.array.__arrow_array__()
    except AttributeError:
        return cells.str.strip().replace("", None)
    chunks = []
    for chunk in chunked.chunks:
        if pc.any(pc.match_substring_regex(chunk, r"^\s|\s$")).as_py():
            chunk = pc.utf8_trim_whitespace(chunk)
        if chunk.offset or chunk.type not in (pa.string(), pa.large_string()):
            chunk = pc.if_else(pc.equal(chunk, ""), pa.scalar(None, chunk.type), chunk)
        else:
            present = pc.fill_null(
                pc.and_kleene(pc.is_valid(chunk), pc.not_equal(chunk, "")), False
            )
            _, offsets, text = chunk.buffers()
            chunk = pa.Array.from_buffers(
                chunk.type, len(chunk), [present.buffers()[1], offsets, text]
            )
        chunks.append(chunk)
    array = pa.chunked_array(chunks, type=chunked.type)
    return pd.Series(pd.arrays.ArrowStringArray(array), index=cells.index, name=cells.name)


def _validate(rows: Rows, preset: Preset, extent, zone: str, notes: list[str]) -> pd.DataFrame:
    """Typed canonical columns; rule violations recorded in ``rows.reason``; what was
    completed or assumed (unknown codes, missing categories, closures from a status) in
    ``notes``; returns the typed frame and, in ``rows.unmapped``, counts per column."""
    raw = rows.raw
    out = pd.DataFrame(index=raw.index)
    latest_possible = pd.Timestamp.now(tz=zone).tz_localize(None) + pd.Timedelta(days=1)
    rows.reject(raw["event_id"].isna(), "事件编号为空")
    out["event_id"] = raw["event_id"]
    rows.reject(raw["reported_at"].isna(), "上报时间为空")
    for column in (*EVENT_TIMESTAMPS, "deadline_at", "updated_at"):
        parsed, bad = parse_timestamps(raw[column], zone, preset.timezone)
        name = HEADER_NAME[column]
        rows.reject(bad, f"{name}「{{}}」不是可识别的日期时间", raw[column])
        if column != "deadline_at":  # a promised deadline may lie ahead; nothing else can
            future = parsed > latest_possible
            rows.reject(future, f"{name}「{{}}」晚于导入时间,可能是录入错误", raw[column])
        out[column] = parsed

    closed_status = parse_codes(raw["status"], CLOSED_STATUSES)[0].fillna(False).astype(bool)
    by_status = closed_status & out["closed_at"].isna()
    stages = out[list(EVENT_TIMESTAMPS[:-1])].max(axis=1)  # the last stage before closing
    usable = by_status & out["updated_at"].notna() & (out["updated_at"] >= stages)
    out.loc[usable, "closed_at"] = out.loc[usable, "updated_at"]
    if usable.any():
        notes.append(
            f"{int(usable.sum()):,} 行没有办结时间而办理状态为已办结,以状态更新时间作办结时间"
        )
    if (by_status & ~usable).any():
        notes.append(
            f"{int((by_status & ~usable).sum()):,} 行办理状态为已办结,但没有办结时间,状态更新"
            "时间也缺失或早于前面的环节,按未办结计"
        )
    out = out.drop(columns="updated_at")

    latest = out["reported_at"].copy()
    latest_name = pd.Series("reported_at", index=raw.index)
    for column in EVENT_TIMESTAMPS[1:]:
        early = out[column].notna() & latest.notna() & (out[column] < latest)
        names = latest_name.map(HEADER_NAME)
        rows.reject(early, f"{HEADER_NAME[column]}早于{{}}:环节时间必须依次不早于前一环节", names)
        later = out[column].notna() & (latest.isna() | (out[column] >= latest))
        latest = latest.where(~later, out[column])
        latest_name = latest_name.where(~later, column)

    for column, vocabulary in VOCABULARY.items():
        values = raw[column]
        coded, unknown = parse_codes(values, vocabulary)
        missing = values.isna()
        if column in OTHER_WHEN_UNKNOWN:
            coded = coded.where(~(unknown | missing), OTHER)
            counted = unknown | missing
            target = f"「{CATALOGUE[column].get(OTHER, '其他')}」"
        else:
            counted = unknown
            target = "未填"
        if counted.any():
            rows.unmapped[column] = int(counted.sum())
            examples = example_values(values, unknown)
            notes.append(
                f"{HEADER_NAME[column]}有 {int(counted.sum()):,} 行"
                + (f"为空或无法识别(如{examples})" if examples else "为空")
                + f",记为{target}"
            )
        out[column] = coded
    no_category = raw["category"].isna()
    if no_category.any():
        notes.append(f"业务类别有 {int(no_category.sum()):,} 行为空,记为「{UNCATEGORISED}」")
    out["category"] = raw["category"].fillna(UNCATEGORISED)
    derived = out["category"].map(catalogue.boards()).fillna("livelihood")
    out["board"] = out["board"].fillna(derived)

    resolved, bad = parse_booleans(raw["resolved"])
    if bad.any():
        rows.unmapped["resolved"] = int(bad.sum())
        examples = example_values(raw["resolved"], bad)
        notes.append(f"是否解决有 {int(bad.sum()):,} 行无法识别(如{examples}),记为未填")
    out["resolved"] = resolved
    lon, bad_lon = parse_numbers(raw["lon"])
    lat, bad_lat = parse_numbers(raw["lat"])
    rows.reject(bad_lon, "经度「{}」不是数字", raw["lon"])
    rows.reject(bad_lat, "纬度「{}」不是数字", raw["lat"])
    zero = (lon == 0) & (lat == 0)  # an export's placeholder for "no position"
    lon, lat = lon.where(~zero), lat.where(~zero)
    rows.reject(lon.isna() != lat.isna(), "经度和纬度要么都填,要么都不填")
    wlon, wlat = convert_to_wgs84(lon.to_numpy(), lat.to_numpy(), preset.coordinates)
    out["lon"], out["lat"] = wlon, wlat
    lo_lon, hi_lon, lo_lat, hi_lat = extent
    outside = out["lon"].notna() & ~(
        out["lon"].between(lo_lon, hi_lon) & out["lat"].between(lo_lat, hi_lat)
    )
    where = out.loc[outside, "lon"].round(6).astype(str) + ", "
    where += out.loc[outside, "lat"].round(6).astype(str)
    rows.reject(outside, "坐标「{}」不在本区范围内", where.reindex(out.index))
    for column in ("handler_unit", "worker_id", "repeat_of", *PERSONAL_COLUMNS):
        out[column] = raw[column]
    return out


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings (a tenth of Python objects' memory at a million rows)."""
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype(pd.StringDtype("pyarrow"))
    return frame


def import_events(
    source: str | Path | bytes,
    *,
    preset: str = AUTO,
    mapping: dict | None = None,
    db: str | Path | None = None,
    progress: Callable[[str, float], None] | None = None,
    name: str | None = None,
    dry_run: bool = False,
    create_units: bool = False,
    timezone: str | None = None,
) -> ImportResult:
    """Import one events export (CSV, Excel or JSON) into the database, atomically.

    ``source`` is a path or the file's bytes (an upload; then ``name``, the file name recorded
    and shown, is required). ``preset`` ``auto`` recognises the export from its header.
    ``dry_run`` validates and counts exactly as an import would, then discards the result.
    Streets the database does not know stop the import with their names, unless
    ``create_units`` (or the database has no streets yet): then they are created, with their
    communities and grids. ``timezone`` overrides the district's zone of the settings.
    """
    report = progress or (lambda message, fraction: None)
    data, name = load_source(source, name)
    url = db_url(db)
    path = staging_path(url)
    try:
        zone = timezone or load_settings().timezone
    except SettingsError as exc:
        raise ImportFileError(str(exc)) from exc
    if problem := zone_problem(zone):
        raise ImportFileError(problem)
    spec = resolve(preset, mapping)
    report("读取文件", 0.0)
    sha256 = hashlib.sha256(data).hexdigest()
    sheet = read_sheet(data, name)
    spec, header_index, found, reason = _header(sheet, spec, name)
    width = len(sheet.head[header_index])
    cells = sheet.body(header_index + 1, width)
    delimiter, salvaged = sheet.delimiter, sheet.problems  # salvaged: body row -> reason
    del sheet, data  # the file's bytes are not held through validation and writing
    raw, blank, too_wide = _frame(cells, width, found, spec)
    pa.default_memory_pool().release_unused()  # the reader's buffers
    if blank.all():
        raise ImportFileError(f"{name} 只有表头,没有数据行。请确认导出时选择了数据范围。")
    keep = ~blank
    source_row = np.arange(1, len(cells) + 1)[keep]
    cells = cells[keep].reset_index(drop=True)
    raw, too_wide = raw[keep].reset_index(drop=True), too_wide[keep]
    reasons = pd.Series(None, index=raw.index, dtype="object")
    state = Rows(raw, source_row, reasons)
    if salvaged:  # e.g. a row that is not UTF-8: quarantined with the reader's reason
        why = pd.Series(salvaged, dtype=object).reindex(np.flatnonzero(keep))
        state.reject(pd.Series(why.notna().to_numpy()), "{}", pd.Series(why.to_numpy()))
    state.reject(pd.Series(too_wide), f"列数多于表头的 {width} 列(可能含未加引号的逗号)")

    started = local_now(zone)
    report("校验", 0.2)
    notes: list[str] = []
    with writing(path, commit=not dry_run) as con:
        units, grids = reference(con)
        names = place_names(raw)
        has_streets = bool((units.level == "street").any())
        unknown = unknown_streets(names, Directory.of(units, grids)) if has_streets else []
        if unknown and not create_units:
            shown = "、".join(f"「{s}」" for s in unknown[:10])
            more = f"等 {len(unknown)} 个" if len(unknown) > 10 else ""
            raise ImportFileError(
                f"{name} 中的街道{shown}{more}在数据库的区划中不存在,未导入任何数据。"
                "如确属本区,请选择“建立文件中新的街道、社区和网格”(命令行加 --create-units)"
                "后重新导入;否则请检查是否选对了数据库,或先导入网格边界建立区划。"
            )
        created = 0
        if create_units or not has_streets:
            created = add_units(con, names, units, grids)
            units, grids = reference(con)
        org = resolve_units(state, names, Directory.of(units, grids), notes)
        valid = _validate(state, spec, extent(grids), zone, notes)
        valid = pd.concat([valid, org], axis=1)
        ok = state.reason.isna()
        unplaced = int((ok & org["street_id"].isna()).sum())
        if unplaced:
            notes.append(f"{unplaced:,} 行没有街道、社区或网格,记在全区(未落格)")
        no_grid = int((ok & org["street_id"].notna() & org["grid_id"].isna()).sum())
        if no_grid:
            notes.append(f"{no_grid:,} 行只有街道或社区,没有网格(未落格)")

        # Only what the write needs is held from here on: the typed rows in Arrow strings,
        # and the file's text of the rows that are, or may yet be (a repeated id), quarantined.
        events = _compact(valid[list(EVENT_COLUMNS)])
        doubtful = state.reason.notna() | events["event_id"].duplicated(keep=False)
        kept_text = raw_text(cells[doubtful], delimiter)
        state.raw = state.raw.iloc[0:0]
        del valid, org, names, cells, raw
        pa.default_memory_pool().release_unused()  # give the freed columns back to the system

        report("写入数据库", 0.6)
        result = finish(
            con,
            state,
            events,
            kind="events",
            label="事件编号",
            name=name,
            sha256=sha256,
            started=started,
            zone=zone,
            raw_of=lambda bad: kept_text.loc[np.flatnonzero(bad)],
            blank_rows=int(blank.sum()),
            created=created,
            dry_run=dry_run,
        )
    result.preset, result.preset_reason = spec.name, reason
    result.other_values, result.notes = dict(state.unmapped), notes
    publish_import(result, url, report)
    report("完成", 1.0)
    return result
