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

from analytics import closure as cl
from analytics import queries as q
from analytics import response as rs
from analytics import trends as tr
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from bench.overview import db_path, missing_db


def steps(con, f, rng, freq: str) -> dict:
    return {
        "type_trend": lambda: tr.moving_average(
            q.intake_trend(cursor(con), f, rng, "event_type", freq, "yoy"), freq
        ),
        "category_trend": lambda: tr.category_trend(cursor(con), f, rng, freq),
        "rising_categories": lambda: tr.rising_categories(cursor(con), f, rng),
        "spikes": lambda: tr.spikes(cursor(con), f, rng, "week" if freq == "month" else freq),
        "unit_comparison": lambda: tr.unit_comparison(cursor(con), f, rng, ("S01", "S02"), freq),
    }


CLOSURE = {
    "closure_by_unit": lambda con, f, rng: cl.by_unit(cursor(con), f, rng),
    "closure_by_category": lambda con, f, rng: cl.by_category(cursor(con), f, rng),
    "funnel": lambda con, f, rng: cl.funnel(cursor(con), f, rng),
    "resolution_levels": lambda con, f, rng: cl.resolution_levels(cursor(con), f, rng),
    "backlog_ageing": lambda con, f, rng: q.backlog_ageing(cursor(con), f, rng),
    "overdue_list": lambda con, f, rng: cl.overdue_list(cursor(con), f, rng),
}
RESPONSE = {
    "distribution (units)": lambda con, f, rng: rs.distribution(cursor(con), f, rng),
    "stage_breakdown": lambda con, f, rng: rs.stage_breakdown(cursor(con), f, rng),
    "sla": lambda con, f, rng: rs.sla(cursor(con), f, rng),
    "before_after (1 year each side)": lambda con, f, rng: rs.before_after(
        cursor(con), rs.sides(f, rng, rs.default_pivot(rng), 365), rng
    ),
    "rank tests (both measures)": lambda con, f, rng: rs.rank_tests(
        cursor(con), rs.sides(f, rng, rs.default_pivot(rng), 365), rng
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
    rng = q.data_range(con)
    f = Filters(*preset_period("ytd", rng.last_day))
    print(f"\n{size:,} events · 本年 {f.start} – {f.end} · whole district")
    for title, queries in (("办结率", CLOSURE), ("响应时效", RESPONSE)):
        print(f"\n{title} page\n")
        print("| step | ms |\n|---|---:|")
        times = {
            name: timed(lambda run=run: run(con, f, rng), runs) for name, run in queries.items()
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
        for name, run in steps(con, f, rng, freq).items():
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
