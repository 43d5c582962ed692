"""Queries behind the pages: each returns a small tidy DataFrame with English column names.

Everything is an Ibis expression over the canonical tables; no page loads events into pandas.
Metric figures always come from :mod:`analytics.metrics`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import ibis
import ibis.expr.operations as ops
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from analytics import access, geo, metrics
from analytics.filters import Filters, apply_grid_scope, apply_scope, in_period, shift_back


@dataclass(frozen=True)
class DataRange:
    """First report day and ``as_of`` (the latest timestamp anywhere in the events)."""

    first_day: date
    as_of: datetime
    # Whether the source records acceptance at all (many 311 and 问政 exports do not): decided
    # once for the data, so that a unit that accepted none of its events still rates 0 %.
    records_acceptance: bool = True

    @property
    def last_day(self) -> date:
        return self.as_of.date()


def data_range(con: BaseBackend) -> DataRange | None:
    """The span of the district's data, whoever views it (``access.unscoped``); None when
    there are no events."""
    t = access.unscoped(con).table("events")
    expr = t.aggregate(
        first=t.reported_at.min(),
        as_of=ibis.greatest(
            t.reported_at.max(),
            t.accepted_at.max(),
            t.dispatched_at.max(),
            t.handled_at.max(),
            t.closed_at.max(),
        ),
        accepted=t.accepted_at.count(),
    )
    row = expr.execute().iloc[0]
    if pd.isna(row["first"]):
        return None
    return DataRange(
        pd.Timestamp(row["first"]).date(),
        pd.Timestamp(row["as_of"]).to_pydatetime(),
        records_acceptance=bool(row["accepted"]),
    )


def data_version(con: BaseBackend) -> tuple:
    """Changes whenever an import or demo build commits; part of every UI cache key."""
    t = con.table("imports")
    row = t.aggregate(n=t.count(), last=t.finished_at.max()).execute().iloc[0]
    return int(row["n"]), str(row["last"])


def comparison_as_of(as_of: datetime, f: Filters, kind: str) -> datetime:
    """``as_of`` moved by the same offset as the comparison period (like-for-like lag)."""
    unit, n = f.comparison_shift(kind)
    return datetime.combine(shift_back(as_of.date(), unit, n), as_of.time())


def comparison_problem(f: Filters, kind: str | None, coverage: DataRange) -> str | None:
    """Why no change can be shown against the comparison period (None when it can)."""
    if kind is None:
        return "未选择对比方式"
    c = f.comparison(kind)
    if c.end >= f.start:
        return "统计期超过一年,与对比期重叠,不显示变化"
    if c.start < coverage.first_day:
        return "对比期超出数据范围,不显示变化"
    return None


def comparable(f: Filters, kind: str | None, coverage: DataRange) -> bool:
    """A comparison is shown only when its period lies wholly inside the data and before
    the selected period (a span longer than a year would overlap its own 同比)."""
    return comparison_problem(f, kind, coverage) is None


def tagged_events(con: BaseBackend, f: Filters, coverage: DataRange, compare: str | None) -> Table:
    """Scoped events of the period (and comparison period) with ``period`` and ``as_of``."""
    t = apply_scope(con.table("events"), f)
    current = in_period(t, f.start, f.end)
    as_of = ibis.literal(coverage.as_of)
    if not comparable(f, compare, coverage):
        return t.filter(current).mutate(period=ibis.literal("current"), as_of=as_of)
    c = f.comparison(compare)
    prev_as_of = ibis.literal(comparison_as_of(coverage.as_of, f, compare))
    kept = t.filter(current | in_period(t, c.start, c.end))
    # ``current`` built again on the kept events: the same query, but Ibis need not re-bind
    # it field by field through the table's lineage (0.6 ms of every query that tags events)
    current = in_period(kept, f.start, f.end)
    return kept.mutate(
        period=ibis.ifelse(current, "current", "previous"),
        as_of=ibis.ifelse(current, as_of, prev_as_of),
    )


def metric_table(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: list[str] | tuple[str, ...],
    by: list[str] | tuple[str, ...] = (),
    compare: str | None = "yoy",
    prepare: Callable[[Table], Table] | None = None,
) -> pd.DataFrame:
    """One row per group of ``by``: each metric and, with a comparison, ``<metric>_prev``.

    Groups present in only one period get NaN for the other (counts get 0). ``prepare``
    derives the grouping columns (and may filter) before the metrics are reduced.
    """
    long = _metrics_by_period(con, f, coverage, keys, by, compare, prepare)
    return _wide(long, keys, by, comparable(f, compare, coverage))


def _metrics_by_period(con, f, coverage, keys, by=(), compare=None, prepare=None) -> pd.DataFrame:
    """The metrics per group of ``by`` and period (one row per group present): by, period,
    keys."""
    t = tagged_events(con, f, coverage, compare)
    if prepare is not None:
        t = prepare(t)
    t = t.mutate(records_acceptance=ibis.literal(coverage.records_acceptance))
    return aggregate(t, [*by, "period"], {name: metrics.METRICS[name].reduce(t) for name in keys})


def aggregate(t: Table, by: list[str], aggs: dict) -> pd.DataFrame:
    """``t.group_by(by).aggregate(**aggs)``, executed: columns ``by``, then ``aggs``. Quantiles
    of one value over the same events (P50 and P90 of 响应时长, a box plot's five) are taken as
    one aggregate, a list, exact as each alone: the engine sorts those values once, not once
    for each (DuckDB's ``quantile_cont`` with a list, Spark's ``percentile`` with an array)."""
    families: dict[tuple, list[str]] = {}
    for name, expr in aggs.items():
        op = expr.op()
        if type(op) is ops.Quantile and type(op.quantile) is ops.Literal:
            families.setdefault((op.arg, op.where), []).append(name)
    shared, lists = dict(aggs), {}
    for (arg, where), family in families.items():
        if len(family) < 2:
            continue
        column = f"_quantiles_{len(lists)}"
        quantiles = [shared.pop(name).op().quantile.value for name in family]
        where = None if where is None else where.to_expr()
        shared[column] = arg.to_expr().quantile(quantiles, where=where)
        lists[column] = family
    df = t.group_by(by).aggregate(**shared).execute()
    for column, names in lists.items():
        values = _listed(df.pop(column), len(names))
        for i, name in enumerate(names):
            df[name] = values[:, i]
    return df[[*by, *aggs]]


def _listed(lists: pd.Series, n: int) -> np.ndarray:
    """A column of lists of ``n`` numbers as an array (rows × n), NaN for a missing list (a
    group with no value: each quantile alone is NULL)."""
    missing = [math.nan] * n
    rows = [missing if v is None or np.ndim(v) == 0 else list(v) for v in lists]
    return np.array(rows, dtype="float64").reshape(len(rows), n)


def _wide(long: pd.DataFrame, keys, by, has_prev: bool) -> pd.DataFrame:
    """``metric_table``'s rows from the metrics per group and period (``long``)."""
    by = list(by)
    current = long[long["period"] == "current"].drop(columns="period")
    if has_prev:
        previous = long[long["period"] == "previous"].drop(columns="period")
        previous = previous.rename(columns={k: f"{k}_prev" for k in keys})
        if by:
            wide = current.merge(previous, on=by, how="outer")
        else:
            wide = pd.concat(
                [current.reset_index(drop=True), previous.reset_index(drop=True)], axis=1
            )
    else:
        wide = current.copy()
        for k in keys:
            wide[f"{k}_prev"] = float("nan")
    if not by and wide.empty:
        wide = pd.DataFrame([{k: float("nan") for k in wide.columns}])
    for k in keys:  # a column already of its type is left as it is (setting one costs)
        count = metrics.METRICS[k].unit == "count"
        for col in (k, f"{k}_prev") if has_prev or not count else (k,):
            if count and wide[col].dtype != "int64":
                wide[col] = wide[col].fillna(0).astype("int64")
            elif not count and wide[col].dtype != "float64":
                wide[col] = pd.to_numeric(wide[col], errors="coerce").astype("float64")
    return wide.sort_values(by).reset_index(drop=True) if by else wide.reset_index(drop=True)


# -- one scan for the figures that are counts ------------------------------------------------
#
# Most headline figures are counts or ratios of counts (``metrics.Count``, ``metrics.Share``),
# and counts add up: the counts per grid, month and period of one scan give the district's
# figures (the KPI cards), each grid's (the map and the alerts), each month's (the cards' trend
# lines) and where events lack a place. Medians do not add up; each needs its own reduction.

COUNTED_METRICS = (
    "intake",
    "closure_rate",
    "on_time_rate",
    "satisfaction_rate",
    "grid_level_rate",
    "backlog",
    "overdue",
    "resolution_rate",  # the next two for the score (targets), with the counts that make them
    "repeat_rate",
)
COUNT_GROUPS = ("grid_id", "month", "period")
PLACEMENT_PARTS = ("no_street", "no_community", "no_coordinates")


def _parts(t: Table, keys) -> tuple[dict[str, object], dict[str, tuple[str, ...]]]:
    """The count aggregates behind ``keys`` (one per distinct count, named ``n0``, ``n1`` …)
    and, per metric, the names of its counts."""
    aggs: dict[str, object] = {}
    names: dict[object, str] = {}
    columns = {}
    for key in keys:
        own = []
        for part in metrics.METRICS[key].counts.parts(t):
            name = names.setdefault(part.op(), f"n{len(names)}")
            aggs[name] = part
            own.append(name)
        columns[key] = tuple(own)
    return aggs, columns


@dataclass(frozen=True)
class EventCounts:
    """The count parts of some counted metrics per group and period, of one filter and
    comparison: ``frame`` has the group columns and ``period``, then one column per count;
    ``parts`` names each metric's columns. The overview's (``event_counts``) are those of
    ``COUNTED_METRICS`` (and of ``placement``) per grid (NULL: no grid), month of report and
    period. The figures derived from it (``kpis_from``, ``metric_table_from``,
    ``grid_metrics_from``, ``monthly_kpis_from``, ``placement_from``) equal what the
    per-figure queries compute."""

    frame: pd.DataFrame
    parts: dict[str, tuple[str, ...]]
    compared: bool


def event_counts(
    con: BaseBackend, f: Filters, coverage: DataRange, compare: str | None = "yoy"
) -> EventCounts:
    """The overview's counts in one scan (see :class:`EventCounts`)."""
    t = tagged_events(con, f, coverage, compare)
    t = t.mutate(month=t.reported_at.truncate("M").cast("date"))
    aggs, parts = _parts(t, COUNTED_METRICS)
    current = t.period == "current"  # where events lack a place: the selected period only
    aggs |= {
        "no_street": t.count(where=current & t.street_id.isnull()),
        "no_community": t.count(where=current & t.community_id.isnull()),
        "no_coordinates": t.count(where=current & (t.lon.isnull() | t.lat.isnull())),
    }
    frame = t.group_by(list(COUNT_GROUPS)).aggregate(**aggs).execute()
    return EventCounts(frame, parts, comparable(f, compare, coverage))


def count_parts(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...],
    by: list[str] | tuple[str, ...],
    compare: str | None = "yoy",
) -> EventCounts:
    """The count parts of the counted metrics ``keys`` per group of ``by`` and period, in one
    scan: the figures of ``keys`` by ``by`` or by any part of it (``metric_table_from``,
    ``kpis_from``), where a query per grouping would scan the events once for each."""
    t = tagged_events(con, f, coverage, compare)
    aggs, parts = _parts(t, keys)
    frame = t.group_by([*by, "period"]).aggregate(**aggs).execute()
    return EventCounts(frame, parts, comparable(f, compare, coverage))


