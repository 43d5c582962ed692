"""赛马比拼: streets, communities, grids or full-time grid workers ranked on a weighted score,
in four tiers, with the rank change against the preceding period and a six-month trend."""

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from analytics import rankings as rk
from ui import charts, data, downloads, findings
from ui.context import current
from ui.sidebar import scope_label

ctx = current()
src, f = ctx.src, ctx.filters
rng = data.data_range(src)
scope = scope_label(f, src)
place = fmt.plain(scope)
settings, settings_problem = data.settings()

st.subheader(f"赛马比拼 · {place}", anchor=False)
if settings_problem:
    st.warning(fmt.plain(f"{settings_problem} 最少事件数使用默认值。"), icon=":material/settings:")


def reset_weights(prefix: str, defaults: dict[str, float]) -> None:
    for part, weight in defaults.items():
        st.session_state[prefix + part] = int(weight)


levels = rk.levels_below(f, src.scope)
if st.session_state.get("rk_level") not in levels:
    st.session_state.pop("rk_level", None)  # the sidebar narrowed the scope
level_col, min_col = st.columns([3, 1], vertical_alignment="bottom")
level = level_col.radio(
    "排名对象", levels, format_func=labels.RANKING_LEVEL.get, horizontal=True, key="rk_level"
)
min_events = min_col.number_input(
    "最少事件数",
    min_value=1,
    value=settings.ranking_min_events,
    step=5,
    key="rk_min_events",
    help="统计期内事件数少于此数的单位单列,不参与排名(专职网格员按本人经手事件计)。"
    "默认值见部署设置 [rankings] min_events。",
)
workers = level == rk.WORKERS
parts = rk.WORKER_PARTS if workers else rk.UNIT_RATES
defaults = rk.WORKER_WEIGHTS if workers else rk.UNIT_WEIGHTS
descriptions = rk.WORKER_DESCRIPTIONS if workers else rk.UNIT_DESCRIPTIONS
prefix = "rk_ww_" if workers else "rk_w_"
unit_title = labels.RANKING_LEVEL[level]

with st.expander("权重设置", expanded=False, icon=":material/tune:"):
    columns = st.columns(len(parts))
    for part in parts:  # the defaults, unless chosen or reset (set through session state)
        st.session_state.setdefault(prefix + part, int(defaults[part]))
    weights = {
        part: column.number_input(
            rk.PART_LABELS[part],
            min_value=0,
            max_value=100,
            step=5,
            key=prefix + part,
            help=descriptions[part],
        )
        for part, column in zip(parts, columns, strict=True)
    }
    problem = rk.weights_problem(weights)
    if not problem:
        shares = rk.shares(weights)
        st.caption(
            "折算占比:"
            + " · ".join(f"{rk.PART_LABELS[p]} {fmt.rate(shares[p], 0)}" for p in parts)
            + "。权重为 0 的指标不计分。"
        )
    st.button("恢复默认权重", on_click=reset_weights, args=(prefix, defaults), key=f"{prefix}reset")

if problem:
    st.error(problem, icon=":material/error:")
    st.stop()

weights_key = tuple((part, float(w)) for part, w in weights.items())
if workers:
    ranking = data.worker_ranking(src, f, weights_key, int(min_events))
else:
    ranking = data.unit_ranking(src, f, level, weights_key, int(min_events))

first, last = ranking.months[0], ranking.months[-1]
months_text = f"{first.year}年{first.month}月至" + (
    f"{last.month}月" if first.year == last.year else f"{last.year}年{last.month}月"
)
if ranking.previous:
    compared = f"名次变化对比:{fmt.period(*ranking.previous)}"
else:
    compared = f"名次变化:{ranking.previous_problem}"
st.caption(
    f"统计期:{fmt.period(f.start, f.end)} · {compared} · 名次走势:{months_text}"
    f" · 数据截至 {fmt.moment(rng.as_of)}"
)
used = findings.weights_formula(rk.shares(weights), rk.PART_LABELS)
st.caption(
    f"得分 = {used}(百分制,保留两位小数);得分相同名次相同;按名次四等分为一档至四档。"
    f"事件数少于 {fmt.count(ranking.min_events)} 件或缺少计分指标的{unit_title}单列,不参与排名。"
    + (
        f"活跃度以参评专职网格员月均巡查上报的中位数"
        f"({fmt.number(ranking.notes.get('activity_median'))} 件/月)为满分线。"
        if workers
        else "如需只按 12345 热线考核,可在左侧「更多筛选 · 来源渠道」中选择。"
    )
)

ranked, apart = ranking.ranked, ranking.apart
has_previous = ranking.previous is not None
unplaced = findings.unplaced_ranking(ranking.notes, unit_title)
if unplaced:
    st.caption(f"{unplaced}它们计入{place}的合计。")


def percent(series: pd.Series) -> pd.Series:
    return (series * 100).round(1)


