"""网格调整推演: re-draw a street's or community's grids (by households per grid, number of
grids, a ceiling on events per worker, or by hand) and see staff, response and cost."""

import json

import pandas as pd
import streamlit as st

from analytics import access, labels
from analytics import formats as fmt
from analytics.planning import partition, queueing, scenario, whatif
from ui import auth, charts, data, downloads, maps
from ui.context import current

MODES = {
    "households": "按每格户数",
    "grids": "按网格总数",
    "ceiling": "按人均事件上限",
    "edit": "手工拆分合并",
}

ctx = current()
src, f = ctx.src, ctx.filters
settings, settings_problem = data.settings()
units = data.org_units(src)
names = dict(zip(units["unit_id"], units["name"], strict=True))
levels = dict(zip(units["unit_id"], units["level"], strict=True))
choices = access.within(units, src.scope)  # a scoped viewer plans inside their unit only
default = f.community_id or f.street_id or (choices[1] if len(choices) > 1 else choices[0])

st.subheader("网格调整推演", anchor=False)
if settings_problem:
    st.warning(fmt.plain(f"{settings_problem} 推演使用默认人力成本和工时。"))

if st.session_state.get("wi_scope_of") != default:
    st.session_state["wi_scope_of"] = default  # the sidebar's unit changed: follow it
    st.session_state.pop("wi_scope", None)
scope_col, mode_col, value_col, least_col = st.columns([1.4, 2.2, 2, 1.1])
unit_id = scope_col.selectbox(
    "推演范围",
    choices,
    index=choices.index(default) if default in choices else 0,
    format_func=lambda u: f"{names[u]}({labels.UNIT_LEVEL[levels[u]]})",
    key="wi_scope",
)
try:
    with st.spinner(fmt.plain(f"正在读取{names[unit_id]}的楼栋与网格…")):
        scope = data.whatif_scope(src, unit_id)
        calibration, model, tests = data.whatif_model(src, settings.worker_hours_per_month)
except ValueError as exc:
    st.error(fmt.plain(str(exc)), icon=":material/warning:")
    st.stop()

mode = (
    mode_col.segmented_control(
        "调整方式", list(MODES), format_func=MODES.get, default="households", key="wi_mode"
    )
    or "households"
)
median_households = int(min(max(scope.grids["households"].median(), 100), 1500))
households_per_grid = n_grids = ceiling = None
if mode == "households":
    households_per_grid = value_col.slider(
        "每个网格的目标户数(城市社区常见 300–500 户)",
        min_value=100,
        max_value=1500,
        value=median_households,
        step=10,
        key="wi_households",
    )
elif mode == "grids":
    n_grids = value_col.number_input(
        "网格总数",
        min_value=len(scope.grids["community_id"].unique()),
        max_value=len(scope.buildings),
        value=len(scope.grids),
        step=1,
        key="wi_grids",
    )
elif mode == "ceiling":
    ceiling = value_col.slider(
        "每名专职网格员每月事件数上限",
        min_value=20,
        max_value=600,
        value=150,
        step=10,
        key="wi_ceiling",
    )
    value_col.caption(
        f"按各楼栋近一年的事件量均衡划分:事件多的片区网格小、事件少的片区网格大,"
        f"每个社区的网格平均每月约 {fmt.count(ceiling * partition.CEILING_FILL)} 件"
        f"(上限的 {fmt.rate(partition.CEILING_FILL, 0)}),留出余量。"
    )
least_change = least_col.toggle(
    "尽量少改动",
    key="wi_least",
    disabled=mode == "edit",
    help="只拆分超过上限的网格、合并事件很少的相邻网格,其余网格保持不变"
    if mode == "ceiling"
    else "只拆分或合并超出目标 ±25% 的网格,其余网格保持不变",
)

