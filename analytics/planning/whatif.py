"""网格调整推演: what a re-drawn set of grids would need and do.

A plan (``partition.Plan``: which building goes to which grid) is judged by the response
model of ``queueing``, calibrated on the last year of every current grid of the district.
Event arrivals move with their buildings (each carries its old grid's events per household);
every new grid gets one full-time worker per ``staff_cap`` events a month, rounded up and at
least one (the "1" of 1+3+N); the model predicts each grid's median and P90 response and
按时办结率. The current grids go through the same model with their own staff, so before and
after are compared like for like. ``scenario`` runs these steps in order for the command
line and the page.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from analytics import access, formats
from analytics.filters import Filters
from analytics.planning import partition, queueing
from analytics.queries import DataRange, metric_table
from analytics.settings import Settings

CALIBRATION_DAYS = 365  # the last year of data calibrates the model
WORKER_HOURS_PER_MONTH = Settings().worker_hours_per_month


@dataclass(frozen=True)
class Scope:
    """The district, street or community being re-drawn, as the partitioner and the model
    need it."""

    unit_id: str
    level: str  # "district", "street" or "community"
    name: str
    buildings: pd.DataFrame  # building_id, grid_id, community_id, lon, lat, households
    grids: pd.DataFrame  # grid_id, community_id, name, households, full_time_workers, geometry


def load_scope(con: BaseBackend, unit_id: str) -> Scope:
    """The buildings and current grids of the district, a street or a community (ValueError
    in Chinese for an unknown unit or one without buildings)."""
    units = con.table("org_units")
    unit = units.filter(units.unit_id == unit_id).execute()
    if unit.empty or unit["level"].iloc[0] not in ("district", "street", "community"):
        raise ValueError(f"推演范围须为区、街道或社区编码,{unit_id!r} 不是。")
    level = unit["level"].iloc[0]
    g = con.table("grids")
    if level != "district":
        g = g.filter((g.street_id if level == "street" else g.community_id) == unit_id)
    grids = g.select(
        "grid_id", "community_id", "name", "households", "full_time_workers", "geometry"
    ).execute()
    b = con.table("buildings")
    b = b.filter(b.grid_id.isin(grids["grid_id"].tolist()))
    buildings = b.select("building_id", "grid_id", "community_id", "lon", "lat", "households")
    buildings = buildings.order_by("building_id").execute()
    if buildings.empty:
        raise ValueError(f"{unit['name'].iloc[0]} 没有楼栋数据:请先在「数据导入」页导入楼栋。")
    return Scope(unit_id, level, unit["name"].iloc[0], buildings, grids)


def building_rates(scope: Scope, calibration: pd.DataFrame) -> pd.Series:
    """Each building's events per working hour (in ``scope.buildings`` order): its households
    times its current grid's events per household, or the district's where the grid has no
    calibration. Both rates count households from the buildings table."""
    rates = calibration.set_index("grid_id")["rate"]
    housed = calibration.set_index("grid_id")["households"]
    per_household = rates / housed.where(housed > 0)
    district_rate = calibration["rate"].sum() / max(calibration["households"].sum(), 1)
    b = scope.buildings
    return b["households"] * b["grid_id"].map(per_household).fillna(district_rate)


def with_events(
    scope: Scope, calibration: pd.DataFrame, hours_per_month: float = WORKER_HOURS_PER_MONTH
) -> pd.DataFrame:
    """The scope's buildings with their expected ``events`` a month, what the events-ceiling
    re-partition balances on (ValueError in Chinese when the scope had no events)."""
    events = building_rates(scope, calibration) * hours_per_month
    if not events.sum() > 0:
        raise ValueError("该范围近一年没有事件,无法按人均事件上限划分网格。")
    return scope.buildings.assign(events=events.to_numpy())


def redraw(
    scope: Scope,
    calibration: pd.DataFrame,
    *,
    households_per_grid: float | None = None,
    n_grids: int | None = None,
    events_ceiling: float | None = None,
    least_change: bool = False,
    hours_per_month: float = WORKER_HOURS_PER_MONTH,
) -> partition.Plan:
    """The scope re-drawn for one target (see ``partition.repartition``); under an events
    ceiling each building brings its expected events a month (:func:`with_events`)."""
    buildings = (
        with_events(scope, calibration, hours_per_month)
        if events_ceiling is not None
        else scope.buildings
    )
    return partition.repartition(
        buildings,
        scope.grids,
        households_per_grid=households_per_grid,
        n_grids=n_grids,
        events_ceiling=events_ceiling,
        least_change=least_change,
    )


def hand_edits(scope: Scope, edits: tuple[tuple[str, ...], ...]) -> partition.Plan:
    """Today's grids with the hand ``edits`` applied in order (("split", grid) or ("merge",
    a, b)), each on the grids the previous one left; moves and the kept share are reported
    against today's grids."""
    plan = partition.current_plan(scope.buildings, scope.grids)
    for edit in edits:
        buildings, grids = partition.plan_inputs(plan, scope.buildings)
        if edit[0] == "split":
            plan = partition.split_grid(buildings, grids, edit[1])
        else:
            plan = partition.merge_grids(buildings, grids, edit[1], edit[2])
    original = plan.assignment.assign(old_grid_id=scope.buildings["grid_id"].to_numpy())
    kept = float((original["new_grid_id"] == original["old_grid_id"]).mean())
    return replace(plan, assignment=original, stats={**plan.stats, "kept_share": kept})


