"""Every metric of ``shared/design/metrics.md``, defined once.

A metric is an Ibis reduction over a table of events that carries an ``as_of`` column: the
instant the figure is measured at. For the selected period that is the data's ``as_of``; for
a comparison period it is shifted by the same offset, so that last year's 办结率 is measured
with the same lag after its period as this year's (like for like), and one query can
compute both periods side by side. Derived metrics (density, workload, changes) are plain
functions of aggregated figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table

RESPONSE_THRESHOLD_HOURS = 2.0
BACKLOG_BUCKETS = (
    ("le_1d", 0, 1),
    ("1_3d", 1, 3),
    ("3_7d", 3, 7),
    ("7_30d", 7, 30),
    ("gt_30d", 30, None),
)
MIN_EVENTS_TO_COMPARE = 30


def hours_between(start, end):
    """Hours from ``start`` to ``end`` (NULL when either is NULL). The seconds are made a
    double before dividing: Spark reads ``3600.0`` as a decimal and would round the hours to
    six places, DuckDB computes in doubles."""
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0


def closed(t: Table):
    return t.closed_at.notnull() & (t.closed_at <= t.as_of)


def accepted(t: Table):
    return t.accepted_at.notnull() & (t.accepted_at <= t.as_of)


def known(t: Table):
    """Feedback (rating, confirmation) is known once the event closed by ``as_of``
    (or carries no close time at all)."""
    return t.closed_at.isnull() | (t.closed_at <= t.as_of)


def open_at_as_of(t: Table):
    return (t.reported_at <= t.as_of) & ~closed(t)


def overdue_at_as_of(t: Table):
    """Open at as_of and past its deadline (超期): what ``overdue`` counts."""
    return open_at_as_of(t) & (t.deadline_at < t.as_of)


def on_time_eligible(t: Table):
    """Has a deadline that has come (or is closed already): what 按时办结率 is taken over."""
    return t.deadline_at.notnull() & ((t.deadline_at <= t.as_of) | closed(t))


def on_time(t: Table):
    """Closed by its deadline."""
    return closed(t) & (t.closed_at <= t.deadline_at)


def responded_within(t: Table, threshold_hours: float):
    """Accepted within ``threshold_hours`` of being reported: what 响应率 counts."""
    return accepted(t) & (hours_between(t.reported_at, t.accepted_at) <= threshold_hours)


def one_of(column, values):
    """``column IN values`` spelled as ``column = v1 OR column = v2 …``.

    The same three-valued result (NULL for a NULL column), but DuckDB evaluates equality on
    strings about twice as fast as an IN list, which matters over millions of events.
    """
    values = list(values)
    if not values:
        return column.isin([])
    pred = column == values[0]
    for value in values[1:]:
        pred = pred | (column == value)
    return pred


def _count(t: Table, where: Callable[[Table], object] | None):
    return t.count() if where is None else t.count(where=where(t))


@dataclass(frozen=True)
class Count:
    """A figure that counts events: those where ``where`` holds (every event when None).

    Counts of groups add up, so one scan by fine groups (grid × month × period) gives the
    figure of any coarser group: ``parts`` are the counts to sum, ``combine`` the figure from
    their sums.
    """

    where: Callable[[Table], object] | None = None

    def parts(self, t: Table) -> tuple:
        return (_count(t, self.where),)

    def reduce(self, t: Table):
        return self.parts(t)[0]

    @staticmethod
    def combine(n: np.ndarray) -> np.ndarray:
        return np.asarray(n).astype("int64")


@dataclass(frozen=True)
class Share:
    """A rate of two counts: the events where ``where`` holds among those where ``among``
    holds (every event when None); NULL (NaN) when there are none. Like :class:`Count`, its
    ``parts`` add up across groups; ``combine`` divides their sums as the database divides
    (both counts as float64, exactly)."""

    where: Callable[[Table], object]
    among: Callable[[Table], object] | None = None

    def parts(self, t: Table) -> tuple:
        return (_count(t, self.where), _count(t, self.among))

    def reduce(self, t: Table):
        part, whole = self.parts(t)
        return part / whole.nullif(0)

    @staticmethod
    def combine(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
        whole = np.asarray(whole, dtype="float64")
        return np.asarray(part) / np.where(whole != 0, whole, np.nan)


def _both(first, second) -> Callable[[Table], object]:
    return lambda t: first(t) & second(t)


INTAKE = Count()
CLOSED = Share(closed)
ON_TIME = Share(_both(on_time_eligible, on_time), on_time_eligible)
BACKLOG = Count(open_at_as_of)
OVERDUE = Count(overdue_at_as_of)
REPEATS = Share(lambda t: t.repeat_of.notnull())
intake, closure_rate, on_time_rate = INTAKE.reduce, CLOSED.reduce, ON_TIME.reduce


def response_hours(q: float) -> Callable[[Table], object]:
    def reduce(t: Table):
        return hours_between(t.reported_at, t.accepted_at).quantile(q, where=accepted(t))

    return reduce


def handling_hours(q: float) -> Callable[[Table], object]:
    def reduce(t: Table):
        return hours_between(t.reported_at, t.closed_at).quantile(q, where=closed(t))

    return reduce


STAGES = (
    ("accept", "reported_at", "accepted_at"),
    ("dispatch", "accepted_at", "dispatched_at"),
    ("handle", "dispatched_at", "handled_at"),
    ("feedback", "handled_at", "closed_at"),
)


def stage_hours(stage: str, q: float = 0.5) -> Callable[[Table], object]:
    """Median (or quantile ``q``) of one lifecycle gap, over events that reached both ends."""
    _, start, end = next(s for s in STAGES if s[0] == stage)

    def reduce(t: Table):
        reached = t[start].notnull() & t[end].notnull() & (t[end] <= t.as_of)
        return hours_between(t[start], t[end]).quantile(q, where=reached)

    return reduce


def response_rate(threshold_hours: float = RESPONSE_THRESHOLD_HOURS) -> Callable[[Table], object]:
    def reduce(t: Table):
        fast = responded_within(t, threshold_hours)
        rate = t.count(where=fast) / t.count().nullif(0)
        if "records_acceptance" not in t.columns:
            return rate
        # A source that records no acceptance at all (many 311 and 问政 exports; decided once
        # for the data, ``DataRange.records_acceptance``) has no response rate, not 0 %.
        return ibis.ifelse(t.records_acceptance.max(), rate, ibis.null("float64"))

    return reduce


def _rated(t: Table):
    return t.satisfaction.notnull() & known(t)


def _asked(t: Table):
    return t.resolved.notnull() & known(t)


def _level_known(t: Table):
    return closed(t) & t.resolved_level.notnull()  # an unrecorded level is no evidence


SATISFIED = Share(_both(_rated, lambda t: one_of(t.satisfaction, ("satisfied", "basic"))), _rated)
RESOLVED = Share(_both(_asked, lambda t: t.resolved), _asked)


def resolved_at_or_below(levels: tuple[str, ...]) -> Share:
    return Share(_both(_level_known, lambda t: one_of(t.resolved_level, levels)), _level_known)


satisfaction_rate, resolution_rate = SATISFIED.reduce, RESOLVED.reduce
backlog, overdue, repeat_rate = BACKLOG.reduce, OVERDUE.reduce, REPEATS.reduce


@dataclass(frozen=True)
class Metric:
    """A named figure: its Chinese label, unit, which direction is better, and its reduction."""

    name: str
    label: str
    unit: str  # "count", "rate" or "hours"
    better: str  # "higher", "lower" or "neutral"
    description: str
    reduce: Callable[[Table], object] | None = None  # None: ``counts.reduce``
    counts: Count | Share | None = None  # a figure made of counts, which add up over groups

    def __post_init__(self) -> None:
        if self.reduce is None:
            object.__setattr__(self, "reduce", self.counts.reduce)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            name="intake",
            label="受理量",
            unit="count",
            better="neutral",
            description="期内上报的事件数",
            counts=INTAKE,
        ),
        Metric(
            name="closure_rate",
            label="办结率",
            unit="rate",
            better="higher",
            description="截至数据日已办结 / 受理量",
            counts=CLOSED,
        ),
        Metric(
            name="on_time_rate",
            label="按时办结率",
            unit="rate",
            better="higher",
            description="按期办结 / (已到期或已办结且有时限的事件)",
            counts=ON_TIME,
        ),
        Metric(
            name="response_median",
            label="响应时长中位数",
            unit="hours",
            better="lower",
            description="受理时间 − 上报时间 的中位数(小时)",
            reduce=response_hours(0.5),
        ),
        Metric(
            name="response_p90",
            label="响应时长P90",
            unit="hours",
            better="lower",
            description="受理时间 − 上报时间 的90分位(小时)",
            reduce=response_hours(0.9),
        ),
        Metric(
            name="handling_median",
            label="办理时长中位数",
            unit="hours",
            better="lower",
            description="办结时间 − 上报时间 的中位数(小时,仅已办结)",
            reduce=handling_hours(0.5),
        ),
        Metric(
            name="handling_p90",
            label="办理时长P90",
            unit="hours",
            better="lower",
            description="办结时间 − 上报时间 的90分位(小时,仅已办结)",
            reduce=handling_hours(0.9),
        ),
        Metric(
            name="response_rate",
            label="响应率",
            unit="rate",
            better="higher",
            description=f"{RESPONSE_THRESHOLD_HOURS:g}小时内受理 / 受理量",
            reduce=response_rate(),
        ),
        Metric(
            name="satisfaction_rate",
            label="满意率",
            unit="rate",
            better="higher",
            description="(满意 + 基本满意) / 已评价",
            counts=SATISFIED,
        ),
        Metric(
            name="resolution_rate",
            label="解决率",
            unit="rate",
            better="higher",
            description="已解决 / 已回访",
            counts=RESOLVED,
        ),
        Metric(
            name="grid_level_rate",
            label="网格内解决率",
            unit="rate",
            better="higher",
            description="小事不出网格:网格层级办结 / 已办结(记录了办结层级的)",
            counts=resolved_at_or_below(("grid",)),
        ),
        Metric(
            name="community_level_rate",
            label="社区内解决率",
            unit="rate",
            better="higher",
            description="大事不出社区:网格及社区层级办结 / 已办结(记录了办结层级的)",
            counts=resolved_at_or_below(("grid", "community")),
        ),
        Metric(
            name="street_level_rate",
            label="街道内解决率",
            unit="rate",
            better="higher",
            description="难事不出街道:街道及以下层级办结 / 已办结(记录了办结层级的)",
            counts=resolved_at_or_below(("grid", "community", "street")),
        ),
        Metric(
            name="backlog",
            label="积压",
            unit="count",
            better="lower",
            description="统计期内受理、截至数据日仍未办结的事件数",
            counts=BACKLOG,
        ),
        Metric(
            name="overdue",
            label="超期",
            unit="count",
            better="lower",
            description="积压中已超过承诺时限的事件数",
            counts=OVERDUE,
        ),
        *(
            Metric(
                name=f"stage_{stage}",
                label=f"{title}环节时长中位数",
                unit="hours",
                better="lower",
                description=f"{span} 的中位数(小时,两端都已发生的事件)",
                reduce=stage_hours(stage),
            )
            for stage, title, span in (
                ("accept", "受理", "受理时间 − 上报时间"),
                ("dispatch", "转办", "转办时间 − 受理时间"),
                ("handle", "处置", "处置时间 − 转办时间"),
                ("feedback", "反馈", "办结时间 − 处置时间"),
            )
        ),
        Metric(
            name="repeat_rate",
            label="重复诉求率",
            unit="rate",
            better="lower",
            description="重复诉求 / 受理量",
            counts=REPEATS,
        ),
    )
}

DERIVED: dict[str, tuple[str, str, str]] = {
    "density": ("每千户事件数", "count", "受理量 / 户数 × 1000"),
    "workload": ("人均月事件数", "count", "受理量 / 专职网格员 / 月数"),
}


def better(name: str) -> str:
    """Which way ``name`` improves: "higher", "lower" or "neutral" (also for unknown names)."""
    return METRICS[name].better if name in METRICS else "neutral"


def higher_is_worse(name: str) -> bool:
    """For colouring a map: darker means more attention. A metric that is better when higher
    (办结率) reads the other way; counts, densities and durations darken as they grow."""
    return better(name) != "higher"


def label(name: str) -> str:
    if name in METRICS:
        return METRICS[name].label
    return DERIVED[name][0]


def description(name: str) -> str:
    """The definition shown beside a metric or a derived figure."""
    return METRICS[name].description if name in METRICS else DERIVED[name][2]


def unit(name: str) -> str:
    """``count``, ``rate`` or ``hours`` for a metric or a derived figure."""
    return METRICS[name].unit if name in METRICS else DERIVED[name][1]


def density(intake_count, households):
    """每千户事件数: intake per 1,000 households (NaN where households is 0 or unknown)."""
    households = pd.to_numeric(households, errors="coerce")
    return np.divide(intake_count * 1000.0, households.where(households > 0))


def workload(intake_count, full_time_workers, months: float):
    """人均事件数: intake per full-time grid worker per month."""
    workers = pd.to_numeric(full_time_workers, errors="coerce")
    return np.divide(intake_count, workers.where(workers > 0) * months)


def _numeric(x) -> pd.Series:
    return pd.to_numeric(pd.Series(x), errors="coerce").astype("float64")


def _same_shape(out: pd.Series, current):
    """A Series for Series input (aligned to it), a float for a scalar."""
    if isinstance(current, pd.Series):
        return out.set_axis(current.index)
    return float(out.iloc[0])


def _number(x) -> float | None:
    """A plain number as the float ``_numeric`` makes of it; None for anything else. The
    cards ask for one change at a time, where a Series costs ~0.2 ms."""
    if isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool):
        return float(x)
    return None


def relative_change(current, previous):
    """同比/环比 as a fraction, (current − previous) / previous; NaN when previous is 0."""
    cur, prev = _number(current), _number(previous)
    if cur is not None and prev is not None:
        return (cur - prev) / prev if prev != 0 else math.nan
    cur, prev = _numeric(current), _numeric(previous)
    return _same_shape((cur.values - prev) / prev.where(prev != 0), current)


def change(name: str, current, previous):
    """The change shown beside a metric: points for rates, relative change otherwise."""
    if unit(name) == "rate":
        cur, prev = _number(current), _number(previous)
        if cur is not None and prev is not None:
            return cur - prev
        cur, prev = _numeric(current), _numeric(previous)
        return _same_shape(cur - prev.values, current)
    return relative_change(current, previous)


def backlog_bucket(t: Table):
    """Age bucket (key of ``BACKLOG_BUCKETS``) of an open event at ``as_of``."""
    age_days = hours_between(t.reported_at, t.as_of) / 24.0
    cases = [(age_days <= hi, key) for key, _, hi in BACKLOG_BUCKETS if hi is not None]
    return ibis.cases(*cases, else_=BACKLOG_BUCKETS[-1][0])
