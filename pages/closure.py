"""办结率: the closure panel (``ui.panels.closure``) laid out in three rows of two, its
answer first: the units ranked beside the overdue list that names who is late."""

import streamlit as st

from ui import data, layout
from ui.context import current
from ui.panels import closure
from ui.sidebar import period_caption, scope_label

ctx = current()
panel = closure.build(ctx)
layout.title(panel, scope_label(ctx.filters, ctx.src))
st.caption(period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src)))

for (left_key, right_key), widths in (
    (("closure_units", "overdue"), [1, 1.25]),
    (("categories", "closure_ageing"), [1.2, 1]),
    (("closure_funnel", "closure_levels"), [1, 1.2]),
):
    left, right = st.columns(widths, gap="medium")
    with left:
        layout.show(panel[left_key])
    with right:
        layout.show(panel[right_key])

layout.footnote(panel)
