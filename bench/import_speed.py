"""How long importing a large export takes, and how much memory it needs at its peak.

    .venv/bin/python -m bench.import_speed [--rows 1000000] [--dates slash|chinese]
                                           [--format csv|json|jsonl|xlsx]

Writes the events of the 1M-event bench database (``bench/out``, built here when missing)
with new event ids and the report time written as ``2025/3/4 8:15`` (slash) or
``2025年3月4日 08:15`` (chinese): as a GB18030 CSV (the default), a JSON array, JSON Lines or
an .xlsx workbook. Then imports it into a copy of that database and prints each stage's time
and the process's peak resident memory during it (sampled from /proc every 20 ms) and over
the whole import (``ru_maxrss``: Arrow and DuckDB memory included, which tracemalloc misses).
The file is written by a child process, so the peak is the import's own.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from analytics.ingest.events import import_events

OUT = Path(__file__).resolve().parent / "out"
SOURCE = OUT / "events_1000000.duckdb"
DATE_LAYOUTS = {"slash": "%Y/%-m/%-d %H:%M", "chinese": "%Y年%-m月%-d日 %H:%M"}
SUFFIX = {"csv": "csv", "json": "json", "jsonl": "jsonl", "xlsx": "xlsx"}


def export_path(rows: int, dates: str, fmt: str) -> Path:
    suffix = "" if dates == "slash" else f"_{dates}"
    return OUT / f"import_{rows}{suffix}.{SUFFIX[fmt]}"


def write_export(rows: int, dates: str, fmt: str) -> None:
    """The export file, as the district's platform would hand it over (run in a child)."""
    path = export_path(rows, dates, fmt)
    con = duckdb.connect(str(SOURCE), read_only=True)
    query = (
        "SELECT 'X' || event_id AS event_id, * EXCLUDE (event_id, reported_at), "
        "strftime(reported_at, ?) AS reported_at FROM events LIMIT ?"
    )
    frame = con.execute(query, [DATE_LAYOUTS[dates], rows]).df()
    con.close()
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="gb18030")
    elif fmt in ("json", "jsonl"):
        frame.to_json(path, orient="records", lines=fmt == "jsonl", force_ascii=False,
                      date_format="iso")  # fmt: skip
    else:
        import pandas as pd
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in row])  # NA -> empty cell
        book.save(path)


class PeakMemory:
    """The process's resident memory, sampled in a thread: the peak since the last read."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def take(self) -> int:
        peak, self.peak = max(self.peak, self.now()), self.now()
        return peak

    def stop(self) -> None:
        self._stop.set()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dates", choices=sorted(DATE_LAYOUTS), default="slash")
    parser.add_argument("--format", choices=sorted(SUFFIX), default="csv")
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.write_only:
        write_export(args.rows, args.dates, args.format)
        return
    if not SOURCE.exists():
        subprocess.run([sys.executable, "-c", "from analytics.demo.build import build_demo; "
                        f"build_demo({str(SOURCE)!r}, events=1_000_000, seed=7)"],
                       check=True)  # fmt: skip
    path = export_path(args.rows, args.dates, args.format)
    if not path.exists():
        subprocess.run([sys.executable, "-m", "bench.import_speed", "--write-only",
                        f"--rows={args.rows}", f"--dates={args.dates}",
                        f"--format={args.format}"], check=True)  # fmt: skip
    target = OUT / "import_target.duckdb"
    shutil.copyfile(SOURCE, target)
    memory = PeakMemory()
    baseline = memory.take()
    started = time.perf_counter()
    last = ["开始"]

    def progress(stage: str, fraction: float) -> None:
        peak = memory.take() / 2**20
        print(f"  {time.perf_counter() - started:6.1f} s  {stage}  (peak during {last[0]}: "
              f"{peak:,.0f} MB)", flush=True)  # fmt: skip
        last[0] = stage

    result = import_events(path, db=target, progress=progress)
    total = time.perf_counter() - started
    memory.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    size = path.stat().st_size / 2**20
    print(f"{result.summary()}")
    print(
        f"{args.rows:,} rows, {size:,.0f} MB {args.format.upper()}: {total:.1f} s (target ≤ 30 s)"
    )
    print(f"peak RSS {peak / 2**20:,.0f} MB (before the import {baseline / 2**20:,.0f} MB; "
          "target ≤ 2,048 MB)")  # fmt: skip
    target.unlink()


if __name__ == "__main__":
    main()
