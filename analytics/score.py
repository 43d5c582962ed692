"""综合指数: one score per unit and period, the way Boston's CityScore makes one of many
figures (``docs/score.md`` says the same for users).

For each metric with a target for the unit (``targets.Book.for_unit``, the unit's own or the
nearest above it; a count's only the unit's own) and a figure in the period,
r = ``targets.ratio`` (value / target for
``>=``, target / value for ``<=``; 1 on target, more when better), capped at ``cap`` so that
one excellent figure cannot hide a failing one (an infinite ratio, a ``<=`` figure of 0,
becomes the cap). The score is the weighted mean Σ w·min(r, cap) / Σ w over those metrics:
1.00 is on target on average. A metric without a target, without a figure (a rate over no
events) or with weight 0 does not contribute; a period without events has no score (its
counts of 0 would otherwise read as a perfect backlog), nor has one where nothing contributes.

Every metric a target can be set for (``targets.TARGETABLE``: those of ``metrics.METRICS``
with a better direction) has a reduction, so ``queries.metric_table`` computes each of them;
none is skipped. The derived figures (``metrics.DERIVED``: density, workload) take no target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from analytics import access, metrics, rankings, targets
from analytics import formats as fmt
from analytics.filters import Filters, in_period
from analytics.queries import DataRange, kpis, metric_table, monthly_kpis
from analytics.settings import Settings

DEFAULT_CAP = Settings.score_cap
# CityScore's four windows, each ending on the data's last day.
WINDOWS = {"day": "近1天", "week": "近7天", "month": "近30天", "quarter": "近90天"}
WINDOW_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90}
SCORE_DIGITS = 2  # scores are shown, compared and tied at 0.01
PART_COLUMNS = ["metric", "label", "value", "target_text", "ratio", "capped", "weight", "status"]
UNIT_LEVELS = ("street_id", "community_id", "grid_id")

# A score of at least 1.00 is on target on average; AMBER_FROM up to 1.00 is close.
AMBER_FROM = 0.95

Weights = Mapping[str, float] | Sequence[tuple[str, float]]


def status(x: float) -> str | None:
    """A score's status in the targets' colours: green from 1.00, amber from ``AMBER_FROM``,
    red below; None without a score."""
    if x is None or pd.isna(x):
        return None
    x = round(float(x), SCORE_DIGITS)
    return "green" if x >= 1 else "amber" if x >= AMBER_FROM else "red"


def weight_of(metric: str, weights: Weights) -> float:
    """``metric``'s weight in ``weights`` (a mapping or ``Settings.score_weights``' pairs);
    1 for a metric not named, so that no weights at all means a plain mean."""
    found = dict(weights).get(metric)
    return 1.0 if found is None else float(found)


@dataclass(frozen=True)
class Score:
    """A unit's score in a period: ``value`` (NaN when no metric contributes), the
    contributing metrics as ``parts`` (``PART_COLUMNS``: Σ capped·weight / Σ weight is
    ``value``), how many of them are on target (``met``, status green) of ``total``."""

    value: float
    parts: pd.DataFrame
    met: int
    total: int

    @property
    def text(self) -> str:
        return score_text(self.value)


def _parts(
    values: Mapping[str, object],
    book: targets.Book,
    unit_id: str | None,
    parents: Mapping[str, str | None],
    weights: Weights,
    cap: float,
) -> list[tuple]:
    """The contributing metrics of ``values`` (metric → figure), in their order: (metric,
    value, target, ratio, capped ratio, weight, status); none when ``values`` has an intake
    of 0 (a period without events has no score). Plain Python: units are scored by the
    hundred."""
    intake = values.get("intake", 1)
    if intake is None or not (intake == intake and intake > 0):
        return []
    chain = targets.chain(unit_id, parents)
    weight = dict(weights)
    out = []
    for metric, value in values.items():
        if metric not in targets.TARGETABLE:
            continue
        t = book.resolve(metric, chain)
        ratio = targets.ratio(value, t)
        w = float(weight.get(metric, 1.0))
        if math.isnan(ratio) or w <= 0:
            continue
        status = targets.status(value, t)
        out.append((metric, float(value), t, ratio, min(ratio, cap), w, status))
    return out


def _value(parts: list[tuple]) -> float:
    """Σ capped·weight / Σ weight over the contributing metrics (the score's one formula)."""
    return sum(p[4] * p[5] for p in parts) / sum(p[5] for p in parts) if parts else math.nan


def score_of(
    values: Mapping[str, object],
    book: targets.Book,
    unit_id: str | None,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> tuple[float, int, int]:
    """:func:`unit_score`'s value, met and total from a mapping metric → figure, without its
    table of parts: what ranking every unit needs."""
    parts = _parts(values, book, unit_id, parents, weights, cap)
    return _value(parts), sum(1 for p in parts if p[6] == "green"), len(parts)


def unit_score(
    figures: pd.DataFrame,
    book: targets.Book,
    unit_id: str | None,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> Score:
    """The score of ``figures`` (a ``metric`` and a ``value`` column, like ``queries.kpis``)
    against ``unit_id``'s targets. With an ``intake`` row of 0 the period had no events and
    no score."""
    values = dict(zip(figures["metric"], figures["value"], strict=True))
    parts = _parts(values, book, unit_id, parents, weights, cap)
    table = pd.DataFrame(
        {
            "metric": [p[0] for p in parts],
            "label": [metrics.label(p[0]) for p in parts],
            "value": pd.Series([p[1] for p in parts], dtype="float64"),
            "target_text": [targets.describe(p[2]) for p in parts],
            "ratio": pd.Series([p[3] for p in parts], dtype="float64"),
            "capped": pd.Series([p[4] for p in parts], dtype="float64"),
            "weight": pd.Series([p[5] for p in parts], dtype="float64"),
            "status": [p[6] for p in parts],
        },
        columns=PART_COLUMNS,
    )
    return Score(_value(parts), table, sum(1 for p in parts if p[6] == "green"), len(parts))


def window_periods(as_of: datetime, first_day: date) -> dict[str, tuple[date, date]]:
    """Each of ``WINDOWS``: (first day, last day), ending on ``as_of``'s date and starting
    ``WINDOW_DAYS`` − 1 days before, never before the data's ``first_day``."""
    end = as_of.date() if isinstance(as_of, datetime) else as_of
    return {
        name: (max(end - timedelta(days=days - 1), first_day), end)
        for name, days in WINDOW_DAYS.items()
    }


def score_keys(book: targets.Book) -> tuple[str, ...]:
    """What a score's query computes: intake (a period without events has no score) and
    every metric the book has a target for."""
    return ("intake", *book.metrics)


def _by_window(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: Sequence[str],
    periods: Mapping[str, tuple[date, date]],
) -> dict[str, dict]:
    """The figures ``keys`` of ``f``'s scope and filters in each of ``periods`` (name → first
    and last day), in one query: the periods overlap, so each gets its own copy of the events
    it covers. A period without events is missing."""

    def each_period(t):
        copies = [
            t.filter(in_period(t, start, end)).mutate(window=ibis.literal(name))
            for name, (start, end) in periods.items()
        ]
        return ibis.union(*copies, distinct=False)

    first = min(start for start, _ in periods.values())
    last = max(end for _, end in periods.values())
    table = metric_table(
        con, f.with_period(first, last), coverage, keys, by=["window"], compare=None,
        prepare=each_period,
    )  # fmt: skip
    return {row["window"]: row for row in table.to_dict("records")}


def _window_rows(found, periods, keys, book, unit_id, parents, weights, cap) -> pd.DataFrame:
    rows = []
    for name, (start, end) in periods.items():
        values = found.get(name, {"intake": 0})  # a window without events has no score
        value, met, total = score_of(
            {k: values.get(k) for k in keys}, book, unit_id, parents, weights, cap
        )
        rows.append(
            {
                "window": name,
                "label": WINDOWS[name],
                "start": start,
                "end": end,
                "score": value,
                "met": met,
                "total": total,
            }
        )
    return pd.DataFrame(rows, columns=["window", "label", "start", "end", "score", "met", "total"])


def windows(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> pd.DataFrame:
    """The score of ``f``'s unit (its grid, community or street; the district) and filters
    over the last day, week, month and quarter of the data, whatever ``f``'s period: one row
    per window in ``WINDOWS`` order with window, label, start, end, score, met, total."""
    periods = window_periods(coverage.as_of, coverage.first_day)
    keys = score_keys(book)
    found = _by_window(con, f, coverage, keys, periods)
    return _window_rows(found, periods, keys, book, f.unit_id, parents, weights, cap)


def of_period(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> Score:
    """The score of ``f``'s unit over ``f``'s own period (the cards' period)."""
    figures = kpis(con, f, coverage, keys=score_keys(book), compare=None)
    return unit_score(figures, book, f.unit_id, parents, weights, cap)


def snapshot(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> tuple[Score, pd.DataFrame]:
    """:func:`of_period` and :func:`windows` together, in one query: the overview's header."""
    windows_ = window_periods(coverage.as_of, coverage.first_day)
    keys = score_keys(book)
    found = _by_window(con, f, coverage, keys, {"period": (f.start, f.end), **windows_})
    values = found.get("period", {"intake": 0})
    figures = pd.DataFrame({"metric": list(keys), "value": [values.get(k) for k in keys]})
    period = unit_score(figures, book, f.unit_id, parents, weights, cap)
    return period, _window_rows(found, windows_, keys, book, f.unit_id, parents, weights, cap)


def trend(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> pd.DataFrame:
    """The score of ``f``'s unit in each calendar month of ``f``'s period (month, score), in
    one query (``queries.monthly_kpis``); which months are whole or settled is the caller's
    rule, as for the cards' trend lines."""
    months = monthly_kpis(con, f, coverage, keys=score_keys(book))
    return trend_of(months, book, f.unit_id, parents, weights, cap)


def trend_of(
    months: pd.DataFrame,
    book: targets.Book,
    unit_id: str | None,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
) -> pd.DataFrame:
    """:func:`trend` of monthly figures already made (``queries.monthly_kpis`` or its twin
    from the overview's counts, ``monthly_kpis_from``: a ``month`` column and one per metric;
    those of :func:`score_keys` are used): month, score, NaN where nothing contributes (a
    month without events stays unscored)."""
    columns = list(score_keys(book))
    values = [
        score_of({c: row[c] for c in columns}, book, unit_id, parents, weights, cap)[0]
        for row in months[columns].to_dict("records")
    ]
    return pd.DataFrame(
        {"month": months["month"].to_numpy(), "score": pd.Series(values, dtype="float64")}
    )


def unit_scores(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    level: str,
    book: targets.Book,
    parents: Mapping[str, str | None],
    weights: Weights = (),
    cap: float = DEFAULT_CAP,
    min_events: int = 0,
) -> pd.DataFrame:
    """Every street, community or grid (``level``) in ``f``'s scope (for a viewer scoped to a
    street or community, its peers at its own level, as in 赛马比拼: ``access.peers``) scored
    on ``f``'s period against its own targets: unit_id, name (a grid's in full) and
    street_name (``rankings.unit_reference``), score, met, total, intake, each book metric's
    value and rank (1 best, equal scores at 0.01 share the rank; none for a unit
    with fewer than ``min_events`` events or no score), best first, then by unit id. Events
    with no unit at ``level`` are no unit."""
    if level not in UNIT_LEVELS:
        raise ValueError(f"unknown unit level: {level}")
    con, f = access.peers(con, f, level)
    keys = score_keys(book)
    table = metric_table(con, f, coverage, keys, by=(level,), compare=None)
    table = table[table[level].notna()].rename(columns={level: "unit_id"})
    ref = rankings.unit_reference(con, f, level, table["unit_id"])
    ref = ref[ref["unit_id"].notna()].reindex(columns=["unit_id", "name", "street_name"])
    table = ref.merge(table[["unit_id", *keys]], how="left")
    table["intake"] = table["intake"].fillna(0).astype("int64")
    for key in keys:
        if metrics.unit(key) == "count":
            table[key] = table[key].fillna(0).astype("int64")
    scores = [
        score_of({k: row[k] for k in keys}, book, row["unit_id"], parents, weights, cap)
        for row in table.to_dict("records")
    ]
    out = table.assign(
        score=pd.Series([s[0] for s in scores], index=table.index, dtype="float64"),
        met=[s[1] for s in scores],
        total=[s[2] for s in scores],
    )
    rankable = out["score"].notna() & (out["intake"] >= min_events)
    rounded = out["score"].round(SCORE_DIGITS).where(rankable)
    out["rank"] = rounded.rank(ascending=False, method="min").astype("Int64")
    out = out.sort_values(["rank", "unit_id"], na_position="last").reset_index(drop=True)
    columns = ["unit_id", "name", "street_name", "score", "met", "total", "intake"]
    columns += [*book.metrics, "rank"]
    return out[columns]


def score_text(x: float) -> str:
    """A score as shown: ``1.02``; ``—`` when there is none."""
    if x is None or pd.isna(x):
        return fmt.MISSING
    return f"{x:.{SCORE_DIGITS}f}"
