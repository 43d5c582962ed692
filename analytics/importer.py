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
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import catalogue, labels
from analytics.connection import db_url, duckdb_path, is_duckdb_file
from analytics.geo import convert_to_wgs84
from analytics.masking import MASKERS, mask_frame, mask_text
from analytics.presets import (
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
from analytics.reading import (
    ImportFileError,
    check_size,
    read_sheet,
)
from analytics.schema import EVENT_TIMESTAMPS, OTHER, PERSONAL_COLUMNS
from analytics.settings import SettingsError, zone_problem
from analytics.settings import load as load_settings
from analytics.store import writing

EXCEL_EPOCH = pd.Timestamp("1899-12-30")


CATALOGUE = {  # coded columns and their Chinese labels (the codes are the schema's values)
    "channel": labels.CHANNEL,
    "event_type": labels.EVENT_TYPE,
    "board": labels.BOARD,
    "handling_type": labels.HANDLING_TYPE,
    "resolved_level": labels.RESOLVED_LEVEL,
    "satisfaction": labels.SATISFACTION,
}
SYNONYMS = {  # what exports write besides the codes and the labels (compared folded)
    "channel": {
        "hotline": (
            "12345",
            "8890",
            "热线",
            "12345热线",
            "市长热线",
            "便民热线",
            "电话",
            "来电",
            "电话来电",
            "phone",
            "call",
            "telephone",
            "voice in",
            "voice",
            "constituent call",
            "phone call",
            "call center",
            "311",
        ),
        "app": (
            "随手拍",
            "app",
            "微信",
            "小程序",
            "微信小程序",
            "微信公众号",
            "手机",
            "客户端",
            "mobile",
            "mobile app",
            "mobile/open311",
            "open311",
            "citizens connect app",
            "bos:311 app",
            "iphone",
            "android",
        ),
        "online": (
            "网上",
            "网站",
            "网络",
            "网页",
            "网络问政",
            "留言板",
            "邮件",
            "电子邮件",
            "微博",
            "online",
            "web",
            "website",
            "self service",
            "email",
            "e-mail",
            "twitter",
            "internet",
            "portal",
        ),
        "patrol": (
            "巡查",
            "网格员上报",
            "网格员巡查",
            "自查",
            "主动发现",
            "employee generated",
            "city worker app",
            "driver self report",
            "integrated agency",
            "other department",
            "internal",
        ),
        "visit": ("来访", "走访", "窗口", "walk in", "walk-in", "in person", "counter"),
        "letter": ("来信", "民情信箱", "信件", "letter", "mail", "fax"),
        "sensor": ("视频", "物联感知", "监控", "sensor", "camera"),
    },
    "event_type": {
        "request": (
            "求助",
            "求决",
            "诉求",
            "建议",
            "意见建议",
            "request",
            "service request",
            "suggestion",
        ),
        "complaint": ("举报", "complaint", "report"),
        "petition": ("petition",),
        "hazard": ("安全隐患", "hazard"),
        "consultation": ("咨询", "consultation", "inquiry", "information", "question"),
    },
    "board": {"economy": ("生态",), "livelihood": ("公共服务",)},
    "handling_type": {},
    "resolved_level": {"district": ("区", "区直部门")},
    "satisfaction": {
        "satisfied": ("非常满意", "satisfied", "very satisfied"),
        "basic": ("基本满意", "somewhat satisfied", "neutral"),
        "dissatisfied": ("不满意", "非常不满意", "dissatisfied", "unsatisfied", "not satisfied"),
    },
}
# Channels and event types nobody could map are still events: they become ``other``.
OTHER_WHEN_UNKNOWN = ("channel", "event_type")
CLOSED_STATUSES = dict.fromkeys(
    (
        fold(s)
        for s in (
            "closed",
            "close",
            "resolved",
            "completed",
            "complete",
            "done",
            "archived",
            "已办结",
            "办结",
            "已完成",
            "完成",
            "已关闭",
            "关闭",
            "已结案",
            "结案",
            "已答复",
            "已回复",
            "已处理",
            "处理完毕",
            "办理完毕",
            "已反馈",
        )
    ),
    True,
)  # fmt: skip  (folded spelling -> closed, looked up as a code)
UNCATEGORISED = "未分类"


def vocabulary(catalogue: dict[str, str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every accepted spelling, folded → code: the code, its label and each part of a label
    like 诉求/求助, then the synonyms."""
    words = {fold(code): code for code in catalogue}
    for code, text in catalogue.items():
        words[fold(text)] = code
        for part in re.split(r"[/、]", text):
            words.setdefault(fold(part), code)
    for code, spellings in synonyms.items():
        words |= {fold(s): code for s in spellings}
    words.pop(fold(OTHER), None)
    return words


VOCABULARY = {column: vocabulary(CATALOGUE[column], SYNONYMS[column]) for column in CATALOGUE}
TRUTHY = {fold(s) for s in ("是", "已解决", "解决", "y", "yes", "true", "1", "已落实")}
FALSY = {fold(s) for s in ("否", "未解决", "不解决", "n", "no", "false", "0", "未落实")}


@dataclass
class ImportResult:
    import_id: str
    file_name: str
    rows_read: int
    rows_accepted: int
    rows_updated: int
    rows_unchanged: int
    rows_quarantined: int
    blank_rows: int
    created_units: int
    reasons: dict[str, int]
    quarantined: pd.DataFrame = field(default_factory=pd.DataFrame)  # source_row, reason (≤200)
    dry_run: bool = False
    quarantine_new: int = 0  # quarantined rows not already kept from an earlier import
    preset: str = ""  # the preset used ("mapping" for a user's mapping)
    preset_reason: str = ""  # why ``auto`` chose it (empty when named)
    other_values: dict[str, int] = field(default_factory=dict)  # column -> rows made other/none
    notes: list[str] = field(default_factory=list)  # what was completed or assumed, in Chinese

    def summary(self) -> str:
        text = (
            f"读取 {self.rows_read:,} 行:新增 {self.rows_accepted:,},更新 {self.rows_updated:,},"
            f"未变 {self.rows_unchanged:,},隔离 {self.rows_quarantined:,}"
        )
        if self.blank_rows:
            text += f"(另跳过空行 {self.blank_rows:,})"
        if self.created_units:
            text += f";新建区划/网格 {self.created_units:,} 个"
        return text


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


# ---------------------------------------------------------------- parsing values

_SERIAL_RE = re.compile(r"^\d{4,5}(\.\d+)?$")


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cells as stripped strings ('' when missing) and the mask of the empty ones."""
    text = values.fillna("").astype(str).str.strip()
    return text, text == ""


_US_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\b")
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
               "%m/%d/%Y")  # fmt: skip


_YEAR_FIRST = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_YEAR_FIRST_SLASH = _YEAR_FIRST.replace("-", "[-/]")
_ZONED = r"(?:\d:\d\d(?:\.\d+)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)|\s(?:UTC|GMT|Z))$"
_REWRITES = (  # Chinese and dotted layouts → 2025-3-4 8:15:30 (RE2 syntax)
    (r"[年/.]", "-"),
    ("月", "-"),
    (r"[日秒]", ""),
    (r"[时分]", ":"),
    ("T", " "),
    (r"\s+", " "),
    (r":$", ""),
)


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    """``pattern`` (RE2, anchor it yourself) found in each cell, in Arrow's regex engine:
    pandas falls back to Python's for non-ASCII text, ~1 s a million cells per pattern."""
    found = pc.match_substring_regex(_arrow(text), pattern).to_numpy(zero_copy_only=False)
    return pd.Series(found, index=text.index, dtype=bool)


def _arrow(text: pd.Series) -> pa.Array:
    """The cells as an Arrow string array (no copy when pandas already holds them in Arrow)."""
    try:
        return pa.array(text)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(text.astype(object), type=pa.large_string())


def _replace(values: pd.Series, rewrites) -> pd.Series:
    """The rewrites run in Arrow's C++ regex engine: Python's would take ~10 s a million."""
    array = _arrow(values)
    for pattern, replacement in rewrites:
        array = pc.replace_substring_regex(array, pattern, replacement)
    return pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string())), index=values.index)


