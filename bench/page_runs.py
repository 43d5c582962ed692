"""Whole-page timings through Streamlit itself (issue #4: each interaction ≤ 1 s warm).

    .venv/bin/python -m bench.page_runs [--size 1000000] [--runs 3]

Runs the app with ``streamlit.testing.v1.AppTest`` on ``bench/out/events_<N>.duckdb`` (built
by ``bench.overview``) and times whole script runs: queries, Streamlit elements and the
charts' serialisation, with the database warm. For each analysis page: its first view (the
page's own caches cleared; the sidebar's reference lists stay cached, as on a server that
has served anyone), then sidebar changes the page has not seen: a street picked, another
street, the period switched. Each of those misses every cache keyed by the filters.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import time

from analytics import queries
from analytics.connection import connect
from bench.overview import built_db
from tests.apptest import app_test
from ui import data

PAGES = {
    "投诉信访趋势": "pages/trends.py",
    "办结率": "pages/closure.py",
    "响应时效": "pages/response.py",
    "网格热力图": "pages/heatmap.py",
    "网格调整推演": "pages/whatif.py",
}


# Each page's own controls, timed after the sidebar changes (caches stay warm, as for a user).
CONTROLS = {
    "网格热力图": {
        "metric 办结率": lambda at: at.selectbox(key="heat_metric").set_value("closure_rate"),
        "density layer on": lambda at: at.toggle(key="heat_density").set_value(True),
        "3-D on": lambda at: at.toggle(key="heat_extrude").set_value(True),
        "a grid chosen": lambda at: at.selectbox(key="heat_grid").set_value(_GRID[0]),
    },
    "网格调整推演": {
        "a street: 400 households per grid": lambda at: at.slider(key="wi_households").set_value(
            400
        ),
        "a street: least change": lambda at: at.toggle(key="wi_least").set_value(True),
        "a street: 35 grids": lambda at: (
            at.segmented_control(key="wi_mode").set_value("grids").run(),
            at.number_input(key="wi_grids").set_value(35),
        ),
        "whole district, 400 per grid": lambda at: (
            at.segmented_control(key="wi_mode").set_value("households").run(),
            at.selectbox(key="wi_scope").set_value("D"),
        ),
    },
}
_GRID: list[str] = []

# The caches a change of filters misses: every cached query that takes the filters (or the
# before/after sides, which hold them).
PAGE_CACHES = [
    fn
    for name, fn in vars(data).items()
    if callable(fn) and hasattr(fn, "clear") and {"f", "s"} & set(inspect.signature(fn).parameters)
]


def timed_run(at, clear: bool = False) -> float:
    if clear:
        data.clear_caches()
        at.run()  # the sidebar's reference lists (streets, categories, data range) again
        for fn in PAGE_CACHES:
            fn.clear()
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = built_db(args.size)
    os.environ["GOV_DB"] = str(path)
    con = connect(path, read_only=True)
    units = queries.org_units(con)
    street_ids = list(units.loc[units["level"] == "street", "unit_id"])
    _GRID.append(queries.grid_reference(con)["grid_id"].iloc[0])
    con.disconnect()
    print(f"{args.size:,} events · the database warm; first view: median of {args.runs}\n")
    print("| page | first view ms | street picked ms | another street ms | period 近12个月 ms |")
    print("|---|---:|---:|---:|---:|")
    controls = []
    for title, page in PAGES.items():
        at = app_test(timeout=600)
        at.run()
        at.switch_page(page)
        timed_run(at, clear=True)  # warm-up: database pages in memory, modules imported
        first = statistics.median(timed_run(at, clear=True) for _ in range(args.runs))
        changes = []
        for street in street_ids[:2]:
            at.selectbox(key="f_street").set_value(street)
            changes.append(timed_run(at))
        at.selectbox(key="f_preset").set_value("last_12m")
        changes.append(timed_run(at))
        cells = " | ".join(f"{ms:,.0f}" for ms in [first, *changes])
        print(f"| {title} | {cells} |")
        at.selectbox(key="f_street").set_value("")  # the whole district for the page's controls
        at.run()
        for name, act in CONTROLS.get(title, {}).items():
            act(at)
            controls.append(f"| {title} | {name} | {timed_run(at):,.0f} |")
    print("\n| page | control | ms |\n|---|---|---:|")
    print("\n".join(controls))


if __name__ == "__main__":
    main()
