"""Issue #18's ratios in one run per size: the app against the engine's floor and pandas.

    .venv/bin/python -m bench.ratios                       # 1M and 10M, 5 runs each
    .venv/bin/python -m bench.ratios --sizes 1000000 --runs 3 --no-pptx

Uses the bench databases of ``bench.overview`` (``bench/out/events_<N>.duckdb``), building a
missing one first, before anything is timed (``--rebuild`` there builds them anew). Per size,
three fresh processes:

* **app**: ``streamlit.testing.v1.AppTest`` runs of ``app.py`` (whole script runs: queries,
  elements, chart serialisation) on the warm database, interleaved with the **floor**, one
  hand-written SQL computing the overview's seven KPIs for the period and its 同比 in one
  scan (:data:`FLOOR_SQL`). Measured:

  - the overview with every cached figure cleared (cold: ``ui.data.clear_caches``; the
    connection, its table schemas and the SQL compiled per query shape stay, as on a server
    that has served the page for any period before), and rerun with everything cached. The
    hot issues of its 热点诉求 link stay cached, as the warm-up leaves them for the default
    view: they are computed in ``ui.offload``'s worker process and would keep one core busy
    for seconds after every cold run. One row clears them too: the overview while its hot
    issues are computed beside it. Another clears the compiled shapes too
    (``connection.clear_shapes``): the first time a process shows the page;
  - every analysis page cold, also with no query compiled yet, and a change of one of its
    widgets whose data are cached (set to another value first, untimed, then back and
    forth);
  - the process's peak resident memory (``ru_maxrss``);
  - **its SQL alone**: the SQL run during one more cold run of each page (captured with the
    dates bound to it, untimed), replayed straight on DuckDB's own cursor, one after
    another: what the page's queries cost the engine with no Python around them. Added to
    the page's cached rerun (its drawing), it is the least this design of the page can take
    cold.

* **figures**: ``bench.overview``'s analytics calls for the overview's figures (no page, no
  drawing), the like-for-like comparison with pandas.

* **pandas**: ``bench.pandas_overview``'s figures for the same overview (loaded once; the
  load is not counted), as ``bench.overview`` times them.
* **pptx** (first size only unless ``--pptx-all``): ``导出汇报材料`` for the district with
  cold data caches, then with every cache cold but the hot issues' (computed in the worker
  process for seconds; the warm-up computes them for the default view, and the overview's
  热点诉求 link for a view as soon as it is opened).

Ratios are of medians taken in the same process and minute, so the machine's drift cancels
out; the spread (min–max of the runs) is printed beside each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.overview import PROJECT_DIR, ensure_db, peak_rss_mb, warm_os_cache

PAGES = {
    "trends": ("投诉信访趋势", "pages/trends.py"),
    "closure": ("办结率", "pages/closure.py"),
    "response": ("响应时效", "pages/response.py"),
    "heatmap": ("网格热力图", "pages/heatmap.py"),
    "rankings": ("赛马比拼", "pages/rankings.py"),
}

# A widget of each page and the value it is switched to: the change needs no new data once
# both values have been seen (the timed runs switch back and forth between the two).
WIDGETS = {
    "overview": ("selectbox", "overview_map_metric", "closure_rate"),
    "trends": ("toggle", "trend_moving", True),
    "closure": ("radio", "f_compare", "mom"),
    "response": ("toggle", "resp_log", False),
    "heatmap": ("selectbox", "heat_metric", "closure_rate"),
    "rankings": ("radio", "rk_level", "community_id"),
}

GOALS = {
    "overview_cold_1M": 5.0,
    "overview_cold_10M": 2.5,
    "overview_cached_1M": 2.5,
    "page_cold_1M": 8.0,
    "page_widget_1M": 3.0,
    "pandas": 1.0,
    "pptx_s_1M": 8.0,
    "peak_mb_10M": 2048.0,
}

# The seven KPIs of the overview (analytics.queries.KPI_METRICS) for this year to date and the
# same span last year, each period measured at its own as_of, in one scan. metrics.md's
# definitions, written by hand as tightly as DuckDB allows.
FLOOR_SQL = """
WITH e AS (
  SELECT *,
    CASE WHEN reported_at >= $start AND reported_at < $end THEN $as_of ELSE $prev_as_of END
      AS as_of,
    reported_at >= $start AS cur
  FROM events
  WHERE (reported_at >= $start AND reported_at < $end)
     OR (reported_at >= $prev_start AND reported_at < $prev_end)
)
SELECT cur,
  count(*) AS intake,
  count_if(closed_at <= as_of) / nullif(count(*), 0) AS closure_rate,
  count_if(deadline_at IS NOT NULL AND (deadline_at <= as_of OR closed_at <= as_of)
           AND closed_at <= as_of AND closed_at <= deadline_at)
    / nullif(count_if(deadline_at IS NOT NULL
                      AND (deadline_at <= as_of OR closed_at <= as_of)), 0) AS on_time_rate,
  median((epoch(accepted_at) - epoch(reported_at)) / 3600.0)
    FILTER (WHERE accepted_at <= as_of) AS response_median,
  count_if(satisfaction IS NOT NULL AND (closed_at IS NULL OR closed_at <= as_of)
           AND (satisfaction = 'satisfied' OR satisfaction = 'basic'))
    / nullif(count_if(satisfaction IS NOT NULL
                      AND (closed_at IS NULL OR closed_at <= as_of)), 0) AS satisfaction_rate,
  count_if(closed_at <= as_of AND resolved_level = 'grid')
    / nullif(count_if(closed_at <= as_of AND resolved_level IS NOT NULL), 0)
    AS grid_level_rate,
  count_if(reported_at <= as_of AND (closed_at IS NULL OR closed_at > as_of)) AS backlog
