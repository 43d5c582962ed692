"""一屏统览: the overview panel (``ui.panels.overview``) on one screen: the headline figures as
metric cards, then the trend, the map and the hot categories, then the grid alerts and the
backlog's ageing."""

from dataclasses import replace

import streamlit as st

from analytics import labels, metrics
from ui import data, layout
from ui.cards import metric_card
from ui.context import current
from ui.panel import Section
from ui.panels import overview
from ui.sidebar import period_caption, scope_label

CHART_HEIGHT = 285
MAP_HEIGHT = CHART_HEIGHT - 50  # its title has a dropdown beside it, its legend two lines
CAPTION = 20  # what a chart gives up for a caption line
TABLE_HEIGHT = 318  # header and eight rows


def legend_line(section: Section) -> Section:
    """What the map leaves out and its key figures follow the legend in its small print, not
    in caption lines of their own: the page stays one screen. (A slide has them as notes
    and cards.)"""
    if section.map is None:
        return section
    extra = [*section.notes, *(layout.figure_line((f,)) for f in section.figures)]
    legend = [*section.map.legend, *(("", text) for text in extra)]
    return replace(section, map=replace(section.map, legend=legend), notes=(), figures=())


ctx = current()
top = st.container()  # the title and the cards, once the panel is built
left, middle, right = st.columns([1.25, 1.0, 1.0], gap="medium")
with middle:
    head, pick = st.columns([1.2, 1.0])
    hexagons = overview.hexagons(ctx)
    choices = overview.HEX_MAP_METRICS if hexagons else overview.MAP_METRICS
    metric = pick.selectbox(
        "地图指标",
        list(choices),
        format_func=metrics.label,
        key="overview_hex_metric" if hexagons else "overview_map_metric",
        label_visibility="collapsed",
    )
panel = overview.build(ctx, map_metric=metric)

with top:
    layout.title(panel, scope_label(ctx.filters, ctx.src))
    st.caption(period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src)))
    kpis = overview.kpis(ctx)
    comparison = labels.COMPARISON.get(ctx.compare, "")
    for col, row in zip(st.columns(len(kpis)), kpis.itertuples(index=False), strict=True):
        metric_card(col, row.metric, row.value, row.previous, row.change, comparison)

with left:
    layout.show(panel["trend"], height=CHART_HEIGHT, figures="none")  # the cards above
with middle:
    layout.show(legend_line(panel["map"]), height=MAP_HEIGHT, head=head)
with right:
    categories = panel["categories"]
    height = CHART_HEIGHT - (CAPTION if categories.caption else 0)
    layout.show(categories, height=height, figures="none")  # the bars show them

for key, col in zip(
    ("worsening", "overdue", "ageing"),
    st.columns([1.15, 1.0, 0.85], gap="medium"),
    strict=True,
):
    with col:
        layout.show(panel[key], height=TABLE_HEIGHT, figures="none")  # the cards and rows