def metric_table_from(counts: EventCounts, keys, by) -> pd.DataFrame:
    """``metric_table``'s rows for counted metrics ``keys`` by ``by`` (some of ``counts``'
    groups), from the count parts."""
    return _wide(_counted(counts, keys, by), keys, by, counts.compared)


def _counted(counts: EventCounts, keys, by) -> pd.DataFrame:
    """The counted metrics ``keys`` per group of ``by`` and period, from the count parts:
    the rows ``_metrics_by_period`` gives (a group only where it has events)."""
    frame = counts.frame
    needed = list(dict.fromkeys(name for key in keys for name in counts.parts[key]))
    summed = frame.groupby([*by, "period"], dropna=False, sort=False)[needed].sum()
    sums = {name: summed[name].to_numpy() for name in needed}
    out = summed.index.to_frame(index=False)
    figures = {
        key: metrics.METRICS[key].counts.combine(*(sums[name] for name in counts.parts[key]))
        for key in keys
    }  # made as arrays and added at once: a column set at a time costs pandas ~0.2 ms each
    return pd.concat([out, pd.DataFrame(figures, index=out.index)], axis=1)


def _with_medians(counted: pd.DataFrame, medians: pd.DataFrame | None, keys, by) -> pd.DataFrame:
    if medians is not None and not medians.empty:
        counted = counted.merge(medians, on=[*by, "period"], how="outer")
    elif medians is not None:  # no events, no rows (pandas cannot merge empty Arrow keys)
        counted = counted.assign(**{k: medians[k] for k in medians if k not in counted})
    return counted[[*by, "period", *keys]]


