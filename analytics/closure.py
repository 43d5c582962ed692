"""办结率: closure by unit and category, the lifecycle funnel, where events are solved, and the
overdue list. Rates are the metrics of ``analytics.metrics`` (办结率, 按时办结率, 网格内解决率 …),
grouped differently; nothing here defines a rate of its own."""

from __future__ import annotations

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from analytics import labels, metrics
from analytics.filters import Filters, apply_scope, in_period
from analytics.masking import mask_frame
from analytics.queries import (
    FREQUENCIES,
    DataRange,
    EventCounts,
    comparable,
    count_parts,
    kpis_from,
    metric_table_from,
    unit_names,
)
from analytics.schema import EVENT_TIMESTAMPS

RATES = ("intake", "closure_rate", "on_time_rate")  # the rankings' figures
CARDS = ("closure_rate", "on_time_rate", "grid_level_rate")  # the page's headline figures
STAGES = EVENT_TIMESTAMPS  # 上报 → 受理 → 转办 → 处置 → 反馈
STAGE_NAMES = {
    "reported_at": "上报",
    "accepted_at": "受理",
    "dispatched_at": "转办",
    "handled_at": "处置",
    "closed_at": "反馈(办结)",
}
LEVELS = ("grid", "community", "street", "district")


def drill_level(f: Filters) -> str:
    """The units one level below the sidebar's scope: streets, a street's communities, a
    community's grids (a grid shows its own row)."""
    if f.grid_id or f.community_id:
        return "grid_id"
    if f.street_id:
        return "community_id"
    return "street_id"


def unit_titles(con: BaseBackend) -> dict[str, str]:
    """Display name of every unit id as tables show it: streets and communities by name, a
    grid in full (``labels.grid_title``: 龙湾街道 新民社区 第6网格)."""
    g = con.table("grids").select("grid_id", "street_id", "community_id", "name").to_pandas()
    return titles_of(unit_names(con), g)


def titles_of(names: dict[str, str], grids: pd.DataFrame) -> dict[str, str]:
    """``unit_titles`` from what the app already holds: ``queries.unit_names`` and the grids
    (grid_id, street_id, community_id, name; ``queries.grid_reference`` has them)."""
    names = dict(names)
    for grid, street, community, name in zip(
        grids["grid_id"], grids["street_id"], grids["community_id"], grids["name"], strict=True
    ):
        names[grid] = labels.grid_title(
            names.get(street, street), names.get(community, community), name or grid
        )
    return names


def rate_counts(
    con: BaseBackend, f: Filters, coverage: DataRange, compare: str | None = "yoy"
) -> EventCounts:
    """The counts behind the page's rankings and cards, in one scan: by the unit one level
    below the scope, category and period. ``by_unit``, ``by_category`` and ``cards`` add
    them up; a query for each would read the same events three times."""
    level = drill_level(f)
    return count_parts(con, f, coverage, (*RATES, *CARDS), [level, "category"], compare)


def cards(counts: EventCounts, f: Filters, coverage: DataRange, compare: str | None = "yoy"):
    """The headline figures ``CARDS`` (``queries.kpis``' rows) from ``rate_counts``."""
    return kpis_from(counts, None, f, coverage, CARDS, compare)


def by_unit(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    compare: str | None = "yoy",
    titles: dict[str, str] | None = None,
    counts: EventCounts | None = None,
) -> pd.DataFrame:
    """办结率 and 按时办结率 per unit one level below the scope: unit_id, name, intake, the
    rates and their previous values, change (percentage points) and rank (1 = best 办结率).
    ``titles``: ``unit_titles`` when the caller holds them (else queried); ``counts``:
    ``rate_counts`` of the same filters and comparison when the caller holds them.

    Events without a unit at that level (未指定街道, 未指定社区, 未落格) are no unit: not
    ranked, so in no row. ``attrs["unplaced"]`` holds their figures as one row (a dict with
    the same columns, named 未指定街道 …, rank NA) when the period has any, else None."""
    level = drill_level(f)
    counts = rate_counts(con, f, coverage, compare) if counts is None else counts
    df = metric_table_from(counts, RATES, [level])
    df = df[df["intake"] > 0].rename(columns={level: "unit_id"})
    names = unit_titles(con) if titles is None else titles
    df["name"] = [labels.unit(names, level, u) for u in df["unit_id"]]
    df = _ranked(df, f, coverage, compare, ranked=df["unit_id"].notna())
    placed = df[df["unit_id"].notna()].reset_index(drop=True)
    unplaced = df[df["unit_id"].isna()]
    placed.attrs["unplaced"] = unplaced.iloc[0].to_dict() if len(unplaced) else None
    return placed


def by_category(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    compare: str | None = "yoy",
    counts: EventCounts | None = None,
) -> pd.DataFrame:
    """The same per business category: category, intake, rates, previous, change, rank."""
    counts = rate_counts(con, f, coverage, compare) if counts is None else counts
    df = metric_table_from(counts, RATES, ["category"])
    return _ranked(df[df["intake"] > 0], f, coverage, compare)