def calibrated_model(
    con: BaseBackend, coverage: DataRange, hours_per_month: float = WORKER_HOURS_PER_MONTH
) -> tuple[pd.DataFrame, queueing.Model, dict[str, queueing.Backtest]]:
    """The better response model and both models' back-tests, fitted on every grid of the
    district, with the calibration rows and back-test predictions of ``con``'s scope only.

    A street or community alone has too few grids to fit a model (a community has about
    five), and the same scope must get the same prediction whoever views it; the model's
    coefficients and error figures show no unit's rows (``access.unscoped``)."""
    everyone = calibration_grids(access.unscoped(con), coverage, hours_per_month)
    model, tests = queueing.calibrate(everyone)
    mine = set(con.table("grids").grid_id.execute())
    if len(mine) == everyone["grid_id"].nunique() or access.scope_of_backend(con).whole:
        return everyone, model, tests
    tests = {
        kind: replace(t, predictions=t.predictions[t.predictions["grid_id"].isin(mine)])
        for kind, t in tests.items()
    }
    return everyone[everyone["grid_id"].isin(mine)].reset_index(drop=True), model, tests


def calibration_grids(
    con: BaseBackend, coverage: DataRange, hours_per_month: float = WORKER_HOURS_PER_MONTH
) -> pd.DataFrame:
    """Every current grid's last year: events, households (its buildings'), rate (events per
    working hour of the grid), servers (full-time workers), median_hours, p90_hours,
    on_time_rate (the metrics of ``metrics``). Grids without staff or events are left out."""
    start = max(coverage.first_day, coverage.last_day - timedelta(days=CALIBRATION_DAYS - 1))
    f = Filters(start, coverage.last_day)
    figures = metric_table(
        con,
        f,
        coverage,
        ["intake", "response_median", "response_p90", "on_time_rate"],
        by=["grid_id"],
        compare=None,
    )
    b = con.table("buildings")
    housed = b.group_by("grid_id").aggregate(housed=b.households.sum())
    g = con.table("grids")
    staff = (
        g.left_join(housed, "grid_id")
        .select(
            g.grid_id,
            g.full_time_workers,
            # what the grid's buildings hold, the base of every per-household rate; the
            # grids table's own count only for a grid without buildings
            households=housed.housed.fill_null(g.households),
        )
        .execute()
    )
    df = figures.merge(staff, on="grid_id", how="inner")
    df = df[(df["full_time_workers"] > 0) & (df["intake"] > 0)].dropna(
        subset=["response_median", "response_p90", "on_time_rate"]
    )
    return pd.DataFrame(
        {
            "grid_id": df["grid_id"],
            "events": df["intake"],
            "households": df["households"],
            "rate": df["intake"] / (f.months * hours_per_month),
            "servers": df["full_time_workers"],
            "median_hours": df["response_median"],
            "p90_hours": df["response_p90"],
            "on_time_rate": df["on_time_rate"],
        }
    ).reset_index(drop=True)


@dataclass(frozen=True)
class Outcome:
    """One side of the comparison: the grids with their predicted figures, and totals."""

    grids: pd.DataFrame  # grid_id, community_id, households, events_per_month, workers,
    #                      per_worker_month, predicted median/p90 hours, on_time_rate
    totals: dict


