"""投诉信访趋势: the trends panel (``ui.panels.trends``) under its controls: intake by type
across the page, categories beside the fastest rising, spikes beside their list, then the
units compared (chosen under the section's title).

In presentation mode the first screen only: intake by type, then the categories beside the
fastest rising, sized to end at the projector's foot; the spikes and the units stay for
normal mode (the caption under the title says so)."""

from dataclasses import replace

import streamlit as st

from ui import layout, presentation
from ui.context import current
from ui.panel import Section
from ui.panels import trends
from ui.sidebar import scope_label

LEFT_OUT = "演示模式只显示首屏:异常峰值和单位对比见常规模式"  # after the page's caption


class Heights:
    """The charts' heights in px in presentation mode, so that the first screen (intake by
    type across the page, then the categories beside the fastest rising) ends at the foot of
    a 1920×1080 projector; None in normal mode (each chart keeps its own height). Measured
    in presentation mode (18 px text, 18 px gaps between elements)."""

    SCREEN = 1080
    TOP = 176  # the slim top bar, the title, its caption line and the hidden controls' gap
    HEAD = 90  # a section's title (29) and caption line (25), each with its gap (18)
    LINE = 43  # the small print under the intake chart (25) with its gap above (18)
    GAP = 18  # between that line and the next row
    FOOT = 12  # the page's bottom padding, and rounding
    TYPES_SHARE = 0.55  # of the charts' height: intake by type, across the whole width

    def __init__(self, present: bool) -> None:
        charts = self.SCREEN - self.TOP - 2 * self.HEAD - self.LINE - self.GAP - self.FOOT
        self.types = round(charts * self.TYPES_SHARE) if present else None
        self.row = charts - self.types if present else None


def small_print(section: Section) -> Section:
    """On a projector the key figure and the notes that still hold there follow the chart in
    one small-print line (hovering for a date's details does not); the slide keeps them."""
    parts = [layout.figure_line(section.figures)] if section.figures else []
    parts += [note for note in section.notes if note != trends.DATES_NOTE]
    return replace(section, figures=(), notes=(" · ".join(parts),) if parts else ())


ctx = current()
present = presentation.active()
size = Heights(present)
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
    st.caption(trends.caption(ctx) + (f" · {LEFT_OUT}" if present else ""))

with types_row:
    layout.show(
        small_print(panel["trend_types"]) if present else panel["trend_types"], height=size.types
    )
with categories_row:
    left, right = st.columns([1.4, 1], gap="medium")
    shown = "none" if present else "caption"  # on a projector the charts show the figures
    with left:
        layout.show(panel["trend_categories"], height=size.row, figures=shown)
    with right:
        layout.show(panel["trend_rising"], height=size.row, figures=shown)
if present:  # the first screen only on a projector: nothing below its foot
    st.stop()

with spikes_row:
    spikes_head = st.container()
    chart_col, list_col = st.columns([1.1, 1], gap="medium")  # the list whole, unscrolled
    with chart_col:
        layout.show(panel["trend_spikes"], head=spikes_head, figures="none")
    if "trend_spike_list" in panel:  # the list beside the chart, when spikes can be judged
        with list_col:
            layout.show(panel["trend_spike_list"], heading=False, figures="none")
with units_row:
    layout.show(panel["trend_units_chart"], head=units_head)