def _ranked(
    df: pd.DataFrame,
    f: Filters,
    coverage: DataRange,
    compare: str | None,
    ranked: pd.Series | None = None,
) -> pd.DataFrame:
    """``df`` with the rates' changes and rank by 办结率 among the ``ranked`` rows (all)."""
    df = df.copy()
    for rate in ("closure_rate", "on_time_rate"):
        df[f"{rate}_change"] = (
            metrics.change(rate, df[rate], df[f"{rate}_prev"])
            if comparable(f, compare, coverage)
            else float("nan")
        )
    rates = df["closure_rate"] if ranked is None else df["closure_rate"].where(ranked)
    df["rank"] = rates.rank(ascending=False, method="min").astype("Int64")
    return df.sort_values(["rank", "intake"], ascending=[True, False]).reset_index(drop=True)


def funnel(con: BaseBackend, f: Filters, coverage: DataRange) -> pd.DataFrame:
    """上报 → 受理 → 转办 → 处置 → 反馈 for the period's events: stage, name, reached (events
    that got to this stage or beyond by as_of: a 即办件 handled on the spot skips 转办 but is
    past it), dropped (stopped at the stage before) and share of reported."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end))
    as_of = ibis.literal(coverage.as_of)
    reached = {}
    for i, stage in enumerate(STAGES):
        later = [t[s].notnull() & (t[s] <= as_of) for s in STAGES[i:]]
        cond = later[0]
        for c in later[1:]:
            cond = cond | c
        reached[stage] = t.count(where=cond)
    row = t.aggregate(**reached).execute().iloc[0]
    df = pd.DataFrame({"stage": list(STAGES), "reached": [int(row[s]) for s in STAGES]})
    df["name"] = df["stage"].map(STAGE_NAMES)
    df["dropped"] = (df["reached"].shift(1) - df["reached"]).fillna(0).astype("int64")
    first = df["reached"].iloc[0]
    df["share"] = df["reached"] / first if first else float("nan")
    return df


def resolution_levels(
    con: BaseBackend, f: Filters, coverage: DataRange, freq: str = "month"
) -> pd.DataFrame:
    """Where closed events were solved, per bucket of report date: bucket, level, closed,
    share (of the bucket's closed events with a recorded level; 小事不出网格 …)."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end)).mutate(as_of=ibis.literal(coverage.as_of))
    t = t.filter(metrics.closed(t) & t.resolved_level.notnull())
    bucket = t.reported_at.date().truncate(FREQUENCIES[freq]).cast("timestamp").name("bucket")
    df = t.group_by([bucket, t.resolved_level.name("level")]).aggregate(closed=t.count())
    df = df.execute()
    df["bucket"] = pd.to_datetime(df["bucket"])
    df["share"] = df["closed"] / df.groupby("bucket")["closed"].transform("sum")
    df["order"] = df["level"].map({level: i for i, level in enumerate(LEVELS)})
    return df.sort_values(["bucket", "order"]).drop(columns="order").reset_index(drop=True)


OVERDUE_COLUMNS = (
    "event_id", "category", "street_id", "community_id", "grid_id", "handling_type",
    "reported_at", "deadline_at", "reporter_name", "reporter_phone",
)  # fmt: skip


def overdue_list(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    limit: int | None = 1000,
    names: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
) -> pd.DataFrame:
    """超期 events of the period (open at as_of, past their deadline), longest overdue first:
    event_id, category, unit names, place (the grid in full, or as much of the place as is
    known), handling_type, reported_at, deadline_at, age_days, overdue_days, and the
    reporter's name and phone masked (张*, 138****1234). At most
    ``limit`` rows (None: all); ``total`` in ``attrs`` says how many there are. ``names``
    and ``titles``: ``queries.unit_names`` and ``unit_titles`` when the caller holds them
    (else queried)."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end)).mutate(as_of=ibis.literal(coverage.as_of))
    t = t.filter(metrics.overdue_at_as_of(t))
    # How many there are, counted beside the rows (every overdue event has a deadline).
    rows = t.select(*OVERDUE_COLUMNS, total=t.deadline_at.count().over())
    rows = rows.order_by(["deadline_at", "event_id"]).limit(limit).execute()
    total = int(rows["total"].iloc[0]) if len(rows) else 0
    df = mask_frame(rows.drop(columns="total"))
    names = unit_names(con) if names is None else names
    for column in ("street_id", "community_id", "grid_id"):
        df[column.replace("_id", "_name")] = [labels.unit(names, column, u) for u in df[column]]
    titles = unit_titles(con) if titles is None else titles
    df["place"] = [
        place_title(titles, s, c, g)
        for s, c, g in zip(df["street_id"], df["community_id"], df["grid_id"], strict=True)
    ]
    as_of = pd.Timestamp(coverage.as_of)
    df["age_days"] = (as_of - df["reported_at"]).dt.total_seconds() / 86400
    df["overdue_days"] = (as_of - df["deadline_at"]).dt.total_seconds() / 86400
    df.attrs["total"] = total
    return df


def place_title(titles: dict[str, str], street, community, grid) -> str:
    """Where an event is, for a table: its grid in full (``unit_titles``), else the street
    and community it names followed by 未落格, else 未指定街道."""
    if isinstance(grid, str):
        return titles.get(grid, grid)
    known = [titles.get(u, u) for u in (street, community) if isinstance(u, str)]
    if not known:
        return labels.UNPLACED["street_id"]
    return " ".join([*known, labels.UNPLACED["grid_id"]])