FROM e GROUP BY cur
"""


def _clear_caches(keep_hot: bool = True, shapes: bool = False) -> None:
    """Every cached figure forgotten; with ``keep_hot`` the hot issues kept, as the warm-up
    leaves them for the default view (computed in ``ui.offload``'s worker process, they
    would keep a core busy for seconds after every cold run); with ``shapes`` the compiled
    SQL too (``analytics.connection.shaped``), as in a process that never ran the page."""
    from analytics import connection
    from ui import data, memo

    hot = next(c for c in memo._CACHES if c.fn is data.hot_issues.__wrapped__)
    kept = dict(hot.values) if keep_hot else {}
    data.clear_caches()
    if shapes:
        connection.clear_shapes()
    with hot.lock:
        hot.values.update(kept)


def _median_spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _floor(backend, coverage) -> callable:
    """The floor query bound to the overview's default period (本年 vs 去年同期)."""
    from analytics.connection import cursor
    from analytics.filters import Filters, period_bounds, preset_period
    from analytics.queries import comparison_as_of

    f = Filters(*preset_period("ytd", coverage.last_day))
    c = f.comparison("yoy")
    start, end = period_bounds(f.start, f.end)
    prev_start, prev_end = period_bounds(c.start, c.end)
    params = {
        "start": start,
        "end": end,
        "prev_start": prev_start,
        "prev_end": prev_end,
        "as_of": coverage.as_of,
        "prev_as_of": comparison_as_of(coverage.as_of, f, "yoy"),
    }
    raw = cursor(backend).con  # DuckDB's own cursor, in the file's catalog

    def run() -> float:
        started = time.perf_counter()
        rows = raw.execute(FLOOR_SQL, params).fetchall()
        elapsed = time.perf_counter() - started
        assert len(rows) == 2, rows
        run.rows = rows
        return elapsed

    return run


class SqlLog:
    """The SQL run on DuckDB while :meth:`capture` is open (any thread): each statement with
    the values bound to it (the dates of a query compiled once per shape, else none)."""

    def __init__(self) -> None:
        import threading

        from ibis.backends.duckdb import Backend

        from analytics import connection

        self.statements: list[tuple[str, dict | None]] = []
        self._on = False
        lock = threading.Lock()
        compile_, shaped = Backend.compile, connection.shaped

        def log(sql: str, values: dict | None) -> None:
            if self._on:
                with lock:
                    self.statements.append((sql, values or None))

        def compile(backend, *args, **kwargs):
            sql = compile_(backend, *args, **kwargs)
            log(sql, None)
            return sql

        def shaped_logged(node):
            found = shaped(node)
            if found is not None:  # else compiled as Ibis does, and logged there
                log(*found[:2])
            return found

        Backend.compile = compile
        connection.shaped = shaped_logged

    def capture(self, run) -> list[tuple[str, dict | None]]:
        self.statements, self._on = [], True
        try:
            run()
        finally:
            self._on = False
        return self.statements


