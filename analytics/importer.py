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

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analytics import labels
from analytics.connection import db_url, duckdb_path, is_duckdb_file
from analytics.geo import convert_to_wgs84
from analytics.masking import MASKERS
from analytics.schema import (
    EVENT_TIMESTAMPS,
    PERSONAL_COLUMNS,
    TABLES,
)
from analytics.store import writing

EVENT_COLUMNS = tuple(
    line.split()[0]
    for line in TABLES["events"].split("(", 1)[1].rsplit(")", 1)[0].strip().splitlines()
)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
HEADER_SCAN_ROWS = 15  # the header is looked for in these first rows
HEAD_ROWS = 40  # rows read up front: header search and preview


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Preset:
    """How one kind of export maps onto ``events``."""

    name: str
    title: str
    columns: dict[str, tuple[str, ...]]  # canonical column -> accepted headers
    defaults: dict[str, str] = field(default_factory=dict)
    coordinates: str = "wgs84"  # wgs84 | gcj02 | bd09


def _canonical_columns() -> dict[str, tuple[str, ...]]:
    return {c: (c,) for c in EVENT_COLUMNS if c not in ("community_id", "street_id", "grid_id")} | {
        "street": ("street_id", "street"),
        "community": ("community_id", "community"),
        "grid": ("grid_id", "grid"),
    }


PRESETS: dict[str, Preset] = {
    "canonical": Preset("canonical", "标准格式(数据模型列名)", _canonical_columns()),
    "hotline": Preset(
        "hotline",
        "12345/网格平台工单导出",
        {
            "event_id": ("工单编号", "工单号", "事件编号"),
            "channel": ("来源渠道", "来源", "渠道"),
            "event_type": ("诉求类型", "事件类型", "工单类型"),
            "category": ("问题分类", "业务类别", "事项分类"),
            "board": ("四板块", "所属板块"),
            "street": ("所属街道", "街道", "街镇"),
            "community": ("所属社区", "社区", "村社区"),
            "grid": ("所属网格", "网格"),
            "lon": ("经度",),
            "lat": ("纬度",),
            "reported_at": ("来电时间", "上报时间", "登记时间"),
            "accepted_at": ("受理时间",),
            "dispatched_at": ("派单时间", "转办时间"),
            "handled_at": ("处置时间", "处理完成时间"),
            "closed_at": ("办结时间", "反馈时间"),
            "deadline_at": ("办结时限", "承诺时限", "要求办结时间"),
            "handling_type": ("办理类型", "件类型"),
            "resolved_level": ("解决层级", "办结层级"),
            "handler_unit": ("承办单位", "处置单位"),
            "worker_id": ("网格员编号",),
            "satisfaction": ("满意度", "满意度评价"),
            "resolved": ("是否解决", "解决情况"),
            "repeat_of": ("重复工单", "原工单编号"),
            "reporter_name": ("来电人", "反映人", "姓名"),
            "reporter_phone": ("联系电话", "来电号码", "电话"),
            "address": ("地址", "事发地址"),
            "description": ("诉求内容", "问题描述", "工单内容"),
        },
        defaults={"channel": "hotline", "event_type": "request"},
    ),
    # NYC 311 Open Data export and Open311 GeoReport v2 names. A 311 service request is a
    # hotline demand (诉求); boroughs become streets and community boards communities.
    "open311": Preset(
        "open311",
        "Open311 / NYC 311 服务请求",
        {
            "event_id": ("Unique Key", "service_request_id"),
            "reported_at": ("Created Date", "requested_datetime"),
            "closed_at": ("Closed Date",),
            "deadline_at": ("Due Date", "expected_datetime"),
            "category": ("Complaint Type", "service_name"),
            "handler_unit": ("Agency", "agency_responsible"),
            "street": ("Borough",),
            "community": ("Community Board",),
            "lat": ("Latitude", "lat"),
            "lon": ("Longitude", "long"),
            "address": ("Incident Address", "address"),
            "description": ("Descriptor", "description"),
        },
        defaults={"channel": "hotline", "event_type": "request"},
    ),
}
REQUIRED = ("event_id", "reported_at", "category", "street")
HEADER_NAME = {  # Chinese names of canonical columns, for messages
    "event_id": "事件编号",
    "channel": "来源渠道",
    "event_type": "事件类型",
    "category": "业务类别",
    "board": "四板块",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "lon": "经度",
    "lat": "纬度",
    "reported_at": "上报时间",
    "accepted_at": "受理时间",
    "dispatched_at": "转办时间",
    "handled_at": "处置时间",
    "closed_at": "办结时间",
    "deadline_at": "办结时限",
    "handling_type": "办理类型",
    "resolved_level": "解决层级",
    "satisfaction": "满意度",
    "resolved": "是否解决",
}