def ranked_table(df: pd.DataFrame) -> pd.DataFrame:
    """The ranked units as shown and downloaded."""
    table = {"名次": df["rank"], "档次": df["tier"].map(rk.tier_name)}
    if workers:
        table |= {
            "网格员": df["name"],
            "网格员编号": df["unit_id"],
            "网格": df["grid_name"],
            "社区": df["community_name"],
            "街道": df["street_name"],
        }
    else:
        table[unit_title] = df["name"]
        if "street_name" in df:
            table["所属街道"] = df["street_name"]
    table["得分"] = df["score"]
    if has_previous:
        table["名次变化"] = [
            rk.change_text(c, n) for c, n in zip(df["rank_change"], df["is_new"], strict=True)
        ]
    if workers:
        table |= {
            "活跃度(件/月)": df["reports_per_month"].round(1),
            "活跃度得分(%)": percent(df["activity"]),
            "办结率(%)": percent(df["closure_rate"]),
            "信息完整度(%)": percent(df["completeness"]),
            "经手事件": df["events"],
            "巡查上报": df["reports"],
        }
    else:
        table |= {f"{rk.PART_LABELS[p]}(%)": percent(df[p]) for p in rk.UNIT_RATES}
        table["受理量"] = df["intake"]
    table["近6月名次"] = df["trend"].map(rk.trend_text)
    return pd.DataFrame(table)


def apart_table(df: pd.DataFrame) -> pd.DataFrame:
    """The units not ranked, with why."""
    if workers:
        table = {
            "网格员": df["name"],
            "网格员编号": df["unit_id"],
            "网格": df["grid_name"],
            "社区": df["community_name"],
            "经手事件": df["events"],
        }
    else:
        table = {unit_title: df["name"]}
        if "street_name" in df:
            table["所属街道"] = df["street_name"]
        table["受理量"] = df["intake"]
    table["原因"] = df["reason"]
    return pd.DataFrame(table)


COLUMNS = {
    "得分": st.column_config.NumberColumn("得分", format="%.2f", help="百分制,越高越好"),
    "名次变化": st.column_config.TextColumn(
        "名次变化", help="与上一等长时段相比:↑ 上升、↓ 下降、— 名次不变、新进 = 上期未参与排名"
    ),
    "近6月名次": st.column_config.TextColumn(
        "近6月名次",
        help=f"{months_text}各月名次,从左到右;1 为第一名,— 为该月未参与排名",
        width="medium",
    ),
}


def column_config(table: pd.DataFrame) -> dict:
    """Percentages with one decimal, counts with thousands separators."""
    config = {c: COLUMNS[c] for c in table.columns if c in COLUMNS}
    for column in table.columns:
        if column.endswith("(%)") or column == "活跃度(件/月)":
            config[column] = st.column_config.NumberColumn(column, format="%.1f")
        elif column in ("受理量", "经手事件", "巡查上报"):
            config[column] = st.column_config.NumberColumn(column, format="localized")
    return config


st.markdown(f"**{unit_title}排名**(参与排名 {len(ranked)} 个,不参与 {len(apart)} 个)")
if not src.scope.whole and level == levels[0] and level != rk.WORKERS:  # the viewer's peers
    own = rk.standing(ranking, src.scope.unit_id, unit_title)
    if own:
        st.info(fmt.plain(own), icon=":material/flag:")
name = f"赛马比拼_{unit_title}_{scope}_{f.start:%Y%m%d}-{f.end:%Y%m%d}"
if ranked.empty and apart.empty:
    st.info(f"所选范围内没有{unit_title}。")
elif ranked.empty:
    st.info(f"所选范围和统计期内没有可参与排名的{unit_title},原因见下方不参与排名名单。")
else:
    table = ranked_table(ranked)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(560, 35 * len(table) + 38),
        column_config=column_config(table),
    )
    downloads.buttons(table, name, "rk_dl_ranked")

    st.markdown("**得分与档次**(一档最好)")
    bars = findings.ranking_bars(ranked, workers)
    fig = charts.score_bars(bars, "经手事件" if workers else "受理量")
    st.plotly_chart(fig, config=charts.config(f"{name}_得分"), key="rk_chart")
    if len(bars) < len(ranked):
        ends = findings.RANKING_CHART_ENDS
        st.caption(f"图中为前 {ends} 名和后 {ends} 名,完整名单见上表。")

st.markdown(f"**不参与排名**({len(apart)} 个)")
if apart.empty:
    st.caption(f"所选范围内的{unit_title}均参与排名。" if len(ranked) else "无。")
else:
    table = apart_table(apart)
    st.dataframe(table, hide_index=True, width="stretch", column_config=column_config(table))
    downloads.buttons(table, f"{name}_不参与排名", "rk_dl_apart")

rules = ";".join(f"{rk.PART_LABELS[p]}:{descriptions[p]}" for p in parts)
st.caption(f"口径:{rules}。" + ("网格员姓名已脱敏。" if workers else ""))
