"""响应时效: the response panel (``ui.panels.response``) under its controls, in two rows of
two: durations beside their stages, deadlines beside the before/after comparison (its pivot
and window chosen under its title).

On a projector (``ui.presentation``) the page is one screen of two columns: the durations
by group beside the deadlines and the before/after comparison with its findings. The
stages per group, an analyst's follow-up, stay in normal mode."""

import streamlit as st

from ui import layout, presentation
from ui.context import current
from ui.panels import response
from ui.sidebar import scope_label


class Heights:
    """Chart heights in px on a projector (1920×1080, 18 px text), where the page is two
    columns ending at the screen's foot: the durations by group, as tall as the screen (its
    rows stay legible for up to ``response.ROWS`` groups), beside the deadlines above the
    before/after comparison. Measured there: the columns start 176 px down (top bar, title,
    period line and the hidden controls' row); a section's title takes 47 px with its gap,
    a caption line 43 px, a key figures' line 69 px, 94 px when long names wrap it to three
    lines (the durations' slowest and fastest); the before/after section (its hidden pivot
    and window, the table's six rows, two findings of two lines each) is 500 px whatever
    the charts; sections are 18 px apart; the page keeps 4 px of padding at the foot.
    Normal mode keeps the charts' own heights (``None``)."""

    SCREEN = 1080
    TOP = 176  # where the columns start
    FOOT = 4  # the page's bottom padding
    GAP = 18  # between two sections
    HEADING = 47  # a section's bold title and its gap
    CAPTION = 43  # one caption line and its gap
    FIGURES = 69  # the key figures' caption line and its gap
    LONG_FIGURES = 94  # … when it names groups in full: three lines
    COMPARISON = 500  # the before/after section, as tall as its text
    COLUMN = SCREEN - FOOT - TOP  # each column's height

    def __init__(self, present: bool) -> None:
        text = self.HEADING + self.CAPTION  # a chart's section above its chart
        deadlines = self.COLUMN - self.GAP - self.COMPARISON  # the section above it
        self.durations = self.COLUMN - text - self.LONG_FIGURES if present else None
        self.sla = deadlines - text - self.FIGURES if present else None


ctx = current()
present = presentation.active()
size = Heights(present)
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

if present:  # the durations beside the deadlines over the before/after comparison
    top_left, bottom_right = st.columns([1, 1.3], gap="medium")
    top_right, bottom_left = None, bottom_right.container()
else:
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
    layout.show(panel["resp_dist"], height=size.durations)
if top_right is not None:  # the stages per group: an analyst's follow-up, not on a projector
    with top_right:
        layout.show(panel["resp_stages"])
with bottom_left:
    layout.show(panel["resp_sla"], height=size.sla)
with bottom_right:
    # the rank tests' findings: a list with the measure in bold
    layout.show(panel["resp_before_after"], head=compare_head, notes="list")
