"""赛马比拼: the rankings panel (``ui.panels.rankings``) under its controls: what to rank,
the minimum events, what to rank by (三率加权, or 综合指数 where targets are set) and the
weights (kept in session state, with a reset)."""

import streamlit as st

from analytics import formats as fmt
from analytics import labels, rankings
from ui import data, layout
from ui.context import current
from ui.panel import Panel
from ui.panels import rankings as rankings_panel
from ui.sidebar import scope_label

ctx = current()
src, f = ctx.src, ctx.filters
settings, settings_problem = data.settings()
top = st.container()  # the title, once the panel is built


def reset_weights(prefix: str, defaults: dict[str, float]) -> None:
    for part, weight in defaults.items():
        st.session_state[prefix + part] = int(weight)


levels = rankings.levels_below(f, src.scope)
if st.session_state.get("rk_level") not in levels:
    st.session_state.pop("rk_level", None)  # the sidebar narrowed the scope
level_col, basis_col, min_col = st.columns([3, 2, 1], vertical_alignment="bottom")
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
workers = level == rankings.WORKERS
book = data.target_book()
unavailable = rankings_panel.score_basis(level, book)
basis = basis_col.radio(
    "排名依据",
    list(rankings_panel.BASES),
    format_func=rankings_panel.BASES.get,
    horizontal=True,
    key="rk_basis",
    disabled=not book or workers,
    help="三率加权:按下方权重合计响应率、解决率、满意率(网格员为活跃度、办结率、信息完整度);"
    "综合指数:各项指标与其目标之比按部署设置的权重平均(需先设定目标值,网格员不适用)。",
)
by_score = basis == rankings_panel.SCORE and unavailable is None
parts = rankings.WORKER_PARTS if workers else rankings.UNIT_RATES
defaults = rankings.WORKER_WEIGHTS if workers else rankings.UNIT_WEIGHTS
descriptions = rankings.WORKER_DESCRIPTIONS if workers else rankings.UNIT_DESCRIPTIONS
prefix = "rk_ww_" if workers else "rk_w_"

if not book or (workers and basis == rankings_panel.SCORE):
    st.caption(fmt.plain(unavailable))
with st.expander("权重设置", expanded=False, icon=":material/tune:"):
    if by_score:
        st.caption("按综合指数排名时,各项指标的权重和封顶值见部署设置 [score];下方权重不计分。")
    columns = st.columns(len(parts))
    for part in parts:  # the defaults, unless chosen or reset (set through session state)
        st.session_state.setdefault(prefix + part, int(defaults[part]))
    weights = {
        part: column.number_input(
            rankings.PART_LABELS[part],
            min_value=0,
            max_value=100,
            step=5,
            key=prefix + part,
            help=descriptions[part],
        )
        for part, column in zip(parts, columns, strict=True)
    }
    problem = rankings.weights_problem(weights)
    if not problem:
        shares = rankings.shares(weights)
        st.caption(
            "折算占比:"
            + " · ".join(f"{rankings.PART_LABELS[p]} {fmt.rate(shares[p], 0)}" for p in parts)
            + "。权重为 0 的指标不计分。"
        )
    st.button("恢复默认权重", on_click=reset_weights, args=(prefix, defaults), key=f"{prefix}reset")

if by_score:  # the weights above do not count: refused ones do not stop the ranking
    panel = rankings_panel.build(
        ctx,
        level=level,
        weights=None if problem else weights,
        min_events=int(min_events),
        basis=rankings_panel.SCORE,
    )
    problem = None
elif problem:
    panel = Panel(rankings_panel.TITLE, ())
else:
    panel = rankings_panel.build(ctx, level=level, weights=weights, min_events=int(min_events))
with top:
    layout.title(panel, scope_label(f, src))
    if settings_problem:
        problem_text = fmt.plain(f"{settings_problem} 最少事件数使用默认值。")
        st.warning(problem_text, icon=":material/settings:")
if problem:
    st.error(problem, icon=":material/error:")
    st.stop()


layout.show(panel["ranked"], figures="cards" if by_score else "caption")
if "scores" in panel and panel["scores"].drawn:  # else the ranking above says why
    layout.show(panel["scores"], figures="none")
if "apart" in panel:
    layout.show(panel["apart"])
layout.footnote(panel)
