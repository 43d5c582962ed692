"""Words and small tables that a page and the slide export both show, written once so that
the slides say what the page says. No Streamlit calls."""

from __future__ import annotations

import pandas as pd

from analytics import formats as fmt
from analytics import metrics as m
from analytics import response as rs

# Page defaults the slide export draws with, so that the slides show what a page first shows.
TREND_FREQ = "week"  # 投诉信访趋势: 时间粒度
COMPARED_STREETS = 2  # 投诉信访趋势: the unit comparison starts with the first two streets
RATE_RANKING_ROWS = 30  # 办结率: units in the rate ranking chart
RESPONSE_ROWS = 25  # 响应时效: groups in the duration and stage charts
BEFORE_AFTER_DAYS = 365  # 响应时效: the before/after window on each side

RESPONSE_MEASURES = {"response": "响应时长(受理 − 上报)", "handling": "办理时长(办结 − 上报)"}
NO_DURATIONS = {
    "response": "所选范围内没有已受理的事件,无法计算响应时长。",
    "handling": "所选范围内没有已办结的事件,无法计算办理时长。",
}
RESPONSE_GROUPS = {
    "unit": "单位",
    "category": "业务类别",
    "channel": "来源渠道",
    "handling_type": "办理类型",
}


def drivers(items: list, names: dict | None = None) -> str:
    """A spike's drivers as text: 名称(+增加件数)、…"""
    return "、".join(f"{(names or {}).get(k, k)}(+{v:,.0f})" for k, v in items) or "—"


def before_after_table(figures: pd.DataFrame) -> pd.DataFrame:
    """The before/after figures (``data.before_after``) as shown: 指标, 之前, 之后, 变化."""
    rows = list(figures[["metric", "before", "after", "change"]].itertuples(index=False))
    return pd.DataFrame(
        {
            "指标": [m.label(r.metric) for r in rows],
            "之前": [fmt.value(r.metric, r.before) for r in rows],
            "之后": [fmt.value(r.metric, r.after) for r in rows],
            "变化": [fmt.change(r.metric, r.change) or fmt.MISSING for r in rows],
        }
    )


def measure_name(key: str) -> str:
    """响应时长 / 办理时长: a measure's name without its definition."""
    return RESPONSE_MEASURES[key].split("(")[0]


def rank_test_finding(key: str, test: rs.RankTest | None) -> str:
    """What the before/after rank test of measure ``key`` says, in words."""
    if test is None:
        return "一侧没有数据,无法检验。"
    faster = test.superiority < 0.5
    p_text = "p < 0.001" if test.p_value < 0.001 else f"p = {test.p_value:.3f}"
    if test.p_value < 0.05:
        verdict = f"之后{'更短' if faster else '更长'},差异显著"
    else:
        verdict = "差异不显著,可能是随机波动"
    unit = "秒" if rs.RANK_RESOLUTION_SECONDS[key] == 1 else "整分钟"
    return (
        f"{verdict}(Mann-Whitney 秩和检验,按{unit}比较,{p_text};"
        f"随机抽一件“之后”比一件“之前”{'更长' if not faster else '更短'}的概率 "
        f"{fmt.rate(test.superiority if not faster else 1 - test.superiority)};"
        f"样本 {fmt.count(test.n_before)} / {fmt.count(test.n_after)} 件)"
    )


def map_note(placement: dict[str, int], hexagons: bool = False) -> str | None:
    """What a map of the scope leaves out (``data.placement``), or None when nothing: events
    without a grid (未落格) and, on a grid map, those whose grid has no outline; on a map of
    hexagons (drawn from the events' coordinates) those without coordinates."""
    no_grid = f"{fmt.count(placement['no_grid'])} 件未落到网格" if placement["no_grid"] else ""
    if hexagons:
        missing = placement["no_coordinates"]
        off = f"{fmt.count(missing)} 件没有坐标,不在地图上" if missing else ""
        text = ";".join(part for part in (no_grid, off) if part)
    else:
        outline = placement["no_outline"]
        parts = [no_grid, f"{fmt.count(outline)} 件所在网格没有边界" if outline else ""]
        off = "、".join(part for part in parts if part)
        text = f"{off},不在地图上" if off else ""
    return f"{text}。" if text else None


