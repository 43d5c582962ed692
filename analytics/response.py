"""响应时效: how long events wait, by group; where the time goes; whether a change is real.

响应时长 and 办理时长 are the metrics of ``analytics.metrics`` (accepted − reported, closed −
reported, in hours; median and P90, exact). Distributions are summarised in the database as
quantiles, so no event row leaves it; the before/after test ranks the distinct values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from analytics import labels, metrics
from analytics.closure import drill_level, unit_titles
from analytics.filters import Filters, apply_scope, in_period, period_bounds
from analytics.queries import DataRange, aggregate, metric_table, tagged_events

MEASURES = {"response": ("reported_at", "accepted_at"), "handling": ("reported_at", "closed_at")}
RANK_RESOLUTION_SECONDS = {"response": 1, "handling": 60}  # see rank_tests
QUANTILES = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}
STAGE_METRICS = ("stage_accept", "stage_dispatch", "stage_handle", "stage_feedback")
SLA_STATES = ("on_time", "late", "open_overdue", "open_due")


def group_column(by: str, f: Filters) -> str:
    """``unit`` means one level below the sidebar's scope (as on the 办结率 page)."""
    return drill_level(f) if by == "unit" else by


def _hours(t, measure: str):
    """The measure's hours and the events it is defined for (accepted, or closed, by as_of:
    the same predicates as 响应时长 and 办理时长 in ``analytics.metrics``)."""
    start, end = MEASURES[measure]
    reached = metrics.accepted(t) if measure == "response" else metrics.closed(t)
    return metrics.hours_between(t[start], t[end]), reached


