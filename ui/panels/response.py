"""响应时效: distributions of response and handling time by group, where the time goes,
deadlines kept per handling type, and a before/after comparison with a rank test."""

from __future__ import annotations

from datetime import date
from functools import partial

import pandas as pd

from analytics import formats as fmt
from analytics import labels, metrics, response
from ui import charts, data
from ui.context import Context
from ui.panel import NO_EVENTS, Download, KeyFigure, Panel, Section, Table, kpi_figures
from ui.sidebar import scope_label

TITLE = "响应时效"
MEASURES = {"response": "响应时长(受理 − 上报)", "handling": "办理时长(办结 − 上报)"}
GROUPS = {
    "unit": "单位",
    "category": "业务类别",
    "channel": "来源渠道",
    "handling_type": "办理类型",
}
WINDOWS = {90: "前后各 90 天", 180: "前后各 180 天", 365: "前后各 1 年"}
WINDOW = 365  # the before/after window on each side when the page opens
ROWS = 25  # groups in the duration and stage charts
KPIS = ("response_median", "on_time_rate")  # the cards the page shows
NO_DURATIONS = {
    "response": "所选范围内没有已受理的事件,无法计算响应时长。",
    "handling": "所选范围内没有已办结的事件,无法计算办理时长。",
}


def caption(ctx: Context) -> str:
    """The page's line under its title: period, data as-of, the unit of durations."""
    f, coverage = ctx.filters, data.data_range(ctx.src)
    as_of = fmt.moment(coverage.as_of)
    return f"统计期:{fmt.period(f.start, f.end)} · 数据截至 {as_of} · 图中时长单位:小时"


def pivots(ctx: Context) -> tuple[date, date, date] | None:
    """The pivot dates the data allows (first, last) and the one the page opens with; None
    with a single day of data."""
    coverage = data.data_range(ctx.src)
    bounds = response.pivot_bounds(coverage)
    return None if bounds is None else (*bounds, response.default_pivot(coverage))


# Duration units, as ``fmt.hours`` chooses them for one value: (name, hours in one, digits).
MINUTES, HOURS, DAYS = ("分钟", 1 / 60, 0), ("小时", 1.0, 1), ("天", 24.0, 1)


def duration_unit(*hours) -> tuple[str, float, int]:
    """One unit for durations shown side by side (a row, a card): the one ``fmt.hours``
    gives the largest of them, so 2.0天 and 39.2小时 read 2.0天 and 1.6天."""
    known = [float(h) for h in hours if not pd.isna(h)]
    top = max(known, default=0.0)
    if top < 1:
        return MINUTES
    return HOURS if top < 48 else DAYS


def hours_in(h, unit: tuple[str, float, int]) -> str:
    """``h`` hours in ``unit`` (``duration_unit``): 1.6天, 38.9小时, 22分钟."""
    if pd.isna(h):
        return fmt.MISSING
    name, size, digits = unit
    return f"{h / size:,.{digits}f}{name}"


def durations(*hours) -> list[str]:
    """Durations shown together, all in the unit that suits the largest."""
    unit = duration_unit(*hours)
    return [hours_in(h, unit) for h in hours]


def before_after_table(figures: pd.DataFrame) -> pd.DataFrame:
    """The before/after figures (``data.before_after``) as shown: 指标, 之前, 之后, 变化;
    a duration's row in one unit."""
    rows = list(figures[["metric", "before", "after", "change"]].itertuples(index=False))
    shown = [
        durations(r.before, r.after)
        if metrics.unit(r.metric) == "hours"
        else [fmt.value(r.metric, r.before), fmt.value(r.metric, r.after)]
        for r in rows
    ]
    return pd.DataFrame(
        {
            "指标": [metrics.label(r.metric) for r in rows],
            "之前": [before for before, _ in shown],
            "之后": [after for _, after in shown],
            "变化": [fmt.change(r.metric, r.change) or fmt.MISSING for r in rows],
        }
    )