CATALOGUE = {  # coded columns and their Chinese labels (the codes are the schema's values)
    "channel": labels.CHANNEL,
    "event_type": labels.EVENT_TYPE,
    "board": labels.BOARD,
    "handling_type": labels.HANDLING_TYPE,
    "resolved_level": labels.RESOLVED_LEVEL,
    "satisfaction": labels.SATISFACTION,
}
SYNONYMS = {  # what exports write besides the codes and the labels
    "channel": {
        "12345": "hotline",
        "8890": "hotline",
        "热线": "hotline",
        "12345热线": "hotline",
        "巡查": "patrol",
        "网格员上报": "patrol",
        "随手拍": "app",
        "APP": "app",
        "app": "app",
        "微信": "app",
        "来信": "letter",
        "民情信箱": "letter",
        "网上": "online",
        "视频": "sensor",
        "物联感知": "sensor",
    },
    "event_type": {
        "求助": "request",
        "求决": "request",
        "诉求": "request",
        "建议": "request",
        "意见建议": "request",
        "举报": "complaint",
        "安全隐患": "hazard",
    },
    "board": {"生态": "economy", "公共服务": "livelihood"},
    "handling_type": {},
    "resolved_level": {"区": "district", "区直部门": "district"},
    "satisfaction": {"非常满意": "satisfied"},
}


def _vocabulary(catalogue: dict[str, str], synonyms: dict[str, str]) -> dict[str, str]:
    """Every accepted spelling → code: the code, its label and each part of a label like
    诉求/求助, then the synonyms."""
    words = {code: code for code in catalogue}
    for code, text in catalogue.items():
        words[text] = code
        for part in re.split(r"[/、]", text):
            words.setdefault(part, code)
    return words | synonyms


VOCABULARY = {column: _vocabulary(CATALOGUE[column], SYNONYMS[column]) for column in CATALOGUE}
TRUTHY = {"是", "已解决", "解决", "y", "yes", "true", "1", "已落实"}
FALSY = {"否", "未解决", "不解决", "n", "no", "false", "0", "未落实"}


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


# ---------------------------------------------------------------- reading the file


def _decode(data: bytes, name: str) -> tuple[str, bytes]:
    """The file's text, and the same as UTF-8 bytes (what the CSV readers parse)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8", errors="strict"), data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030", errors="strict")
        return text, text.encode("utf-8")
    except UnicodeDecodeError:
        pass
    raise ImportFileError(
        f"{name} 的编码无法识别(既不是 UTF-8 也不是 GBK/GB18030)。请另存为 UTF-8 编码的 CSV。"
    )


EXTRA_FIELDS = 16  # cells a row may have beyond the header before the file is refused


@dataclass
class Sheet:
    """A file's table as text: its first rows (where the header is) and a reader of the rest."""

    kind: str  # "CSV" or "Excel", for messages
    head: list[list[str]]
    body: Callable[[int, int], pd.DataFrame]  # (rows to skip, header width) -> string cells
    delimiter: str  # joins a quarantined row's cells into its raw text