def _in_zone(zoned: pd.Series, zone: str) -> pd.Series:
    """Times carrying a zone or offset as naive local times of ``zone`` (NaT if unparsable)."""
    iso = _replace(zoned, ((r"\s+(?:UTC|GMT|Z)$", "Z"), (r"\s+([+-]\d\d)", r"\1"), (r"/", "-")))
    parsed = pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce")
    return parsed.dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[us]")


def parse_timestamps(
    values: pd.Series, zone: str = "Asia/Shanghai", source_zone: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parsed timestamps (NaT where empty or bad) and a mask of the bad, non-empty ones.

    Accepts 2025-03-04 08:15, 2025/3/4 8:15, 2025年3月4日 8:15(:30), 8时15分, ISO 8601 with T,
    US 03/04/2025 08:15:00 AM, dates alone, and Excel date serials such as 45720.34375.
    Times are stored as naive local times of the district's ``zone``: a value that carries
    a zone (``…Z``, ``…+08:00``, ``… UTC`` as BigQuery writes) is converted to it, never
    stripped; zone-less values are taken as ``source_zone`` (default: the district's own).
    Vectorised, about a second a million: year-first dates go straight to pandas' C parser
    in one pass; only what is left is matched by pattern and rewritten.
    """
    text, empty = _text(values)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    todo = ~empty

    def attempt(candidates: pd.Series, layout: str) -> pd.Series:
        parsed = pd.to_datetime(candidates, format=layout, errors="coerce")
        hit = parsed[parsed.notna()]
        out[hit.index] = hit
        todo[hit.index] = False
        return parsed.notna()

    zoned = todo & _matches(text, _ZONED)
    if zoned.any():
        converted = _in_zone(text[zoned], zone)
        hit = converted[converted.notna()]
        out[hit.index] = hit
        todo[hit.index] = False
    naive = todo.copy()
    plain = todo & _matches(text, _YEAR_FIRST_SLASH)
    if plain.any():
        attempt(text[plain], "ISO8601")
    rest = text[todo]
    serial = rest[_matches(rest, _SERIAL_RE.pattern)]
    if not serial.empty:
        days = pd.to_numeric(serial, errors="coerce")
        days = days.where((days > 20000) & (days < 80000))  # 1954 .. 2119
        out[days.index] = (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")
        todo[days.dropna().index] = False
    us = text[todo & _matches(text, _US_RE.pattern)]  # 01/15/2024 09:30:00 AM (NYC Open Data)
    for layout in _US_FORMATS:
        if us.empty:
            break
        us = us[~attempt(us, layout)]
    if todo.any():
        candidates = _replace(text[todo], _REWRITES)
        iso = candidates[_matches(candidates, _YEAR_FIRST)]
        if not iso.empty:
            attempt(iso, "ISO8601")
        hour_only = candidates[todo[candidates.index]]  # 2025-3-4 9 (from 9时)
        if not hour_only.empty:
            attempt(hour_only, "%Y-%m-%d %H")
    if source_zone and source_zone != zone:
        moved = naive & out.notna()
        # the repeated hour when clocks go back is read as its first pass (summer time)
        local = out[moved].dt.tz_localize(
            source_zone,
            ambiguous=np.ones(int(moved.sum()), dtype=bool),
            nonexistent="shift_forward",
        )
        out[moved] = local.dt.tz_convert(zone).dt.tz_localize(None)
    return out, ~empty & out.isna()


def _coded(values: pd.Series, vocabulary: dict) -> tuple[pd.Series, pd.Series]:
    """Codes for the cells (None where empty or unknown) and the mask of the unknown ones."""
    text, empty = _text(values)
    positions, spellings = pd.factorize(text)  # a handful of spellings for a million cells
    codes = np.array([vocabulary.get(fold(v)) for v in spellings] + [None], dtype=object)
    out = pd.Series(codes[positions], index=values.index, dtype=object)  # -1 (missing) → None
    bad = ~empty & out.isna()
    return out.where(~empty), bad


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    truth = {**dict.fromkeys(TRUTHY, True), **dict.fromkeys(FALSY, False)}
    coded, bad = _coded(values, truth)
    return coded.astype("boolean"), bad


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text, empty = _text(values)
    out = pd.to_numeric(text.where(~empty), errors="coerce")
    return out, ~empty & out.isna()


# ---------------------------------------------------------------- the import


@dataclass
class Rows:
    """The data rows under validation with their reasons (first failing rule wins)."""

    raw: pd.DataFrame  # one column per canonical column, strings
    source_row: np.ndarray
    reason: pd.Series
    unmapped: dict[str, int] = field(default_factory=dict)  # column -> values made other/none

    def reject(self, mask: pd.Series, reason: str, values: pd.Series | None = None) -> None:
        """Give rows of ``mask`` without a reason yet this one; ``{}`` takes the row's value,
        with any phone or ID number in it masked (reasons are shown on the import page; the
        row itself stays whole in the quarantine table)."""
        fresh = mask.fillna(False).astype(bool) & self.reason.isna()
        if not fresh.any():
            return
        if values is None:
            self.reason[fresh] = reason
        else:
            self.reason[fresh] = values[fresh].map(lambda v: reason.format(mask_text(str(v))))


def reference(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The org units and grids already in the database."""
    units = con.execute("SELECT unit_id, parent_id, level, name FROM org_units").df()
    grids = con.execute(
        "SELECT grid_id, community_id, street_id, name, centroid_lon, centroid_lat FROM grids"
    ).df()
    return units, grids


PLACEHOLDERS = frozenset(fold(s) for s in (
    "unspecified", "n/a", "na", "#n/a", "none", "null", "nan", "unknown", "(blank)", "blank",
    "0", "-", "—", "/", "\\", "?", "未知", "无", "空", "不详", "其他", "未指定", "暂无",
))  # fmt: skip


def unit_name(value: str | None) -> str | None:
    """A unit name as stored and compared: NFKC (full-width forms), whitespace collapsed and
    dropped next to Chinese characters; None for empty and placeholder values (NYC's
    'Unspecified', '0 Unspecified', 'Unspecified BROOKLYN', 未知 …)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    text = re.sub(r"(?<=[\u3000-\u9fff]) | (?=[\u3000-\u9fff])", "", text)
    key = fold(text)
    if not key or key in PLACEHOLDERS or key.startswith("unspecified") or key == "0unspecified":
        return None
    return text


def place_names(raw: pd.DataFrame) -> pd.DataFrame:
    """The street, community and grid names of each row, normalised (None when not named)."""
    out = {}
    for column in ("street", "community", "grid"):
        positions, spellings = pd.factorize(raw[column].astype(object))
        names = np.array([unit_name(s) for s in spellings] + [None], dtype=object)
        out[column] = pd.Series(names[positions], index=raw.index, dtype=object)
    return pd.DataFrame(out)


@dataclass
class Directory:
    """Look-ups from a unit's name or code (compared folded) to its id, built from the
    database: the one resolver of events, grids, buildings and workers."""

    streets: dict[str, str]  # folded name or id -> street id
    communities: dict[tuple[str, str], str]  # (street id, folded name or id) -> community id
    community_anywhere: dict[str, list[str]]  # folded name or id -> community ids
    grids: dict[tuple[str, str], str]  # (community id, folded name or id) -> grid id
    grid_anywhere: dict[str, list[str]]  # folded name or id -> grid ids
    community_of: dict[str, str]  # grid id -> community id
    street_of: dict[str, str]  # community id -> street id

    @classmethod
    def of(cls, units: pd.DataFrame, grids: pd.DataFrame) -> Directory:
        streets = units[units.level == "street"]
        comm = units[units.level == "community"]
        street_by = {fold(n): u for u, n in zip(streets.unit_id, streets.name, strict=True)}
        street_by |= {fold(u): u for u in streets.unit_id}
        community_by: dict[tuple[str, str], str] = {}
        community_anywhere: dict[str, list[str]] = {}
        for u, p, n in zip(comm.unit_id, comm.parent_id, comm.name, strict=True):
            for key in {fold(n), fold(u)}:
                community_by[(p, key)] = u
                community_anywhere.setdefault(key, []).append(u)
        grid_by: dict[tuple[str, str], str] = {}
        grid_anywhere: dict[str, list[str]] = {}
        for g, c, n in zip(grids.grid_id, grids.community_id, grids.name, strict=True):
            for key in {fold(n), fold(g)}:
                grid_by[(c, key)] = g
                grid_anywhere.setdefault(key, []).append(g)
        return cls(
            street_by,
            community_by,
            community_anywhere,
            grid_by,
            grid_anywhere,
            dict(zip(grids.grid_id, grids.community_id, strict=True)),
            dict(zip(comm.unit_id, comm.parent_id, strict=True)),
        )

    def street(self, name: str | None) -> str | None:
        return self.streets.get(fold(name)) if name else None

    def community(self, name: str | None, street_id: str | None) -> str | None:
        """Within the street when one is known, else a code or a name unique in the district."""
        return _within(self.communities, self.community_anywhere, street_id, name)

    def grid(self, name: str | None, community_id: str | None) -> str | None:
        """Within the community when one is known, else a code or a name unique in the
        district."""
        return _within(self.grids, self.grid_anywhere, community_id, name)


def _within(by_parent: dict, anywhere: dict, parent_id: str | None, name: str | None) -> str | None:
    """The unit called ``name`` under ``parent_id`` when that is known, else the one unit of
    that code or name in the whole district (None when there are several or none)."""
    if not name:
        return None
    if parent_id:
        return by_parent.get((parent_id, fold(name)))
    matches = anywhere.get(fold(name), [])
    return matches[0] if len(matches) == 1 else None


def next_id(prefix: str, taken: set[str]) -> str:
    """The first of prefix01, prefix02, … not in ``taken`` (which then holds it)."""
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    taken.add(f"{prefix}{n:02d}")
    return f"{prefix}{n:02d}"


def add_units(con, names: pd.DataFrame, units: pd.DataFrame, grids: pd.DataFrame) -> int:
    """Streets, communities and grids of ``names`` (normalised street, community, grid) that
    the database does not have yet, with ids that follow the existing ones; the district
    itself when missing. Returns how many were created."""
    created = 0
    taken = set(units.unit_id) | set(grids.grid_id)
    district = units.loc[units.level == "district", "unit_id"]
    if district.empty:
        con.execute("INSERT INTO org_units VALUES ('D', NULL, 'district', '本区')")
        district_id, created = "D", 1
        taken.add("D")
    else:
        district_id = district.iloc[0]
    known = Directory.of(units, grids)
    combos = names.drop_duplicates()
    street_ids = dict(known.streets)
    for street in sorted(combos["street"].dropna().unique()):
        if fold(street) not in street_ids:
            sid = next_id("S", taken)
            con.execute(
                "INSERT INTO org_units VALUES (?, ?, 'street', ?)", [sid, district_id, street]
            )
            street_ids[fold(street)] = sid
            created += 1
    community_ids = dict(known.communities)
    pairs = combos[["street", "community"]].dropna().drop_duplicates()
    for street, community in sorted(pairs.itertuples(index=False)):
        sid = street_ids[fold(street)]
        if (sid, fold(community)) not in community_ids:
            cid = next_id(f"{sid}C", taken)
            con.execute(
                "INSERT INTO org_units VALUES (?, ?, 'community', ?)", [cid, sid, community]
            )
            community_ids[(sid, fold(community))] = cid
            created += 1
    grid_ids = dict(known.grids)
    for street, community, grid in sorted(combos.dropna().itertuples(index=False)):
        sid = street_ids[fold(street)]
        cid = community_ids[(sid, fold(community))]
        if (cid, fold(grid)) not in grid_ids:
            gid = next_id(f"{cid}G", taken)
            con.execute(
                "INSERT INTO grids (grid_id, community_id, street_id, name) VALUES (?, ?, ?, ?)",
                [gid, cid, sid, grid],
            )
            grid_ids[(cid, fold(grid))] = gid
            created += 1
    return created


def unknown_streets(names: pd.DataFrame, directory: Directory) -> list[str]:
    """Street names (or codes) of the file that the database's hierarchy does not know."""
    return sorted(s for s in names["street"].dropna().unique() if directory.street(s) is None)


def resolve_units(
    rows: Rows, names: pd.DataFrame, directory: Directory, notes: list[str]
) -> pd.DataFrame:
    """street_id, community_id, grid_id for each row, by code or by name, as deep as the row
    names a place; a row naming none counts at district level (all three null).

    A community or grid that does not belong to the row's street or community is an error
    (quarantined). A community or grid named without its street that cannot be placed
    (unknown, or a name several units share) leaves the event at district level, said in
    ``notes``: the event is still an event.
    """
    # Names repeat across a million rows but form a few hundred combinations: resolve those.
    combos = names.drop_duplicates().reset_index(drop=True)
    resolved, problems, unplaced = [], [], []
    for street, community, grid in combos.itertuples(index=False):
        sid = directory.street(street)
        cid = directory.community(community, sid)
        gid = directory.grid(grid, cid)
        problem, lost = None, None
        if street and sid is None:
            problem = f"街道「{street}」在区划中不存在"
        elif community and cid is None:
            if sid:
                problem = f"社区「{community}」不在所属街道之下"
            else:
                lost = community
        if problem is None and grid:
            home = directory.street_of.get(directory.community_of.get(gid, ""))
            if gid is None and cid:
                problem = f"网格「{grid}」不在所属社区之下"
            elif sid and not cid and home != sid:
                problem = f"网格「{grid}」不在街道「{street}」之下"
            elif gid is None:
                lost = lost or grid
        if gid and not cid:
            cid = directory.community_of.get(gid)
        if cid and not sid:
            sid = directory.street_of.get(cid)
        resolved.append((sid, cid, gid) if problem is None else (None, None, None))
        problems.append(problem)
        unplaced.append(lost if problem is None and lost and not sid else None)
    combos[["street_id", "community_id", "grid_id"]] = pd.DataFrame(resolved, dtype=object)
    combos["problem"] = problems
    combos["unplaced"] = unplaced
    ids = names.astype(object).merge(combos, on=["street", "community", "grid"], how="left")
    ids.index = names.index
    rows.reject(ids["problem"].notna(), "{}", ids["problem"])
    lost = ids["unplaced"].notna() & rows.reason.isna()
    if lost.any():
        notes.append(
            f"{int(lost.sum()):,} 行只写了社区或网格(如{_examples(ids['unplaced'], lost)}),"
            "没有街道且无法唯一确定位置,记在全区;可在映射的 defaults 中指定所属街道"
        )
    return ids[["street_id", "community_id", "grid_id"]]


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


def raw_text(cells: pd.DataFrame, delimiter: str) -> pd.Series:
    """Rows as text, as they stood in the file (trailing empty cells dropped)."""
    if cells.empty:
        return pd.Series([], dtype="object")
    return cells.apply(lambda r: delimiter.join(r.tolist()).rstrip(delimiter), axis=1)


def _examples(values: pd.Series, mask: pd.Series) -> str:
    """A few offending values for a note or reason, with any phone or ID number in them
    masked (a phone typed into a date column must not be shown in the clear)."""
    top = values[mask].astype(str).value_counts().head(3).index
    return "、".join(f"「{mask_text(v)}」" for v in top)


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

    closed_status = _coded(raw["status"], CLOSED_STATUSES)[0].fillna(False).astype(bool)
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
        coded, unknown = _coded(values, vocabulary)
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
            examples = _examples(values, unknown)
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

    resolved, bad = _boolean(raw["resolved"])
    if bad.any():
        rows.unmapped["resolved"] = int(bad.sum())
        examples = _examples(raw["resolved"], bad)
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


def extent(grids: pd.DataFrame) -> tuple[float, float, float, float]:
    """The district's extent with a margin (any valid coordinate when grids have no shape)."""
    lon, lat = grids["centroid_lon"].dropna(), grids["centroid_lat"].dropna()
    if lon.empty:  # no grid geometry yet (units created from a file): only the globe's bounds
        return -180.0, 180.0, -90.0, 90.0
    margin = 0.1
    return lon.min() - margin, lon.max() + margin, lat.min() - margin, lat.max() + margin


def load_source(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        if not name:
            raise ValueError("name is required when importing bytes")
        return source, name
    path = Path(source)
    if not path.exists():
        raise ImportFileError(f"找不到文件 {path}。")
    check_size(path.stat().st_size, name or path.name)  # before reading it into memory
    return path.read_bytes(), name or path.name


def _content_key(frame: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(frame.astype("string"), index=False)


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
    if not is_duckdb_file(url):
        raise ImportFileError(f"导入只能写入 DuckDB 文件,而 GOV_DB 是 {url}。")
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

    started = datetime.now()
    report("校验", 0.2)
    notes: list[str] = []
    with writing(duckdb_path(url), commit=not dry_run) as con:
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
            raw_of=lambda bad: kept_text.loc[np.flatnonzero(bad)],
            blank_rows=int(blank.sum()),
            created=created,
            dry_run=dry_run,
        )
    result.preset, result.preset_reason = spec.name, reason
    result.other_values, result.notes = dict(state.unmapped), notes
    report("完成", 1.0)
    return result


class ImportCheckFailed(RuntimeError):
    """What an import wrote does not read back as meant: it is aborted, nothing changes."""


def upsert(con, table: str, key: str, incoming: pd.DataFrame) -> tuple[int, int, int]:
    """Insert new keys, replace changed rows, keep identical ones: (new, updated, unchanged).

    ``incoming`` holds the table's columns in order, one row per key. The rows are read
    straight from an Arrow view in every statement, never staged in a temporary table (a
    TEMP table filled inside a transaction lost every row past 122,880 on duckdb 2.0.0).
    The figures are read back from the table after the write and must agree with what was
    meant: every incoming row is present exactly as given, and the table grew by the new
    rows alone; otherwise :class:`ImportCheckFailed` aborts the transaction.
    """
    schema = con.execute(f"DESCRIBE {table}").fetchall()
    typed = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind, *_ in schema)
    cols = ", ".join(f'"{name}"' for name, *_ in schema)
    view = f"incoming_{uuid.uuid4().hex[:8]}"
    con.register(
        view, pa.Table.from_pandas(incoming[[n for n, *_ in schema]], preserve_index=False)
    )
    rows = f"(SELECT {typed} FROM {view})"

    def scalar(sql: str) -> int:
        return int(con.execute(sql).fetchall()[0][0])

    try:
        before = scalar(f"SELECT count(*) FROM {table}")
        existing = scalar(f"SELECT count(*) FROM {rows} i SEMI JOIN {table} USING ({key})")
        changed_keys = (
            f"SELECT {key} FROM (SELECT {cols} FROM {rows} i SEMI JOIN {table} USING ({key}) "
            f"EXCEPT SELECT {cols} FROM {table})"
        )
        changed = scalar(f"SELECT count(*) FROM ({changed_keys})")
        deleted = scalar(f"DELETE FROM {table} WHERE {key} IN ({changed_keys})") if changed else 0
        con.execute(
            f"INSERT INTO {table} SELECT {cols} FROM {rows} i ANTI JOIN {table} USING ({key})"
        )
        after = scalar(f"SELECT count(*) FROM {table}")
        missing = scalar(
            f"SELECT count(*) FROM (SELECT {cols} FROM {rows} EXCEPT SELECT {cols} FROM {table})"
        )
    finally:
        con.unregister(view)
    new = len(incoming) - existing
    if deleted != changed or after - before != new or missing:
        raise ImportCheckFailed(
            f"写入 {table} 后核对不符(应新增 {new:,} 行、更新 {changed:,} 行,"
            f"实际新增 {after - before:,} 行、替换 {deleted:,} 行、缺少 {missing:,} 行),"
            "导入已撤销,数据库未改变。请把文件和这条信息反馈给管理员。"
        )
    return new, changed, existing - changed


def finish(
    con,
    state: Rows,
    frame: pd.DataFrame,
    *,
    kind: str,
    label: str,
    name: str,
    sha256: str,
    started: datetime,
    raw_of: Callable[[np.ndarray], pd.Series],
    blank_rows: int,
    created: int,
    dry_run: bool,
) -> ImportResult:
    """The end of every import (events, grids, buildings, workers): duplicates within the
    file settled, the accepted rows of ``frame`` (the table's columns, keyed by the first)
    upserted into table ``kind``, the quarantined rows (their raw text from ``raw_of(mask)``)
    and the ``imports`` row written; rows_read = accepted + updated + unchanged + quarantined.
    """
    key = frame.columns[0]
    exact = _settle_duplicates(state, frame, key, label)
    ok = state.reason.isna()
    before = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    accepted, updated, unchanged = upsert(con, kind, key, frame[ok & ~exact].reset_index(drop=True))
    bad = (~ok).to_numpy()
    result = ImportResult(
        import_id=uuid.uuid4().hex[:12],
        file_name=name,
        rows_read=len(frame),
        rows_accepted=accepted,
        rows_updated=updated,
        rows_unchanged=unchanged + int(exact.sum()),
        rows_quarantined=int(bad.sum()),
        blank_rows=blank_rows,
        created_units=created,
        reasons={},
        dry_run=dry_run,
    )
    quarantined = pd.DataFrame(
        {
            "import_id": result.import_id,
            "source_file": name,
            "source_row": np.asarray(state.source_row[bad]),
            "raw": np.asarray(raw_of(bad), dtype=object),
            "reason": np.asarray(state.reason[bad], dtype=object),
        }
    )
    result.quarantine_new = _keep_quarantined(con, quarantined)
    result.reasons = _reason_counts(quarantined["reason"])
    result.quarantined = quarantined[["source_row", "reason"]].head(200).reset_index(drop=True)
    parts = (result.rows_accepted, result.rows_updated, result.rows_unchanged)
    assert result.rows_read == sum(parts) + result.rows_quarantined
    figures = [result.rows_read, result.rows_accepted, result.rows_updated,
               result.rows_unchanged, result.rows_quarantined]  # fmt: skip
    con.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.import_id, kind, name, sha256, *figures, started, datetime.now()],
    )
    stored = con.execute(
        "SELECT rows_read, rows_accepted, rows_updated, rows_unchanged, rows_quarantined "
        "FROM imports WHERE import_id = ?",
        [result.import_id],
    ).fetchall()
    after = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    if [list(r) for r in stored] != [figures] or after - before != accepted:
        raise ImportCheckFailed(
            f"导入后核对不符(应新增 {accepted:,} 行,{kind} 表实际增加 {after - before:,} 行),"
            "导入已撤销,数据库未改变。请把文件和这条信息反馈给管理员。"
        )
    return result


