"""How long importing a large GB18030 CSV export takes.

    .venv/bin/python -m bench.import_speed [--rows 1000000] [--dates slash|chinese]

Writes the events of the 1M-event bench database (``bench/out``, built by
``python -m bench.overview`` or here when missing) as a GB18030 CSV with new event ids and
the report time written as ``2025/3/4 8:15`` (slash) or ``2025年3月4日 08:15`` (chinese),
then imports it into a copy of that database and prints each stage's time.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import duckdb

from analytics.demo import build_demo
from analytics.importer import import_events

OUT = Path(__file__).resolve().parent / "out"
DATE_LAYOUTS = {"slash": "%Y/%-m/%-d %H:%M", "chinese": "%Y年%-m月%-d日 %H:%M"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dates", choices=sorted(DATE_LAYOUTS), default="slash")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    source = OUT / "events_1000000.duckdb"
    if not source.exists():
        build_demo(source, events=1_000_000, seed=7)
    suffix = "" if args.dates == "slash" else f"_{args.dates}"
    csv = OUT / f"import_{args.rows}{suffix}.csv"
    if not csv.exists():
        con = duckdb.connect(str(source), read_only=True)
        frame = con.execute(
            "SELECT 'X' || event_id AS event_id, * EXCLUDE (event_id, reported_at), "
            "strftime(reported_at, ?) AS reported_at FROM events LIMIT ?",
            [DATE_LAYOUTS[args.dates], args.rows],
        ).df()
        con.close()
        frame.to_csv(csv, index=False, encoding="gb18030")
    target = OUT / "import_target.duckdb"
    shutil.copyfile(source, target)
    started = time.perf_counter()
    last = [started]

    def progress(stage: str, fraction: float) -> None:
        now = time.perf_counter()
        print(f"  {now - started:6.1f} s  {stage}", flush=True)
        last[0] = now

    result = import_events(csv, db=target, progress=progress)
    total = time.perf_counter() - started
    size = csv.stat().st_size / 2**20
    print(f"{result.summary()}")
    print(f"{args.rows:,} rows, {size:,.0f} MB GB18030 CSV: {total:.1f} s (target ≤ 30 s)")
    target.unlink()


if __name__ == "__main__":
    main()