edits_key = f"wi_edits_{unit_id}"  # each scope keeps its own hand edits
edits = tuple(st.session_state.get(edits_key, ())) if mode == "edit" else ()
choice = scenario.Scenario(
    unit_id,
    households_per_grid=float(households_per_grid) if households_per_grid else None,
    n_grids=int(n_grids) if n_grids else None,
    events_ceiling=float(ceiling) if ceiling else None,
    least_change=least_change and mode != "edit",
    edits=edits,
)
try:
    with st.spinner(f"正在重新划分 {fmt.count(len(scope.buildings))} 栋楼…"):
        result = data.whatif_result(src, choice, settings)
except ValueError as exc:
    st.error(fmt.plain(str(exc)), icon=":material/warning:")
    st.session_state[edits_key] = list(edits[:-1])  # the newest edit is the one that failed
    st.button("返回上一步", key="wi_back")
    st.stop()
plan = result.plan

if mode == "edit":
    # The choices are the grids as they stand after the edits so far, so edits chain.
    grid_ids = sorted(plan.grids["new_grid_id"])
    grid_names = dict(zip(scope.grids["grid_id"], scope.grids["name"], strict=True))

    def label(g: str) -> str:
        return f"{g} {grid_names.get(g, '(新)')}"

    split_col, merge_a, merge_b, buttons = st.columns([1.3, 1.3, 1.3, 1.6])
    to_split = split_col.selectbox("拆分网格", grid_ids, format_func=label, key="wi_split")
    first = merge_a.selectbox("合并网格", grid_ids, format_func=label, key="wi_merge_a")
    second = merge_b.selectbox(
        "与", grid_ids, index=min(1, len(grid_ids) - 1), format_func=label, key="wi_merge_b"
    )
    with buttons.container(horizontal=True):
        if st.button("拆分为两个", key="wi_do_split"):
            st.session_state[edits_key] = [*edits, ("split", to_split)]
            st.rerun()
        if st.button("合并", key="wi_do_merge"):
            st.session_state[edits_key] = [*edits, ("merge", first, second)]
            st.rerun()
        if st.button("撤销全部", key="wi_undo"):
            st.session_state[edits_key] = []
            st.rerun()
    if edits:
        st.caption(
            fmt.plain(
                "已做调整:"
                + ";".join(
                    f"拆分 {e[1]}" if e[0] == "split" else f"合并 {e[1]} 与 {e[2]}" for e in edits
                )
                + "(拆分出的新网格编号为“社区编码-N序号”,可继续拆分或合并)"
            )
        )

before, after, staff_cap = result.before, result.after, result.staff_cap
current_plan = result.today
b, a = before.totals, after.totals

ROWS = [
    ("网格数", "grids", fmt.count),
    ("专职网格员", "full_time_workers", fmt.count),
    ("每格户数中位数", "households_median", fmt.count),
    ("户数变异系数", "households_cv", fmt.rate),
    ("最大/最小户数比", "households_max_min_ratio", lambda x: fmt.number(x, 2)),
    ("人均月事件数", "events_per_worker_month", fmt.number),
    ("人均月事件数(最忙网格)", "events_per_worker_month_max", fmt.number),
    ("预计响应时长中位数", "median_hours", fmt.predicted_hours),
    ("预计响应时长P90", "p90_hours", fmt.predicted_hours),
    ("预计按时办结率", "on_time_rate", fmt.rate),
    ("超负荷网格", "overloaded_grids", fmt.count),
    ("年度人力成本(元)", "annual_staff_cost", fmt.count),
]
cards = st.columns(5)
HEADLINE = [ROWS[i] for i in (0, 1, 7, 9, 11)]
for col, (title, key, show) in zip(cards, HEADLINE, strict=True):
    col.metric(
        title,
        show(a[key]),
        delta=f"调整前 {show(b[key])}",
        delta_arrow="off",
        delta_color="off",
        border=True,
    )

left, right = st.columns(2, gap="medium")
both_sides = pd.concat([before.grids["households"], after.grids["households"]])
breaks = maps.class_breaks(both_sides)  # one colour scale for both maps
with left:
    st.markdown(f"**调整前 · {fmt.count(b['grids'])} 个网格**(颜色为户数)")
    st.pydeck_chart(
        maps.plan_deck(
            before.grids, current_plan.grids["geometry"], breaks, settings.map_style_url
        ),
        height=420,
        key="wi_map_before",
    )
