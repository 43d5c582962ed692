"""Parsing an export's cells: times, numbers, yes/no, and the spellings of coded columns.

Each parser takes a column of text cells and returns the typed values with the mask of the
non-empty cells it could not read, for the importer to quarantine or note. They are
vectorised (Arrow's regex engine, one look-up per distinct spelling), about a second a
million cells. The coded columns (channel, event type, board, handling type, level,
satisfaction) accept their codes, their Chinese labels and the synonyms exports write
(:data:`SYNONYMS`), compared folded (:func:`analytics.ingest.presets.fold`); a status that
means closed is in :data:`CLOSED_STATUSES`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import labels
from analytics.ingest.presets import fold
from analytics.masking import mask_text
from analytics.schema import OTHER

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
    Times are stored to the second as naive local times of the district's ``zone``: a value
    that carries a zone (``…Z``, ``…+08:00``, ``… UTC`` as BigQuery writes) is converted to
    it, never stripped; zone-less values are taken as ``source_zone`` (default: the
    district's own).
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
    # To the second: what a work order records, and what every engine's epoch seconds count
    # (Spark's drop fractions), so durations are the same figures on DuckDB and Spark.
    return out.dt.floor("s"), ~empty & out.isna()


def parse_codes(values: pd.Series, vocabulary: dict) -> tuple[pd.Series, pd.Series]:
    """Codes for the cells (None where empty or unknown) and the mask of the unknown ones."""
    text, empty = _text(values)
    positions, spellings = pd.factorize(text)  # a handful of spellings for a million cells
    codes = np.array([vocabulary.get(fold(v)) for v in spellings] + [None], dtype=object)
    out = pd.Series(codes[positions], index=values.index, dtype=object)  # -1 (missing) → None
    bad = ~empty & out.isna()
    return out.where(~empty), bad


def parse_booleans(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    truth = {**dict.fromkeys(TRUTHY, True), **dict.fromkeys(FALSY, False)}
    coded, bad = parse_codes(values, truth)
    return coded.astype("boolean"), bad


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text, empty = _text(values)
    out = pd.to_numeric(text.where(~empty), errors="coerce")
    return out, ~empty & out.isna()


def example_values(values: pd.Series, mask: pd.Series) -> str:
    """A few offending values for a note or reason, with any phone or ID number in them
    masked (a phone typed into a date column must not be shown in the clear)."""
    top = values[mask].astype(str).value_counts().head(3).index
    return "、".join(f"「{mask_text(v)}」" for v in top)
