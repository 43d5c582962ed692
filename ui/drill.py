"""明细: the events behind a figure (a bar, an alert row, a metric card) in a dialog, masked.

A page asks for a list with ``ask(selection)`` (a widget's callback) and calls ``show(ctx)``
once per run: the dialog stays open over reruns until the viewer dismisses it. The rows come
from ``analytics.drilldown`` through ``ui.data`` (personal data masked there); a download is
offered only to viewers whose role may export, and audited like every other download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import drilldown
from analytics import formats as fmt
from ui import data, downloads
from ui.context import Context

KEY = "drill"  # session state: the selection whose list is open
COLUMNS = {
    "event_id": "事件编号",
    "reported_at": "上报时间",
    "category": "类别",
    "event_type": "类型",
    "channel": "渠道",
    "place": "网格",
    "status": "状态",
    "deadline_at": "办结时限",
    "closed_at": "办结时间",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
    "address": "地址",
    "description": "诉求内容",
}
MASKED = "反映人、联系电话、地址和诉求内容已脱敏"


def ask(selection: dict) -> None:
    """Open the list of the events behind ``selection`` (``drilldown.events``' keywords)."""
    st.session_state[KEY] = {k: v for k, v in selection.items() if v is not None}


def close() -> None:
    st.session_state.pop(KEY, None)


def pairs(selection: dict) -> tuple[tuple[str, object], ...]:
    """``selection`` as a hashable cache key for ``data.drill_events``."""
    return tuple(sorted(selection.items()))


def table(events: pd.DataFrame) -> pd.DataFrame:
    """The events as listed: Chinese headers, in reading order, times to the minute, — for
    what is not recorded (or not yet)."""
    shown = events[list(COLUMNS)].copy()
    for column in ("reported_at", "deadline_at", "closed_at"):
        shown[column] = [
            t.strftime("%Y-%m-%d %H:%M") if pd.notna(t) else fmt.MISSING for t in shown[column]
        ]
    return shown.fillna(fmt.MISSING).rename(columns=COLUMNS)


def summary(total: int, shown: int) -> str:
    """共 N 件,显示前 M 件 (or 共 N 件 when all are shown)."""
    if shown < total:
        return f"共 {fmt.count(total)} 件,显示前 {fmt.count(shown)} 件"
    return f"共 {fmt.count(total)} 件"


def title(ctx: Context, selection: dict) -> str:
    """What was selected, e.g. 事件明细 · 物业管理 · 甲街道 甲一社区 第1网格 · 超期未办结."""
    names = data.unit_names(ctx.src)
    return "事件明细 · " + drilldown.describe(names, **selection)


def show(ctx: Context) -> None:
    """The dialog of the selection ``ask`` stored, if any; dismissing it forgets it."""
    selection = st.session_state.get(KEY)
    if not selection:
        return
    st.dialog(fmt.plain(title(ctx, selection)), width="large", on_dismiss=close)(_body)(
        ctx, selection
    )


def _body(ctx: Context, selection: dict) -> None:
    key = pairs(selection)
    events = data.drill_events(ctx.src, ctx.filters, key)
    total = events.attrs.get("total", len(events))
    st.caption(fmt.plain(f"{summary(total, len(events))}。{MASKED}。"))
    if events.empty:
        st.info("所选范围内没有这样的事件。")
        return
    shown = table(events)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(shown), 520),
        column_config={"诉求内容": st.column_config.TextColumn(width="large")},
    )
    name = f"事件明细_{drilldown.describe(data.unit_names(ctx.src), **selection)}"
    if total > len(events):
        limit = min(total, drilldown.EXPORT_LIMIT)
        st.caption(f"下载为前 {fmt.count(limit)} 件(已脱敏)。")
    downloads.buttons(
        shown,
        name,
        "dl_drill",
        full=lambda: (
            table(data.drill_export(ctx.src, ctx.filters, key)) if total > len(events) else shown
        ),
    )
