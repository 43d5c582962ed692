"""网格热力图: which grids are in trouble, on a map, and what one grid looks like inside.

Figures per grid come from ``queries.grid_metrics`` (one query for every metric the map can
show, so picking another metric only recolours). The event-density layer is
``queries.hex_metrics`` on a finer lattice: counts per hexagon, never an event's position.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from analytics import metrics
from analytics.filters import Filters, add_months, apply_scope, in_period, month_end
from analytics.masking import mask_name
from analytics.queries import DataRange, grid_metrics, hex_metrics

# The metrics a user can colour the grids by, and whether a higher value is worse.
MAP_METRICS: dict[str, bool] = {
    k: metrics.higher_is_worse(k)
    for k in (
        "density",
        "closure_rate",
        "on_time_rate",
        "response_median",
        "satisfaction_rate",
        "backlog",
        "repeat_rate",
    )
}
# What one query computes per grid: everything the map, its tooltip and the panel show.
GRID_FIGURES = (
    "intake",
    "closure_rate",
    "on_time_rate",
    "response_median",
    "satisfaction_rate",
    "backlog",
    "overdue",
    "repeat_rate",
)
DENSITY_CELLS_ACROSS = 40  # hexagons across the district: ~500 m cells for a 20 km district
# A cell with fewer events is left off the density layer: a count of one or two in a 500 m
# cell comes close to pointing at a household.
DENSITY_MIN_EVENTS = 3


def grid_figures(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    compare: str | None = "yoy",
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per grid in scope: reference columns, every map metric (and its previous value),
    density (per 1,000 households) and workload (per full-time worker and month).
    ``reference``: the district's ``queries.grid_reference`` when the caller holds it."""
    return grid_metrics(con, f, coverage, GRID_FIGURES, compare=compare, reference=reference)


def density_hexes(
    con: BaseBackend, f: Filters, coverage: DataRange, min_events: int = DENSITY_MIN_EVENTS
) -> pd.DataFrame:
    """Events with coordinates counted per ~500 m hexagon (hex_id, polygon, lon, lat,
    intake): the density layer, aggregated in the database. Cells with fewer than
    ``min_events`` are left off; ``attrs`` holds how many cells and events that hides."""
    hexes = hex_metrics(
        con, f, coverage, ("intake",), compare=None, cells_across=DENSITY_CELLS_ACROSS
    )
    sparse = hexes["intake"] < min_events
    shown = hexes[~sparse].sort_values("hex_id", ignore_index=True)
    shown.attrs = {
        "hidden_cells": int(sparse.sum()),
        "hidden_events": int(hexes.loc[sparse, "intake"].sum()),
        "min_events": min_events,
    }
    return shown


def month_starts(f: Filters) -> list[date]:
    """The first day of every month the period touches: the period slider's stops."""
    months, day = [], f.start.replace(day=1)
    while day <= f.end:
        months.append(day)
        day = add_months(day, 1)
    return months


def months_within(f: Filters, first: date, last: date) -> Filters:
    """The sidebar's filters narrowed to the months ``first`` … ``last`` (clipped to the
    sidebar's own period)."""
    return f.with_period(max(f.start, first), min(f.end, month_end(last.year, last.month)))


def grid_scope(f: Filters, grid: pd.Series) -> Filters:
    """``f`` narrowed to one grid (its period and dimension filters kept)."""
    return replace(
        f, street_id=grid["street_id"], community_id=grid["community_id"], grid_id=grid["grid_id"]
    )


def worst(grids: pd.DataFrame, metric: str, n: int) -> pd.DataFrame:
    """The ``n`` grids worst on ``metric`` (grids without a value are not ranked)."""
    ranked = grids[grids[metric].notna()]
    return ranked.sort_values([metric, "grid_id"], ascending=[not MAP_METRICS[metric], True]).head(
        n
    )


def grid_workers(con: BaseBackend, f: Filters, coverage: DataRange, grid_id: str) -> pd.DataFrame:
    """The grid's staff and the events they handled in the period (their worker_id on the
    event): worker_id, name (masked), role, reported (their own patrol findings), handled
    (other events assigned to them), events (both), closed (of those, closed by ``as_of``),
    in_grid (of those, in this grid) and per_month (events per month of the period). The
    sidebar's dimension filters apply; a worker's events count wherever they happened, so
    per_month is not the grid's 人均事件数 (workload: the grid's whole intake shared among
    its full-time workers). Full-time workers first, busiest first."""
    staff = con.table("workers")
    staff = staff.filter(staff.grid_id == grid_id).select("worker_id", "name", "role").execute()
    columns = ["worker_id", "name", "role", "reported", "handled", "events", "closed", "in_grid",
               "per_month"]  # fmt: skip
    if staff.empty:
        return pd.DataFrame(columns=columns)
    anywhere = replace(f, street_id=None, community_id=None, grid_id=None)  # keep dimensions
    t = apply_scope(con.table("events"), anywhere)
    t = t.filter(
        in_period(t, f.start, f.end) & t.worker_id.isin(staff["worker_id"].tolist())
    ).mutate(as_of=ibis.literal(coverage.as_of))
    patrol = (t.channel == "patrol").fill_null(False)  # an unknown channel counts as handled
    counts = (
        t.group_by("worker_id")
        .aggregate(
            reported=t.count(where=patrol),
            handled=t.count(where=~patrol),
            closed=t.count(where=metrics.closed(t)),
            in_grid=t.count(where=(t.grid_id == grid_id).fill_null(False)),
        )
        .execute()
    )
    df = staff.merge(counts, on="worker_id", how="left")
    for column in ("reported", "handled", "closed", "in_grid"):
        df[column] = df[column].fillna(0).astype("int64")
    df["events"] = df["reported"] + df["handled"]
    df["per_month"] = df["events"] / f.months
    df["name"] = df["name"].map(mask_name)
    df["order"] = (df["role"] != "full_time").astype(int)
    df = df.sort_values(["order", "per_month", "worker_id"], ascending=[True, False, True])
    return df[columns].reset_index(drop=True)