KPI_METRICS = (
    "intake",
    "closure_rate",
    "on_time_rate",
    "response_median",
    "satisfaction_rate",
    "grid_level_rate",
    "backlog",
)


def kpis(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...] = KPI_METRICS,
    compare: str | None = "yoy",
) -> pd.DataFrame:
    """The headline figures: one row per metric with value, previous value and change."""
    wide = metric_table(con, f, coverage, keys, compare=compare)
    return _kpi_rows(wide, keys, f, coverage, compare)


def kpi_medians(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...] = KPI_METRICS,
    compare: str | None = "yoy",
) -> pd.DataFrame | None:
    """What ``kpis_from`` needs besides the counts: the figures of ``keys`` not in
    ``COUNTED_METRICS`` (the medians) per period; None when there are none."""
    medians = [k for k in keys if k not in COUNTED_METRICS]
    return _metrics_by_period(con, f, coverage, medians, (), compare) if medians else None


def kpis_from(
    counts: EventCounts,
    medians: pd.DataFrame | None,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...] = KPI_METRICS,
    compare: str | None = "yoy",
) -> pd.DataFrame:
    """``kpis`` from the overview's counts (``event_counts``) and ``kpi_medians``."""
    counted = [k for k in keys if k in COUNTED_METRICS]
    long = _with_medians(_counted(counts, counted, ()), medians, keys, ())
    return _kpi_rows(_wide(long, keys, (), counts.compared), keys, f, coverage, compare)