def _replay(backend, statements: list[tuple[str, dict | None]], runs: int) -> dict:
    """``statements`` run one after another on DuckDB's own cursor, ``runs`` times."""
    from analytics.connection import cursor

    raw = cursor(backend).con
    times = []
    for _ in range(runs + 1):  # the first is a warm-up
        started = time.perf_counter()
        for sql, values in statements:
            raw.execute(sql, values).to_arrow_table()
        times.append(time.perf_counter() - started)
    return {**_median_spread(times[1:]), "queries": len(statements)}


def worker_app(db: str, runs: int) -> dict:
    from analytics import queries
    from analytics.connection import connect, cursor
    from tests.apptest import app_test
    from ui import data, offload

    os.environ["GOV_DB"] = db
    backend = connect(db, read_only=True)
    floor = _floor(backend, queries.data_range(cursor(backend)))
    floor_runs: list[float] = []
    clear = _clear_caches

    def drain() -> None:
        """Wait for the hot issues a run started in the background."""
        data._BACKGROUND.submit(lambda: None).result()

    def timed(at, cleared: bool, keep_hot: bool = True, shapes: bool = False) -> float:
        floor_runs.append(floor())  # side by side: one floor per app run
        if cleared:
            clear(keep_hot, shapes)
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        return elapsed

    def widget(at, name: str):
        kind, key, value = WIDGETS[name]
        element = getattr(at, kind)(key=key)
        return element, element.value, value

    log = SqlLog()

    def sql_alone(at) -> dict:
        clear()
        return _replay(backend, log.capture(at.run), runs)

    out: dict = {"pages": {}}
    at = app_test(timeout=600)
    timed(at, cleared=True, keep_hot=False)  # warm-up: modules imported, data in memory
    drain()  # the default view's hot issues, as the server's warm-up computes them
    sql = sql_alone(at)
    cold = [timed(at, cleared=True) for _ in range(runs)]
    cached = [timed(at, cleared=False) for _ in range(runs)]
    element, before, after = widget(at, "overview")
    element.set_value(after).run()
    switch = []
    for i in range(runs):
        widget(at, "overview")[0].set_value(before if i % 2 == 0 else after)
        switch.append(timed(at, cleared=False))
    widget(at, "overview")[0].set_value(before).run()
    beside = [timed(at, cleared=True, keep_hot=False) for _ in range(runs)]
    drain()
    first = [timed(at, cleared=True, shapes=True) for _ in range(runs)]
    drain()
    out["overview"] = {
        "cold": _median_spread(cold),
        "cached": _median_spread(cached),
        "widget": _median_spread(switch),
        "beside": _median_spread(beside),
        "first": _median_spread(first),
        "sql": sql,
    }
    for name, (_, path) in PAGES.items():
        at = app_test(timeout=600)
        at.run()
        at.switch_page(path)
        timed(at, cleared=True)  # warm-up
        cold = [timed(at, cleared=True) for _ in range(runs)]
        first = [timed(at, cleared=True, shapes=True) for _ in range(runs)]
        sql = sql_alone(at)
        element, before, after = widget(at, name)
        element.set_value(after).run()
        switch = []
        for i in range(runs):
            widget(at, name)[0].set_value(before if i % 2 == 0 else after)
            switch.append(timed(at, cleared=False))
        out["pages"][name] = {
            "cold": _median_spread(cold),
            "first": _median_spread(first),
            "widget": _median_spread(switch),
            "sql": sql,
        }
    out["floor"] = _median_spread(floor_runs)
    out["peak_mb"] = peak_rss_mb()
    out["worker_peak_mb"] = offload.peak_mb()
    return out


