"""响应时效: the response panel (``ui.panels.response``) under its controls, in two rows of
two: durations beside their stages, deadlines beside the before/after comparison (its pivot
and window chosen under its title)."""

import streamlit as st

from ui import layout
from ui.context import current
from ui.panels import response
from ui.sidebar import scope_label

ctx = current()
head = st.container()  # the title, once the panel is built from the controls below

measure_col, group_col, log_col = st.columns([1.6, 2, 1])
measure = (
    measure_col.segmented_control(
        "时长",
        list(response.MEASURES),
        format_func=response.MEASURES.get,
        default="response",
        key="resp_measure",
    )
    or "response"
)
by = (
    group_col.segmented_control(
        "分组",
        list(response.GROUPS),
        format_func=response.GROUPS.get,
        default="unit",
        key="resp_by",
    )
    or "unit"
)
log = log_col.toggle("对数坐标", value=True, key="resp_log", help="时长分布右偏,对数坐标看得清")

top_left, top_right = st.columns([1.3, 1], gap="medium")
bottom_left, bottom_right = st.columns([1, 1.3], gap="medium")
with bottom_right:  # the before/after controls first: every query is known before any runs
    compare_head = st.container()
    pick, window_col = st.columns([1, 1])
    choice = response.pivots(ctx)
    pivot = None
    if choice is not None:
        first, last, default = choice
        pivot = pick.date_input(
            "分界日期(含当天算作“之后”)",
            value=default,
            min_value=first,
            max_value=last,
            format="YYYY-MM-DD",
            key="resp_pivot",
        )
    days = window_col.selectbox(
        "比较窗口",
        list(response.WINDOWS),
        index=list(response.WINDOWS).index(response.WINDOW),
        format_func=response.WINDOWS.get,
        key="resp_window",
    )

panel = response.build(ctx, measure, by, log, pivot, days)
with head:
    layout.title(panel, scope_label(ctx.filters, ctx.src))
    st.caption(response.caption(ctx))

with top_left:
    layout.show(panel["resp_dist"])
with top_right:
    layout.show(panel["resp_stages"])
with bottom_left:
    layout.show(panel["resp_sla"])
with bottom_right:
    # the rank tests' findings: a list with the measure in bold
    layout.show(panel["resp_before_after"], head=compare_head, notes="list")
