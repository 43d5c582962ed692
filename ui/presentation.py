"""演示模式: for a projector at a review meeting. It hides the sidebar and Streamlit's own
chrome, enlarges everything, and can rotate through chosen pages every N seconds. The URL
carries the mode (see ``ui.urlstate``), so a link opens the same screen."""

from __future__ import annotations

import html
import math
import re
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import formats as fmt
from ui.cards import status_cell_css
from ui.figspec import merge, without_empty
from ui.panel import Table
from ui.urlstate import EVERY_DEFAULT, EVERY_SECONDS, link_params

FONT_PX = 18  # the root font size on a projector (Streamlit's own is 16 px; its text is in rem)
KPI_PX = 50  # a key figure's value, legible from the back of a meeting room (at least 48)
TABLE_PX = 18  # table text (at least 18); tables are drawn as HTML: a canvas ignores CSS
CHART_PX = 18  # chart text: legend, axis titles; ticks and labels at least CHART_MIN_PX
CHART_MIN_PX = 16
ROW_PX = 34  # an HTML table row at TABLE_PX, with its padding and border
TICK_SECONDS = 5  # how often the rotation's countdown is refreshed
_SINCE = "_present_since"

# Widgets do nothing on a projector: hidden with their containers (so they take no gap).
_CONTROLS = (
    "stSelectbox", "stMultiSelect", "stRadio", "stCheckbox", "stButtonGroup", "stSlider",
    "stSelectSlider", "stNumberInput", "stDateInput", "stTimeInput", "stTextInput",
    "stTextArea", "stDownloadButton", "stButton", "stFileUploader", "stPopover",
    "stExpander", "stColorPicker", "stForm",
)  # fmt: skip
_HIDDEN = ",\n".join(
    f'[data-testid="stMain"] .stElementContainer:has([data-testid="{c}"]):not(.st-key-present_exit)'
    for c in _CONTROLS
)

_STYLE = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
[data-testid="stTooltipIcon"], .modebar-container {{display: none !important;}}
{_HIDDEN},
[data-testid="stMain"] [data-testid="stExpander"] {{display: none !important;}}
html {{font-size: {FONT_PX}px;}}
.block-container {{max-width: 100% !important; padding: 0.2rem 1.2rem 0.2rem 1.2rem !important;}}
.block-container:has(.gov-open-banner) {{padding-bottom: 24px !important;}}
.stElementContainer:has(.gov-open-banner) {{position: fixed; left: 0; right: 0; bottom: 0;
  z-index: 999991; margin: 0;}}
