"""网格调整推演: what a re-drawn set of grids would need and do.

A scenario is a ``partition.Plan`` (which building goes to which grid) judged by the
response model of ``queueing`` calibrated on the current grids. Event arrivals move with
their buildings (each carries its old grid's events per household); a grid that continues
an old one keeps its full-time workers and a new grid gets one (the "1" of 1+3+N); the
model predicts each grid's median and P90 response and 按时办结率. The current grids go
through the same model, so before and after are compared like for like.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from analytics import partition as pt
from analytics import queueing as qu
from analytics.filters import Filters
from analytics.queries import DataRange, metric_table
from analytics.settings import Settings

CALIBRATION_DAYS = 365  # the last year of data calibrates the model
WORKER_HOURS_PER_MONTH = Settings().worker_hours_per_month


@dataclass(frozen=True)
class Scope:
    """The street or community being re-drawn, as the partitioner and the model need it."""

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


def households_for_ceiling(
    scope: Scope,
    calibration: pd.DataFrame,
    events_per_worker_month: float,
    hours_per_month: float = WORKER_HOURS_PER_MONTH,
) -> float:
    """The households per grid at which one full-time worker meets ``events_per_worker_month``
    on average, given the scope's current events per household."""
    cal = calibration[calibration["grid_id"].isin(scope.grids["grid_id"])]
    per_household = cal["rate"].sum() * hours_per_month / max(cal["households"].sum(), 1)
    if per_household <= 0:
        raise ValueError("该范围近一年没有事件,无法按人均事件数推算网格大小。")
    return events_per_worker_month / per_household


def calibration_grids(
    con: BaseBackend, rng: DataRange, hours_per_month: float = WORKER_HOURS_PER_MONTH
) -> pd.DataFrame:
    """Every current grid's last year: events, rate (events per working hour of the grid),
    servers (full-time workers), median_hours, p90_hours, on_time_rate (the metrics of
    ``metrics``). Grids without staff or events are left out."""
    f = Filters(rng.last_day - timedelta(days=CALIBRATION_DAYS - 1), rng.last_day)
    figures = metric_table(
        con,
        f,
        rng,
        ["intake", "response_median", "response_p90", "on_time_rate"],
        by=["grid_id"],
        compare=None,
    )
    staff = con.table("grids").select("grid_id", "full_time_workers", "households").execute()
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
    plan: pt.Plan,
    scope: Scope,
    calibration: pd.DataFrame,
    model: qu.Model,
    *,
    hours_per_month: float = WORKER_HOURS_PER_MONTH,
    cost_per_worker_year: float = 0.0,
) -> Outcome:
    """Predicted figures of ``plan``. Each building brings its old grid's events per
    household. A grid that continues an old grid keeps its full-time workers; a new grid
    gets one (the "1" of 1+3+N)."""
    per_household = calibration.set_index("grid_id")
    per_household = per_household["rate"] / per_household["households"].where(
        per_household["households"] > 0
    )
    district_rate = calibration["rate"].sum() / max(calibration["households"].sum(), 1)
    b = scope.buildings[["building_id", "grid_id", "households"]].merge(
        plan.assignment[["building_id", "new_grid_id"]], on="building_id"
    )
    b["rate"] = b["households"] * b["grid_id"].map(per_household).fillna(district_rate)
    grids = plan.grids[["new_grid_id", "community_id", "households"]].merge(
        b.groupby("new_grid_id", as_index=False)["rate"].sum(), on="new_grid_id", how="left"
    )
    grids["rate"] = grids["rate"].fillna(0.0)
    staff = scope.grids.set_index("grid_id")["full_time_workers"]
    continued = plan.grids["kept_from"].map(staff)  # a grid that continues an old one keeps
    grids["workers"] = continued.fillna(1).clip(lower=1).astype(int).to_numpy()  # its staff
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
        "median_hours": _weighted_median(grids["median_hours"], weight),
        "p90_hours": _weighted_median(grids["p90_hours"], weight),
        "on_time_rate": float(np.average(grids["on_time_rate"], weights=weight))
        if weight.sum() > 0
        else math.nan,
        "overloaded_grids": int((~finite).sum()),
        "annual_staff_cost": workers * cost_per_worker_year,
    }
    return Outcome(grids.rename(columns={"new_grid_id": "grid_id"}), totals)


def _weighted_median(values: pd.Series, weight: np.ndarray) -> float:
    """The value at the middle event: the grid medians weighted by their events."""
    order = np.argsort(values.to_numpy(), kind="stable")
    v, w = values.to_numpy()[order], weight[order]
    if w.sum() <= 0:
        return math.nan
    return float(v[np.searchsorted(np.cumsum(w), w.sum() / 2)])


def write_plan(plan: pt.Plan, before: Outcome, after: Outcome, backtest: dict, out: Path) -> None:
    """grids.geojson (new grids), assignment.csv (building_id,old_grid_id,new_grid_id) and
    summary.json (before/after totals, the plan's balance, the model's back-test)."""
    out.mkdir(parents=True, exist_ok=True)
    features = [
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
    ]
    (out / "grids.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    plan.assignment[["building_id", "old_grid_id", "new_grid_id"]].to_csv(
        out / "assignment.csv", index=False
    )
    summary = {
        "before": before.totals,
        "after": after.totals,
        "plan": plan.stats,
        "model": backtest,
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=_plain), encoding="utf-8"
    )


def _plain(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(type(x))
