"""赛马比拼: streets, communities, grids and full-time grid workers ranked on a weighted score,
placed into four tiers, with the rank change against the preceding period and each unit's
rank in the last six months.

The rules (the Rankings contract; ``shared/design/metrics.md`` should say the same):

- Units: score = weighted mean, in percent, of response_rate, resolution_rate,
  satisfaction_rate, closure_rate and on_time_rate (``queries.metric_table``, the sidebar's
  period and filters) with the user's weights; defaults 10/45/45/0/0. A weight of 0 leaves
  its rate out. Weights must be ≥ 0 and not all 0.
- Grid workers (role full_time, home grid in the sidebar's scope; their events count
  wherever they happened): 活跃度 = min(1, patrol reports per month / the median of that of
  the workers with at least the minimum events; 1 for any report when that median is 0),
  办结率 = closure_rate of all events with worker_id = them, 信息完整度 = share of their
  patrol reports with lon and lat, a non-blank category and a non-blank description.
  Defaults 40/30/30.
- Shown apart, not ranked, with the reason: fewer than ``min_events`` events in the period
  (intake; a worker's own events), or no value for a rate with weight > 0.
- The score is rounded to 0.01 points; equal scores share the rank ("min" method: 1, 2, 2,
  4), listed by unit id. Tier = 1 + floor(4 · (rank − 1) / n), n = units ranked (一档 best).
- Rank change = previous rank − rank (↑ is better) against the comparison period the
  sidebar names (``Filters.comparison(compare)``: 同比 the same months a year earlier, 环比
  the preceding period of equal length), measured as long after its end as the period is
  after its end, ranked by the same rules; 新进 when not ranked there; none when that
  period is outside the data, overlaps the period, or no comparison is chosen.
- Trend = the rank in each of the six calendar months ending with the period's end month
  (the last one ends with the period), same rules; each month is measured as long after
  its end as the period is after its end. None where not ranked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from analytics import access, labels, metrics
from analytics import formats as fmt
from analytics.filters import Filters, add_months, apply_grid_scope, in_period, month_end
from analytics.masking import mask_name
from analytics.queries import (
    DataRange,
    comparable,
    comparison_problem,
    grid_reference,
    metric_table,
    tagged_events,
    unit_names,
)
from analytics.settings import Settings

UNIT_LEVELS = ("street_id", "community_id", "grid_id")
WORKERS = "worker"
LEVELS = (*UNIT_LEVELS, WORKERS)
UNIT_RATES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "closure_rate",
    "on_time_rate",
)
UNIT_WEIGHTS = {
    "response_rate": 10.0,
    "resolution_rate": 45.0,
    "satisfaction_rate": 45.0,
    "closure_rate": 0.0,
    "on_time_rate": 0.0,
}
WORKER_PARTS = ("activity", "closure_rate", "completeness")
WORKER_WEIGHTS = {"activity": 40.0, "closure_rate": 30.0, "completeness": 30.0}
MIN_EVENTS = Settings.ranking_min_events
TREND_MONTHS = 6
SCORE_DIGITS = 2  # scores are compared (and tie) at 0.01 points, as shown

PART_LABELS = {
    **{rate: metrics.label(rate) for rate in UNIT_RATES},
    "activity": "活跃度",
    "completeness": "信息完整度",
}
UNIT_DESCRIPTIONS = {rate: metrics.description(rate) for rate in UNIT_RATES}
WORKER_DESCRIPTIONS = {
    "activity": "月均巡查上报件数,与参评专职网格员的中位数相比:达到中位数得满分,不足按比例",
    "closure_rate": "本人经手事件(上报或承办)中截至数据日已办结的比例",
    "completeness": "巡查上报中经纬度、业务类别、问题描述齐全的比例",
}
MISSING_WHY = {
    "response_rate": "期内无事件",
    "resolution_rate": "无回访是否解决的事件",
    "satisfaction_rate": "无已评价的事件",
    "closure_rate": "期内无事件",
    "on_time_rate": "无有时限且已到期或已办结的事件",
    "activity": "期内无事件",
    "completeness": "期内无巡查上报",
}


@dataclass(frozen=True)
class Ranking:
    """One ranking. ``ranked``: one row per ranked unit, best first (unit_id, name, size
    column, parts, score, rank, tier, previous_rank, rank_change, is_new, trend: ranks in
    ``months``, None where not ranked). ``apart``: units not ranked, with ``reason``."""

    level: str
    ranked: pd.DataFrame
    apart: pd.DataFrame
    months: tuple[date, ...]
    previous: tuple[date, date] | None
    previous_problem: str | None
    compare: str | None
    weights: tuple[tuple[str, float], ...]
    min_events: int
    notes: dict = field(default_factory=dict)


def levels_below(f: Filters, scope: access.Scope = access.DISTRICT) -> tuple[str, ...]:
    """What can be ranked inside the sidebar's scope: the unit levels below the selected
    unit, and its full-time grid workers; for a viewer scoped to a street (community) who
    selects it, also the street (community) ranking of its peers (``access.peers``)."""
    if not scope.whole and f.unit_id == scope.unit_id and not f.grid_id:
        own = "community_id" if scope.community_id else "street_id"
        return (own, *levels_below(f))
    if f.grid_id:
        return (WORKERS,)
    if f.community_id:
        return ("grid_id", WORKERS)
    if f.street_id:
        return ("community_id", "grid_id", WORKERS)
    return LEVELS


def weights_problem(weights: Mapping[str, float]) -> str | None:
    """Why ``weights`` cannot score (negative, not a number, all zero); None when they can."""
    values = [float(w) for w in weights.values()]
    if any(math.isnan(w) or math.isinf(w) or w < 0 for w in values):
        return "权重须为不小于 0 的数。"
    if sum(values) <= 0:
        return "权重不能全为 0:请至少给一项指标设置大于 0 的权重。"
    return None


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Each weight as a share of their sum (what the score actually uses)."""
    total = sum(float(w) for w in weights.values())
    return {k: float(w) / total if total > 0 else float("nan") for k, w in weights.items()}