.gov-open-banner {{border-radius: 0 !important; font-size: 12px !important;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}}
[data-testid="stMetricValue"] {{font-size: {KPI_PX}px !important; line-height: 1.15;}}
[data-testid="stMetricValue"] > div {{overflow: visible;}}
[data-testid="stMetricLabel"] p {{font-size: 1.05rem;}}
.stElementContainer:has(.gov-target) {{top: -0.62rem !important; right: 0.8rem !important;}}
.gov-target {{font-size: 0.8rem !important; line-height: 1.25rem !important;
  background: #ffffff; padding: 0 0.35rem; border-radius: 0.3rem;}}
.gov-target br {{display: none;}}
.gov-target b {{margin-left: 0.35rem;}}
.st-key-present_bar {{gap: 0.8rem; height: 1.8rem; margin-bottom: -0.4rem; overflow: hidden;}}
.st-key-present_bar * {{margin-top: 0 !important; margin-bottom: 0 !important;}}
.st-key-present_bar [data-testid="stCaptionContainer"] {{margin: 0;}}
.st-key-present_bar .st-key-present_note {{flex: 1 1 auto; min-width: 0;}}
.st-key-present_bar .st-key-present_note p {{font-size: 13px; white-space: nowrap; margin: 0;
  overflow: hidden; text-overflow: ellipsis;}}
.st-key-present_bar button {{min-height: 0; padding: 0 0.6rem;}}
table.gov-present {{width: 100%; border-collapse: collapse; font-size: {TABLE_PX}px;
  line-height: 1.35; font-variant-numeric: tabular-nums;}}
table.gov-present th {{text-align: left; font-weight: 600; color: #37474f;
  border-bottom: 2px solid #b0bec5; padding: 4px 8px; white-space: nowrap;}}
table.gov-present td {{border-bottom: 1px solid #e0e4e8; padding: 4px 8px; white-space: nowrap;
  max-width: 16em; overflow: hidden; text-overflow: ellipsis;}}
table.gov-present td.num, table.gov-present th.num {{text-align: right; white-space: nowrap;}}
p.gov-present-more {{font-size: 15px; color: #607080; margin: 2px 0 0 0;}}
</style>"""


def active() -> bool:
    return bool(st.session_state.get("present"))


def controls(pages: list[st.Page]) -> None:
    """The sidebar's 演示模式 switch, with the pages to rotate through and how long each stays."""
    titles = {p.url_path: p.title for p in pages}
    with st.sidebar.expander("演示模式", icon=":material/slideshow:"):
        st.toggle(
            "进入演示模式",
            key="present",
            help="隐藏侧栏和工具栏、放大字号,便于投影;页面地址带有当前筛选和模式,可复制分享",
        )
        st.multiselect(
            "自动轮播的页面",
            list(titles),
            format_func=titles.get,
            key="present_pages",
            placeholder="不轮播",
        )
        st.session_state.setdefault("present_every", EVERY_DEFAULT)  # or what a link carried
        st.number_input(
            "每页停留(秒)",
            min_value=EVERY_SECONDS[0],
            max_value=EVERY_SECONDS[1],
            step=5,
            key="present_every",
        )


def _leave() -> None:
    st.session_state["present"] = False


def badge(note: str) -> None:
    """The freshness line of a page not in presentation mode: small print above the page."""
    if note:
        st.caption(fmt.plain(note))


def show(pages: list[st.Page], current: st.Page, note: str = "") -> None:
    """In presentation mode: the style and a slim top bar of its own (the freshness line in
    small print, the rotation's countdown, the exit button), so nothing covers a legend;
    otherwise only the freshness line."""
    if not active():
        badge(note)
        return
    st.html(_STYLE)
    chosen = st.session_state.get("present_pages") or []
    rotation = [p for p in pages if p.url_path in chosen]
    with st.container(key="present_bar", horizontal=True, vertical_alignment="center"):
        if note:
            st.container(key="present_note").caption(fmt.plain(note))
        if rotation:
            st.session_state[_SINCE] = (current.url_path, time.monotonic())
            _rotate(rotation, current)
        st.button("退出演示", key="present_exit", on_click=_leave, icon=":material/close:")


def figure(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for the projector: every text at least CHART_MIN_PX (legend and
    titles CHART_PX; labels in bars are not shrunk below it), every category still labelled
    (plotly skips some when larger labels crowd). Edited as a dict, as plotly's ``update_*``
    would edit it (they cost milliseconds apiece)."""
    spec = without_empty(fig.to_dict())  # what a validated copy holds: no empty objects
    layout, traces = spec["layout"], spec["data"]
    size = max(CHART_PX, _get(layout, "font", "size") or 0)
    merge(
        layout,
        {
            "font": {"size": size},
            "legend": {"font": {"size": size}},
            "hoverlabel": {"font": {"size": size}},
            "uniformtext": {"minsize": CHART_MIN_PX, "mode": "show"},
        },
    )
    if _get(layout, "title", "text"):
        title = max(size + 2, _get(layout, "title", "font", "size") or 0)
        merge(layout, {"title": {"font": {"size": title}}})
    # Every axis, as ``update_xaxes`` and ``update_yaxes`` reach them (the first of each
    # always); a log axis labels 2, 3, … 9 between powers of ten at 3/4 of its tick font.
    for name in sorted({"xaxis", "yaxis", *(k for k in layout if re.fullmatch(r"[xy]axis\d*", k))}):
        axis = layout.setdefault(name, {})
        tick = math.ceil(CHART_MIN_PX / 0.75) if axis.get("type") == "log" else CHART_MIN_PX
        merge(axis, {"tickfont": {"size": tick}, "title": {"font": {"size": size}}})
    for name in _category_axes(layout, traces):  # larger labels must not make plotly skip
        layout[name]["dtick"] = 1  # categories
    for note in layout.get("annotations", []):
        merge(note, {"font": {"size": max(CHART_MIN_PX, _get(note, "font", "size") or 0)}})
    for trace, kind in zip(traces, fig.data, strict=True):
        for part in ("textfont", "insidetextfont", "outsidetextfont"):
            if part in kind:  # a property of the trace's type
                merge(trace, {part: {"size": _at_least(_get(trace, part, "size"))}})
        # only colour bars already there (setting one draws it)
        if "colorbar" in trace:
            merge(trace, {"colorbar": {"tickfont": {"size": CHART_MIN_PX}}})
        if "colorbar" in trace.get("marker", {}):
            merge(trace, {"marker": {"colorbar": {"tickfont": {"size": CHART_MIN_PX}}}})
    if "coloraxis" in layout:
        merge(layout, {"coloraxis": {"colorbar": {"tickfont": {"size": CHART_MIN_PX}}}})
    return go.Figure(spec, _validate=False)


def _get(spec: dict, *path: str):
    """The value at ``path`` in nested dicts, None when any part is missing."""
    for key in path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    return spec


def _category_axes(layout: dict, traces: list[dict]) -> set[str]:
    """Layout names of the axes whose traces place text values (categories) along them."""
    axes = set()
    for trace in traces:
        for letter in ("x", "y"):
            values = trace.get(letter)
            if values is None or isinstance(values, dict):  # none, or numbers (typed array)
                continue
            if len(values) == 0 or not all(isinstance(v, str) for v in values):
                continue
            ref = trace.get(f"{letter}axis") or letter
            name = f"{letter}axis{ref[1:]}"
            if _get(layout, name, "type") in (None, "-", "category"):
                axes.add(name)
    return axes


def _at_least(size):
    """A trace's text size raised to CHART_MIN_PX (one size or one per point)."""
    if size is None:
        return CHART_MIN_PX
    if isinstance(size, int | float):
        return max(CHART_MIN_PX, size)
    return [max(CHART_MIN_PX, s or 0) for s in size]


def table(table: Table, height: int | None) -> None:
    """A table on the projector as HTML (a canvas table ignores the page's font size): the
    rows that fit ``height`` (px, as on the page; else as many as a slide holds), never a row
    cut in half, and a line saying how many more there are."""
    frame = table.frame.drop(columns=list(table.private), errors="ignore")
    rows = max(1, (height - ROW_PX) // ROW_PX if height else table.slide_rows)
    shown = frame.head(rows)
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])}
    head = "".join(
        f'<th class="{"num" if c in numeric else ""}">{html.escape(str(c))}</th>'
        for c in shown.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if c in numeric else ""}"{_status_style(table, c, v)}>'
            f"{html.escape(_cell(v, table.formats.get(c)))}</td>"
            for c, v in zip(shown.columns, row, strict=True)
        )
        + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = len(frame) - len(shown)
    rest = f'<p class="gov-present-more">另有 {more:,} 行未显示</p>' if more > 0 else ""
    st.html(
        f'<table class="gov-present"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{rest}"
    )


def _status_style(table: Table, column, value) -> str:
    """The status column's cell in its status colour, as on the page (``layout.styled``)."""
    css = status_cell_css(value) if column == table.status else ""
    return f' style="{css}"' if css else ""


def _cell(value, spec: str | None) -> str:
    """A cell as ``st.dataframe`` would show it with the table's format: ``%.1f`` style
    formats, "localized" and plain whole numbers with thousands separators."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if spec and spec.startswith("%"):
        try:
            return spec % value
        except (TypeError, ValueError):
            return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@st.fragment(run_every=TICK_SECONDS)
def _rotate(rotation: list[st.Page], current: st.Page) -> None:
    """Count down, then switch to the next page of the rotation (the first after the last)."""
    every = int(st.session_state.get("present_every") or EVERY_DEFAULT)
    page, since = st.session_state.get(_SINCE, (current.url_path, time.monotonic()))
    paths = [p.url_path for p in rotation]
    following = rotation[(paths.index(page) + 1) % len(rotation)] if page in paths else rotation[0]
    left = every - (time.monotonic() - since)
    if left <= 0:
        st.switch_page(following, query_params=link_params())
    st.caption(f"自动轮播:{max(1, round(left))} 秒后切换到「{following.title}」")