def _kpi_rows(wide: pd.DataFrame, keys, f, coverage, compare) -> pd.DataFrame:
    row = wide.iloc[0]
    has_prev = comparable(f, compare, coverage)
    records = []
    for name in keys:
        value, previous = row[name], row[f"{name}_prev"]
        records.append(
            {
                "metric": name,
                "value": value,
                "previous": previous if has_prev else float("nan"),
                "change": metrics.change(name, value, previous) if has_prev else float("nan"),
            }
        )
    return pd.DataFrame.from_records(records)


FREQUENCIES = {"day": "D", "week": "W", "month": "M"}


def intake_trend(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    by: str = "event_type",
    freq: str = "month",
    compare: str | None = "yoy",
) -> pd.DataFrame:
    """Intake per ``freq`` bucket and ``by`` group: columns bucket, group, intake, period.

    Comparison days are moved onto the current period's calendar (by one year, or by the
    period's length for 环比) before they are bucketed, so both series share the x axis and
    its buckets.
    """
    # Count per calendar day first, then per bucket: periods are whole days, so a day's
    # period is known from the day alone, and truncating a day gives the same bucket as
    # truncating each of its timestamps, at a fraction of the cost over millions of events.
    t = apply_scope(con.table("events"), f)
    wanted = in_period(t, f.start, f.end)
    shift = None
    if comparable(f, compare, coverage):
        c = f.comparison(compare)
        wanted = wanted | in_period(t, c.start, c.end)
        unit, n = f.comparison_shift(compare)
        shift = ibis.interval(**{unit: n})
    t = t.filter(wanted)
    daily = t.group_by([t.reported_at.date().name("day"), t[by].name("group")]).aggregate(
        intake=t.count()
    )
    in_current = (daily.day >= f.start) & (daily.day <= f.end)
    day = daily.day if shift is None else ibis.ifelse(in_current, daily.day, daily.day + shift)
    bucket = day.truncate(FREQUENCIES[freq]).cast("timestamp").name("bucket")
    period = ibis.ifelse(in_current, "current", "previous").name("period")
    expr = daily.group_by([bucket, "group", period]).aggregate(intake=daily.intake.sum())
    df = expr.order_by(["period", "group", "bucket"]).execute()  # cheaper than in pandas
    df["bucket"] = pd.to_datetime(df["bucket"])
    return df


def top_categories(
    con: BaseBackend, f: Filters, coverage: DataRange, n: int = 8, compare: str | None = "yoy"
) -> pd.DataFrame:
    """The ``n`` categories with most intake: category, intake, intake_prev, change."""
    df = metric_table(con, f, coverage, ["intake"], by=["category"], compare=compare)
    return largest_categories(df, n)