def worker_pandas(db: str, runs: int) -> dict:
    from bench.overview import worker_pandas as pandas_worker

    result = pandas_worker(db, ["district"], runs)
    case = result["cases"]["district"]
    wholes = case["whole_runs"]
    return {
        "whole": _median_spread(wholes),
        "load_s": result["load_s"],
        "checks_ok": all(v == "✓" for v in case["checks"].values()),
        "peak_mb": result["process_peak_mb"],
    }


def worker_pptx(db: str, runs: int) -> dict:
    from analytics.filters import Filters, preset_period
    from ui import data, report
    from ui.context import Context

    os.environ["GOV_DB"] = db
    src = data.source()
    coverage = data.data_range(src)
    ctx = Context(src, Filters(*preset_period("ytd", coverage.last_day)), "yoy")
    times, warm = [], []
    for _ in range(max(1, min(runs, 3))):
        data.clear_caches()
        started = time.perf_counter()
        content = report.build_deck(ctx)
        times.append(time.perf_counter() - started)
    for _ in range(max(1, min(runs, 3))):  # the hot issues cached, as the warm-up leaves them
        _clear_caches()
        started = time.perf_counter()
        content = report.build_deck(ctx)
        warm.append(time.perf_counter() - started)
    return {
        "export": _median_spread(times),
        "hot_cached": _median_spread(warm),
        "bytes": len(content),
        "peak_mb": peak_rss_mb(),
    }


def worker_figures(db: str, runs: int) -> dict:
    from bench.overview import worker_duckdb

    return {"whole": _median_spread(worker_duckdb(db, "district", runs)["whole_runs"])}


WORKERS = {
    "app": worker_app,
    "figures": worker_figures,
    "pandas": worker_pandas,
    "pptx": worker_pptx,
}


