"""网格调整推演: re-partition times and the response model's back-test (issue #6: ≤ 2 s for
one street of ~10,000 buildings).

    .venv/bin/python -m bench.whatif [--size 1000000] [--runs 3]

Uses ``bench/out/events_<N>.duckdb`` (built by ``bench.overview``; the district's buildings
are the same at every size, the events calibrate the model). Prints the median of ``--runs``
timings of a fresh and a least-change re-partition of every street at its current median
grid size, then of the whole district at once, then the model's cross-validated accuracy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from analytics import queries
from analytics.connection import connect
from analytics.planning import partition, queueing, whatif
from bench.overview import built_db


def timed(run, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ceiling", type=float, default=150, help="events per worker a month")
    args = parser.parse_args()
    path = built_db(args.size)
    con = connect(path, read_only=True)
    units = queries.org_units(con)
    streets = list(units.loc[units["level"] == "street", "unit_id"])
    scopes = {s: whatif.load_scope(con, s) for s in streets}
    calibration = whatif.calibration_grids(con, queries.data_range(con))
    con.disconnect()

    print(
        "| scope | buildings | grids now → fresh | fresh s | CV | compactness now → fresh "
        "| least-change s | kept | ceiling s | grids under ceiling |"
    )
    print("|---|---:|---|---:|---:|---|---:|---:|---:|---|")
    for street, scope in scopes.items():
        target = float(scope.grids["households"].median())
        now = partition.current_plan(scope.buildings, scope.grids).stats["mean_compactness"]
        fresh_s, fresh = timed(
            lambda s=scope, t=target: partition.repartition(
                s.buildings, s.grids, households_per_grid=t
            ),
            args.runs,
        )
        least_s, least = timed(
            lambda s=scope, t=target: partition.repartition(
                s.buildings, s.grids, households_per_grid=t, least_change=True
            ),
            args.runs,
        )
        ceiling_s, capped = timed(
            lambda s=scope: whatif.redraw(s, calibration, events_ceiling=args.ceiling), args.runs
        )
        print(
            f"| {street} {scope.name} | {len(scope.buildings):,} | {len(scope.grids)} → "
            f"{fresh.stats['n_grids']} | {fresh_s:.2f} | {fresh.stats['households_cv']:.1%} | "
            f"{now:.2f} → {fresh.stats['mean_compactness']:.2f} | "
            f"{least_s:.2f} | {least.stats['kept_share']:.0%} | {ceiling_s:.2f} | "
            f"{capped.stats['n_grids']} |"
        )
    buildings = pd.concat([s.buildings for s in scopes.values()], ignore_index=True)
    grids = pd.concat([s.grids for s in scopes.values()], ignore_index=True)
    target = float(grids["households"].median())
    now = partition.current_plan(buildings, grids).stats["mean_compactness"]
    district_s, district = timed(
        lambda: partition.repartition(buildings, grids, households_per_grid=target), args.runs
    )
    print(
        f"| whole district | {len(buildings):,} | {len(grids)} → {district.stats['n_grids']} | "
        f"{district_s:.2f} | {district.stats['households_cv']:.1%} | "
        f"{now:.2f} → {district.stats['mean_compactness']:.2f} | | | | |"
    )

    started = time.perf_counter()
    model, tests = queueing.calibrate(calibration)
    seconds = time.perf_counter() - started
    print(
        f"\nResponse model on {len(calibration)} grids (calibration and back-test {seconds:.1f} s)"
    )
    print("\n| model | median MAPE | median r | P90 MAPE | P90 r | 按时办结率 MAE | r |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, t in tests.items():
        mark = " (used)" if kind == model.kind else ""
        print(
            f"| {queueing.KINDS[kind]}{mark} | {t.median_mape:.1%} | {t.median_r:.2f} | "
            f"{t.p90_mape:.1%} | {t.p90_r:.2f} | {t.on_time_mae * 100:.1f} 个百分点 | "
            f"{t.on_time_r:.2f} |"
        )


if __name__ == "__main__":
    main()