def largest_categories(by_category: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` categories of ``by_category`` (intake and intake_prev by category, as
    ``metric_table`` gives them) with most intake, and their change."""
    df = by_category[by_category["intake"] > 0]  # not categories seen only before
    df = df.sort_values(["intake", "category"], ascending=[False, True]).head(n)
    df["change"] = metrics.relative_change(df["intake"], df["intake_prev"]).values
    return df.reset_index(drop=True)


def org_units(con: BaseBackend) -> pd.DataFrame:
    """All streets and communities with their parents: unit_id, parent_id, level, name."""
    t = con.table("org_units")
    return t.order_by(["level", "unit_id"]).execute()


def unit_names(con: BaseBackend) -> dict[str, str]:
    """Display name of every unit id: streets and communities by name, a grid as
    "<community> <grid>" (grid names such as 第3网格 repeat across communities)."""
    grids = con.table("grids").select("grid_id", "community_id", "name").to_pandas()
    return names_of(org_units(con), grids)


def names_of(units: pd.DataFrame, grids: pd.DataFrame) -> dict[str, str]:
    """``unit_names`` from frames the caller holds: ``org_units`` and the grids (grid_id,
    community_id, name; ``grid_reference`` has them)."""
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    for g, c, n in zip(grids["grid_id"], grids["community_id"], grids["name"], strict=True):
        names[g] = f"{names.get(c, c)} {n}"
    return names


def grid_reference(con: BaseBackend, f: Filters | None = None) -> pd.DataFrame:
    """Grids in scope with names of their community and street, sizes and staffing."""
    g = con.table("grids")
    if f is not None:
        g = apply_grid_scope(g, f)
    units = con.table("org_units")
    community = units.select(community_id="unit_id", community_name="name")
    street = units.select(street_id="unit_id", street_name="name")
    expr = (
        g.left_join(community, "community_id")
        .left_join(street, "street_id")
        .select(
            "grid_id",
            "name",
            "community_id",
            "community_name",
            "street_id",
            "street_name",
            "households",
            "population",
            "area_km2",
            "full_time_workers",
            "part_time_workers",
            "centroid_lon",
            "centroid_lat",
        )
        .order_by("grid_id")
    )
    return expr.execute()


def grid_shapes(con: BaseBackend, f: Filters | None = None) -> pd.DataFrame:
    """Grid outlines as lists of [lon, lat] rings (outer ring of each polygon part), to 5
    decimals (about a metre: what a map draws, rounded once here rather than on every
    drawing). Grids without an outline (e.g. made from the names in a 311 export) are not
    in it."""
    g = con.table("grids")
    if f is not None:
        g = apply_grid_scope(g, f)
    df = g.select("grid_id", "geometry").order_by("grid_id").execute()
    df["polygons"] = [_rounded(rings) for rings in df["geometry"].map(_outer_rings)]
    df = df[df["polygons"].map(len) > 0]
    return df.drop(columns="geometry").reset_index(drop=True)


def _rounded(rings: list) -> list:
    return [[[round(float(x), 5), round(float(y), 5)] for x, y, *_ in ring] for ring in rings]


def _outer_rings(geojson: str | None) -> list:
    if not isinstance(geojson, str) or not geojson.strip():
        return []
    geom = json.loads(geojson)
    if geom["type"] == "Polygon":
        return [geom["coordinates"][0]]
    if geom["type"] == "MultiPolygon":
        return [poly[0] for poly in geom["coordinates"]]
    return []


def placement(con: BaseBackend, f: Filters) -> dict[str, int]:
    """How many events of the period in scope lack a place: intake, no_street,
    no_community, no_grid (no grid recorded: 未落格), no_outline (a grid without an outline,
    so not on a grid map) and no_coordinates (not on a map of event positions). Such events
    count in every district-wide figure; breakdowns by unit and maps cannot show them."""
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end))
    g = con.table("grids")
    outlined = g.filter(g.geometry.notnull() & (g.geometry.strip() != "")).grid_id
    row = t.aggregate(
        intake=t.count(),
        no_street=t.count(where=t.street_id.isnull()),
        no_community=t.count(where=t.community_id.isnull()),
        no_grid=t.count(where=t.grid_id.isnull()),
        no_outline=t.count(where=t.grid_id.notnull() & ~t.grid_id.isin(outlined)),
        no_coordinates=t.count(where=t.lon.isnull() | t.lat.isnull()),
    ).execute()
    return {k: int(v) for k, v in row.iloc[0].items()}


def outlined_grids(con: BaseBackend) -> list[str]:
    """The grids with an outline (what ``placement`` counts as on a grid map)."""
    g = con.table("grids")
    return g.filter(g.geometry.notnull() & (g.geometry.strip() != "")).grid_id.to_list()


def placement_from(counts: EventCounts, outlined: list[str]) -> dict[str, int]:
    """``placement`` from the overview's counts (``event_counts``) and ``outlined_grids``."""
    frame = counts.frame[counts.frame["period"] == "current"]
    (n,) = counts.parts["intake"]
    grid = frame["grid_id"]
    return {
        "intake": int(frame[n].sum()),
        "no_street": int(frame["no_street"].sum()),
        "no_community": int(frame["no_community"].sum()),
        "no_grid": int(frame.loc[grid.isna(), n].sum()),
        "no_outline": int(frame.loc[grid.notna() & ~grid.isin(outlined), n].sum()),
        "no_coordinates": int(frame["no_coordinates"].sum()),
    }


GRID_METRICS = ("intake", "closure_rate", "on_time_rate", "satisfaction_rate", "backlog", "overdue")


def grid_metrics(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...] = GRID_METRICS,
    compare: str | None = "yoy",
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per grid in scope: reference columns, the metrics (and previous), density, workload.
    ``reference``: the district's ``grid_reference`` when the caller holds it (else
    queried)."""
    ref = grid_reference(con, f) if reference is None else _grids_in(reference, f)
    values = metric_table(con, f, coverage, keys, by=["grid_id"], compare=compare)
    return _per_grid(ref, values, f, keys, comparable(f, compare, coverage))


def _grids_in(reference: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The district's ``grid_reference`` narrowed to the grids in ``f``'s scope."""
    for column, value in (
        ("grid_id", f.grid_id),
        ("community_id", f.community_id),
        ("street_id", f.street_id),
    ):
        if value:
            return reference[reference[column] == value].reset_index(drop=True)
    return reference


def grid_metrics_from(
    counts: EventCounts, reference: pd.DataFrame, f: Filters, keys: tuple[str, ...] = GRID_METRICS
) -> pd.DataFrame:
    """``grid_metrics`` from the overview's counts (``event_counts``) and the district's
    ``grid_reference`` (narrowed here to the grids in ``f``'s scope); ``keys`` among
    ``COUNTED_METRICS``."""
    values = metric_table_from(counts, keys, ["grid_id"])
    return _per_grid(_grids_in(reference, f), values, f, keys, counts.compared)


def _per_grid(ref: pd.DataFrame, values: pd.DataFrame, f, keys, has_prev: bool) -> pd.DataFrame:
    df = ref.merge(values, on="grid_id", how="left")
    for k in keys:
        if metrics.METRICS[k].unit != "count":
            continue
        df[k] = df[k].fillna(0).astype("int64")  # a grid without events has 0 of them
        if has_prev:
            df[f"{k}_prev"] = df[f"{k}_prev"].fillna(0).astype("int64")
    if "intake" in keys:
        df["density"] = metrics.density(df["intake"], df["households"])
        df["density_prev"] = metrics.density(df["intake_prev"], df["households"])
        df["workload"] = metrics.workload(df["intake"], df["full_time_workers"], f.months)
    return df


HEX_METRICS = ("intake", "closure_rate", "overdue")
HEX_CELLS_ACROSS = 22


def _hex_cell(x, y, size: float):
    """Axial (q, r) of the pointy-top hexagon of ``size`` km holding point (x, y) km."""
    fq = (math.sqrt(3) / 3 * x - y / 3) / size
    fr = (2 / 3 * y) / size
    fs = -fq - fr
    rq, rr, rs = fq.round(), fr.round(), fs.round()
    dq, dr, ds = (rq - fq).abs(), (rr - fr).abs(), (rs - fs).abs()
    q_fix = (dq > dr) & (dq > ds)
    r_fix = ~q_fix & ~(dr > ds)
    q = ibis.ifelse(q_fix, -rr - rs, rq).cast("int64")
    r = ibis.ifelse(r_fix, -rq - rs, rr).cast("int64")
    return q, r


def hex_metrics(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    keys: tuple[str, ...] = HEX_METRICS,
    compare: str | None = "yoy",
    cells_across: int = HEX_CELLS_ACROSS,
) -> pd.DataFrame:
    """The map without grids: events with coordinates binned into equal hexagons.

    For data that has no grid boundaries (e.g. a 311 export whose units came from names).
    About ``cells_across`` hexagons span the period's events east to west; columns hex_id,
    polygon (lon/lat corners), lon, lat (centre) and the metrics (and previous). Only
    aggregates leave the database: never an event's own position.
    """
    t = apply_scope(con.table("events"), f)
    t = t.filter(in_period(t, f.start, f.end) & t.lon.notnull() & t.lat.notnull())
    box = t.aggregate(
        lon0=t.lon.min(), lon1=t.lon.max(), lat0=t.lat.min(), lat1=t.lat.max()
    ).execute()
    if box.empty or pd.isna(box["lon0"].iloc[0]):
        return pd.DataFrame(columns=["hex_id", "polygon", "lon", "lat", *keys])
    lon0, lon1, lat0, lat1 = (float(box[c].iloc[0]) for c in ("lon0", "lon1", "lat0", "lat1"))
    kx = geo.km_per_deg_lon((lat0 + lat1) / 2)
    ky = geo.KM_PER_DEG_LAT
    width = max((lon1 - lon0) * kx, (lat1 - lat0) * ky, 0.5)
    size = width / cells_across / math.sqrt(3)  # centre to corner, km
    # The lattice hangs from a round origin, not from an event: no hexagon is centred on one.
    lon0, lat0 = math.floor(lon0 * 10) / 10, math.floor(lat0 * 10) / 10

    def prepare(e: Table) -> Table:
        e = e.filter(e.lon.notnull() & e.lat.notnull())
        q, r = _hex_cell((e.lon - lon0) * kx, (e.lat - lat0) * ky, size)
        return e.mutate(hex_q=q, hex_r=r)

    df = metric_table(
        con, f, coverage, keys, by=["hex_q", "hex_r"], compare=compare, prepare=prepare
    )
    x = size * math.sqrt(3) * (df["hex_q"] + df["hex_r"] / 2)
    y = size * 1.5 * df["hex_r"]
    df["lon"], df["lat"] = lon0 + x / kx, lat0 + y / ky
    angles = [math.radians(30 + 60 * i) for i in range(6)]
    df["polygon"] = [
        [[lon0 + (cx + size * math.cos(a)) / kx, lat0 + (cy + size * math.sin(a)) / ky]
         for a in angles]
        for cx, cy in zip(x, y, strict=True)
    ]  # fmt: skip
    df["hex_id"] = df["hex_q"].astype(str) + "," + df["hex_r"].astype(str)
    return df.drop(columns=["hex_q", "hex_r"])


def worsening_grids(
    grids: pd.DataFrame, n: int = 8, min_events: int = metrics.MIN_EVENTS_TO_COMPARE
) -> pd.DataFrame:
    """Grids whose intake rose most against the comparison period (both periods ≥ min_events)."""
    df = grids[(grids["intake_prev"] >= min_events) & (grids["intake"] >= min_events)].copy()
    df["intake_change"] = metrics.relative_change(df["intake"], df["intake_prev"])
    df["closure_change"] = metrics.change(
        "closure_rate", df["closure_rate"], df["closure_rate_prev"]
    )
    df = df[df["intake_change"] > 0]
    return (
        df.sort_values(["intake_change", "grid_id"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )


def overdue_grids(grids: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """Grids with the most overdue backlog (ties: larger backlog first)."""
    df = grids[grids["overdue"] > 0]
    return (
        df.sort_values(["overdue", "backlog", "grid_id"], ascending=[False, False, True])
        .head(n)
        .reset_index(drop=True)
    )


def backlog_ageing(con: BaseBackend, f: Filters, coverage: DataRange) -> pd.DataFrame:
    """Open events of the period by age bucket: bucket, backlog, overdue (all buckets present)."""
    t = apply_scope(con.table("events"), f)
    # only the columns the ageing reads: a narrow table makes the expression far cheaper to
    # build and compile, which is most of this query's time
    t = t.filter(in_period(t, f.start, f.end)).select("reported_at", "closed_at", "deadline_at")
    t = t.mutate(as_of=ibis.literal(coverage.as_of))
    t = t.filter(metrics.open_at_as_of(t))
    expr = t.group_by(bucket=metrics.backlog_bucket(t)).aggregate(
        backlog=t.count(), overdue=t.count(where=t.deadline_at < t.as_of)
    )
    df = expr.execute()
    keys = [key for key, _, _ in metrics.BACKLOG_BUCKETS]
    df = pd.DataFrame({"bucket": keys}).merge(df, on="bucket", how="left").fillna(0)
    df[["backlog", "overdue"]] = df[["backlog", "overdue"]].astype("int64")
    return df


def categories(con: BaseBackend) -> list[str]:
    """Every business category present, for the filter's options."""
    t = con.table("events")
    return t.select("category").distinct().order_by("category").execute()["category"].tolist()


def import_history(con: BaseBackend, n: int = 20) -> pd.DataFrame:
    """The latest import runs (demo builds included), newest first."""
    t = con.table("imports")
    columns = [c for c in t.columns if c != "sha256"]
    return t.select(columns).order_by(ibis.desc("started_at")).limit(n).to_pandas()


def _by_month(t: Table) -> Table:
    return t.mutate(month=t.reported_at.truncate("M").cast("date"))


def monthly_kpis(
    con: BaseBackend, f: Filters, coverage: DataRange, keys: tuple[str, ...] = KPI_METRICS
) -> pd.DataFrame:
    """The headline figures per calendar month of the period, in one query (the cards' small
    trend lines): month (its first day) and each metric, a month without events with counts
    of 0 and rates of NaN. Each month's figures are the metric over the events reported in
    it, measured at ``as_of`` like the card's. Which months are whole is
    ``trends.partial_buckets``' to say, as for the trend charts."""
    df = metric_table(con, f, coverage, keys, by=["month"], compare=None, prepare=_by_month)
    return _every_month(df, f, keys)


def month_medians(
    con: BaseBackend, f: Filters, coverage: DataRange, keys: tuple[str, ...] = KPI_METRICS
) -> pd.DataFrame | None:
    """What ``monthly_kpis_from`` needs besides the counts: the figures of ``keys`` not in
    ``COUNTED_METRICS`` (the medians) per month of the period; None when there are none."""
    medians = [k for k in keys if k not in COUNTED_METRICS]
    if not medians:
        return None
    return _metrics_by_period(con, f, coverage, medians, ["month"], None, _by_month)


def monthly_kpis_from(
    counts: EventCounts,
    medians: pd.DataFrame | None,
    f: Filters,
    keys: tuple[str, ...] = KPI_METRICS,
) -> pd.DataFrame:
    """``monthly_kpis`` from the overview's counts (``event_counts``, whatever their
    comparison: the selected period's rows are the same) and ``month_medians``."""
    current = replace(counts, frame=counts.frame[counts.frame["period"] == "current"])
    counted = [k for k in keys if k in COUNTED_METRICS]
    long = _with_medians(_counted(current, counted, ["month"]), medians, keys, ["month"])
    return _every_month(_wide(long, keys, ["month"], False), f, keys)


def _every_month(df: pd.DataFrame, f: Filters, keys) -> pd.DataFrame:
    df = df.drop(columns=[f"{k}_prev" for k in keys])
    df["month"] = pd.to_datetime(df["month"])
    months = pd.date_range(pd.Timestamp(f.start).to_period("M").start_time, f.end, freq="MS")
    df = pd.DataFrame({"month": months}).merge(df, on="month", how="left")  # months without events
    for k in keys:
        if metrics.METRICS[k].unit == "count":
            df[k] = df[k].fillna(0).astype("int64")
    df["month"] = df["month"].dt.date
    return df


@dataclass(frozen=True)
class Freshness:
    """The freshness badge's figures: ``as_of`` (数据截至, the district's; None without
    events), the events the viewer's scope holds, and the newest import as its ``imports``
    row (a dict; None before any import)."""

    as_of: datetime | None
    events: int
    last_import: dict | None


def freshness(con: BaseBackend, coverage: DataRange | None = ...) -> Freshness:
    """数据截至, the newest import and how many events the (scoped) backend holds.
    ``coverage``: the data's span when the caller holds it (None: no events), else read."""
    if coverage is ...:
        coverage = data_range(con)
    events = int(con.table("events").count().execute())
    imports = con.table("imports")
    newest = (
        imports.order_by([ibis.desc("started_at"), ibis.desc("finished_at")]).limit(1).to_pandas()
    )
    return Freshness(
        coverage.as_of if coverage is not None else None,
        events,
        newest.iloc[0].to_dict() if len(newest) else None,
    )


def unit_outlines(
    con: BaseBackend, street_id: str | None = None, community_id: str | None = None
) -> pd.DataFrame:
    """The outlines of the units a map of the scope shows, merged from their grids'
    (``geo.dissolve``): the streets for the district, a street and its communities for a
    street, the community alone for a community. Columns level, unit_id, name, paths (the
    outline's rings) and label_lon, label_lat (where its name goes)."""
    g = con.table("grids")
    if community_id:
        g = g.filter(g.community_id == community_id)
        levels = ("community",)
    elif street_id:
        g = g.filter(g.street_id == street_id)
        levels = ("street", "community")
    else:
        levels = ("street",)
    grids = g.select("grid_id", "community_id", "street_id", "geometry").order_by("grid_id")
    grids = grids.execute()
    rings = [_outer_rings(x) for x in grids["geometry"]]
    units = org_units(con)
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    rows = []
    for level in levels:
        keys = [k if isinstance(k, str) else "" for k in grids[f"{level}_id"]]
        for unit, (paths, (lon, lat)) in sorted(geo.dissolve(rings, keys).items()):
            if unit:
                rows.append((level, unit, names.get(unit, unit), paths, lon, lat))
    return pd.DataFrame(
        rows, columns=["level", "unit_id", "name", "paths", "label_lon", "label_lat"]
    )
