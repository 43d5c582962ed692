"""办结率: the closure panel (``ui.panels.closure``) laid out in three rows of two, its
answer first: the units ranked beside the overdue list that names who is late.

On a projector (``ui.presentation``) the page is its first two rows, sized to end at the
screen's foot: who closes and who is late, then the categories and the backlog's ageing.
The funnel and the resolution levels are an analyst's follow-up: they stay in normal mode."""

from dataclasses import replace

import streamlit as st

from ui import data, layout, presentation
from ui.context import current
from ui.panels import closure
from ui.sidebar import period_caption, scope_label

ROWS = (
    (("closure_units", "overdue"), [1, 1.25]),
    (("categories", "closure_ageing"), [1.2, 1]),
    (("closure_funnel", "closure_levels"), [1, 1.2]),
)
PRESENTED_ROWS = 2  # on a projector: the answer and its breakdown, nothing after them


class Heights:
    """Chart and table heights in px on a projector (1920×1080, 18 px text), so that the
    second row ends at the screen's foot. Measured there: the rows start 158 px down (top
    bar, title, period line); a section's title line takes 47 px with its gap, a caption
    line 43 px, a two-line note or figures line 69 px; rows are 18 px apart; the page
    keeps 4 px of padding at the foot."""

    SCREEN = 1080
    TOP = 158  # where the first row starts
    FOOT = 4  # the page's bottom padding
    GAP = 18  # between two elements, and between the rows
    HEADING = 47  # a section's bold title and its gap
    CAPTION = 43  # one caption line and its gap
    NOTE = 69  # a note and its gap, two lines (the unplaced events' note is)
    FIGURES = 69  # the key figures' caption line and its gap (two lines: long names)
    MORE = 19  # presentation.table's "另有 N 行未显示" line under a table
    FIRST_ROW = 450  # of the rows' 900 px: the ranking and the overdue list, and …
    ROWS = SCREEN - FOOT - TOP - GAP  # … the categories and the ageing get the rest

    def __init__(self, units_caption: bool, units_notes: int) -> None:
        """``units_caption``: whether the ranking has a caption; ``units_notes``: its notes,
        which the second row makes room for (the ranking keeps its height)."""
        self.first_row = self.FIRST_ROW + units_notes * self.NOTE
        self.second_row = self.ROWS - self.first_row
        self.units = self.FIRST_ROW - self.HEADING - units_caption * self.CAPTION - self.FIGURES
        self.overdue = self.first_row - self.HEADING - self.MORE
        self.categories = self.second_row - self.HEADING - self.MORE
        self.ageing = self.second_row - self.HEADING - self.CAPTION


def projected(section):
    """A section as the projector shows it: no notes on the overdue list (they speak of its
    download and of the columns a projector does not show). ``layout.show`` leaves out hints
    there."""
    return replace(section, notes=()) if section.key == "overdue" else section


ctx = current()
present = presentation.active()
panel = closure.build(ctx)
layout.title(panel, scope_label(ctx.filters, ctx.src))
st.caption(period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src)))

heights = {}
if present:  # the first rows, sized to the screen; the ranking's notes come out of the second
    units = panel["closure_units"]
    size = Heights(units_caption=bool(units.caption), units_notes=len(units.notes))
    heights = {
        "closure_units": size.units,
        "overdue": size.overdue,
        "categories": size.categories,
        "closure_ageing": size.ageing,
    }
for (left_key, right_key), widths in ROWS[:PRESENTED_ROWS] if present else ROWS:
    left, right = st.columns(widths, gap="medium")
    for col, key in ((left, left_key), (right, right_key)):
        with col:
            section = projected(panel[key]) if present else panel[key]
            layout.show(section, height=heights.get(key))
if not present:
    layout.footnote(panel)