def read_sheet(data: bytes, name: str) -> Sheet:
    """CSV (UTF-8 with or without BOM, GBK/GB18030; comma or tab) or an Excel workbook."""
    if not data.strip():
        raise ImportFileError(f"{name} 是空文件。请重新导出后再导入。")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ImportFileError(
            f"{name} 是旧版 Excel(.xls)工作簿,无法直接读取。"
            "请在 Excel 中“另存为” .xlsx 工作簿或 CSV 后再导入。"
        )
    if data[:4] == b"PK\x03\x04":
        return _excel_sheet(data, name)
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            f"{name} 不是文本表格(CSV)文件,可能是 UTF-16 文本或二进制文件。"
            "请在 Excel 中“另存为 CSV(逗号分隔)”或 .xlsx 后再导入。"
        )
    text, utf8 = _decode(data, name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    lines = text.split("\n", HEAD_ROWS)[:HEAD_ROWS]  # not the whole file
    head = list(csv.reader(lines, delimiter=delimiter))
    del text

    def body(skip: int, width: int) -> pd.DataFrame:
        regular = _regular_body(utf8, delimiter, skip, width)
        return regular if regular is not None else _csv_body(utf8, delimiter, skip, width, name)

    return Sheet("CSV", head, body, delimiter)


def _regular_body(utf8: bytes, delimiter: str, skip: int, width: int) -> pd.DataFrame | None:
    """The fast path: Arrow's multi-threaded reader, when every record has ``width`` cells.

    Blank lines come back as rows of empty cells, as on the pandas path; a record with more
    or fewer cells makes Arrow drop it without telling where, so then None (use pandas).
    """
    names = [str(i) for i in range(width)]
    irregular = []

    def note(row) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=note,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if irregular:
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(width)
    return frame


def _csv_body(utf8: bytes, delimiter: str, skip: int, width: int, name: str) -> pd.DataFrame:
    """Every record after the header as strings ('' for empty), ``width`` + spare columns."""
    try:
        return pd.read_csv(
            io.BytesIO(utf8),  # pandas parses bytes ~5x faster than a StringIO
            sep=delimiter,
            header=None,
            names=range(width + EXTRA_FIELDS),
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            engine="c",
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        raise ImportFileError(
            f"{name} 无法按表格解析:{exc}。请检查是否有未闭合的引号或远多于表头的列。"
        ) from exc


def _excel_text(value) -> str:
    """One Excel cell as the text an export would have written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # ids and phone numbers stored as numbers
    return str(value).strip()


def _excel_sheet(data: bytes, name: str) -> Sheet:
    """The first non-empty worksheet of an .xlsx/.xlsm workbook (values, not formulas)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            f"{name} 是压缩文件,但不是可读取的 Excel 工作簿({type(exc).__name__})。"
            "请在 Excel 中另存为 .xlsx 或 CSV 后再导入。"
        ) from exc
    try:
        rows: list[list[str]] = []
        for sheet in book.worksheets:
            rows = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            while rows and not any(rows[-1]):
                rows.pop()
            if rows:
                break
    finally:
        book.close()
    if not rows:
        raise ImportFileError(f"{name} 的工作表都是空的。请确认导出时选择了数据范围。")

    def body(skip: int, width: int) -> pd.DataFrame:
        columns = width + EXTRA_FIELDS
        cells = [(r + [""] * columns)[:columns] for r in rows[skip:]]
        return pd.DataFrame(cells, columns=range(columns), dtype=object).astype(str)

    return Sheet("Excel", rows[:HEAD_ROWS], body, "\t")


def _match_headers(row: list[str], preset: Preset) -> dict[str, int]:
    cells = [c.strip().lstrip("\ufeff") for c in row]
    found = {}
    for column, aliases in preset.columns.items():
        for alias in aliases:
            if alias in cells:
                found[column] = cells.index(alias)
                break
    return found


def _header_rows(rows: list[list[str]]) -> list[list[str]]:
    """Each row with its blank cells filled from the row above (merged two-row headers)."""
    out = []
    for i, row in enumerate(rows):
        above = rows[i - 1] if i else []
        out.append([c or (above[j] if j < len(above) else "") for j, c in enumerate(row)])
    return out


MAPPING_HINT = "请检查是否选对了预设(--preset),或用 --mapping 指定列名对应关系。"


def find_header(
    rows: list[list[str]],
    preset: Preset,
    name: str,
    required: tuple[str, ...] = REQUIRED,
    hint: str = MAPPING_HINT,
) -> tuple[int, dict[str, int]]:
    """Index of the header row (title rows above it are skipped) and column positions."""
    best = (-1, {})
    for i, row in enumerate(_header_rows(rows[:HEADER_SCAN_ROWS])):
        found = _match_headers(row, preset)
        if len(found) > len(best[1]):
            best = (i, found)
    index, found = best
    missing = [c for c in required if c not in found and c not in preset.defaults]
    if index < 0 or len(found) < 2 or missing:
        wanted = missing or list(required)
        names = "、".join(f"{HEADER_NAME.get(c, c)}({'/'.join(preset.columns[c])})" for c in wanted)
        raise ImportFileError(f"{name} 中找不到{preset.title}的表头,缺少必需列:{names}。{hint}")
    return index, found


def header_cells(rows: list[list[str]], index: int) -> list[str]:
    """The header row's names as the importer matches them (merged cells filled in)."""
    return [c.strip().lstrip("\ufeff") for c in _header_rows(rows[: index + 1])[index]]


# ---------------------------------------------------------------- preview


FIELD_NAMES = HEADER_NAME | {  # every column a mapping may fill, in the order a form shows them
    "handler_unit": "承办单位",
    "worker_id": "网格员编号",
    "repeat_of": "重复工单的原编号",
    "reporter_name": "来电人姓名",
    "reporter_phone": "联系电话",
    "address": "地址",
    "description": "诉求内容",
}
_PERSONAL_HEADERS = {  # headers that hold personal data in any preset, and their masker
    header: column
    for preset in PRESETS.values()
    for column, headers in preset.columns.items()
    if column in MASKERS
    for header in headers
}
_MOBILE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


@dataclass
class FilePreview:
    """What the import page shows before anything is written."""

    kind: str  # CSV or Excel
    header_row: int  # 1-based row of the header in the file
    headers: list[str]  # the header's cells (blank ones named 第N列)
    found: dict[str, str]  # canonical column -> header, as the preset or mapping matched them
    sample: pd.DataFrame  # the first data rows as text, personal data masked
    problem: str | None  # why the preset's header was not found (the guessed row is shown)


def _column_names(cells: list[str]) -> list[str]:
    names, seen = [], set()
    for j, cell in enumerate(cells):
        name = cell or f"第{j + 1}列"
        while name in seen:
            name += "*"
        seen.add(name)
        names.append(name)
    return names


def preview_file(
    source: str | Path | bytes,
    *,
    preset: str = "canonical",
    mapping: dict | None = None,
    name: str | None = None,
    rows: int = 10,
) -> FilePreview:
    """The header the import would use, how its columns map, and the first rows, masked."""
    data, name = _load(source, name)
    spec = _preset(preset, mapping)
    sheet = read_sheet(data, name)
    problem = None
    try:
        index, found = find_header(sheet.head, spec, name)
    except ImportFileError as exc:  # show the fullest of the first rows instead
        problem = str(exc)
        filled = [sum(bool(c.strip()) for c in r) for r in sheet.head[:HEADER_SCAN_ROWS]]
        index, found = filled.index(max(filled)), {}
    headers = _column_names(header_cells(sheet.head, index))
    body = [(r + [""] * len(headers))[: len(headers)] for r in sheet.head[index + 1 :]]
    body = [r for r in body if any(c.strip() for c in r)][:rows]
    sample = pd.DataFrame(body, columns=headers, dtype=object)
    personal = {headers[j]: c for c, j in found.items() if c in MASKERS}
    personal |= {h: _PERSONAL_HEADERS[h] for h in headers if h in _PERSONAL_HEADERS}
    for header in headers:
        if header in personal:
            sample[header] = sample[header].map(MASKERS[personal[header]]).fillna("")
        else:  # a mobile number in any other column is masked too
            sample[header] = sample[header].map(lambda v: _MOBILE.sub(r"\1****\2", v))
    return FilePreview(
        kind=sheet.kind,
        header_row=index + 1,
        headers=headers,
        found={c: headers[j] for c, j in found.items()},
        sample=sample,
        problem=problem,
    )


def preset_mapping(preset: str) -> dict:
    """A preset as a mapping (``columns``, ``defaults``, ``coordinates``) a form can edit."""
    spec = _preset(preset, None)
    return {
        "columns": {c: list(h) for c, h in spec.columns.items()},
        "defaults": dict(spec.defaults),
        "coordinates": spec.coordinates,
    }


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
_OFFSET = r"\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$"
_REWRITES = (  # Chinese, dotted and ISO-with-offset layouts → 2025-3-4 8:15:30 (RE2 syntax)
    (r"(\d:\d\d)(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$", r"\1"),  # an offset: keep local time
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


def _rewrite_dates(values: pd.Series) -> pd.Series:
    """The rewrites run in Arrow's C++ regex engine: Python's would take ~10 s a million."""
    array = _arrow(values)
    for pattern, replacement in _REWRITES:
        array = pc.replace_substring_regex(array, pattern, replacement)
    return pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string())), index=values.index)


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parsed timestamps (NaT where empty or bad) and a mask of the bad, non-empty ones.

    Accepts 2025-03-04 08:15, 2025/3/4 8:15, 2025年3月4日 8:15(:30), 8时15分, ISO 8601 with T
    (an offset is dropped: times are local), US 03/04/2025 08:15:00 AM, dates alone, and Excel
    date serials such as 45720.34375. Vectorised, about a second a million: year-first dates go
    straight to pandas' C parser in one pass (a format that fails costs as much as a pass, so
    no list of layouts is tried); only what is left is matched by pattern and rewritten.
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

    plain = todo & _matches(text, _YEAR_FIRST_SLASH) & ~_matches(text, _OFFSET)
    if plain.any():
        attempt(text[plain], "ISO8601")
    if not todo.any():
        return out, ~empty & out.isna()
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
        candidates = _rewrite_dates(text[todo])
        iso = candidates[_matches(candidates, _YEAR_FIRST)]
        if not iso.empty:
            attempt(iso, "ISO8601")
        hour_only = candidates[todo[candidates.index]]  # 2025-3-4 9 (from 9时)
        if not hour_only.empty:
            attempt(hour_only, "%Y-%m-%d %H")
    return out, ~empty & out.isna()


