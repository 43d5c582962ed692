"""一屏统览: headline figures, intake trend, grid map, hot categories and alerts on one screen."""

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from analytics import queries as q
from ui import charts, data, findings, maps
from ui.cards import metric_card
from ui.context import current
from ui.sidebar import period_caption, scope_label

ctx = current()
src, f, compare = ctx.src, ctx.filters, ctx.compare
rng = data.data_range(src)
has_comparison = q.comparable(f, compare, rng)
comparison_name = labels.COMPARISON.get(compare, "")

place = scope_label(f, src)
st.subheader(f"一屏统览 · {fmt.plain(place)}", anchor=False)
st.caption(period_caption(f, compare, rng))

kpis = data.kpis(src, f, compare)
for col, row in zip(st.columns(len(kpis)), kpis.itertuples(index=False), strict=True):
    metric_card(col, row.metric, row.value, row.previous, row.change, comparison_name)

CHART_HEIGHT = 285
MAP_METRICS = {k: m.higher_is_worse(k) for k in ("density", "closure_rate", "overdue")}
HEX_MAP_METRICS = {k: m.higher_is_worse(k) for k in ("intake", "closure_rate", "overdue")}
left, middle, right = st.columns([1.25, 1.0, 1.0], gap="medium")

with left:
    # Monthly lines read best against the same months a year earlier, whatever the cards use.
    trend = data.intake_trend(src, f, "event_type", "month", "yoy")
    heading, shown = charts.overview_trend_groups(trend)
    st.markdown(f"**{heading}**")
    if shown:
        fig = charts.intake_trend(trend, groups=shown, freq="month", height=CHART_HEIGHT)
        st.plotly_chart(fig, config=charts.config(f"受理趋势_{place}"), key="trend")
    else:
        st.info("所选范围内没有事件。")

grids = data.grid_metrics(src, f, compare)
settings, _ = data.settings()  # the heatmap page explains an unusable settings file
shapes = data.grid_shapes(src, f)
placement = data.placement(src, f)
with middle:
    # Data without grid boundaries (e.g. a 311 export) is drawn as hexagons of its events.
    if shapes.empty:
        hexes = data.hex_metrics(src, f, compare)
        title, choices, area = "事件分布(无网格边界,按蜂窝格汇总)", HEX_MAP_METRICS, "蜂窝格"
        key = "overview_hex_metric"
    else:
        title, choices, area, key = "网格地图", MAP_METRICS, "网格", "overview_map_metric"
    head, pick = st.columns([1.2, 1.0])
    head.markdown(f"**{title}**")
    metric = pick.selectbox(
        "地图指标",
        list(choices),
        format_func=m.label,
        key=key,
        label_visibility="collapsed",
    )
    worse_high = choices[metric]
    note = findings.map_note(placement, hexagons=shapes.empty)
    if shapes.empty and hexes.empty:
        st.info("没有网格边界,事件也没有坐标,无法绘制地图。")
    elif grids.empty and not shapes.empty:
        st.info("所选范围内没有网格边界数据。")
    else:
        if shapes.empty:
            deck = maps.hex_deck(hexes, metric, worse_high, style_url=settings.map_style_url)
            values = hexes[metric]
        else:
            deck = maps.grid_deck(
                grids, shapes, metric, higher_is_worse=worse_high, style_url=settings.map_style_url
            )
            values = grids[metric]
        st.pydeck_chart(deck, height=CHART_HEIGHT - 30, key="overview_map")
        legend = maps.legend(values, metric, higher_is_worse=worse_high, area=area)
        # what the map leaves out shares the legend's line: the page stays one screen
        st.html(maps.legend_html([*legend, ("", note)] if note else legend))
        note = None
    if note:
        st.caption(note)

with right:
    st.markdown("**热点类别 · 受理量前8**")
    top = data.top_categories(src, f, 8, compare)
    if top.empty:
        st.info("所选范围内没有事件。")
    else:
        fig = charts.category_bars(top, height=CHART_HEIGHT, change_name=comparison_name)
        st.plotly_chart(fig, config=charts.config(f"热点类别_{place}"), key="categories")


TABLE_HEIGHT = 318  # header and eight rows
NO_GRIDS = "所选范围内没有网格(数据只到街道、社区一级),无法按网格预警。"
a, b, c = st.columns([1.15, 1.0, 0.85], gap="medium")
with a:
    st.markdown(f"**预警 · 受理量{comparison_name}上升最快的网格**")
    worse = q.worsening_grids(grids) if has_comparison else pd.DataFrame()
    if grids.empty:
        st.info(NO_GRIDS)
    elif not has_comparison:
        st.info(f"无法比较网格受理量的变化:{q.comparison_problem(f, compare, rng)}。")
    elif worse.empty:
        st.info(f"没有受理量上升的网格(两期各需至少 {m.MIN_EVENTS_TO_COMPARE} 件才比较)。")
    else:
        table = findings.worsening_table(worse, comparison_name)
        st.dataframe(table, hide_index=True, height=TABLE_HEIGHT, width="stretch")
with b:
    st.markdown("**预警 · 超期积压最多的网格**")
    late = q.overdue_grids(grids)
    if grids.empty:
        st.info(NO_GRIDS)
    elif late.empty:
        st.success(
            "所选范围内落到网格的事件没有超期积压(未落到网格的不在网格预警中)。"
            if placement["no_grid"]
            else "所选范围内没有超期积压。"
        )
    else:
        table = findings.overdue_table(late)
        st.dataframe(table, hide_index=True, height=TABLE_HEIGHT, width="stretch")
with c:
    st.markdown("**积压账龄(件)**")
    ageing = data.backlog_ageing(src, f)
    if ageing["backlog"].sum() == 0:
        st.success(findings.NO_BACKLOG, icon=":material/check_circle:")
    else:
        fig = charts.backlog_bars(ageing, height=TABLE_HEIGHT)
        st.plotly_chart(fig, config=charts.config(f"积压账龄_{place}"), key="ageing")