NO_BACKLOG = "所选范围内没有未办结事件,没有积压。"
UNITS_WITHOUT_EVENTS = "所选单位在统计期内没有事件。"
UNITS_WITHOUT_HOUSEHOLDS = (
    "所选单位没有户数数据(网格表未填户数),无法计算每千户事件数,图中改为受理量。"
)


def unplaced_units(unplaced: dict | None, unit_title: str) -> str | None:
    """The 办结率 by unit's note on the events with no unit at its level (``attrs["unplaced"]``
    of ``closure.by_unit``): how many, their 办结率, and that they are not ranked."""
    if not unplaced:
        return None
    return (
        f"另有 {fmt.count(unplaced['intake'])} 件事件{unplaced['name']}"
        f"(办结率 {fmt.rate(unplaced['closure_rate'])}):不属于任何{unit_title},不参与排名。"
    )


def all_unplaced(unplaced: dict, unit_title: str) -> str:
    """When every event of the scope lacks a unit at the breakdown's level."""
    events = fmt.count(unplaced["intake"])
    return f"所选范围内的 {events} 件事件都{unplaced['name']},无法按{unit_title}比较。"


def unplaced_ranking(notes: dict, unit_title: str) -> str | None:
    """The rankings' note on events with no unit at the ranked level (``Ranking.notes``)."""
    if not notes.get("unplaced"):
        return None
    return (
        f"统计期内另有 {fmt.count(notes['unplaced'])} 件事件{notes['unplaced_name']},"
        f"不属于任何{unit_title},不参与排名。"
    )


def grid_label(df: pd.DataFrame) -> pd.Series:
    """社区 网格: a grid's name as the alert tables show it."""
    return df["community_name"] + " " + df["name"]


def worsening_table(worse: pd.DataFrame, comparison_name: str) -> pd.DataFrame:
    """The overview's alert of grids whose intake rose most (``queries.worsening_grids``)."""
    return pd.DataFrame(
        {
            "网格": grid_label(worse),
            "每千户事件": worse["density"].map(fmt.number),
            comparison_name: worse["intake_change"].map(lambda x: fmt.change("intake", x)),
            "办结率": worse["closure_rate"].map(fmt.rate),
            "办结率变化": worse["closure_change"].map(
                lambda x: fmt.change("closure_rate", x) or fmt.MISSING
            ),
        }
    )


def overdue_table(late: pd.DataFrame) -> pd.DataFrame:
    """The overview's alert of grids with the most overdue backlog (``queries.overdue_grids``)."""
    return pd.DataFrame(
        {
            "网格": grid_label(late),
            "超期": late["overdue"].map(fmt.count),
            "积压": late["backlog"].map(fmt.count),
            "按时办结率": late["on_time_rate"].map(fmt.rate),
        }
    )


RANKING_CHART_ENDS = 15  # with more units, the score chart draws the first and last 15


def ranking_names(ranked: pd.DataFrame, workers: bool) -> pd.Series:
    """Units by name; workers with where they work, 张*(桂花社区第1网格), since grids share
    names across communities."""
    names = ranked["name"].fillna(fmt.MISSING)
    if workers:
        grid = ranked["community_name"].fillna("") + ranked["grid_name"].fillna("")
        names = names + "(" + grid + ")"
    return names


def ranking_bars(ranked: pd.DataFrame, workers: bool) -> pd.DataFrame:
    """The ranked units the score chart draws (all, or the first and last
    ``RANKING_CHART_ENDS``), named by :func:`ranking_names`, with ``size`` (their events)."""
    bars = ranked.assign(
        size=ranked["events"] if workers else ranked["intake"], name=ranking_names(ranked, workers)
    )
    if len(bars) > 2 * RANKING_CHART_ENDS:
        bars = pd.concat([bars.head(RANKING_CHART_ENDS), bars.tail(RANKING_CHART_ENDS)])
    return bars


def weights_formula(shares: dict[str, float], labels: dict[str, str]) -> str:
    """响应率×10% + 解决率×45% + …: the score's formula with the weights in use."""
    return " + ".join(f"{labels[p]}×{fmt.rate(share, 0)}" for p, share in shares.items() if share)