def distribution(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    measure: str = "response",
    by: str = "channel",
    titles: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Per group: n and the 10/25/50/75/90th percentiles of the measure in hours, slowest
    median first. Events not yet accepted (or closed) are not in the distribution.
    ``titles``: ``closure.unit_titles`` when the caller holds them (else queried)."""
    column = group_column(by, f)
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end)).mutate(as_of=ibis.literal(coverage.as_of))
    hours, reached = _hours(t, measure)
    t = t.filter(reached).mutate(h=hours)
    t = t.mutate(group=t[column])
    aggs = {"n": t.count()} | {name: t.h.quantile(q) for name, q in QUANTILES.items()}
    df = aggregate(t, ["group"], aggs)  # the five quantiles as one
    df["label"] = _labels(con, column, df["group"], titles)
    return df.sort_values(["p50", "group"], ascending=[False, True]).reset_index(drop=True)


def _labels(
    con: BaseBackend, column: str, values: pd.Series, titles: dict[str, str] | None = None
) -> pd.Series:
    """Chinese names of the groups: unit names (未指定街道 … for events without one;
    ``titles`` or ``closure.unit_titles``), or the label catalogue's, or the value; 未注明
    for a missing code."""
    if column.endswith("_id"):
        names = unit_titles(con) if titles is None else titles
        return values.map(lambda v: labels.unit(names, column, v))
    return values.map(lambda v: labels.of(column, v))


def stage_breakdown(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    by: str = "handling_type",
    titles: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Median hours of each lifecycle stage (受理, 转办, 处置, 反馈) per group (``titles`` as
    for :func:`distribution`)."""
    column = group_column(by, f)
    df = metric_table(con, f, coverage, STAGE_METRICS, by=[column], compare=None)
    df = df.rename(columns={column: "group"})
    df = df.drop(columns=[c for c in df.columns if c.endswith("_prev")])
    df["label"] = _labels(con, column, df["group"], titles)
    return df.reset_index(drop=True)


def durations(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    measure: str = "response",
    by: str = "channel",
    titles: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`distribution` and :func:`stage_breakdown` of the same groups from one scan:
    the percentiles are taken over the events the measure is defined for (``where``), the
    stages' medians over every event of the period, as each function takes them."""
    column = group_column(by, f)
    t = tagged_events(con, f, coverage, None)
    t = t.mutate(records_acceptance=ibis.literal(coverage.records_acceptance))
    hours, reached = _hours(t, measure)
    t = t.mutate(h=hours, reached=reached)
    t = t.mutate(group=t[column])
    aggs = {"n": t.count(where=t.reached)}
    aggs |= {name: t.h.quantile(q, where=t.reached) for name, q in QUANTILES.items()}
    aggs |= {name: metrics.METRICS[name].reduce(t) for name in STAGE_METRICS}
    both = aggregate(t, ["group"], aggs)  # the five quantiles as one
    dist = both.loc[both["n"] > 0, ["group", "n", *QUANTILES]].reset_index(drop=True)
    dist["label"] = _labels(con, column, dist["group"], titles)
    dist = dist.sort_values(["p50", "group"], ascending=[False, True]).reset_index(drop=True)
    stages = both[["group", *STAGE_METRICS]].copy()  # as metric_table gives them
    for name in STAGE_METRICS:
        stages[name] = pd.to_numeric(stages[name], errors="coerce").astype("float64")
    stages = stages.sort_values("group").reset_index(drop=True)
    stages["label"] = _labels(con, column, stages["group"], titles)
    return dist, stages


def sla(con: BaseBackend, f: Filters, coverage: DataRange) -> pd.DataFrame:
    """Per handling type, the events with a deadline: closed on time, closed late, open past
    the deadline, open and not yet due; and 按时办结率 (metrics.md) beside them."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end) & t.deadline_at.notnull())
    t = t.mutate(as_of=ibis.literal(coverage.as_of))
    closed = metrics.closed(t)
    states = {
        "on_time": closed & (t.closed_at <= t.deadline_at),
        "late": closed & (t.closed_at > t.deadline_at),
        "open_overdue": ~closed & (t.deadline_at < t.as_of),
        "open_due": ~closed & (t.deadline_at >= t.as_of),
    }
    aggs = {name: t.count(where=cond) for name, cond in states.items()}
    rate = metrics.METRICS["on_time_rate"].reduce(t)  # its own eligibility already needs a deadline
    df = t.group_by("handling_type").aggregate(total=t.count(), **aggs, on_time_rate=rate)
    df = df.execute()
    df["on_time_rate"] = pd.to_numeric(df["on_time_rate"], errors="coerce").astype("float64")
    return df.sort_values(["on_time_rate", "handling_type"]).reset_index(drop=True)


# ---------------------------------------------------------------- before / after


@dataclass(frozen=True)
class Sides:
    before: Filters
    after: Filters


def pivot_bounds(coverage: DataRange) -> tuple[date, date] | None:
    """The earliest and latest pivot day that leaves a day of data on each side; None when
    the data spans a single day."""
    if coverage.last_day <= coverage.first_day:
        return None
    return coverage.first_day + timedelta(days=1), coverage.last_day


def default_pivot(coverage: DataRange) -> date:
    """The demo district's 2025 reform when the data spans it, else the month start nearest
    the middle of the data (the middle day itself when that month started before the data),
    always within :func:`pivot_bounds` when there are any."""
    from analytics.demo.build import REFORM

    reform = pd.Timestamp(REFORM).date()
    if coverage.first_day < reform <= coverage.last_day:
        return reform
    bounds = pivot_bounds(coverage)
    if bounds is None:
        return coverage.last_day
    low, high = bounds
    middle = coverage.first_day + (coverage.last_day - coverage.first_day) / 2
    pivot = middle.replace(day=1)
    if pivot < low:
        pivot = middle
    return min(max(pivot, low), high)


def sides(f: Filters, coverage: DataRange, pivot: date, days: int) -> Sides | None:
    """``days`` on each side of ``pivot`` (the pivot day is "after"), within the data, with
    the sidebar's scope and dimensions. None when either side has no day of data."""
    before_start = max(pivot - timedelta(days=days), coverage.first_day)
    after_end = min(pivot + timedelta(days=days - 1), coverage.last_day)
    if pivot <= coverage.first_day or pivot > coverage.last_day or before_start >= pivot:
        return None
    return Sides(
        f.with_period(before_start, pivot - timedelta(days=1)), f.with_period(pivot, after_end)
    )


BEFORE_AFTER_METRICS = (
    "intake",
    "response_median",
    "response_p90",
    "handling_median",
    "handling_p90",
    "on_time_rate",
)


def _both_sides(t, s: Sides):
    """The events of either side, with ``after`` (0 or 1): one scan serves both sides."""
    t = t.filter(in_period(t, s.before.start, s.after.end))
    lo, _ = period_bounds(s.after.start, s.after.end)
    return t.mutate(after=(t.reported_at >= ibis.literal(lo)).cast("int8"))


def before_after(con: BaseBackend, s: Sides, coverage: DataRange) -> pd.DataFrame:
    """The figures of both sides: metric, before, after, change (as the cards show it).
    Both sides are reduced in one pass over the events of their whole span."""
    span = s.before.with_period(s.before.start, s.after.end)
    df = metric_table(
        con,
        span,
        coverage,
        BEFORE_AFTER_METRICS,
        by=["after"],
        compare=None,
        prepare=lambda t: _both_sides(t, s),
    ).set_index("after")
    empty = pd.Series(dtype="float64")
    rows = {side: df.loc[side] if side in df.index else empty for side in (0, 1)}
    figures = pd.DataFrame(
        {
            "metric": list(BEFORE_AFTER_METRICS),
            "before": [rows[0].get(k, _none(k)) for k in BEFORE_AFTER_METRICS],
            "after": [rows[1].get(k, _none(k)) for k in BEFORE_AFTER_METRICS],
        }
    )
    pairs = zip(figures["metric"], figures["after"], figures["before"], strict=True)
    figures["change"] = [metrics.change(k, a, b) for k, a, b in pairs]
    return figures


def _none(metric: str):
    """A side with no events: zero events, no rate or duration."""
    return 0 if metrics.METRICS[metric].unit == "count" else float("nan")


@dataclass(frozen=True)
class RankTest:
    """Mann-Whitney U test (two-sided, normal approximation with tie and continuity
    corrections): are values after the pivot systematically larger or smaller?"""

    n_before: int
    n_after: int
    u: float  # U of the "after" sample
    z: float
    p_value: float
    superiority: float  # P(a random "after" value > a random "before" value), ties count ½


def mann_whitney(before: pd.DataFrame, after: pd.DataFrame) -> RankTest | None:
    """The test on two samples given as distinct values with counts (columns v, n)."""
    counts = pd.concat([before.assign(side=0), after.assign(side=1)])
    table = counts.pivot_table(index="v", columns="side", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=[0, 1], fill_value=0)
    return _ranked((table[0] + table[1]).to_numpy(), table[1].to_numpy())


def _ranked(n: np.ndarray, n1: np.ndarray) -> RankTest | None:
    """The test from the count of each distinct value (``n``, in ascending order of value) and
    how many of them are "after" (``n1``): each value's average rank is the count below it
    plus (n + 1) / 2. The rank sum is summed in integers, doubled, so it is exact."""
    n, n1 = np.asarray(n, dtype=np.int64), np.asarray(n1, dtype=np.int64)
    below = np.cumsum(n) - n
    rank_sum = float((n1 * (2 * below + n + 1)).sum()) / 2
    ties = n.astype(np.float64)
    tie_term = float((ties**3 - ties).sum())
    total, after = int(n.sum()), int(n1.sum())
    return _u_test(total - after, after, rank_sum, tie_term)


def _u_test(n0: int, n1: int, rank_sum: float, tie_term: float) -> RankTest | None:
    """U, z and the two-sided p-value from the "after" sample's rank sum (average ranks for
    ties) and Σ(t³ − t) over tie groups."""
    if n0 == 0 or n1 == 0:
        return None
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n0 + n1
    variance = n0 * n1 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    expected = n0 * n1 / 2
    if variance <= 0:
        z, p = 0.0, 1.0
    else:
        z = max(abs(u - expected) - 0.5, 0.0) / math.sqrt(variance)
        z = z if u >= expected else -z
        p = math.erfc(abs(z) / math.sqrt(2))
    return RankTest(n0, n1, u, z, p, u / (n0 * n1))


def rank_tests(con: BaseBackend, s: Sides, coverage: DataRange) -> dict[str, RankTest | None]:
    """Mann-Whitney on each measure before vs after the pivot: one query for both measures
    counts each distinct value, in order, and how many of it are after the pivot; the average
    ranks are summed from those counts (``_ranked``). Ranking the counts in the database (a
    window over them) took half the query's time, where numpy takes a millisecond.

    Handling times (hours to days) are ranked in whole minutes: a second's difference
    between two day-long cases says nothing about a reform, and ranking ~50k distinct
    minutes instead of ~500k distinct seconds (1M events) is four times faster. Response
    times keep their seconds: many are under a minute, and only ~60k values are distinct.
    Ties are corrected for as usual."""
    t = apply_scope(con.table("events"), s.before)
    t = _both_sides(t, s).mutate(as_of=ibis.literal(coverage.as_of))
    parts = []
    for code, measure in enumerate(MEASURES):
        _, reached = _hours(t, measure)
        start, end = MEASURES[measure]
        step = RANK_RESOLUTION_SECONDS[measure]
        r = t.filter(reached)  # the values built on ``r`` itself: Ibis need not re-bind them
        v = ((r[end].epoch_seconds() - r[start].epoch_seconds()) / step).floor()
        measure_code = ibis.literal(code, "int8")  # a number groups faster than its name
        parts.append(r.select(measure=measure_code, v=v, after=r.after))
    both = ibis.union(*parts)
    counts = (
        both.group_by(["measure", "v"])
        .aggregate(n=both.count(), n1=both.count(where=both.after == 1))
        .order_by(["measure", "v"])
        .execute()
    )
    tests: dict[str, RankTest | None] = {}
    for code, measure in enumerate(MEASURES):
        rows = counts[counts["measure"] == code]
        tests[measure] = _ranked(rows["n"].to_numpy(), rows["n1"].to_numpy())
    return tests
