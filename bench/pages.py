"""Timings of the analysis pages' queries (issue #4: each interaction ≤ 1 s warm at 1M).

    .venv/bin/python -m bench.pages [--sizes 1000000 10000000] [--runs 3]

Uses the bench databases of ``bench.overview`` (``bench/out/events_<N>.duckdb``, built there).
For each size: one warm-up, then the median of ``--runs`` runs of each query the page makes
for the default view (本年, whole district, weekly), and of the queries a change of the time
granularity reruns (the interaction that recomputes most).
"""

from __future__ import annotations

import argparse
import statistics
import time

from analytics import closure, queries, response, trends
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from bench.overview import db_path, missing_db


def steps(con, f, coverage, freq: str) -> dict:
    return {
        "type_trend": lambda: trends.moving_average(
            queries.intake_trend(cursor(con), f, coverage, "event_type", freq, "yoy"), freq
        ),
        "category_trend": lambda: trends.category_trend(cursor(con), f, coverage, freq),
        "category_changes (top 8, rising)": lambda: trends.category_changes(
            cursor(con), f, coverage
        ),
        "spikes": lambda: trends.spikes(
            cursor(con), f, coverage, "week" if freq == "month" else freq
        ),
        "unit_comparison": lambda: trends.unit_comparison(
            cursor(con), f, coverage, ("S01", "S02"), freq
        ),
    }


CLOSURE = {
    "closure_by_unit": lambda con, f, coverage: closure.by_unit(cursor(con), f, coverage),
    "closure_by_category": lambda con, f, coverage: closure.by_category(cursor(con), f, coverage),
    "funnel": lambda con, f, coverage: closure.funnel(cursor(con), f, coverage),
    "resolution_levels": lambda con, f, coverage: closure.resolution_levels(
        cursor(con), f, coverage
    ),
    "backlog_ageing": lambda con, f, coverage: queries.backlog_ageing(cursor(con), f, coverage),
    "overdue_list": lambda con, f, coverage: closure.overdue_list(cursor(con), f, coverage),
}
RESPONSE = {
    "durations (distribution, stages)": lambda con, f, coverage: response.durations(
        cursor(con), f, coverage
    ),
    "sla": lambda con, f, coverage: response.sla(cursor(con), f, coverage),
    "before_after (1 year each side)": lambda con, f, coverage: response.before_after(
        cursor(con), response.sides(f, coverage, response.default_pivot(coverage), 365), coverage
    ),
    "rank tests (both measures)": lambda con, f, coverage: response.rank_tests(
        cursor(con), response.sides(f, coverage, response.default_pivot(coverage), 365), coverage
    ),
}


def timed(run, runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(size: int, runs: int) -> None:
    problem = missing_db(size)
    if problem:
        print(problem)
        return
    path = db_path(size)
    con = connect(path, read_only=True)
    coverage = queries.data_range(con)
    f = Filters(*preset_period("ytd", coverage.last_day))
    print(f"\n{size:,} events · 本年 {f.start} – {f.end} · whole district")
    for title, steps in (("办结率", CLOSURE), ("响应时效", RESPONSE)):
        print(f"\n{title} page\n")
        print("| step | ms |\n|---|---:|")
        times = {
            name: timed(lambda run=run: run(con, f, coverage), runs) for name, run in steps.items()
        }
        for name, ms in times.items():
            print(f"| {name} | {ms:,.0f} |")
        print(f"| **whole page** | **{sum(times.values()):,.0f}** |")
    print("\n投诉信访趋势 page\n")
    print("| step | week ms | day ms | month ms |")
    print("|---|---:|---:|---:|")
    totals = {}
    table = {}
    for freq in ("week", "day", "month"):
        for name, run in steps(con, f, coverage, freq).items():
            table.setdefault(name, {})[freq] = timed(run, runs)
        totals[freq] = sum(table[n][freq] for n in table)
    for name, by_freq in table.items():
        cells = " | ".join(f"{by_freq[x]:,.0f}" for x in ("week", "day", "month"))
        print(f"| {name} | {cells} |")
    print("| **whole page** | " + " | ".join(f"**{totals[x]:,.0f}**" for x in totals) + " |")
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