def outcome(
    plan: partition.Plan,
    scope: Scope,
    calibration: pd.DataFrame,
    model: queueing.Model,
    *,
    staff_cap: float | None = None,
    hours_per_month: float = WORKER_HOURS_PER_MONTH,
    cost_per_worker_year: float = 0.0,
) -> Outcome:
    """Predicted figures of ``plan``. Each building brings its old grid's events per
    household (the district's average where its grid has no calibration). Staffing: with no
    ``staff_cap`` (today's grids) the grids' own full-time workers; otherwise one per
    ``staff_cap`` events a month, rounded up, and at least one (the "1" of 1+3+N)."""
    b = scope.buildings[["building_id"]].assign(rate=building_rates(scope, calibration))
    b = b.merge(plan.assignment[["building_id", "new_grid_id"]], on="building_id")
    grids = plan.grids[["new_grid_id", "community_id", "households"]].merge(
        b.groupby("new_grid_id", as_index=False)["rate"].sum(), on="new_grid_id", how="left"
    )
    grids["rate"] = grids["rate"].fillna(0.0)
    if staff_cap is None:  # today's grids: today's staff
        staff = scope.grids.set_index("grid_id")["full_time_workers"]
        grids["workers"] = grids["new_grid_id"].map(staff).fillna(0).astype(int)
    else:  # one per ``staff_cap`` events a month begun, and at least one
        need = np.ceil(grids["rate"] * hours_per_month / staff_cap)
        grids["workers"] = np.maximum(1, need).astype(int)
    grids["events_per_month"] = grids["rate"] * hours_per_month
    grids["per_worker_month"] = grids["events_per_month"] / grids["workers"]
    predicted = model.predict(grids["rate"], grids["workers"])
    grids = pd.concat([grids, predicted.drop(columns="utilisation")], axis=1)
    weight = grids["events_per_month"].to_numpy()
    finite = np.isfinite(grids["median_hours"].to_numpy())
    workers = int(grids["workers"].sum())
    totals = {
        "grids": len(grids),
        "full_time_workers": workers,
        "households_median": float(grids["households"].median()),
        "households_cv": float(grids["households"].std(ddof=0) / grids["households"].mean()),
        "households_max_min_ratio": float(
            grids["households"].max() / max(grids["households"].min(), 1)
        ),
        "events_per_worker_month": float(grids["events_per_month"].sum() / max(workers, 1)),
        "events_per_worker_month_max": float(grids["per_worker_month"].max()),
        "median_hours": pooled_quantile(grids["median_hours"], grids["p90_hours"], weight, 0.5),
        "p90_hours": pooled_quantile(grids["median_hours"], grids["p90_hours"], weight, 0.9),
        "on_time_rate": float(np.average(grids["on_time_rate"], weights=weight))
        if weight.sum() > 0
        else math.nan,
        "overloaded_grids": int((~finite).sum()),
        "annual_staff_cost": workers * cost_per_worker_year,
    }
    return Outcome(grids.rename(columns={"new_grid_id": "grid_id"}), totals)


_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def pooled_quantile(medians: pd.Series, p90s: pd.Series, weight: np.ndarray, q: float) -> float:
    """The ``q`` quantile over all events of the scope: each grid's response times taken as
    log-normal with its predicted median and P90, mixed by the grid's events. inf when an
    overloaded grid holds events."""
    m, p, w = (np.asarray(x, dtype="float64") for x in (medians, p90s, weight))
    if w.sum() <= 0:
        return math.nan
    if (~np.isfinite(m) & (w > 0)).any():
        return math.inf
    keep = w > 0
    m, p, w = np.maximum(m[keep], 1e-6), np.maximum(p[keep], 1e-6), w[keep] / w[keep].sum()
    sigma = np.maximum(np.log(p / m) / _Z90, 1e-6)
    lo, hi = np.log(m.min()) - 8 * sigma.max(), np.log(p.max()) + 8 * sigma.max()
    for _ in range(80):  # bisection on log hours
        mid = (lo + hi) / 2
        z = (mid - np.log(m)) / sigma
        cdf = float((w * 0.5 * (1 + _erf(z / math.sqrt(2)))).sum())
        lo, hi = (mid, hi) if cdf < q else (lo, mid)
    return float(math.exp((lo + hi) / 2))


_erf = np.vectorize(math.erf)


def finite(value):
    """``value`` with every non-finite number replaced by None: JSON has no inf or NaN."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plan_geojson(plan: partition.Plan) -> dict:
    """The plan's new grids as a GeoJSON FeatureCollection (WGS-84)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "grid_id": row.new_grid_id,
                    "community_id": row.community_id,
                    "households": int(row.households),
                    "buildings": int(row.buildings),
                },
                "geometry": json.loads(row.geometry),
            }
            for row in plan.grids.itertuples(index=False)
        ],
    }


def summary(
    plan: partition.Plan, before: Outcome, after: Outcome, model: queueing.Model, tests: dict
) -> dict:
    """summary.json: before/after totals, the plan's balance, the model and its back-tests
    (non-finite figures as null)."""
    return finite(
        {
            "before": before.totals,
            "after": after.totals,
            "plan": plan.stats,
            "model": {
                "chosen": model.kind,
                **{
                    kind: {k: v for k, v in t.__dict__.items() if k != "predictions"}
                    for kind, t in tests.items()
                },
            },
        }
    )


def write_plan(plan: partition.Plan, summary_figures: dict, out: Path) -> None:
    """grids.geojson (new grids), assignment.csv (building_id,old_grid_id,new_grid_id) and
    summary.json (see :func:`summary`)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "grids.geojson").write_text(
        json.dumps(plan_geojson(plan), ensure_ascii=False), encoding="utf-8"
    )
    assignment = plan.assignment[["building_id", "old_grid_id", "new_grid_id"]]
    formats.spreadsheet_safe(assignment).to_csv(out / "assignment.csv", index=False)
    (out / "summary.json").write_text(
        json.dumps(summary_figures, ensure_ascii=False, indent=2, allow_nan=False),
        encoding="utf-8",
    )
