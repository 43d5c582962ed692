"""网格热力图: grids coloured by the metric the user picks, event density over them, the
worst grids raised in 3-D for a meeting, and one grid's detail panel on a click."""

from functools import partial

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from analytics import heatmap as hm
from analytics import labels
from analytics import metrics as m
from analytics import queries as q
from ui import charts, data, findings, maps
from ui.cards import metric_card
from ui.context import current
from ui.sidebar import period_caption, scope_label

MAP_HEIGHT = 640
WORST = {5: "最差 5 个", 10: "最差 10 个", 20: "最差 20 个"}
PANEL_METRICS = ("intake", *hm.MAP_METRICS)  # the panel's cards: intake, then the map's

ctx = current()
src, f, compare = ctx.src, ctx.filters, ctx.compare
rng = data.data_range(src)
comparison_name = labels.COMPARISON.get(compare, "")
place = fmt.plain(scope_label(f, src))
settings, settings_problem = data.settings()

st.subheader(f"网格热力图 · {place}", anchor=False)

sidebar = f  # the sidebar's own filters, before the slider narrows the months
months = hm.month_starts(f)
metric_col, month_col, density_col, extrude_col = st.columns([1.3, 2.4, 1, 1.3])
metric = metric_col.selectbox(
    "着色指标", list(hm.MAP_METRICS), format_func=m.label, key="heat_metric"
)
higher_is_worse = hm.MAP_METRICS[metric]
if st.session_state.get("heat_months_of") != (f.start, f.end):
    st.session_state.pop("heat_months", None)  # a new sidebar period: the slider spans it all
    st.session_state["heat_months_of"] = (f.start, f.end)
if len(months) > 1:
    first, last = month_col.select_slider(
        "月份(在左侧统计期内)",
        options=months,
        value=(months[0], months[-1]),
        format_func=lambda d: f"{d.year}年{d.month}月",
        key="heat_months",
    )
    f = hm.months_within(f, first, last)
else:
    month_col.caption(f"统计期在一个月内:{fmt.period(f.start, f.end)}")
show_density = density_col.toggle(
    "叠加事件密度", key="heat_density", help="按约 500 米蜂窝格汇总的事件数,只含汇总数,不含事件本身"
)
raise_worst = extrude_col.toggle(
    "3D 突出最差网格", key="heat_extrude", help="汇报投影用:最差的网格立起来,越差越高"
)
st.caption(period_caption(f, compare, rng))

grids = data.grid_figures(src, f, compare)
shapes = data.grid_shapes(src, sidebar)  # outlines do not depend on the months
names = {row.grid_id: f"{row.name}({row.community_name})" for row in grids.itertuples(index=False)}


# The map keeps its click selection as row positions. It gets a fresh key whenever those
# rows change meaning (another scope) or the dropdown chose a grid, so that a stale
# selection never highlights one grid while the panel shows another.
scope = (sidebar.street_id, sidebar.community_id, sidebar.grid_id, sidebar.event_types,
         sidebar.categories, sidebar.channels, sidebar.boards)  # fmt: skip
if st.session_state.get("heat_scope") != scope:
    st.session_state["heat_scope"] = scope
    st.session_state["heat_map_round"] = st.session_state.get("heat_map_round", 0) + 1
map_key = f"heat_map_{st.session_state.get('heat_map_round', 0)}"


def pick_from_map() -> None:
    """A click on the map selects that grid for the panel; a click beside the grids clears."""
    picked = st.session_state[map_key]["selection"]["objects"].get("grids", [])
    st.session_state["heat_grid"] = picked[0]["grid_id"] if picked else ""


def picked_from_list() -> None:
    st.session_state["heat_map_round"] = st.session_state.get("heat_map_round", 0) + 1


if st.session_state.get("heat_grid", "") not in ["", *names]:
    st.session_state["heat_grid"] = ""  # the chosen grid left the sidebar's scope

map_col, panel_col = st.columns([1.45, 1], gap="medium")
with map_col:
    if settings_problem:
        st.warning(fmt.plain(f"{settings_problem} 地图暂不使用底图。"), icon=":material/settings:")
    if grids.empty:
        st.info("所选范围内没有网格(数据只到街道、社区一级),无法绘制网格热力图。")
    elif shapes.empty:
        st.info("所选范围内没有网格边界数据:请在「数据导入」页导入网格边界(GeoJSON)。")
    else:
        extrude = ()
        if raise_worst:
            n = st.radio("突出", list(WORST), format_func=WORST.get, horizontal=True, index=1)
            extrude = tuple(hm.worst(grids, metric, n)["grid_id"])
        hexes = data.density_hexes(src, f) if show_density else None
        deck = maps.heat_deck(
            grids,
            shapes,
            metric,
            higher_is_worse,
            hexes=hexes,
            extrude=extrude,
            selected=st.session_state.get("heat_grid") or None,
            style_url=settings.map_style_url,
        )
        st.pydeck_chart(
            deck,
            height=MAP_HEIGHT,
            on_select=pick_from_map,
            selection_mode="single-object",
            key=map_key,
        )
        legend = maps.legend(grids[metric], metric, higher_is_worse=higher_is_worse)
        st.html(maps.legend_html([("", f"{m.label(metric)}:"), *legend]))
        if hexes is not None and not hexes.empty:
            dens = maps.legend(hexes["intake"], "intake", area="蜂窝格")
            st.html(maps.legend_html([("", "事件密度(件/蜂窝格):"), *dens]))
        if hexes is not None and hexes.empty and not hexes.attrs.get("hidden_cells"):
            st.caption("所选范围内的事件没有坐标,无法叠加事件密度。")
        if hexes is not None and hexes.attrs.get("hidden_cells"):
            st.caption(
                f"少于 {hexes.attrs['min_events']} 件的蜂窝格不显示(共 "
                f"{fmt.count(hexes.attrs['hidden_cells'])} 格、"
                f"{fmt.count(hexes.attrs['hidden_events'])} 件),以免指向具体住户。"
            )
        st.caption("颜色越深越需要关注;点击网格查看详情,点击网格外空白处关闭。")
        note = findings.map_note(data.placement(src, f))
        if note:
            st.caption(note)

