"""热点诉求: the issues many people raised about one place within days, found in their own
words (``ui.panels.hotspots``): the figures, the list (an issue picked under it lists its
events, masked), the timeline beside the map. In presentation mode the first screen: the
figures and the list (the caption says the rest is in normal mode)."""

import streamlit as st

from analytics import formats as fmt
from ui import data, drill, layout, presentation
from ui.context import current
from ui.panels import hotspots
from ui.sidebar import period_caption, scope_label

PICK_KEY = "hot_pick"
PRESENT_LIST_PX = 540  # the list on a 1920×1080 projector, from under the cards to the foot
LEFT_OUT = "演示模式只显示首屏:时间线和分布图见常规模式"  # after the page's caption

ctx = current()
present = presentation.active()
panel = hotspots.build(ctx)
layout.title(panel, scope_label(ctx.filters, ctx.src))
caption = period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src))
st.caption(f"{caption} · {LEFT_OUT}" if present else caption)

listing = panel["hot_list"]
if listing.figures:
    layout.cards(listing.figures)
if not listing.drawn:
    if listing.caption:
        st.caption(fmt.plain(listing.caption))
    st.info(listing.empty, icon=":material/forum:")
else:
    if present:
        layout.show(listing, figures="none", height=PRESENT_LIST_PX)
        st.stop()
    layout.show(listing, figures="none")
    titles = list(listing.tables[0].frame["热点诉求"])
    row = st.selectbox(
        "查看热点的事件明细",
        range(len(titles)),
        index=None,
        format_func=lambda i: f"{i + 1}. {titles[i]}",
        key=PICK_KEY,
        placeholder="选择一个热点",
    )
    if row is not None:
        issue, ids = hotspots.picked(ctx, row)
        events = data.issue_events(ctx.src, ctx.filters, ids)
        st.caption(
            f"{fmt.plain(issue['title'])}:{fmt.count(len(events))} 件,"
            f"{fmt.day(issue['first_at'])} 至 {fmt.day(issue['last_at'])};反映人信息已脱敏"
        )
        st.dataframe(drill.table(events), hide_index=True, width="stretch")
    left, right = st.columns([1.1, 1], gap="medium")
    with left:
        layout.show(panel["hot_timeline"], figures="none")
    with right:
        layout.show(panel["hot_map"], figures="none", height=420)
layout.footnote(panel)