def _keep_quarantined(con, quarantined: pd.DataFrame) -> int:
    """Write the quarantined rows not already kept from an earlier import of the same file
    (same file name, row, text and reason), so a re-import adds no second copy; the number
    written is read back and checked."""
    view = f"quarantined_{uuid.uuid4().hex[:8]}"
    con.register(view, pa.Table.from_pandas(quarantined, preserve_index=False))
    try:
        fresh = (
            f"SELECT CAST(import_id AS VARCHAR), CAST(source_file AS VARCHAR), "
            f"CAST(source_row AS BIGINT), CAST(raw AS VARCHAR), CAST(reason AS VARCHAR) "
            f"FROM {view} q WHERE NOT EXISTS (SELECT 1 FROM quarantine k WHERE "
            "k.source_file IS NOT DISTINCT FROM q.source_file AND k.source_row = q.source_row "
            "AND k.raw IS NOT DISTINCT FROM q.raw AND k.reason = q.reason)"
        )
        expected = int(con.execute(f"SELECT count(*) FROM ({fresh})").fetchall()[0][0])
        con.execute(f"INSERT INTO quarantine {fresh}")
    finally:
        con.unregister(view)
    import_id = quarantined["import_id"].iloc[0] if len(quarantined) else None
    written = con.execute(
        "SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id]
    ).fetchall()[0][0]
    if written != expected:
        raise ImportCheckFailed(
            f"隔离表写入后核对不符(应写入 {expected:,} 行,实际 {written:,} 行),"
            "导入已撤销,数据库未改变。"
        )
    return expected


def _settle_duplicates(state: Rows, frame: pd.DataFrame, key: str, label: str) -> pd.Series:
    """Rows repeating an earlier accepted row's key: identical ones are exact duplicates
    (returned: counted as unchanged, not written again); contradicting ones are quarantined."""
    ok = state.reason.isna()
    ids = frame.loc[ok, key]
    twice = ok & frame[key].isin(ids[ids.duplicated()])  # only these need hashing
    seen = frame.loc[twice, [key]].assign(k=_content_key(frame.loc[twice]))
    repeated = seen[key].duplicated()
    same = seen["k"] == seen.groupby(key)["k"].transform("first")
    exact = (repeated & same).reindex(frame.index, fill_value=False)
    conflict = (repeated & ~same).reindex(frame.index, fill_value=False)
    state.reject(
        conflict, f"{label}「{{}}」在本文件中重复且内容不同,以第一次出现的行为准", frame[key]
    )
    return exact


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    """Reasons grouped by rule (the value in 「」 left out), most frequent first."""
    rules = reasons.str.replace(r"「[^」]*」", "", regex=True)
    return {k: int(v) for k, v in rules.value_counts().items()}