panel = panel_col.container(key="heat_panel")
st.html(
    """<style>
    .st-key-heat_panel [data-testid="stMetricValue"] {font-size: 1.15rem;}
    .st-key-heat_panel [data-testid="stMetricDelta"] * {white-space: normal; overflow: visible;}
    .st-key-heat_panel [data-testid="stMetricLabel"] * {
        font-size: 0.78rem; white-space: normal; overflow: visible; text-overflow: clip;
    }
    </style>"""
)
with panel:
    chosen = st.selectbox(
        "网格详情",
        ["", *sorted(names, key=names.get)],
        format_func=lambda g: names.get(g, "点击地图或在此选择网格"),
        key="heat_grid",
        on_change=picked_from_list,
    )
    if not chosen:
        st.markdown(f"**最需要关注的网格 · {m.label(metric)}**")
        ranked = hm.worst(grids, metric, 12)
        if grids.empty:
            st.info("所选范围内没有网格。")
        elif ranked.empty:
            st.info(
                f"各网格都没有{m.label(metric)}的数据(如缺少户数、评价、办结时限或已受理的事件)。"
            )
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "网格": ranked["name"],
                        "社区": ranked["community_name"],
                        m.label(metric): ranked[metric].map(lambda v: fmt.value(metric, v)),
                        "受理量": ranked["intake"].map(fmt.count),
                    }
                ),
                hide_index=True,
                width="stretch",
                height=460,
            )
    else:
        grid = grids.set_index("grid_id").loc[chosen]
        grid["grid_id"] = chosen
        st.caption(
            f"{fmt.plain(grid['street_name'])} · {fmt.plain(grid['community_name'])} · "
            f"{fmt.count(grid['households'])} 户 · {fmt.count(grid['population'])} 人 · "
            f"{fmt.number(grid['area_km2'], 2)} 平方公里 · "
            f"专职网格员 {fmt.count(grid['full_time_workers'])} 人,"
            f"兼职 {fmt.count(grid['part_time_workers'])} 人"
            + (f" · 变化为{comparison_name}" if q.comparable(f, compare, rng) else "")
        )
        for row in (PANEL_METRICS[:4], PANEL_METRICS[4:]):
            for col, key in zip(st.columns(4), row, strict=True):
                previous = grid.get(f"{key}_prev")
                change = m.change(key, grid[key], previous)
                metric_card(col, key, grid[key], previous, change, "")
        scope = hm.grid_scope(f, grid)
        panel_queries = {
            "trend": partial(data.intake_trend, src, scope, "event_type", "month", None),
            "categories": partial(data.top_categories, src, scope, 5, compare),
            "workers": partial(data.grid_workers, src, f, chosen),
        }
        data.prefetch(*panel_queries.values())
        trend = panel_queries["trend"]()
        if trend.empty:
            st.info("该网格在统计期内没有事件。")
        else:
            st.markdown("**受理趋势(件/月)**")
            fig = charts.intake_trend(trend, freq="month", height=210)
            name = f"{grid['community_name']}{grid['name']}"
            config = charts.config(f"受理趋势_{name}")
            st.plotly_chart(fig, config=config, key="heat_trend")
            top = panel_queries["categories"]()
            st.markdown("**主要业务类别**")
            st.plotly_chart(
                charts.category_bars(top, height=190, change_name=comparison_name),
                config=charts.config(f"主要业务类别_{name}"),
                key="heat_categories",
            )
        workers = panel_queries["workers"]()
        st.markdown(f"**网格员工作量**(人均事件数 {fmt.value('workload', grid['workload'])} 件/月)")
        if workers.empty:
            st.info("没有该网格的网格员名册,可在「数据导入」页导入。")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "网格员": workers["name"],
                        "角色": workers["role"].map(lambda r: labels.WORKER_ROLE.get(r, r)),
                        "巡查上报": workers["reported"],
                        "承办": workers["handled"],
                        "已办结": workers["closed"],
                        "月均件数": workers["per_month"].round(1),
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            st.caption("网格员姓名已脱敏。")
