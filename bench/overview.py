"""Benchmark of the overview page: DuckDB (the analytics layer) beside plain pandas.

    python -m bench.overview [--sizes 1000000 10000000] [--rebuild] [--runs 5]

For each size a demo database is built under ``bench/out/`` (reused when present; ``--rebuild``
makes it anew) and read once so the OS cache is warm. Then, for each case (the whole district,
one street, a dimension filter; all "this year to date" against the same span last year):

* a fresh subprocess opens the database read-only and runs every ``analytics.queries`` call
  of the page, in the page's order, each on its own cursor (as ``ui/data.py`` does; ``kpis``
  makes the one scan of counts that ``grid_metrics`` then reads, ``queries.event_counts``): one
  untimed warm-up run, then ``--runs`` timed runs; the median per query and for the whole, and
  the sum of the steps a filter change reruns (the rest is cached per data version);
* one more run splits each query's time into DuckDB execution and Ibis compile/schema lookups;
* a fresh subprocess does the same figures in plain pandas: loads the needed event columns
  once (timed apart), then per run filters in memory and computes every figure;
* the pandas figures are checked against the DuckDB ones (✓ equal within 1e-9 relative).

Memory is the resident set size (RSS) of the measuring process. The peak of one query is the
kernel's high-water mark ``VmHWM`` after resetting it to the current RSS (write 5 to
``/proc/self/clear_refs``) just before that query, in a separate run: the most the process
held while the query ran, including what was already resident. The peak of a whole process is
its high-water mark over its whole life (interpreter, imports, DuckDB's buffers or the pandas
frame, all runs): ``ru_maxrss``, folded into a running maximum before every reset.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
DEFAULT_SIZES = (1_000_000, 10_000_000)
SEED = 7
TARGET_SECONDS = 0.5
TARGET_MB = 2048

CASES = {
    "district": "whole district",
    "street": "one street",
    "dimension": "complaints + petitions",
}

# The overview page's calls on a filter change, in order (see pages/overview.py, ui/data.py).
STEPS = (
    "data_version",
    "data_range",
    "org_units",
    "grid_reference",
    "categories",
    "kpis",
    "intake_trend",
    "grid_metrics",
    "grid_shapes",
    "top_categories",
    "backlog_ageing",
    "worsening_grids",
    "overdue_grids",
)
COMPARE = "yoy"


# -- memory -------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(rf"^{field}:\s+(\d+) kB", fh.read(), re.M).group(1))


_PEAK_MB = 0.0


def peak_rss_mb() -> float:
    """Peak RSS of this process so far, in MB.

    ``ru_maxrss`` (KiB on Linux) is the kernel's high-water mark, which :func:`reset_hwm`
    resets; so every reading and every reset first folds the mark into a running maximum.
    """
    global _PEAK_MB
    mark = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _PEAK_MB = max(_PEAK_MB, mark)
    return _PEAK_MB


def reset_hwm() -> bool:
    """Reset the kernel's RSS high-water mark to the current RSS (Linux ≥ 4.0)."""
    peak_rss_mb()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def measure_peak(fn: Callable[[], object]) -> tuple[object, float, float]:
    """Run ``fn``: its result, RSS before it (MB) and the peak RSS while it ran (MB)."""
    ok = reset_hwm()
    before = _status_kb("VmRSS") / 1024
    result = fn()
    peak = _status_kb("VmHWM") / 1024 if ok else math.nan
    return result, before, peak


# -- the two implementations as step lists ------------------------------------------------------


def case_filters(case: str, coverage, org_units):
    """The Filters of a case: this year to date, scoped as the case says."""
    from analytics.filters import Filters, preset_period

    start, end = preset_period("ytd", coverage.last_day)
    if case == "street":
        streets = org_units.loc[org_units["level"] == "street", "unit_id"]
        return Filters(start, end, street_id=str(streets.iloc[0]))
    if case == "dimension":
        return Filters(start, end, event_types=("complaint", "petition"))
    return Filters(start, end)


