"""投诉信访趋势: the trends panel (``ui.panels.trends``) under its controls: intake by type
across the page, categories beside the fastest rising, spikes beside their list, then the
units compared (chosen under the section's title)."""

import streamlit as st

from ui import layout
from ui.context import current
from ui.panels import trends
from ui.sidebar import scope_label

ctx = current()
head = st.container()  # the title, once the panel is built from the controls below
problem = trends.no_comparison(ctx)

freq_col, mode_col, prev_col, ma_col = st.columns([1.2, 1.2, 1, 1])
freq = (
    freq_col.segmented_control(
        "时间粒度",
        list(trends.FREQS),
        format_func=trends.FREQS.get,
        default=trends.FREQ,
        key="trend_freq",
    )
    or trends.FREQ
)
mode = (
    mode_col.segmented_control(
        "显示方式",
        list(trends.MODES),
        format_func=trends.MODES.get,
        default="stacked",
        key="trend_mode",
    )
    or "stacked"
)
previous = prev_col.toggle(
    "叠加上年同期", value=True, key="trend_previous", disabled=problem is not None, help=problem
)
moving = ma_col.toggle("移动平均", value=False, key="trend_moving", help=trends.MOVING_HELP)

types_row, categories_row, spikes_row, units_row = (st.container() for _ in range(4))
with units_row:  # its choice of units first: every query is known before any runs
    units_head = st.container()
    options = trends.unit_options(ctx.src)
    chosen = st.multiselect(
        f"选择要对比的单位(最多 {trends.MAX_UNITS} 个:街道、社区或网格)",
        list(options),
        default=list(trends.default_units(ctx.src)),
        format_func=lambda u: options[u],
        max_selections=trends.MAX_UNITS,
        key="trend_units",
        placeholder="选择街道、社区或网格",
    )

panel = trends.build(ctx, freq, mode, previous, moving, tuple(chosen))
with head:
    layout.title(panel, scope_label(ctx.filters, ctx.src))
    st.caption(trends.caption(ctx))

with types_row:
    layout.show(panel["trend_types"])
with categories_row:
    left, right = st.columns([1.4, 1], gap="medium")
    with left:
        layout.show(panel["trend_categories"])
    with right:
        layout.show(panel["trend_rising"])
with spikes_row:
    spikes_head = st.container()
    chart_col, list_col = st.columns([1.4, 1], gap="medium")
    with chart_col:
        layout.show(panel["trend_spikes"], head=spikes_head, figures="none")
    if "trend_spike_list" in panel:  # the list beside the chart, when spikes can be judged
        with list_col:
            layout.show(panel["trend_spike_list"], heading=False, figures="none")
with units_row:
    layout.show(panel["trend_units_chart"], head=units_head)
