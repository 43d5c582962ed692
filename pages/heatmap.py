"""网格热力图: the heatmap panel (``ui.panels.heatmap``) with its controls: the map the user
clicks beside the grids most in need, or one grid's detail panel."""

from dataclasses import replace

import streamlit as st

from analytics import formats as fmt
from analytics import heatmap, metrics
from ui import data, drill, layout, maps, presentation
from ui.cards import metric_card
from ui.context import current
from ui.panel import Section
from ui.panels import heatmap as heatmap_panel
from ui.sidebar import period_caption, scope_label

MAP_HEIGHT = 640
WORST = {5: "最差 5 个", 10: "最差 10 个", 20: "最差 20 个"}

ctx = current()
sidebar = ctx.filters  # the sidebar's own filters, before the slider narrows the months
settings_problem = data.settings()[1]

top = st.container()  # the title, once the panel is built
months = heatmap.month_starts(sidebar)
metric_col, colour_col, month_col, density_col, extrude_col = st.columns([1.2, 1.1, 2.2, 1, 1.2])
metric = metric_col.selectbox(
    "着色指标", list(heatmap.MAP_METRICS), format_func=metrics.label, key="heat_metric"
)
if st.session_state.get("heat_months_of") != (sidebar.start, sidebar.end):
    st.session_state.pop("heat_months", None)  # a new sidebar period: the slider spans it all
    st.session_state["heat_months_of"] = (sidebar.start, sidebar.end)
span = None
if len(months) > 1:
    span = month_col.select_slider(
        "月份(在左侧统计期内)",
        options=months,
        value=(months[0], months[-1]),
        format_func=lambda d: f"{d.year}年{d.month}月",
        key="heat_months",
    )
else:
    month_col.caption(f"统计期在一个月内:{fmt.period(sidebar.start, sidebar.end)}")
show_density = density_col.toggle(
    "叠加事件密度", key="heat_density", help="按约 500 米蜂窝格汇总的事件数,只含汇总数,不含事件本身"
)
raise_worst = extrude_col.toggle(
    "3D 突出最差网格", key="heat_extrude", help="汇报投影用:最差的网格立起来,越差越高"
)
st.caption(period_caption(heatmap_panel.period(ctx, span), ctx.compare, data.data_range(ctx.src)))

grids = heatmap_panel.grids(ctx, span)
names = heatmap_panel.grid_names(grids)
no_status = heatmap_panel.status_reason(ctx, metric, grids)
if no_status:
    st.session_state["heat_colour"] = "value"  # the metric or the scope has no targets
colour = colour_col.radio(
    "着色",
    list(heatmap_panel.COLOURINGS),
    format_func=heatmap_panel.COLOURINGS.get,
    key="heat_colour",
    disabled=bool(no_status),
    help=no_status or "按数值:颜色表示指标高低;按目标状态:各网格与其目标相比,达标、预警或未达标",
)


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


def show_map(section: Section) -> None:
    """``layout.show`` for a map the user clicks on (which ``layout.show`` cannot draw yet):
    the map, its legend, what it says and leaves out; or why there is no map."""
    if section.map is None:
        layout.show(section, heading=False)
        return
    st.pydeck_chart(
        section.map.deck(height_px=MAP_HEIGHT),
        height=MAP_HEIGHT,
        on_select=pick_from_map,
        selection_mode="single-object",
        key=map_key,
    )
    st.html(maps.legend_html(section.map.legend))
    hint = "" if presentation.active() else section.hint  # nothing to click on a projector
    st.caption(fmt.plain(";".join(t for t in (section.caption, hint) if t) + "。"))
    for note in section.notes:
        st.caption(fmt.plain(note))


if st.session_state.get("heat_grid", "") not in ["", *names]:
    st.session_state["heat_grid"] = ""  # the chosen grid left the sidebar's scope

map_col, panel_col = st.columns([1.45, 1], gap="medium")
with map_col:
    if settings_problem:
        st.warning(fmt.plain(f"{settings_problem} 地图暂不使用底图。"), icon=":material/settings:")
    worst = 0
    if raise_worst and heatmap_panel.mappable(ctx, grids):
        worst = st.radio("突出", list(WORST), format_func=WORST.get, horizontal=True, index=1)

side = panel_col.container(key="heat_panel")
st.html(
    """<style>
    .st-key-heat_panel [data-testid="stMetricValue"] {font-size: 1.15rem;}
    .st-key-heat_panel [data-testid="stMetric"] {padding-left: 0.4rem; padding-right: 0.4rem;}
    .st-key-heat_panel [data-testid="stMetric"] > div {padding-left: 0.25rem; padding-right: 0;}
    .st-key-heat_panel [data-testid="stMetricDelta"] * {white-space: nowrap; font-size: 0.72rem;}
    .st-key-heat_panel [data-testid="stMetricLabel"] p {
        font-size: 0.78rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
    }
    </style>"""
)
with side:
    chosen = st.selectbox(
        "网格详情",
        ["", *sorted(names, key=names.get)],
        format_func=lambda g: names.get(g, "点击地图或在此选择网格"),
        key="heat_grid",
        on_change=picked_from_list,
    )

panel = heatmap_panel.build(ctx, metric, span, show_density, worst, chosen or None, colour)
with top:
    layout.title(panel, scope_label(sidebar, ctx.src))
with map_col:
    show_map(panel["heat_map"])

with side:
    if not chosen:
        layout.show(panel["heat_worst"])
    else:
        grid = heatmap_panel.grid_row(grids, chosen)
        st.caption(fmt.plain(heatmap_panel.grid_line(ctx, grid, span)))
        cards = heatmap_panel.grid_cards(grid)
        book, parents = data.target_book(), data.parents(ctx.src)
        for row in (cards[:4], cards[4:]):
            for col, (key, value, previous, change) in zip(st.columns(4), row, strict=True):
                target = book.for_unit(key, chosen, parents)
                metric_card(col, key, value, previous, change, "", target=target)
        if not presentation.active():  # the events behind the grid's figures, masked
            place = {k: grid[k] for k in ("street_id", "community_id", "grid_id") if grid[k]}
            st.button(
                "列出该网格的事件",
                key="heat_drill",
                icon=":material/list:",
                on_click=drill.ask,
                args=(place,),
                help="本网格在所选月份的全部事件(反映人、电话、地址、诉求内容已脱敏)",
            )
        detail = heatmap_panel.grid_panel(ctx, grid, span)
        layout.show(detail["heat_trend"], height=210)
        if detail["heat_trend"].drawn:
            layout.show(detail["heat_categories"], height=190)
        layout.show(detail["heat_workers"])
drill.show(replace(ctx, filters=heatmap_panel.period(ctx, span)))  # the slider's months
