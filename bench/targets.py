"""What targets cost the pages (issue #20 against #18's goals): the overview, cold and cached,
without targets and with the demo's targets (its cards judged, the 综合指数 line's two
queries: the period and windows in one, the monthly line), side by side in one process;
then the brief, the 问题清单 and the 赛马比拼 score ranking on their own.

    .venv/bin/python -m bench.targets                        # 1M and 10M, 5 runs each
    .venv/bin/python -m bench.targets --sizes 1000000 --runs 3

Uses the bench databases of ``bench.overview`` (``bench/out/events_<N>.duckdb``) and an
admin database of its own in a temporary folder. Medians of runs interleaved in the same
minute, with the spread (min–max); AppTest runs of ``app.py`` as ``bench.ratios`` times them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.overview import PROJECT_DIR, built_db, warm_os_cache


def _median_spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}–{max(values):.3f})"


def worker(db: str, admin: str, runs: int) -> dict:
    from analytics import access, brief, problems, queries, score, target_store
    from analytics.connection import connect, cursor
    from analytics.filters import Filters, preset_period
    from tests.apptest import app_test
    from ui import data

    os.environ["GOV_DB"] = db
    os.environ["GOV_ADMIN_DB"] = admin
    empty = Path(admin).with_name("none.sqlite")

    def overview(with_targets: bool, clear: bool) -> float:
        os.environ["GOV_ADMIN_DB"] = admin if with_targets else str(empty)
        if clear:
            data.clear_caches()
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        return elapsed

    at = app_test(timeout=600)
    overview(True, clear=True)  # warm-up: imports, database pages in memory
    overview(False, clear=True)
    out: dict = {"cold": {False: [], True: []}, "cached": {False: [], True: []}}
    for _ in range(runs):
        for with_targets in (False, True):
            out["cold"][with_targets].append(overview(with_targets, clear=True))
            out["cached"][with_targets].append(overview(with_targets, clear=False))

    con = cursor(connect(db, read_only=True))
    coverage = queries.data_range(con)
    f = Filters(*preset_period("ytd", coverage.last_day))
    book = target_store.book(admin)
    parents = access.parents(queries.org_units(con), queries.grid_reference(con))
    since = brief.default_since(coverage.as_of)
    parts = {
        "brief": lambda: brief.brief(con, f, coverage, book, parents, since),
        "problem_list": lambda: problems.problem_list(con, f, coverage, book, parents),
        "score snapshot": lambda: score.snapshot(con, f, coverage, book, parents),
        "score trend": lambda: score.trend(con, f, coverage, book, parents),
        "unit_scores (grids)": lambda: score.unit_scores(
            con, f, coverage, "grid_id", book, parents
        ),
    }
    out["parts"] = {}
    for name, call in parts.items():
        call()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        out["parts"][name] = times
    return {
        "cold": {str(k): v for k, v in out["cold"].items()},
        "cached": {str(k): v for k, v in out["cached"].items()},
        "parts": out["parts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        db, admin, runs = args.worker
        print(json.dumps(worker(db, admin, int(runs))))
        return
    from analytics import target_store

    for size in args.sizes:
        db = built_db(size)
        warm_os_cache(db)
        with tempfile.TemporaryDirectory() as folder:
            admin = str(Path(folder) / "admin.sqlite")
            target_store.seed_demo(admin)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.targets", "--worker", str(db), admin, str(args.runs)],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
                check=True,
            )
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"\n== {size:,} events, {args.runs} runs, load {os.getloadavg()[0]:.2f}")
        for kind in ("cold", "cached"):
            without, with_ = got[kind]["False"], got[kind]["True"]
            ratio = statistics.median(with_) / statistics.median(without)
            print(
                f"overview {kind:6}  without targets {_median_spread(without)}"
                f"   with the demo's targets {_median_spread(with_)}   ×{ratio:.2f}"
            )
        for name, times in got["parts"].items():
            print(f"  {name:22} {_median_spread(times)}")


if __name__ == "__main__":
    main()
