"""网格热力图: query times and the map's payload (issue #5: map interaction ≤ 1 s warm, payload
< 2 MB at 10M events).

    .venv/bin/python -m bench.heatmap [--sizes 1000000 10000000] [--runs 3]

Uses the bench databases of ``bench.overview`` (``bench/out/events_<N>.duckdb``). For each
size: the median of ``--runs`` warm runs of each query the page makes (本年, whole district,
then one month picked on the period slider, then one grid's panel), the time to build the
deck, and the size of its JSON (what the browser receives) with and without the density
layer and the 3-D extrusion.
"""

from __future__ import annotations

import argparse

from analytics import heatmap, queries, scales
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from bench.overview import db_path, missing_db
from bench.pages import timed
from ui import maps


def measure(size: int, runs: int) -> None:
    problem = missing_db(size)
    if problem:
        print(problem)
        return
    path = db_path(size)
    con = connect(path, read_only=True)
    coverage = queries.data_range(con)
    f = Filters(*preset_period("ytd", coverage.last_day))
    last = heatmap.month_starts(f)[-1]
    month = heatmap.months_within(f, last, last)
    grids = heatmap.grid_figures(cursor(con), f, coverage)
    shapes = queries.grid_shapes(cursor(con), f)
    hexes = heatmap.density_hexes(cursor(con), f, coverage)
    grid = grids.sort_values("intake").iloc[-1]
    scope = heatmap.grid_scope(f, grid)
    worst = tuple(heatmap.worst(grids, "density", 10)["grid_id"])
    scale = scales.for_metric("density", grids["density"])  # the district's own breaks

    steps = {
        "grid figures (本年, the map's every metric)": lambda: heatmap.grid_figures(
            cursor(con), f, coverage
        ),
        "grid outlines": lambda: queries.grid_shapes(cursor(con), f),
        "density hexagons": lambda: heatmap.density_hexes(cursor(con), f, coverage),
        "grid figures, one month on the slider": lambda: heatmap.grid_figures(
            cursor(con), month, coverage
        ),
        "panel: trend": lambda: queries.intake_trend(
            cursor(con), scope, coverage, "event_type", "month", None
        ),
        "panel: categories": lambda: queries.top_categories(cursor(con), scope, coverage, 5),
        "panel: workers": lambda: heatmap.grid_workers(cursor(con), f, coverage, grid["grid_id"]),
        "deck (grids only)": lambda: maps.heat_deck(grids, shapes, "density", scale).to_json(),
        "deck (density + 3-D)": lambda: maps.heat_deck(
            grids, shapes, "density", scale, hexes=hexes, extrude=worst
        ).to_json(),
    }
    print(
        f"\n{size:,} events · 本年 {f.start} – {f.end} · {len(grids)} grids · {len(hexes)} hexagons"
    )
    print("\n| step | ms |\n|---|---:|")
    for name, run in steps.items():
        print(f"| {name} | {timed(run, runs):,.0f} |")
    print("\n| payload | bytes |\n|---|---:|")
    for name, deck in (
        ("grids only", maps.heat_deck(grids, shapes, "density", scale)),
        ("grids + density", maps.heat_deck(grids, shapes, "density", scale, hexes=hexes)),
        ("grids + density + 3-D", maps.heat_deck(
            grids, shapes, "density", scale, hexes=hexes, extrude=worst, selected=grid["grid_id"]
        )),
    ):  # fmt: skip
        print(f"| {name} | {len(deck.to_json().encode()):,} |")
    con.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.runs)


if __name__ == "__main__":
    main()
