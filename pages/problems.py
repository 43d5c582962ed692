"""问题清单: the selected scope against its targets — the 综合指数 for the period and the last
day, week, month and quarter with what it is made of, then every unit and grid below its
target, the grids with the most overdue events and the rising categories, each with the
figure, the target, the gap and the unit responsible; to download or print for a meeting."""

import streamlit as st

from analytics import formats as fmt
from ui import data, downloads, layout, presentation, printable
from ui.context import current
from ui.panels import targets as targets_panel
from ui.sidebar import period_caption, scope_label

PRESENT_TABLE_PX = 440  # the 问题清单's rows on a 1920×1080 projector, below the cards

ctx = current()
book = data.target_book()
panel = targets_panel.build(ctx, book)
place = scope_label(ctx.filters, ctx.src)
layout.title(panel, place)
caption = period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src))
st.caption(caption)
if not book:
    st.info(targets_panel.NO_TARGETS, icon=":material/flag:")
else:
    present = presentation.active()
    score = panel["score"]
    if present:  # one projector screen: the scores, then as many lines as fit
        st.markdown(f"**{score.title}**")
        layout.cards(score.figures)
    else:
        layout.show(score, figures="cards")
    problems = panel["problems"]
    layout.show(problems, figures="cards", height=PRESENT_TABLE_PX if present else None)
    if problems.tables and not present:
        table = problems.tables[0].frame
        downloads.file_button(
            "打印版",
            lambda: printable.document(
                f"问题清单 · {place}", [caption], table, status=problems.tables[0].status
            ),
            f"{fmt.file_name(problems.name)}.html",
            "text/html",
            "problems_print",
        )
        st.caption("打印版用浏览器打开后按 Ctrl+P 打印(A4 横向)。")
