"""Chinese number, rate, duration and date formats for everything users read
(pages, the command line and exports share them)."""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime

from analytics import metrics

MISSING = "—"
FLAT = "持平"  # a change that rounds to zero: no arrow, no colour
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:])")


_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto)(?=:)|\b(www)(?=\.)|(?=@)")


def plain(text: str) -> str:
    """``text`` escaped for Streamlit Markdown: names from imported data render as typed,
    and an address in them (http://…, www.…, a@b) is not made a link (a zero-width space
    breaks what the autolinker looks for)."""
    unlinked = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + "\u200b", str(text))
    return _MARKDOWN.sub(r"\\\1", unlinked)


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def file_name(text: str, fallback: str = "下载") -> str:
    """``text`` (plain or escaped by :func:`plain`) as a file name that Windows and other
    systems accept: escapes undone, unsafe characters as _, Chinese kept, ≤ 120 characters."""
    unescaped = _MARKDOWN_ESCAPE.sub(r"\1", str(text)).replace("\u200b", "")
    return _UNSAFE_IN_FILE_NAMES.sub("_", unescaped).strip("_. ")[:120] or fallback


def chart_text(text: str) -> str:
    """``text`` escaped for Plotly labels, which honour a subset of HTML (links included)."""
    return html.escape(str(text), quote=False)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_FIGURE = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?(?:%|个百分点|倍)?$")


def spreadsheet_safe(frame):
    """``frame`` for a CSV or Excel download: a text cell that a spreadsheet would run as a
    formula (starting with = + - @, tab or CR, as OWASP lists them) gets a ' in front, so a
    category such as =HYPERLINK(…) arrives as text; our own signed figures (-7.2%,
    +0.3个百分点) stay as they are."""
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if values.dtype != object and not str(values.dtype).startswith(("string", "str")):
            continue
        risky = values.map(
            lambda v: (
                isinstance(v, str) and v.startswith(_FORMULA_START) and not _SIGNED_FIGURE.match(v)
            )
        ).astype(bool)
        if risky.any():
            out[column] = values.astype(object).where(~risky, "'" + values.astype(str))
    return out


def csv_bytes(frame, lineterminator: str = "\n") -> bytes:
    """``frame`` as a CSV file that Excel on a Chinese Windows opens without garbling (UTF-8
    with a byte-order mark), its cells :func:`spreadsheet_safe`."""
    return (
        spreadsheet_safe(frame)
        .to_csv(index=False, lineterminator=lineterminator)
        .encode("utf-8-sig")
    )


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def count(n) -> str:
    """12,345 below ten thousand-scale; 12.3万 / 1.23亿 above."""
    if _missing(n):
        return MISSING
    n = float(n)
    if abs(n) >= 1e8:
        return f"{n / 1e8:.2f}亿"
    if abs(n) >= 1e5:
        return f"{n / 1e4:.1f}万"
    return f"{n:,.0f}"


def rate(x, digits: int = 1) -> str:
    return MISSING if _missing(x) else f"{x * 100:.{digits}f}%"


def hours(h) -> str:
    """Minutes under an hour, hours under two days, days beyond."""
    if _missing(h):
        return MISSING
    if h < 1:
        return f"{h * 60:.0f}分钟"
    if h < 48:
        return f"{h:.1f}小时"
    return f"{h / 24:.1f}天"


def predicted_hours(h) -> str:
    """A predicted duration; an overloaded queue has no finite wait."""
    return "超负荷" if h == float("inf") else hours(h)


def number(x, digits: int = 1) -> str:
    return MISSING if _missing(x) else f"{x:,.{digits}f}"


def value(name: str, x) -> str:
    """A metric's value in its unit."""
    unit = metrics.unit(name)
    if unit == "rate":
        return rate(x)
    if unit == "hours":
        return hours(x)
    if name in metrics.DERIVED:
        return number(x)
    return count(x)


def change(name: str, ch) -> str | None:
    """Signed change: 个百分点 for rates, percent otherwise; None when there is no comparison."""
    if _missing(ch):
        return None
    unit = metrics.unit(name)
    shown = round(ch * 100, 1)
    if shown == 0:
        return FLAT
    return f"{shown:+.1f}个百分点" if unit == "rate" else f"{shown:+.1f}%"


def delta_color(name: str) -> str:
    """Streamlit delta colour: green means better whichever way the metric moves."""
    return {"higher": "normal", "lower": "inverse"}.get(metrics.better(name), "off")


def day(d: date | datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def moment(t: datetime) -> str:
    return f"{day(t)} {t:%H:%M}"


def moments(times):
    """``moment`` of each time of a pandas Series, in one pass over the column (a table of a
    thousand rows formatted one call a row took milliseconds); a missing time as MISSING."""
    stamp = times.dt
    shown = (
        stamp.year.astype("Int64").astype(str) + "年" + stamp.month.astype("Int64").astype(str)
        + "月" + stamp.day.astype("Int64").astype(str) + "日 " + stamp.strftime("%H:%M")
    )  # fmt: skip
    return shown.where(times.notna(), MISSING)


def period(start: date, end: date) -> str:
    if start == end:
        return day(start)
    if start.year == end.year:
        return f"{day(start)}至{end.month}月{end.day}日"
    return f"{day(start)}至{day(end)}"