with right:
    st.markdown(f"**调整后 · {fmt.count(a['grids'])} 个网格**")
    st.pydeck_chart(
        maps.plan_deck(after.grids, plan.grids["geometry"], breaks, settings.map_style_url),
        height=420,
        key="wi_map_after",
    )
st.html(maps.legend_html([("", "每格户数:"), *maps.legend(both_sides, "intake")]))

table_col, hist_col, model_col = st.columns([1.2, 1.2, 1.2], gap="medium")
with table_col:
    st.markdown("**调整前后对比**")
    comparison = pd.DataFrame(
        {
            "指标": [title for title, _, _ in ROWS],
            "调整前": [show(b[key]) for _, key, show in ROWS],
            "调整后": [show(a[key]) for _, key, show in ROWS],
        }
    )
    st.dataframe(comparison, hide_index=True, width="stretch", height=460)
    st.caption(
        f"保持原网格的楼栋 {fmt.rate(plan.stats['kept_share'])};"
        + (
            "新网格全部连成一片;"
            if plan.stats["all_contiguous"]
            else "有新网格不连片(社区分成几块);"
        )
        + f"平均紧凑度 {fmt.number(plan.stats['mean_compactness'], 2)}(圆为 1)。"
        f"人力成本按每人每年 {fmt.count(settings.cost_per_worker_year)} 元。"
    )
with hist_col:
    st.markdown("**每格户数分布**")
    st.plotly_chart(
        charts.households_histogram(before.grids["households"], after.grids["households"]),
        config=charts.config(f"每格户数分布_{names[unit_id]}"),
        key="wi_hist",
    )
    st.caption(
        "每栋楼带着原网格每户的事件量进入新网格。每个新网格配一名专职网格员,每月事件超过 "
        f"{fmt.count(staff_cap)} 件的按每 {fmt.count(staff_cap)} 件增配一名;调整前为现有人员。"
    )
with model_col:
    chosen = tests[model.kind]
    st.markdown(f"**模型可信度 · {queueing.KINDS[model.kind]}**")
    config = charts.config(f"模型回测_{names[unit_id]}")
    st.plotly_chart(charts.backtest_scatter(chosen.predictions), config=config, key="wi_backtest")
    st.caption(
        f"用现有 {fmt.count(len(calibration))} 个网格近一年的数据校准,五折交叉验证:每个网格由未用它"
        f"拟合的模型预测。响应时长中位数平均误差 {fmt.rate(chosen.median_mape)},相关系数 "
        f"{fmt.number(chosen.median_r, 2)};"
        + ";".join(
            f"{queueing.KINDS[k]}误差 {fmt.rate(t.median_mape)}"
            for k, t in tests.items()
            if k != model.kind
        )
        + "。"
    )

if auth.can_export():
    st.markdown("**导出方案**")
    summary = result.summary()
    with st.container(horizontal=True, gap="small"):
        downloads.file_button(
            "新网格 GeoJSON",
            lambda: json.dumps(whatif.plan_geojson(plan), ensure_ascii=False),
            fmt.file_name(f"新网格_{names[unit_id]}") + ".geojson",
            "application/geo+json",
            "wi_dl_geojson",
        )
        downloads.file_button(
            "对比摘要 JSON",
            lambda: json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False),
            fmt.file_name(f"调整摘要_{names[unit_id]}") + ".json",
            "application/json",
            "wi_dl_summary",
        )
    downloads.buttons(
        plan.assignment[["building_id", "old_grid_id", "new_grid_id"]].rename(
            columns={"building_id": "楼栋编号", "old_grid_id": "原网格", "new_grid_id": "新网格"}
        ),
        f"楼栋归属_{names[unit_id]}",
        "wi_dl_assignment",
    )