def duckdb_steps(backend, f) -> list[tuple[str, Callable[[dict], object]]]:
    """The page's calls on its shared read-only backend, each through its own cursor."""
    from analytics import queries
    from analytics.connection import cursor

    def con():
        return cursor(backend)

    def data_range(ctx):
        ctx["coverage"] = queries.data_range(con())
        return ctx["coverage"]

    def grid_reference(ctx):
        ctx["reference"] = queries.grid_reference(con())
        return ctx["reference"]

    def kpis(ctx):
        # as ui/data.py: one scan's counts (kept for grid_metrics) and the medians
        ctx["counts"] = queries.event_counts(con(), f, ctx["coverage"], COMPARE)
        medians = queries.kpi_medians(con(), f, ctx["coverage"], compare=COMPARE)
        return queries.kpis_from(ctx["counts"], medians, f, ctx["coverage"], compare=COMPARE)

    def grid_metrics(ctx):
        ctx["grids"] = queries.grid_metrics_from(ctx["counts"], ctx["reference"], f)
        return ctx["grids"]

    return [
        ("data_version", lambda ctx: queries.data_version(con())),
        ("data_range", data_range),
        ("org_units", lambda ctx: queries.org_units(con())),
        ("grid_reference", grid_reference),
        ("categories", lambda ctx: queries.categories(con())),
        ("kpis", kpis),
        (
            "intake_trend",
            lambda ctx: queries.intake_trend(
                con(), f, ctx["coverage"], "event_type", "month", COMPARE
            ),
        ),
        ("grid_metrics", grid_metrics),
        ("grid_shapes", lambda ctx: queries.grid_shapes(con(), f)),
        (
            "top_categories",
            lambda ctx: queries.top_categories(con(), f, ctx["coverage"], 8, COMPARE),
        ),
        ("backlog_ageing", lambda ctx: queries.backlog_ageing(con(), f, ctx["coverage"])),
        ("worsening_grids", lambda ctx: queries.worsening_grids(ctx["grids"])),
        ("overdue_grids", lambda ctx: queries.overdue_grids(ctx["grids"])),
    ]


def pandas_steps(data, f) -> list[tuple[str, Callable[[dict], object]]]:
    """The same figures from the in-memory frame; the period split is done once per run."""
    from bench import pandas_overview

    def data_range(ctx):
        ctx["coverage"] = pandas_overview.data_range(data)
        return ctx["coverage"]

    def parts(ctx):
        if "parts" not in ctx:
            ctx["parts"] = pandas_overview.periods(data, f, ctx["coverage"], COMPARE)
        return ctx["parts"]

    def grid_metrics(ctx):
        ctx["grids"] = pandas_overview.grid_metrics(data, parts(ctx), f)
        return ctx["grids"]

    return [
        ("data_version", lambda ctx: pandas_overview.data_version(data)),
        ("data_range", data_range),
        ("org_units", lambda ctx: pandas_overview.org_units(data)),
        ("grid_reference", lambda ctx: pandas_overview.grid_reference(data)),
        ("categories", lambda ctx: pandas_overview.categories(data)),
        ("kpis", lambda ctx: pandas_overview.kpis(parts(ctx))),
        ("intake_trend", lambda ctx: pandas_overview.intake_trend(parts(ctx), f, COMPARE)),
        ("grid_metrics", grid_metrics),
        ("grid_shapes", lambda ctx: pandas_overview.grid_shapes(data, f)),
        ("top_categories", lambda ctx: pandas_overview.top_categories(parts(ctx), 8)),
        ("backlog_ageing", lambda ctx: pandas_overview.backlog_ageing(parts(ctx))),
        ("worsening_grids", lambda ctx: pandas_overview.worsening_grids(ctx["grids"])),
        ("overdue_grids", lambda ctx: pandas_overview.overdue_grids(ctx["grids"])),
    ]


class EngineClock:
    """Splits the DuckDB steps' time: SQL execution in DuckDB vs the Python around it.

    Installed only for one extra, separate run (never during the timed runs): it wraps the
    Ibis DuckDB backend so that the time DuckDB spends executing each compiled query
    (``to_arrow_table``) is summed, as is the time Ibis spends compiling expressions and
    looking up table schemas.
    """

    def __init__(self) -> None:
        self.engine = 0.0
        self.compile = 0.0

    def install(self) -> None:
        from ibis.backends.duckdb import Backend

        from analytics.connection import _FileCursor

        clock = self
        to_relation, table = _FileCursor._to_duckdb_relation, Backend.table

        class Timed:
            def __init__(self, rel):
                self._rel = rel

            def to_arrow_table(self, *a, **k):
                t0 = time.perf_counter()
                try:
                    return self._rel.to_arrow_table(*a, **k)
                finally:
                    clock.engine += time.perf_counter() - t0

        def timed_relation(backend, *a, **k):
            t0 = time.perf_counter()
            try:
                return Timed(to_relation(backend, *a, **k))
            finally:
                clock.compile += time.perf_counter() - t0

        def timed_table(backend, *a, **k):
            t0 = time.perf_counter()
            try:
                return table(backend, *a, **k)
            finally:
                clock.compile += time.perf_counter() - t0

        _FileCursor._to_duckdb_relation = timed_relation  # the bench database is a file
        Backend.table = timed_table

    def split(self, steps) -> dict[str, dict[str, float]]:
        """One more run of ``steps``: per step, seconds in DuckDB and in Ibis compile/schema."""
        out = {}
        ctx: dict = {}
        for name, fn in steps:
            self.engine = self.compile = 0.0
            fn(ctx)
            out[name] = {"engine_s": self.engine, "compile_s": self.compile}
        return out


