"""导出汇报材料: how long the PPTX takes for the whole district and for one street (issue #7).

    .venv/bin/python -m bench.report [--size 1000000]

Uses ``bench/out/events_<N>.duckdb`` (built by ``bench.overview``). Prints, per scope, the
first export (chromium starts, queries run cold) and a second one (queries cached, browser
warm): seconds, slides, pictures and file size. Charts are drawn by kaleido on the system
chromium, two at a time, while the later views are still being queried (``ui.report``);
``bench.ratios`` times the export with cold data caches and a warm browser.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from dataclasses import replace

from pptx import Presentation

from analytics.filters import Filters, preset_period
from bench.overview import built_db
from ui import data, report
from ui.context import Context


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["GOV_DB"] = str(built_db(args.size))
    src = data.source()
    coverage = data.data_range(src)
    ytd = Filters(*preset_period("ytd", coverage.last_day))
    print("| scope | first export s | again s | slides | pictures | MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, f in (("全区 · 本年", ytd), ("S01 · 本年", replace(ytd, street_id="S01"))):
        ctx = Context(src, f, "yoy")
        times = []
        for _ in range(2):
            started = time.perf_counter()
            content = report.build_deck(ctx)
            times.append(time.perf_counter() - started)
        deck = Presentation(io.BytesIO(content))
        pictures = sum(
            1 for s in deck.slides for shape in s.shapes if shape.shape_type == 13
        )  # MSO_SHAPE_TYPE.PICTURE
        print(
            f"| {name} | {times[0]:.1f} | {times[1]:.1f} | {len(deck.slides)} | {pictures} | "
            f"{len(content) / 1e6:.1f} |"
        )


if __name__ == "__main__":
    main()