def _coded(values: pd.Series, vocabulary: dict) -> tuple[pd.Series, pd.Series]:
    text, empty = _text(values)
    positions, spellings = pd.factorize(text)  # a handful of spellings for a million cells
    codes = np.array(
        [vocabulary.get(v, vocabulary.get(v.lower())) for v in spellings] + [None], dtype=object
    )
    out = pd.Series(codes[positions], index=values.index, dtype=object)  # -1 (missing) → None
    bad = ~empty & out.isna()
    return out.where(~empty), bad


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text, empty = _text(values)
    text = text.str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(TRUTHY)] = True
    out[text.isin(FALSY)] = False
    bad = ~empty & out.isna()
    return out, bad


def _number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text, empty = _text(values)
    out = pd.to_numeric(text.where(~empty), errors="coerce")
    return out, ~empty & out.isna()


# ---------------------------------------------------------------- the import


@dataclass
class _Rows:
    """The data rows under validation with their reasons (first failing rule wins)."""

    raw: pd.DataFrame  # one column per canonical column, strings
    source_row: np.ndarray
    reason: pd.Series

    def reject(self, mask: pd.Series, reason: str, values: pd.Series | None = None) -> None:
        """Give rows of ``mask`` without a reason yet this one; ``{}`` takes the row's value."""
        fresh = mask.fillna(False).astype(bool) & self.reason.isna()
        if not fresh.any():
            return
        if values is None:
            self.reason[fresh] = reason
        else:
            self.reason[fresh] = values[fresh].map(lambda v: reason.format(v))