def run_overview(steps) -> tuple[dict[str, float], float, dict]:
    """One overview: seconds per step, seconds in all, and the results."""
    ctx: dict = {}
    times, results = {}, {}
    started = time.perf_counter()
    for name, fn in steps:
        t0 = time.perf_counter()
        results[name] = fn(ctx)
        times[name] = time.perf_counter() - t0
    return times, time.perf_counter() - started, results


def time_steps(steps, runs: int) -> dict:
    """A warm-up run, ``runs`` timed runs, then one run measuring each step's peak RSS."""
    run_overview(steps)
    per_step: dict[str, list[float]] = {name: [] for name, _ in steps}
    wholes = []
    for _ in range(runs):
        times, whole, _ = run_overview(steps)
        wholes.append(whole)
        for name, seconds in times.items():
            per_step[name].append(seconds)
    process_peak = peak_rss_mb()
    ctx: dict = {}
    memory = {}
    for name, fn in steps:
        _, before, peak = measure_peak(lambda fn=fn: fn(ctx))
        memory[name] = {"before_mb": before, "peak_mb": peak}
    return {
        "steps": {name: statistics.median(v) for name, v in per_step.items()},
        "whole": statistics.median(wholes),
        "whole_runs": wholes,
        "memory": memory,
        "process_peak_mb": process_peak,
    }


# -- workers (each in a fresh process) ----------------------------------------------------------


def worker_duckdb(db: str, case: str, runs: int) -> dict:
    from analytics import queries
    from analytics.connection import connect, cursor

    baseline = peak_rss_mb()
    backend = connect(db, read_only=True)
    coverage = queries.data_range(cursor(backend))
    f = case_filters(case, coverage, queries.org_units(cursor(backend)))
    steps = duckdb_steps(backend, f)
    out = time_steps(steps, runs)
    out["process_peak_mb"] = peak_rss_mb()
    clock = EngineClock()
    clock.install()
    out["split"] = clock.split(steps)
    out["baseline_mb"] = baseline
    out["filters"] = repr(f)
    return out


def worker_pandas(db: str, cases: list[str], runs: int) -> dict:
    from bench import pandas_overview

    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    data = pandas_overview.load(db)
    load_s = time.perf_counter() - t0
    load_peak = peak_rss_mb()
    frame_mb = data.events.memory_usage(deep=True).sum() / 2**20
    coverage = pandas_overview.data_range(data)
    out: dict = {
        "baseline_mb": baseline,
        "load_s": load_s,
        "load_peak_mb": load_peak,
        "frame_mb": frame_mb,
        "rows": len(data.events),
        "cases": {},
    }
    for case in cases:
        f = case_filters(case, coverage, data.org_units)
        out["cases"][case] = time_steps(pandas_steps(data, f), runs)
    out["process_peak_mb"] = peak_rss_mb()
    # after the measurement: check every figure against the analytics layer
    from analytics.connection import connect

    backend = connect(db, read_only=True)
    for case in cases:
        f = case_filters(case, coverage, data.org_units)
        _, _, mine = run_overview(pandas_steps(data, f))
        _, _, theirs = run_overview(duckdb_steps(backend, f))
        checks = {name: check(name, mine[name], theirs[name]) for name in mine}
        out["cases"][case]["checks"] = checks
    return out


# -- validation ---------------------------------------------------------------------------------

REL_TOL = 1e-9


def _close(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)