def spawn(kind: str, db: Path, runs: int) -> dict:
    cmd = [sys.executable, "-m", "bench.ratios", "--worker", kind, str(db), str(runs)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    done = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"worker failed: {kind} {db}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _s(m: dict) -> str:
    return f"{m['median']:.3f} s ({m['min']:.3f}–{m['max']:.3f})"


def _verdict(ratio: float, goal: float) -> str:
    return f"≤ {goal:g}× **met**" if ratio <= goal else f"≤ {goal:g}× **not met**"


def report_size(
    size: int, app: dict, pandas: dict | None, pptx: dict | None, figures: dict | None = None
) -> list[str]:
    label = f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size:,}"
    big = size >= 10_000_000
    floor = app["floor"]["median"]
    lines = [
        f"### {size:,} events",
        "",
        f"Floor (one SQL, 7 KPIs, two periods): {_s(app['floor'])}",
        "",
        "| measure | time (min–max) | × floor | goal |",
        "|---|---|---:|---|",
    ]

    def row(name: str, m: dict, goal: float | None) -> None:
        ratio = m["median"] / floor
        verdict = _verdict(ratio, goal) if goal is not None else ""
        lines.append(f"| {name} | {_s(m)} | {ratio:.1f}× | {verdict} |")

    ov = app["overview"]
    row(
        "overview, caches cleared",
        ov["cold"],
        GOALS["overview_cold_10M" if big else "overview_cold_1M"],
    )
    row("overview, every query cached", ov["cached"], None if big else GOALS["overview_cached_1M"])
    row(
        "overview, map metric changed (cached)",
        ov["widget"],
        None if big else GOALS["page_widget_1M"],
    )
    row("overview, caches cleared, its hot issues computed beside it", ov["beside"], None)
    row("overview, caches cleared, no query compiled yet", ov["first"], None)
    for name, m in app["pages"].items():
        title = PAGES[name][0]
        row(f"{title}, caches cleared", m["cold"], None if big else GOALS["page_cold_1M"])
        row(f"{title}, caches cleared, no query compiled yet", m["first"], None)
        key = WIDGETS[name][1]
        row(
            f"{title}, `{key}` changed (cached)",
            m["widget"],
            None if big else GOALS["page_widget_1M"],
        )
    lines += [
        "",
        "The least each page can take cold in this design: its SQL alone (replayed on DuckDB "
        "with no Python around it) plus its rerun with every query cached (drawing).",
        "",
        "| page | its SQL alone (queries) | × floor | + cached rerun | least cold × floor | goal |",
        "|---|---|---:|---:|---:|---|",
    ]

    def least(name: str, sql: dict, drawing: dict, goal: float | None) -> None:
        bound = (sql["median"] + drawing["median"]) / floor
        verdict = (
            (f"≤ {goal:g}× " + ("reachable" if bound <= goal else "**out of reach**"))
            if goal
            else ""
        )
        lines.append(
            f"| {name} | {_s(sql)} ({sql['queries']}) | {sql['median'] / floor:.1f}× | "
            f"{drawing['median']:.3f} s | {bound:.1f}× | {verdict} |"
        )

    least(
        "overview",
        ov["sql"],
        ov["cached"],
        GOALS["overview_cold_10M" if big else "overview_cold_1M"],
    )
    for name, m in app["pages"].items():
        least(PAGES[name][0], m["sql"], m["widget"], None if big else GOALS["page_cold_1M"])
    lines.append("")
    if pandas:
        ratio = ov["cold"]["median"] / pandas["whole"]["median"]
        lines.append(
            f"pandas, the same figures (load {pandas['load_s']:.1f} s not counted): "
            f"{_s(pandas['whole'])}; figures equal: {'✓' if pandas['checks_ok'] else '✗'}; "
            f"app cold / pandas = {ratio:.2f} ({'faster: **met**' if ratio < 1 else '**not met**'})"
        )
        if figures:
            ratio = figures["whole"]["median"] / pandas["whole"]["median"]
            lines.append(
                f"the analytics layer alone, the same figures (no page, no drawing): "
                f"{_s(figures['whole'])}; / pandas = {ratio:.2f} "
                f"({'faster' if ratio < 1 else 'slower'})"
            )
    if pptx:
        seconds = pptx["export"]["median"]
        verdict = "met" if seconds <= GOALS["pptx_s_1M"] else "not met"
        lines.append(
            f"PPTX export ({label}, cold data caches): {_s(pptx['export'])}, "
            f"{pptx['bytes'] / 1e6:.1f} MB; ≤ 8 s: **{verdict}**"
        )
        seconds = pptx["hot_cached"]["median"]
        verdict = "met" if seconds <= GOALS["pptx_s_1M"] else "not met"
        lines.append(
            f"PPTX export ({label}, cold data caches but the hot issues, as the warm-up or the "
            f"overview's 热点诉求 link leaves them): {_s(pptx['hot_cached'])}; ≤ 8 s: **{verdict}**"
        )
    peak = app["peak_mb"]
    verdict = (
        (" ≤ 2 GB: **met**" if peak <= GOALS["peak_mb_10M"] else " ≤ 2 GB: **not met**")
        if big
        else ""
    )
    lines.append(
        f"App process peak memory: {peak:,.0f} MB{verdict}; its worker process "
        f"(hot issues, ``ui.offload``): {app['worker_peak_mb']:,.0f} MB"
    )
    lines.append("")
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, db, runs = sys.argv[2], sys.argv[3], int(sys.argv[4])
        print(json.dumps(WORKERS[kind](db, runs)))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pptx", action="store_true")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--pptx-all", action="store_true", help="export at every size")
    args = parser.parse_args()
    dbs = [ensure_db(size, rebuild=False) for size in args.sizes]  # a missing one built first
    started = time.perf_counter()
    load = os.getloadavg()[0]
    print(f"# Issue #18 ratios — {os.cpu_count()} CPUs, load average {load:.2f}\n")
    for i, (size, db) in enumerate(zip(args.sizes, dbs, strict=True)):
        warm_os_cache(db)
        app = spawn("app", db, args.runs)
        pandas = None if args.no_pandas else spawn("pandas", db, args.runs)
        figures = None if args.no_pandas else spawn("figures", db, args.runs)
        pptx = None
        if not args.no_pptx and (i == 0 or args.pptx_all):
            pptx = spawn("pptx", db, args.runs)
        print("\n".join(report_size(size, app, pandas, pptx, figures)), flush=True)
    print(f"(total bench time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