def score_table(
    df: pd.DataFrame, weights: Mapping[str, float], min_events: int, size: str
) -> pd.DataFrame:
    """``df`` (a row per unit: its events in ``size`` and a column per part, fractions) with
    score, rank, tier and reason added. A unit with fewer than ``min_events`` events or
    without a value for a weighted part is not ranked (NA) and ``reason`` says why."""
    problem = weights_problem(weights)
    if problem:
        raise ValueError(problem)
    used = {k: float(w) for k, w in weights.items() if float(w) > 0}
    out = df.copy()
    values = {k: out[k].to_numpy(dtype="float64", na_value=np.nan) for k in used}
    raw = sum(values[k] * w for k, w in used.items()) / sum(used.values()) * 100
    reasons: list[str | None] = []
    for i, events in enumerate(out[size].fillna(0).to_numpy(dtype="int64")):
        if events < min_events:
            reasons.append(f"事件数不足:{events} 件,少于 {min_events} 件")
            continue
        gaps = [f"无{PART_LABELS[k]}({MISSING_WHY[k]})" for k in used if np.isnan(values[k][i])]
        reasons.append(";".join(gaps) or None)
    ranked = np.array([r is None for r in reasons], dtype=bool)
    out["reason"] = pd.Series(reasons, index=out.index, dtype=object)
    out["score"] = np.where(ranked, np.round(raw, SCORE_DIGITS), np.nan)
    rank = out["score"].rank(ascending=False, method="min")
    out["rank"] = rank.astype("Int64")
    n = int(ranked.sum())
    out["tier"] = (1 + 4 * (rank - 1) // n if n else rank).astype("Int64")
    return out


def trend_months(f: Filters) -> tuple[date, ...]:
    """First days of the ``TREND_MONTHS`` calendar months ending with the period's end month."""
    last = f.end.replace(day=1)
    return tuple(add_months(last, k - TREND_MONTHS + 1) for k in range(TREND_MONTHS))


CURRENT, PREVIOUS = -1, -2  # slice keys beside the trend months' positions 0 … 5


def slices(
    f: Filters, coverage: DataRange, compare: str | None = "mom"
) -> list[tuple[int, date, date, datetime]]:
    """What one query ranks: (key, first day, last day, as_of) of the period, its
    comparison period (``compare``: yoy or mom, when it lies within the data and before the
    period) and each trend month (the last one ends with the period). Each is measured as
    long after its own end as the period is after its end (``as_of`` − the period's last
    day): like for like, never judged before it has ended, and a one-month period's 环比
    rank is its trend's second last point."""
    out = [(CURRENT, f.start, f.end, coverage.as_of)]
    if comparable(f, compare, coverage):
        c = f.comparison(compare)
        out.append((PREVIOUS, c.start, c.end, coverage.as_of - (f.end - c.end)))
    months = trend_months(f)
    last = len(months) - 1
    for i, first in enumerate(months):
        end = f.end if i == last else month_end(first.year, first.month)
        out.append(
            (i, first, end, coverage.as_of - (f.end - end))
        )  # the period's lag after its end
    return out


def _sliced(
    f: Filters, coverage: DataRange, columns: tuple[str, ...], compare: str | None
) -> tuple[Filters, Callable[[Table], Table]]:
    """The span covering every slice, and a ``prepare`` that turns its events into one row
    per (event, slice it falls in) with the slice's ``key`` and ``as_of``. The period and
    its comparison period never overlap (``comparable``), nor do the months, so an event is
    in at most one of each: two tagged copies of the span suffice (an event of the period's
    last month counts in the period and in that month)."""
    parts = slices(f, coverage, compare)
    span = f.with_period(min(p[1] for p in parts), f.end)

    def prepare(t: Table) -> Table:
        t = t.select(*columns, "period")

        def tagged(group: list) -> Table:
            key = ibis.cases(
                *((in_period(t, s, e), ibis.literal(k, "int8")) for k, s, e, _ in group)
            )
            as_of = ibis.cases(*((in_period(t, s, e), ibis.literal(a)) for _, s, e, a in group))
            tagged = t.mutate(key=key, as_of=as_of)
            return tagged.filter(tagged.key.notnull())

        periods = [p for p in parts if p[0] < 0]
        months = [p for p in parts if p[0] >= 0]
        return ibis.union(tagged(periods), tagged(months))

    return span, prepare


def _ranks_by_slice(
    figures: pd.DataFrame, score: Callable[[pd.DataFrame], pd.DataFrame]
) -> dict[int, pd.Series]:
    """Rank per unit in each slice but the period itself (keys as in :func:`slices`)."""
    ranks = {}
    for key, part in figures[figures["key"] != CURRENT].groupby("key"):
        ranks[int(key)] = score(part).set_index("unit_id")["rank"].dropna()
    return ranks


def _assemble(
    level: str,
    current: pd.DataFrame,
    ranks: dict[int, pd.Series],
    f: Filters,
    coverage: DataRange,
    weights: Mapping[str, float],
    min_events: int,
    compare: str | None,
    notes: dict | None = None,
) -> Ranking:
    """The period's scored units split into ranked and apart, with rank change and trend
    from the other slices' ``ranks``."""
    ranked = current[current["reason"].isna()].drop(columns="reason")
    ranked = ranked.sort_values(["rank", "unit_id"]).reset_index(drop=True)
    has_previous = comparable(f, compare, coverage)
    if has_previous:
        ranked["previous_rank"] = ranked["unit_id"].map(ranks.get(PREVIOUS, {})).astype("Int64")
        ranked["is_new"] = ranked["previous_rank"].isna()
    else:
        ranked["previous_rank"] = pd.array([pd.NA] * len(ranked), dtype="Int64")
        ranked["is_new"] = False
    ranked["rank_change"] = (ranked["previous_rank"] - ranked["rank"]).astype("Int64")
    months = trend_months(f)
    ranked["trend"] = [
        [_int_or_none(ranks[i].get(u)) if i in ranks else None for i in range(len(months))]
        for u in ranked["unit_id"]
    ]
    apart = current[current["reason"].notna()].drop(columns=["score", "rank", "tier"])
    apart = apart.sort_values("unit_id").reset_index(drop=True)
    c = f.comparison(compare) if has_previous else None
    return Ranking(
        level=level,
        ranked=ranked,
        apart=apart,
        months=months,
        previous=(c.start, c.end) if c is not None else None,
        previous_problem=None if has_previous else comparison_problem(f, compare, coverage),
        compare=compare,
        weights=tuple((k, float(w)) for k, w in weights.items()),
        min_events=min_events,
        notes=notes or {},
    )


def _int_or_none(x) -> int | None:
    return None if x is None or pd.isna(x) else int(x)


# ---------------------------------------------------------------- streets, communities, grids

UNIT_COLUMNS = ("reported_at", "accepted_at", "closed_at", "deadline_at", "satisfaction",
                "resolved")  # fmt: skip


def unit_reference(con: BaseBackend, f: Filters, level: str, seen) -> pd.DataFrame:
    """Every unit of ``level`` in scope (from the grids), with names of it and its parents;
    a grid named in full (``labels.grid_title``: 龙湾街道 新民社区 第6网格)."""
    g = grid_reference(con, f)
    community = g["community_name"].fillna(g["community_id"])
    street = g["street_name"].fillna(g["street_id"])
    if level == "grid_id":
        ref = pd.DataFrame(
            {
                "unit_id": g["grid_id"],
                "name": [
                    labels.grid_title(s, c, n)
                    for s, c, n in zip(
                        street, community, g["name"].fillna(g["grid_id"]), strict=True
                    )
                ],
                "community_name": community,
                "street_name": street,
            }
        )
    elif level == "community_id":
        ref = pd.DataFrame(
            {"unit_id": g["community_id"], "name": community, "street_name": street}
        ).drop_duplicates("unit_id")
    else:
        ref = pd.DataFrame({"unit_id": g["street_id"], "name": street}).drop_duplicates("unit_id")
    extra = sorted(set(seen) - set(ref["unit_id"]))
    if extra:  # units with events but no grid (a community known only by its id)
        names = unit_names(con)
        ref = pd.concat(
            [ref, pd.DataFrame({"unit_id": extra, "name": [names.get(u, u) for u in extra]})],
            ignore_index=True,
        )
    return ref.reset_index(drop=True)


def unit_ranking(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    level: str,
    weights: Mapping[str, float] = UNIT_WEIGHTS,
    min_events: int = MIN_EVENTS,
    compare: str | None = "mom",
) -> Ranking:
    """Streets, communities or grids (``level``) in the scope of ``f``, ranked on the
    weighted mean of their rates in the period; the ``compare`` period (yoy or mom) and the
    trend months come from the same query (see :func:`slices`). Events without a unit at ``level``
    (未指定街道, 未指定社区, 未落格) are not a unit and not ranked; ``notes["unplaced"]``
    says how many the period has."""
    if level not in UNIT_LEVELS:
        raise ValueError(f"unknown ranking level: {level}")
    con, f = access.peers(con, f, level)  # a scoped user's own level: their peers' scores
    problem = weights_problem(weights)
    if problem:
        raise ValueError(problem)
    keys = ("intake", *UNIT_RATES)

    def score(df: pd.DataFrame) -> pd.DataFrame:
        return score_table(df, weights, min_events, "intake")

    span, prepare = _sliced(f, coverage, (level, *UNIT_COLUMNS), compare)
    figures = metric_table(
        con, span, coverage, keys, by=[level, "key"], compare=None, prepare=prepare
    )
    # Events with no unit at this level (未指定街道 …) are no unit: left out, and counted.
    unplaced = figures[figures[level].isna() & (figures["key"] == CURRENT)]["intake"].sum()
    figures = figures[figures[level].notna()].rename(columns={level: "unit_id"})
    figures = figures[["unit_id", "key", *keys]]
    now = figures[figures["key"] == CURRENT].drop(columns="key")
    units = unit_reference(con, f, level, now["unit_id"])
    current = units.merge(now, on="unit_id", how="left")
    current["intake"] = current["intake"].fillna(0).astype("int64")
    notes = {"unplaced": int(unplaced), "unplaced_name": labels.UNPLACED[level]}
    return _assemble(
        level,
        score(current),
        _ranks_by_slice(figures, score),
        f,
        coverage,
        weights,
        min_events,
        compare,
        notes,
    )


# ---------------------------------------------------------------- full-time grid workers

WORKER_COLUMNS = ("worker_id", "channel", "lon", "lat", "category", "description",
                  "reported_at", "closed_at")  # fmt: skip


def _filled(column):
    return column.notnull() & (column.strip() != "")


def _worker_figures(t: Table) -> dict:
    """Per worker: events (all theirs), reports (patrol), complete reports, closure_rate."""
    patrol = (t.channel == "patrol").fill_null(False)
    complete = (
        patrol & t.lon.notnull() & t.lat.notnull() & _filled(t.category) & _filled(t.description)
    )
    return {
        "events": metrics.intake(t),
        "reports": t.count(where=patrol),
        "complete_reports": t.count(where=complete),
        "closure_rate": metrics.closure_rate(t),
    }


def _worker_scores(
    df: pd.DataFrame, weights: Mapping[str, float], min_events: int, months: float
) -> tuple[pd.DataFrame, float]:
    """``df`` scored, and the activity benchmark: the median reports per month of the
    workers with at least ``min_events`` events. Reaching it scores 1; fewer, pro rata;
    more is capped at 1 (padding reports earns nothing)."""
    out = df.copy()
    for column in ("events", "reports", "complete_reports"):
        out[column] = out[column].fillna(0).astype("int64")
    out["reports_per_month"] = out["reports"] / months
    out["completeness"] = out["complete_reports"] / out["reports"].where(out["reports"] > 0)
    eligible = out["events"] >= min_events
    median = float(out.loc[eligible, "reports_per_month"].median()) if eligible.any() else np.nan
    per_month = out["reports_per_month"]
    if median > 0:
        out["activity"] = np.minimum(1.0, per_month / median)
    else:  # most eligible workers reported nothing: reporting at all reaches the median
        out["activity"] = (per_month > 0).astype("float64")
    return score_table(out, weights, min_events, "events"), median


def _staff(con: BaseBackend, f: Filters) -> Table:
    """Full-time grid workers whose home grid is in the scope of ``f``."""
    w = con.table("workers")
    grids = apply_grid_scope(con.table("grids"), f)
    return w.filter((w.role == "full_time") & w.grid_id.isin(grids.grid_id))


def worker_ranking(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    weights: Mapping[str, float] = WORKER_WEIGHTS,
    min_events: int = MIN_EVENTS,
    compare: str | None = "mom",
) -> Ranking:
    """Full-time grid workers whose home grid is in scope, ranked on 活跃度, 办结率 and
    信息完整度 in the period. Their events count wherever they happened (the sidebar's
    dimension filters apply); the rank change is against the ``compare`` period. Names are
    masked."""
    problem = weights_problem(weights)
    if problem:
        raise ValueError(problem)
    staff_table = _staff(con, f)
    staff = staff_table.select("worker_id", "name", "grid_id").execute()
    staff["name"] = staff["name"].map(mask_name)
    grids = grid_reference(con, f)[["grid_id", "name", "community_name", "street_name"]]
    staff = staff.merge(grids.rename(columns={"name": "grid_name"}), on="grid_id", how="left")
    staff = staff.rename(columns={"worker_id": "unit_id"})

    anywhere = replace(f, street_id=None, community_id=None, grid_id=None)
    span, prepare = _sliced(anywhere, coverage, WORKER_COLUMNS, compare)
    t = prepare(tagged_events(con, span, coverage, None))
    t = t.filter(t.worker_id.isin(staff_table.worker_id))
    figures = t.group_by(["worker_id", "key"]).aggregate(**_worker_figures(t)).execute()
    figures = figures.rename(columns={"worker_id": "unit_id"})
    lengths = {
        key: Filters(start, end).months for key, start, end, _ in slices(f, coverage, compare)
    }
    medians = {}

    def score(part: pd.DataFrame) -> pd.DataFrame:
        key = int(part["key"].iloc[0]) if len(part) else CURRENT
        scored, medians[key] = _worker_scores(part, weights, min_events, lengths[key])
        return scored

    now = figures[figures["key"] == CURRENT]
    current = score(staff.merge(now, on="unit_id", how="left").assign(key=CURRENT))
    ranks = _ranks_by_slice(figures, score)
    notes = {"activity_median": medians[CURRENT]}
    return _assemble(
        WORKERS,
        current.drop(columns="key"),
        ranks,
        f,
        coverage,
        weights,
        min_events,
        compare,
        notes,
    )


# ---------------------------------------------------------------- what users read


# What the rank change compares with, as a sentence names it (比去年同期上升 1 名).
PREVIOUS_NAME = {"yoy": "去年同期", "mom": "上一等长时段"}


def previous_name(ranking: Ranking) -> str:
    """去年同期 or 上一等长时段: the period the rank change was compared with."""
    return PREVIOUS_NAME.get(ranking.compare or "", "上期")


def tier_name(tier) -> str:
    return fmt.MISSING if pd.isna(tier) else labels.TIER[int(tier)]


def standing(ranking: Ranking, unit_id: str | None, unit_title: str) -> str | None:
    """Where the viewer's own unit stands among its peers, in one sentence (None when the
    ranking does not hold it): 龙湾街道在 5 个街道中排第 4 名(三档),比去年同期上升 1 名。"""
    if unit_id is None:
        return None
    ranked, apart = ranking.ranked, ranking.apart
    row = ranked[ranked["unit_id"] == unit_id]
    if row.empty:
        row = apart[apart["unit_id"] == unit_id]
        if row.empty:
            return None
        return f"{row['name'].iloc[0]}本期不参与排名:{row['reason'].iloc[0]}。"
    r = row.iloc[0]
    place = f"第 {int(r['rank'])} 名({tier_name(r['tier'])})"
    text = f"{r['name']}在 {len(ranked)} 个{unit_title}中排{place}"
    change = r["rank_change"]
    if bool(r["is_new"]) or pd.isna(change):
        return text + "。"
    change = int(change)
    before = previous_name(ranking)
    if change == 0:
        return text + f",与{before}持平。"
    return text + f",比{before}{'上升' if change > 0 else '下降'} {abs(change)} 名。"


def change_text(change, is_new: bool = False) -> str:
    """名次变化: ↑2 (up two places), ↓1, — (same place), 新进 (not ranked before)."""
    if is_new:
        return "新进"
    if change is None or pd.isna(change):
        return fmt.MISSING
    change = int(change)
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "—"


def trend_text(trend: list[int | None]) -> str:
    """Ranks month by month, oldest first: 5→3→—→2 (— where not ranked)."""
    return "→".join(fmt.MISSING if r is None else str(r) for r in trend)