def _frames_close(mine, theirs, keys: list[str], columns: list[str]) -> str | None:
    """None when equal on ``keys`` and ``columns``, else what differs."""
    import pandas as pd

    a = mine[keys + columns].copy()
    b = theirs[keys + columns].copy()
    for k in keys:
        if not pd.api.types.is_datetime64_any_dtype(a[k]):
            a[k], b[k] = a[k].astype(str), b[k].astype(str)
    if len(a) != len(b):
        return f"{len(a)} rows vs {len(b)}"
    merged = a.merge(b, on=keys, how="outer", suffixes=("_pd", "_db"), indicator=True)
    if (merged["_merge"] != "both").any():
        return "different keys"
    for c in columns:
        for x, y in zip(merged[f"{c}_pd"], merged[f"{c}_db"], strict=True):
            if not _close(x, y):
                return f"{c}: {x!r} vs {y!r}"
    return None


RATES = ["closure_rate", "on_time_rate", "satisfaction_rate"]
GRID_COLUMNS = [
    "intake",
    *RATES,
    "backlog",
    "overdue",
    "intake_prev",
    *[f"{r}_prev" for r in RATES],
    "density",
    "workload",
]


def check(name: str, mine, theirs) -> str:
    """'✓' when the pandas figure equals the DuckDB one, else '✗ <what differs>'."""
    problem: str | None
    if name == "data_range":
        same = mine.first_day == theirs.first_day and mine.as_of == theirs.as_of
        problem = None if same else f"{mine} vs {theirs}"
    elif name == "data_version":
        problem = None if tuple(mine) == tuple(theirs) else f"{mine} vs {theirs}"
    elif name == "categories":
        problem = None if list(mine) == list(theirs) else "different categories"
    elif name == "org_units":
        problem = _frames_close(mine, theirs, ["unit_id"], ["level", "name"])
    elif name == "grid_reference":
        problem = _frames_close(mine, theirs, ["grid_id"], ["community_name", "street_name"])
    elif name == "grid_shapes":
        problem = None if mine["polygons"].tolist() == theirs["polygons"].tolist() else "shapes"
        if list(mine["grid_id"]) != list(theirs["grid_id"]):
            problem = "grids"
    elif name == "kpis":
        problem = _frames_close(mine, theirs, ["metric"], ["value", "previous"])
    elif name == "intake_trend":
        problem = _frames_close(mine, theirs, ["bucket", "group", "period"], ["intake"])
    elif name == "top_categories":
        problem = _frames_close(mine, theirs, ["category"], ["intake", "intake_prev"])
        if problem is None and list(mine["category"]) != list(theirs["category"]):
            problem = "order"
    elif name == "grid_metrics":
        problem = _frames_close(mine, theirs, ["grid_id"], GRID_COLUMNS)
    elif name in ("worsening_grids", "overdue_grids"):
        problem = None if list(mine["grid_id"]) == list(theirs["grid_id"]) else "different grids"
    elif name == "backlog_ageing":
        problem = _frames_close(mine, theirs, ["bucket"], ["backlog", "overdue"])
    else:
        problem = "no check"
    return "✓" if problem is None else f"✗ {problem}"


# -- driver -------------------------------------------------------------------------------------


def db_path(events: int) -> Path:
    return OUT_DIR / f"events_{events}.duckdb"


def missing_db(events: int) -> str | None:
    """Why the other benchmarks cannot use the database of ``events`` yet (None once built)."""
    path = db_path(events)
    if path.exists():
        return None
    return f"{path} missing: run `python -m bench.overview --sizes {events}` first"


def built_db(events: int) -> Path:
    """The database of ``events`` for another benchmark; exits saying how to build it when
    it is missing."""
    problem = missing_db(events)
    if problem:
        raise SystemExit(problem)
    return db_path(events)