def _reference(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    units = con.execute("SELECT unit_id, parent_id, level, name FROM org_units").df()
    grids = con.execute(
        "SELECT grid_id, community_id, street_id, name, centroid_lon, centroid_lat FROM grids"
    ).df()
    return units, grids


def _create_units(con, names: pd.DataFrame, units: pd.DataFrame, grids: pd.DataFrame) -> int:
    """Street → community → grid units for the names of a file into an empty hierarchy."""
    created = 0
    if not (units["level"] == "district").any():
        con.execute("INSERT INTO org_units VALUES ('D', NULL, 'district', '本区')")
        created += 1
    streets = sorted(names["street"].dropna().unique())
    street_ids = {}
    for i, street in enumerate(streets, 1):
        street_ids[street] = f"S{i:02d}"
        con.execute(
            "INSERT INTO org_units VALUES (?, 'D', 'street', ?)", [street_ids[street], street]
        )
    created += len(streets)
    pairs = names[["street", "community"]].dropna().drop_duplicates().sort_values(list(names)[:2])
    community_ids = {}
    counter: dict[str, int] = {}
    for street, community in pairs.itertuples(index=False):
        counter[street] = counter.get(street, 0) + 1
        cid = f"{street_ids[street]}C{counter[street]:02d}"
        community_ids[(street, community)] = cid
        con.execute(
            "INSERT INTO org_units VALUES (?, ?, 'community', ?)",
            [cid, street_ids[street], community],
        )
        created += 1
    triples = names.dropna().drop_duplicates().sort_values(["street", "community", "grid"])
    counter = {}
    for street, community, grid in triples.itertuples(index=False):
        cid = community_ids[(street, community)]
        counter[cid] = counter.get(cid, 0) + 1
        con.execute(
            "INSERT INTO grids (grid_id, community_id, street_id, name) VALUES (?, ?, ?, ?)",
            [f"{cid}G{counter[cid]:02d}", cid, street_ids[street], grid],
        )
        created += 1
    return created


def _resolve_units(rows: _Rows, units: pd.DataFrame, grids: pd.DataFrame) -> pd.DataFrame:
    """street_id, community_id, grid_id for each row, by code or by name."""
    raw = rows.raw
    street_by = {**dict(zip(units.loc[units.level == "street", "name"],
                            units.loc[units.level == "street", "unit_id"], strict=True)),
                 **{u: u for u in units.loc[units.level == "street", "unit_id"]}}  # fmt: skip
    comm = units[units.level == "community"]
    community_by = {
        (p, n): u for u, p, n in zip(comm.unit_id, comm.parent_id, comm.name, strict=True)
    }
    community_by |= {(p, u): u for u, p in zip(comm.unit_id, comm.parent_id, strict=True)}
    grid_by = {
        (c, n): g for g, c, n in zip(grids.grid_id, grids.community_id, grids.name, strict=True)
    }
    grid_by |= {(c, g): g for g, c in zip(grids.grid_id, grids.community_id, strict=True)}
    grid_street = dict(zip(grids.grid_id, grids.street_id, strict=True))

    # Names repeat across a million rows but form a few hundred combinations: resolve those.
    names = raw[["street", "community", "grid"]].astype(object)
    combos = names.drop_duplicates().reset_index(drop=True)
    combos["street_id"] = combos["street"].map(street_by)
    combos["community_id"] = [
        community_by.get(k) for k in zip(combos["street_id"], combos["community"], strict=True)
    ]
    combos["grid_id"] = [
        grid_by.get(k) for k in zip(combos["community_id"], combos["grid"], strict=True)
    ]
    # A grid code alone (no community given) is enough.
    lone = combos["grid"].notna() & combos["community"].isna() & combos["grid"].isin(grid_street)
    combos.loc[lone, "grid_id"] = combos.loc[lone, "grid"]
    combos.loc[lone, "community_id"] = combos.loc[lone, "grid"].map(
        dict(zip(grids.grid_id, grids.community_id, strict=True))
    )
    ids = names.merge(combos, on=["street", "community", "grid"], how="left")
    ids.index = raw.index
    rows.reject(raw["street"].isna(), "街道为空:每条事件至少要有所属街道")
    rows.reject(ids["street_id"].isna(), "街道「{}」在区划中不存在", raw["street"])
    rows.reject(
        raw["community"].notna() & ids["community_id"].isna(),
        "社区「{}」不在所属街道之下",
        raw["community"],
    )
    rows.reject(
        raw["grid"].notna() & ids["grid_id"].isna(), "网格「{}」不在所属社区之下", raw["grid"]
    )
    rows.reject(ids["community_id"].isna(), "社区为空:每条事件需要所属社区或网格")
    return ids[["street_id", "community_id", "grid_id"]]


def _preset(preset: str, mapping: dict | None) -> Preset:
    if mapping is None:
        if preset not in PRESETS:
            raise ImportFileError(f"没有名为 {preset} 的预设。可用预设:{'、'.join(PRESETS)}。")
        return PRESETS[preset]
    columns = {}
    for column, header in (mapping.get("columns") or {}).items():
        key = {"street_id": "street", "community_id": "community", "grid_id": "grid"}.get(
            column, column
        )
        if key not in _canonical_columns():
            raise ImportFileError(f"映射中的列 {column} 不是事件表的列。")
        columns[key] = (header,) if isinstance(header, str) else tuple(header)
    return Preset(
        "mapping",
        "自定义映射",
        columns,
        defaults={k: str(v) for k, v in (mapping.get("defaults") or {}).items()},
        coordinates=str(mapping.get("coordinates", "wgs84")),
    )


def load_mapping(path: str | Path) -> dict:
    """A column mapping file: YAML (or JSON) with ``columns``, ``defaults``, ``coordinates``."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        import yaml

        mapping = yaml.safe_load(text)
    except Exception as exc:  # a YAML error names line and column
        raise ImportFileError(f"映射文件 {Path(path).name} 无法解析:{exc}") from exc
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict):
        raise ImportFileError(f"映射文件 {Path(path).name} 需要一个 columns: 列名对应表。")
    return mapping


def _frame(cells: pd.DataFrame, width: int, found: dict[str, int], preset: Preset):
    """Data rows → canonical string columns (None when empty), blank and too-wide flags."""
    filled = cells.ne("")
    blank = ~filled.any(axis=1).to_numpy()
    too_wide = filled.iloc[:, width:].any(axis=1).to_numpy()
    data = {}
    for column in preset.columns:
        if column in found:
            data[column] = cells[found[column]].str.strip().replace("", None)
    for column in ("street", "community", "grid", *EVENT_COLUMNS):
        if column not in ("street_id", "community_id", "grid_id"):
            data.setdefault(column, pd.Series(None, index=cells.index, dtype="object"))
    return pd.DataFrame(data), blank, too_wide


def _raw_text(cells: pd.DataFrame, delimiter: str) -> pd.Series:
    """Rows as text, as they stood in the file (trailing empty cells dropped)."""
    if cells.empty:
        return pd.Series([], dtype="object")
    return cells.apply(lambda r: delimiter.join(r.tolist()).rstrip(delimiter), axis=1)


def _category_boards() -> dict[str, str]:
    from analytics.demo import CATEGORIES  # the district's category catalogue

    return {name: c.board for name, c in CATEGORIES.items()}


def _validate(rows: _Rows, preset: Preset, extent) -> pd.DataFrame:
    """Typed canonical columns; rule violations recorded in ``rows.reason``."""
    raw = rows.raw
    out = pd.DataFrame(index=raw.index)
    latest_possible = pd.Timestamp.now() + pd.Timedelta(days=1)  # local clock, a day's slack
    rows.reject(raw["event_id"].isna(), "事件编号为空")
    out["event_id"] = raw["event_id"]
    rows.reject(raw["reported_at"].isna(), "上报时间为空")
    for column in EVENT_TIMESTAMPS + ("deadline_at",):
        parsed, bad = parse_timestamps(raw[column])
        rows.reject(bad, f"{HEADER_NAME[column]}「{{}}」不是可识别的日期时间", raw[column])
        if column != "deadline_at":  # a promised deadline may lie ahead; nothing else can
            future = parsed > latest_possible
            rows.reject(
                future, f"{HEADER_NAME[column]}「{{}}」晚于导入时间,可能是录入错误", raw[column]
            )
        out[column] = parsed
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
        if column in preset.defaults:
            values = values.fillna(preset.defaults[column])
        coded, bad = _coded(values, vocabulary)
        allowed = "、".join(CATALOGUE[column].values())
        rows.reject(bad, f"{HEADER_NAME[column]}「{{}}」不是可识别的值(可选:{allowed})", values)
        out[column] = coded
    rows.reject(raw["category"].isna(), "业务类别为空")
    out["category"] = raw["category"]
    derived = raw["category"].map(_category_boards()).fillna("livelihood")
    out["board"] = out["board"].fillna(derived)
    rows.reject(out["event_type"].isna(), "事件类型为空")
    rows.reject(out["channel"].isna(), "来源渠道为空")

    resolved, bad = _boolean(raw["resolved"])
    rows.reject(bad, "是否解决「{}」应为 是 或 否", raw["resolved"])
    out["resolved"] = resolved
    lon, bad_lon = _number(raw["lon"])
    lat, bad_lat = _number(raw["lat"])
    rows.reject(bad_lon, "经度「{}」不是数字", raw["lon"])
    rows.reject(bad_lat, "纬度「{}」不是数字", raw["lat"])
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


def _extent(grids: pd.DataFrame) -> tuple[float, float, float, float]:
    """The district's extent with a margin (any valid coordinate when grids have no shape)."""
    lon, lat = grids["centroid_lon"].dropna(), grids["centroid_lat"].dropna()
    if lon.empty:  # no grid geometry yet (units created from a file): only the globe's bounds
        return -180.0, 180.0, -90.0, 90.0
    margin = 0.1
    return lon.min() - margin, lon.max() + margin, lat.min() - margin, lat.max() + margin


def _load(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        if not name:
            raise ValueError("name is required when importing bytes")
        return source, name
    path = Path(source)
    if not path.exists():
        raise ImportFileError(f"找不到文件 {path}。")
    return path.read_bytes(), name or path.name


def _content_key(frame: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(frame.astype("string"), index=False)


def import_events(
    source: str | Path | bytes,
    *,
    preset: str = "canonical",
    mapping: dict | None = None,
    db: str | Path | None = None,
    progress: Callable[[str, float], None] | None = None,
    name: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import one events export (CSV or Excel) into the database, atomically.

    ``source`` is a path or the file's bytes (an upload; then ``name``, the file name recorded
    and shown, is required). ``dry_run`` validates and counts exactly as an import would,
    then discards the result.
    """
    report = progress or (lambda message, fraction: None)
    data, name = _load(source, name)
    url = db_url(db)
    if not is_duckdb_file(url):
        raise ImportFileError(f"导入只能写入 DuckDB 文件,而 GOV_DB 是 {url}。")
    spec = _preset(preset, mapping)
    report("读取文件", 0.0)
    sha256 = hashlib.sha256(data).hexdigest()
    sheet = read_sheet(data, name)
    header_index, found = find_header(sheet.head, spec, name)
    width = len(sheet.head[header_index])
    cells = sheet.body(header_index + 1, width)
    delimiter = sheet.delimiter
    del sheet
    raw, blank, too_wide = _frame(cells, width, found, spec)
    if blank.all():
        raise ImportFileError(f"{name} 只有表头,没有数据行。请确认导出时选择了数据范围。")
    keep = ~blank
    source_row = np.arange(1, len(cells) + 1)[keep]
    cells = cells[keep].reset_index(drop=True)
    raw, too_wide = raw[keep].reset_index(drop=True), too_wide[keep]
    reasons = pd.Series(None, index=raw.index, dtype="object")
    state = _Rows(raw, source_row, reasons)
    state.reject(pd.Series(too_wide), f"列数多于表头的 {width} 列(可能含未加引号的逗号)")

    started = datetime.now()
    report("校验", 0.2)
    with writing(duckdb_path(url), commit=not dry_run) as con:
        units, grids = _reference(con)
        names = raw[["street", "community", "grid"]]
        known_streets = set(units.loc[units.level == "street", "name"]) | set(units.unit_id)
        created = 0
        if not set(names["street"].dropna().unique()) & known_streets:
            created = _create_units(con, names, units, grids)
            units, grids = _reference(con)
        org = _resolve_units(state, units, grids)
        valid = _validate(state, spec, _extent(grids))
        valid = pd.concat([valid, org], axis=1)

        report("写入数据库", 0.6)
        result = finish(
            con,
            state,
            valid[list(EVENT_COLUMNS)],
            kind="events",
            label="事件编号",
            name=name,
            sha256=sha256,
            started=started,
            raw_of=lambda bad: _raw_text(cells[bad], delimiter),
            blank_rows=int(blank.sum()),
            created=created,
            dry_run=dry_run,
        )
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
    state: _Rows,
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


def _settle_duplicates(state: _Rows, frame: pd.DataFrame, key: str, label: str) -> pd.Series:
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