def extremes(dist: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """The slowest and fastest group by median (``data.durations``' first, slowest first), none
    with fewer than two: events without a group (未落格, 未注明) are no unit to name."""
    named = dist[dist["group"].notna()]
    return [("最慢", named.iloc[0]), ("最快", named.iloc[-1])] if len(named) > 1 else []


def measure_name(key: str) -> str:
    """响应时长 / 办理时长: a measure's name without its definition."""
    return MEASURES[key].split("(")[0]


def rank_test_finding(key: str, test: response.RankTest | None) -> str:
    """What the before/after rank test of measure ``key`` says, in words."""
    if test is None:
        return "一侧没有数据,无法检验。"
    faster = test.superiority < 0.5
    p_text = "p < 0.001" if test.p_value < 0.001 else f"p = {test.p_value:.3f}"
    if test.p_value < 0.05:
        verdict = f"之后{'更短' if faster else '更长'},差异显著"
    else:
        verdict = "差异不显著,可能是随机波动"
    unit = "秒" if response.RANK_RESOLUTION_SECONDS[key] == 1 else "整分钟"
    return (
        f"{verdict}(Mann-Whitney 秩和检验,按{unit}比较,{p_text};"
        f"随机抽一件“之后”比一件“之前”{'更长' if not faster else '更短'}的概率 "
        f"{fmt.rate(test.superiority if not faster else 1 - test.superiority)};"
        f"样本 {fmt.count(test.n_before)} / {fmt.count(test.n_after)} 件)"
    )


def build(
    ctx: Context,
    measure: str = "response",
    by: str = "unit",
    log: bool = True,
    pivot: date | None = None,
    days: int = WINDOW,
) -> Panel:
    """The view at the page's choices: 时长, 分组, 对数坐标, and the before/after pivot
    (None: the default one) and window."""
    src, f, compare = ctx.src, ctx.filters, ctx.compare
    comparison = labels.COMPARISON.get(compare, "")
    place = fmt.plain(scope_label(f, src))
    coverage = data.data_range(src)
    choice = pivots(ctx)
    if choice is not None and pivot is None:
        pivot = choice[2]
    sides = data.sides(src, f, pivot, days) if choice is not None else None
    calls = {
        "kpis": partial(data.kpis, src, f, compare, KPIS),
        "durations": partial(data.durations, src, f, measure, by),  # distribution, stages
        "sla": partial(data.sla, src, f),
    }
    if sides is not None:
        calls["before_after"] = partial(data.before_after, src, sides)
        calls["rank_tests"] = partial(data.rank_tests, src, sides)
    data.prefetch(*calls.values())
    kpis = calls["kpis"]()
    dist, stages = calls["durations"]()
    if choice is None:
        compared = _before_after(
            None, None, None, pivot, place, f"数据只有 {fmt.day(coverage.first_day)} 一天"
        )
    elif sides is None:
        compared = _before_after(None, None, None, pivot, place, "")
    else:
        compared = _before_after(
            sides, calls["before_after"](), calls["rank_tests"](), pivot, place, ""
        )
    return Panel(
        TITLE,
        (
            _distribution(dist, kpis, comparison, measure, by, log, place),
            _stages(stages, by, place),
            _sla(calls["sla"](), kpis, comparison, place),
            compared,
        ),
    )


def _distribution(dist, kpis, comparison, measure, by, log, place) -> Section:
    title = MEASURES[measure]
    figures = []
    if f"{measure}_median" in set(kpis["metric"]):
        figures += kpi_figures(kpis, comparison, [f"{measure}_median"])
    for name, row in extremes(dist):
        median, p90 = durations(row["p50"], row["p90"])
        figures.append(KeyFigure(f"中位数{name}", row["label"], f"中位数 {median} · P90 {p90}"))
    name = f"{title[:4]}分布_按{GROUPS[by]}_{place}"
    download = None
    if not dist.empty:
        table = pd.DataFrame(
            {GROUPS[by]: dist["label"], "件数": dist["n"]}
            | {f"{k.upper()}(小时)": dist[k].round(2) for k in response.QUANTILES}
        )
        download = Download(table, name)
    return Section(
        "resp_dist",
        f"{title} · 按{GROUPS[by]}",
        "箱体 25%–75%,须至 P10 与 P90" + (";对数坐标" if log else ""),
        chart=charts.hours_boxes(dist.head(ROWS), title, log) if not dist.empty else None,
        figures=tuple(figures),
        empty=NO_DURATIONS[measure],
        name=name,
        download=download,
    )


def _stages(stages, by, place) -> Section:
    figures = []
    for metric in response.STAGE_METRICS:
        known = stages.dropna(subset=[metric])
        if not known.empty:
            row = known.loc[known[metric].idxmax()]
            figures.append(
                KeyFigure(f"{metrics.label(metric)}最长", row["label"], fmt.hours(row[metric]))
            )
    drawn = not stages.empty and not stages[list(response.STAGE_METRICS)].isna().all().all()
    name = f"各环节时长_按{GROUPS[by]}_{place}"
    download = None
    if drawn:
        table = pd.DataFrame(
            {GROUPS[by]: stages["label"]}
            | {metrics.label(k): stages[k].round(2) for k in response.STAGE_METRICS}
        )
        download = Download(table, name)
    return Section(
        "resp_stages",
        f"各环节时长中位数 · 按{GROUPS[by]}",
        "每段为该环节时长的中位数,单位小时",
        chart=charts.stage_bars(stages.head(ROWS)) if drawn else None,
        figures=tuple(figures),
        empty=(
            "所选范围内没有走完任何一个环节的事件(受理、转办、处置、反馈都未记录)。"
            if not stages.empty
            else NO_EVENTS
        ),
        name=name,
        download=download,
    )


def _sla(compliance, kpis, comparison, place) -> Section:
    figures = list(kpi_figures(kpis, comparison, ["on_time_rate"]))
    notes, download = (), None
    name = f"承诺时限达成_{place}"
    if not compliance.empty:
        row = compliance.iloc[0]
        figures.append(
            KeyFigure(
                "按时办结率最低的办理类型",
                labels.of("handling_type", row["handling_type"]),
                f"按时办结率 {fmt.rate(row['on_time_rate'])}",
                "bad",
            )
        )
        if compliance["handling_type"].isna().all():
            notes = ("数据没有记录办理类型:有时限的事件合为一行(未注明)。",)
        table = pd.DataFrame(
            {
                "办理类型": compliance["handling_type"].map(
                    lambda h: labels.of("handling_type", h)
                ),
                "有时限事件": compliance["total"],
                **{charts.SLA_NAMES[s]: compliance[s] for s in response.SLA_STATES},
                "按时办结率": compliance["on_time_rate"].map(fmt.rate),
            }
        )
        download = Download(table, name)
    return Section(
        "resp_sla",
        "承诺时限达成 · 按办理类型",
        "括号内为按时办结率",
        chart=charts.sla_bars(compliance) if not compliance.empty else None,
        figures=tuple(figures),
        notes=notes,
        empty="所选范围内没有设定办结时限的事件。",
        name=name,
        download=download,
    )


def _before_after(sides, figures, tests, pivot, place, single_day) -> Section:
    """前后对比; ``single_day`` says why there is no pivot to choose, when there is none."""
    if single_day:
        empty = f"前后对比需要至少两天的数据:{single_day},没有可选的分界日期。"
    else:
        empty = "分界日期前后都需要有数据。"
    about, tables, notes, download = "", (), (), None
    if sides is not None:
        about = (
            f"之前:{fmt.period(sides.before.start, sides.before.end)};"
            f"之后:{fmt.period(sides.after.start, sides.after.end)}"
        )
        table = before_after_table(figures)
        tables = (Table(table),)
        notes = tuple(
            f"{measure_name(key)}:{rank_test_finding(key, test)}" for key, test in tests.items()
        )
        download = Download(table, f"前后对比_{pivot}_{place}")
    return Section(
        "resp_before_after",
        "前后对比 · 改进是否真实",
        about,
        tables=tables,
        notes=notes,
        empty=empty,
        hint="范围与维度按左侧筛选" if sides is not None else "",
        name=f"前后对比_{pivot}_{place}",
        download=download,
    )