def ensure_db(events: int, rebuild: bool) -> Path:
    path = db_path(events)
    if rebuild:
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    if not path.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        print(f"building {path.name} ({events:,} events, seed {SEED}) …", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "analytics", "demo", "--events", str(events)]
        cmd += ["--seed", str(SEED), "--db", str(path)]
        subprocess.run(cmd, cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def warm_os_cache(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def spawn(args: list[str]) -> dict:
    """Run a worker of this module in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, "-m", "bench.overview", *args]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    done = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"worker failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.0995 else f"{seconds * 1000:,.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "–"


# What the page's caches (ui/data.py) actually re-run when only the filter changes: the data
# version on every rerun, and the queries keyed by the filter; these are cached per data version.
PER_DATA_VERSION = ("data_range", "org_units", "grid_reference", "categories")
FILTER_CHANGE = tuple(step for step in STEPS if step not in PER_DATA_VERSION)


def report(events: int, case: str, db: dict, pd_all: dict, runs: int) -> str:
    pdc = pd_all["cases"][case]
    lines = [
        f"\n### {events:,} events · {CASES[case]} · this year to date vs last year "
        f"(median of {runs} warm runs)",
        "",
        "| step | DuckDB ms | in DuckDB engine ms | Ibis compile+schema ms | DuckDB peak MB "
        "| pandas ms | pandas peak MB | DuckDB/pandas | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in STEPS:
        d, p = db["steps"][name], pdc["steps"][name]
        split = db["split"][name]
        lines.append(
            f"| {name} | {_ms(d)} | {_ms(split['engine_s'])} | {_ms(split['compile_s'])} "
            f"| {db['memory'][name]['peak_mb']:,.0f} | {_ms(p)} "
            f"| {pdc['memory'][name]['peak_mb']:,.0f} | {_ratio(d, p)} | {pdc['checks'][name]} |"
        )
    d, p = db["whole"], pdc["whole"]
    engine = sum(v["engine_s"] for v in db["split"].values())
    compiled = sum(v["compile_s"] for v in db["split"].values())
    ok = all(v == "✓" for v in pdc["checks"].values())
    lines.append(
        f"| **whole overview** | **{_ms(d)}** | {_ms(engine)} | {_ms(compiled)} "
        f"| **{db['process_peak_mb']:,.0f}** | **{_ms(p)}** "
        f"| **{pd_all['process_peak_mb']:,.0f}** | **{_ratio(d, p)}** | {'✓' if ok else '✗'} |"
    )
    fd = sum(db["steps"][n] for n in FILTER_CHANGE)
    fp = sum(pdc["steps"][n] for n in FILTER_CHANGE)
    fe = sum(db["split"][n]["engine_s"] for n in FILTER_CHANGE)
    fc = sum(db["split"][n]["compile_s"] for n in FILTER_CHANGE)
    lines.append(
        f"| filter change only (sum of its steps) | {_ms(fd)} | {_ms(fe)} | {_ms(fc)} | "
        f"| {_ms(fp)} | | {_ratio(fd, fp)} | |"
    )
    meets = d <= TARGET_SECONDS and db["process_peak_mb"] <= TARGET_MB
    lines += [
        "",
        f"DuckDB whole-overview runs (s): {', '.join(f'{x:.3f}' for x in db['whole_runs'])}; "
        f"target ≤ {TARGET_SECONDS} s and ≤ {TARGET_MB} MB: {'met' if meets else 'NOT met'}.",
    ]
    return "\n".join(lines)


def main_driver(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print(
        f"# Overview benchmark — {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
        f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    cases = args.cases
    for events in args.sizes:
        path = ensure_db(events, args.rebuild)
        warm_os_cache(path)
        size_mb = path.stat().st_size / 2**20
        print(f"\n## {events:,} events — {path.relative_to(PROJECT_DIR)} ({size_mb:,.0f} MB)")
        results = {}
        for case in cases:
            print(f"  DuckDB · {case} …", file=sys.stderr, flush=True)
            results[case] = spawn(["--worker", "duckdb", "--db", str(path), "--case", case,
                                   "--runs", str(args.runs)])  # fmt: skip
        print("  pandas · all cases …", file=sys.stderr, flush=True)
        pd_all = spawn(["--worker", "pandas", "--db", str(path), "--runs", str(args.runs),
                        "--cases", *cases])  # fmt: skip
        print(
            f"\npandas load (once, not in the per-run figures): {pd_all['load_s']:.1f} s, "
            f"{pd_all['rows']:,} rows, frame {pd_all['frame_mb']:,.0f} MB, "
            f"peak RSS after load {pd_all['load_peak_mb']:,.0f} MB; "
            f"process baselines after imports: DuckDB "
            f"{results[cases[0]]['baseline_mb']:,.0f} MB, pandas {pd_all['baseline_mb']:,.0f} MB"
        )
        for case in cases:
            print(report(events, case, results[case], pd_all, args.runs), flush=True)
    print(f"\n(total bench time {time.perf_counter() - started:.0f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.overview", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--rebuild", action="store_true", help="build the databases anew")
    ap.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--worker", choices=("duckdb", "pandas"), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--case", choices=list(CASES), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker == "duckdb":
        print(json.dumps(worker_duckdb(args.db, args.case, args.runs)))
        return 0
    if args.worker == "pandas":
        print(json.dumps(worker_pandas(args.db, args.cases, args.runs)))
        return 0
    return main_driver(args)


if __name__ == "__main__":
    raise SystemExit(main())
