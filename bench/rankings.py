"""赛马比拼: how long one ranking takes (issue #7), for every level and three periods.

    .venv/bin/python -m bench.rankings [--sizes 1000000] [--runs 5]

Uses the bench databases of ``bench.overview`` (``bench/out/events_<N>.duckdb``). Each
figure is the median of ``--runs`` warm runs (ms) of one ranking with the default weights:
the period, the preceding period and the six trend months come from one grouped query.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from analytics import queries, rankings
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from bench.overview import db_path, missing_db
from bench.pages import timed

LEVELS = {
    "street_id": "街道",
    "community_id": "社区",
    "grid_id": "网格",
    rankings.WORKERS: "网格员",
}


def measure(size: int, runs: int) -> None:
    problem = missing_db(size)
    if problem:
        print(problem)
        return
    con = connect(db_path(size), read_only=True)
    coverage = queries.data_range(con)
    cases = {
        "上月": Filters(*preset_period("last_month", coverage.last_day)),
        "本年": Filters(*preset_period("ytd", coverage.last_day)),
        "上月 · S01": replace(
            Filters(*preset_period("last_month", coverage.last_day)), street_id="S01"
        ),
    }
    print(f"\n{size:,} events: ranking, ms (median of {runs} warm runs)\n")
    print("| period | " + " | ".join(LEVELS.values()) + " |")
    print("|---|" + "---:|" * len(LEVELS))
    for name, f in cases.items():
        cells = []
        for level in LEVELS:
            if level == rankings.WORKERS:
                ms = timed(lambda f=f: rankings.worker_ranking(cursor(con), f, coverage), runs)
            elif level in rankings.levels_below(f):
                ms = timed(
                    lambda f=f, lv=level: rankings.unit_ranking(cursor(con), f, coverage, lv), runs
                )
            else:
                cells.append("")
                continue
            cells.append(f"{ms:,.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    con.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.runs)


if __name__ == "__main__":
    main()
