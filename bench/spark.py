"""Spark beside DuckDB: the overview's queries at 1M and 10M events, and where Spark would win.

    .venv/bin/python -m bench.spark                       # 1M and 10M, spark-local.sh's server
    .venv/bin/python -m bench.spark --url sc://HOST:PORT --sizes 1000000 --runs 3 --no-app
    .venv/bin/python -m bench.spark --times 10 --layouts  # + 100M simulated, partitioned copies

Needs pyspark (``bash scripts/setup.sh --spark``) and a Spark Connect server: by default
``scripts/spark-local.sh start``'s (``sc://localhost:15002``). Uses ``bench.overview``'s
databases (``bench/out/events_<N>.duckdb``; that module builds them).

Per size:

* **publish**: the DuckDB file goes to Spark as ``analytics.spark.publish`` does it for the app
  (Parquet tables in a new version database, then the pointer), into the database
  ``bench_<size>_<stamp>`` (``<stamp>`` from the file's size and modification time), and is
  timed. When that database already holds a published version the publish is skipped
  (``--republish`` publishes again); older databases of the same size are dropped. The
  events table's Parquet size is read from Spark's statistics.
* **queries**: a fresh process per engine runs the overview's queries the way the app makes
  them: the data-version ones the sidebar makes (``data_version`` … ``freshness``), then the
  panel's (``ui/panels/overview.py``: the counts scan, the cards' and monthly lines' medians,
  the trend, the shapes, the categories, the ageing, the notes, the outlines), then the
  figures the page derives from the counts in pandas. The first run in the process is
  "first" (for Spark a new Connect session: plans compiled, schemas read, the server's JVM
  already warm); then ``--runs`` runs serially (best and median per query) and ``--runs``
  runs with the panel's queries on 3 threads, as ``ui.data.prefetch`` makes them.
  The figures of both engines are compared (``bench.overview.check``: ✓ equal).
* **page** (unless ``--no-app``): ``AppTest`` runs of the overview (``app.py`` whole, every
  chart) on each engine in a fresh process: the first run (connection and caches cold), a
  run with every cached figure cleared (the connection kept), a run with everything cached;
  then ``ui.warmup.warm``, every page's default view, what the server computes after a start
  and after each publish, with cleared caches.

``--times K`` adds the largest size replicated K times (a view of K copies of its events
table on each engine: K× the rows in the same months; nothing is written): a measurement of
100M events, without 10 GB of disk (``--runs-large`` timed runs after the first, default 1:
a Spark overview of 100M events takes about two minutes here). ``--layouts`` adds the largest
size's events rewritten partitioned by month, and by street and month, and the overview of the
whole district and of one street on each.

Then the summary: Spark/DuckDB per size, and a fit of time against events per query and engine
(``t = a + b·N``: a fixed cost per query plus a cost per event), extrapolated to where Spark on
this machine and on a cluster of C cores would overtake DuckDB. The cluster figures assume
Spark's per-event cost divides by the cores (the scan splits into 128 MB pieces, so that holds
up to about one core per 128 MB of Parquet) and its fixed cost stays; they are predictions, not
measurements.

On this 2-core machine the default run takes 10–15 minutes (publishing 10M events 1–2 of
them); ``--times 10 --layouts`` add about 15 more. Spark Connect's client logs warnings on
stderr; the figures go to stdout and, raw, to ``bench/out/spark.json`` (``--json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from bench.overview import (
    COMPARE,
    OUT_DIR,
    PROJECT_DIR,
    built_db,
    case_filters,
    check,
    warm_os_cache,
)

DEFAULT_URL = "sc://localhost:15002"  # scripts/spark-local.sh's Connect server
DEFAULT_SIZES = (1_000_000, 10_000_000)
THREADS = 3  # ui.data.prefetch's pool
TOP_CATEGORIES = 8  # ui.panels.overview.TOP_CATEGORIES

# What the sidebar and the freshness line ask once per data version (ui/data.py caches them
# per version), then what the overview's panel asks for its filters (its prefetch), then the
# page's figures made in pandas from the counts.
HEAD = ("data_version", "data_range", "org_units", "grid_reference", "categories", "freshness")
PANEL = (
    "event_counts",
    "kpi_medians",
    "month_medians",
    "intake_trend",
    "grid_shapes",
    "outlined_grids",
    "top_categories",
    "backlog_ageing",
    "calendar_notes",
    "unit_outlines",
)
DERIVED = "figures from the counts"
PANEL_THREADED = f"panel on {THREADS} threads"
STEPS = (*HEAD, *PANEL, DERIVED)
QUERIES = (*HEAD, *PANEL)  # the steps that query the engine


def peak_mb() -> float:
    """This process's peak resident memory, MB: the kernel's high-water mark of its address
    space (``VmHWM``). Not ``ru_maxrss``, which a process started by ``subprocess`` inherits
    from its parent's (the driver holds a publish's Arrow batches)."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# -- the overview's calls ------------------------------------------------------------------------


def head_steps(con: Callable) -> dict[str, Callable[[dict], object]]:
    from analytics import queries

    def data_range(ctx):
        ctx["coverage"] = queries.data_range(con())
        return ctx["coverage"]

    def org_units(ctx):
        ctx["org_units"] = queries.org_units(con())
        return ctx["org_units"]

    def grid_reference(ctx):
        ctx["reference"] = queries.grid_reference(con())
        return ctx["reference"]

    return {
        "data_version": lambda ctx: queries.data_version(con()),
        "data_range": data_range,
        "org_units": org_units,
        "grid_reference": grid_reference,
        "categories": lambda ctx: queries.categories(con()),
        "freshness": lambda ctx: queries.freshness(con(), ctx["coverage"]),
    }


def panel_calls(con: Callable, ctx: dict) -> dict[str, Callable[[], object]]:
    """The panel's queries for ``ctx``'s filters, each independent of the others (what
    ``ui.panels.overview.build`` hands to ``data.prefetch``)."""
    from analytics import annotations, queries

    f, coverage = ctx["filters"], ctx["coverage"]
    return {
        "event_counts": lambda: queries.event_counts(con(), f, coverage, COMPARE),
        "kpi_medians": lambda: queries.kpi_medians(con(), f, coverage, compare=COMPARE),
        "month_medians": lambda: queries.month_medians(con(), f, coverage),
        "intake_trend": lambda: queries.intake_trend(
            con(), f, coverage, "event_type", "month", "yoy"
        ),
        "grid_shapes": lambda: queries.grid_shapes(con(), f),
        "outlined_grids": lambda: queries.outlined_grids(con()),
        "top_categories": lambda: queries.top_categories(
            con(), f, coverage, TOP_CATEGORIES, COMPARE
        ),
        "backlog_ageing": lambda: queries.backlog_ageing(con(), f, coverage),
        "calendar_notes": lambda: annotations.notes(con(), f),
        "unit_outlines": lambda: queries.unit_outlines(con(), f.street_id, f.community_id),
    }


def derived(ctx: dict, got: dict) -> dict:
    """The page's figures from the counts scan (``ui.data``'s ``counted_*``, ``grid_metrics``,
    the alerts): pandas only."""
    from analytics import queries

    f, coverage, counts = ctx["filters"], ctx["coverage"], got["event_counts"]
    grids = queries.grid_metrics_from(counts, ctx["reference"], f)
    return {
        "kpis": queries.kpis_from(counts, got["kpi_medians"], f, coverage, compare=COMPARE),
        "monthly_kpis": queries.monthly_kpis_from(counts, got["month_medians"], f),
        "grid_metrics": grids,
        "placement": queries.placement_from(counts, got["outlined_grids"]),
        "worsening_grids": queries.worsening_grids(grids),
        "overdue_grids": queries.overdue_grids(grids),
    }


def run_overview(con: Callable, case: str, threads: int = 0) -> tuple[dict, float, dict]:
    """One overview: seconds per step (the panel's as one step when on ``threads``), in all,
    and every result."""
    ctx: dict = {}
    times, got = {}, {}
    started = time.perf_counter()
    for name, fn in head_steps(con).items():
        t0 = time.perf_counter()
        got[name] = fn(ctx)
        times[name] = time.perf_counter() - t0
    ctx["filters"] = case_filters(case, ctx["coverage"], ctx["org_units"])
    calls = panel_calls(con, ctx)
    t0 = time.perf_counter()
    if threads:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = {name: pool.submit(call) for name, call in calls.items()}
        got.update({name: future.result() for name, future in futures.items()})
        times[PANEL_THREADED] = time.perf_counter() - t0
    else:
        for name, call in calls.items():
            t0 = time.perf_counter()
            got[name] = call()
            times[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    got.update(derived(ctx, got))
    times[DERIVED] = time.perf_counter() - t0
    return times, time.perf_counter() - started, got


# -- the engines ---------------------------------------------------------------------------------


def duckdb_backend(path: str, times: int):
    """The DuckDB file read as the app reads it; with ``times`` > 1, its events ``times`` times
    over (views in an in-memory database over the attached file: the same months, ``times``×
    the rows)."""
    from analytics.connection import connect
    from analytics.schema import TABLES

    if times == 1:
        return connect(path, read_only=True)
    import ibis

    backend = ibis.duckdb.connect()
    backend.con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    for table in TABLES:
        body = f"SELECT * FROM src.{table}"
        if table == "events":
            body = " UNION ALL ".join([body] * times)
        backend.con.execute(f"CREATE VIEW memory.main.{table} AS {body}")
    return backend


def spark_backend(url: str, pinned: str | None):
    """The published version of ``url``'s database, or the database ``pinned`` (a copy this
    benchmark made, which has no pointer)."""
    from analytics import spark

    version = spark.Published(0, pinned, datetime.now()) if pinned else None
    return spark.connect(url, version)


def worker_queries(args: argparse.Namespace) -> dict:
    from analytics.connection import cursor

    t0 = time.perf_counter()
    if args.engine == "duckdb":
        backend = duckdb_backend(args.target, args.times)
    else:
        backend = spark_backend(args.target, args.pinned)
    connect_s = time.perf_counter() - t0

    def con():
        return cursor(backend)

    first, first_whole, _ = run_overview(con, args.case)
    serial: dict[str, list[float]] = {name: [] for name in STEPS}
    wholes = []
    for _ in range(args.runs):
        times, whole, got = run_overview(con, args.case)
        wholes.append(whole)
        for name, seconds in times.items():
            serial[name].append(seconds)
    threaded = [run_overview(con, args.case, THREADS)[1] for _ in range(args.runs)]
    if args.out:
        with open(args.out, "wb") as fh:
            pickle.dump(got, fh)
    return {
        "connect_s": connect_s,
        "first": first,
        "first_whole": first_whole,
        "steps": serial,
        "whole": wholes,
        "threaded": threaded,
        "peak_mb": peak_mb(),
    }


def worker_app(args: argparse.Namespace) -> dict:
    """The overview through AppTest on ``args.target``, then every page's default view."""
    os.environ["GOV_DB"] = args.target
    if args.staging:  # a Spark store's staging file: the admin file beside it
        os.environ["GOV_STAGING"] = args.staging
    from tests.apptest import app_test
    from ui import data, warmup

    at = app_test(timeout=3600)

    def timed() -> float:
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        return elapsed

    first = timed()
    data.clear_caches()
    cold = timed()
    cached = timed()
    data.clear_caches()
    src = data.source()
    warm = warmup.warm(src)
    return {"first": first, "cold": cold, "cached": cached, "warmup": warm, "peak_mb": peak_mb()}


# -- publishing and the copies on Spark ----------------------------------------------------------


def size_label(events: int) -> str:
    return f"{events // 1_000_000}m" if events % 1_000_000 == 0 else str(events)


def database_for(path: Path, events: int) -> str:
    """``bench_<size>_<stamp>``: the stamp changes when the file is rebuilt."""
    stat = path.stat()
    stamp = hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:8]
    return f"bench_{size_label(events)}_{stamp}"


def _databases(spark) -> list[str]:
    return [row[0] for row in spark.sql("SHOW DATABASES").collect()]


def _drop_stale(spark, events: int, keep: str) -> list[str]:
    """Drop this benchmark's databases of ``events`` made from another build of the file."""
    prefix = f"bench_{size_label(events)}_"
    dropped = [
        name for name in _databases(spark) if name.startswith(prefix) and not name.startswith(keep)
    ]
    for name in dropped:
        spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
    return dropped


def parquet_bytes(spark, table: str) -> int | None:
    """The table's files on disk, as Spark's catalog statistics count them."""
    spark.sql(f"ANALYZE TABLE {table} COMPUTE STATISTICS NOSCAN")
    for row in spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect():
        if row[0] == "Statistics":
            return int(row[1].split()[0])
    return None


def ensure_published(base: str, path: Path, events: int, republish: bool) -> dict:
    """The size's database on Spark, published now (timed) or found published."""
    from analytics import spark

    database = database_for(path, events)
    url = f"{base}/{database}"
    where = spark.target(url)
    t0 = time.perf_counter()
    session = spark.session(where.remote)
    session_s = time.perf_counter() - t0
    dropped = _drop_stale(session, events, database)
    version = spark.published(session, database)
    info = {"url": url, "session_s": session_s, "dropped": dropped, "published_now": False}
    if version is None or republish:
        marks: list[tuple[str, float]] = []
        t0 = time.perf_counter()
        version = spark.publish(
            path, url, progress=lambda message, _: marks.append((message, time.perf_counter()))
        )
        info["publish_s"] = time.perf_counter() - t0
        info["published_now"] = True
        # each table's copy: from its progress mark to the next
        info["tables_s"] = {
            message.removeprefix("发布 "): marks[i + 1][1] - stamp
            for i, (message, stamp) in enumerate(marks[:-1])
            if message.startswith("发布 ")
        }
    info["version_db"] = version.database
    info["events_parquet_bytes"] = parquet_bytes(session, f"{version.database}.events")
    return info


def ensure_copy(info: dict, suffix: str, make_events: str) -> dict:
    """The database ``<published version>_<suffix>``: its events made by ``make_events`` (SQL
    with ``{src}`` for the published events table and ``{dst}`` for the new one), the other
    tables as views of the published ones. Made once per published version (timed), reused
    after; the copies of older versions are dropped."""
    from analytics import spark
    from analytics.schema import TABLES

    session = spark.session(spark.target(info["url"]).remote)
    version_db = info["version_db"]
    name = f"{version_db}_{suffix}"
    made = {"database": name, "made_s": None}
    prefix = version_db.rsplit("__v", 1)[0] + "__v"
    existing = _databases(session)
    for other in existing:
        if other.startswith(prefix) and other.endswith(f"_{suffix}") and other != name:
            session.sql(f"DROP DATABASE IF EXISTS {other} CASCADE")
    if name in existing:
        return made
    session.sql(f"CREATE DATABASE {name}")
    try:
        t0 = time.perf_counter()
        session.sql(make_events.format(src=f"{version_db}.events", dst=f"{name}.events"))
        made["made_s"] = time.perf_counter() - t0
        for table in TABLES:
            if table != "events":
                session.sql(f"CREATE VIEW {name}.{table} AS SELECT * FROM {version_db}.{table}")
    except BaseException:
        session.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
        raise
    return made


def _columns(session, table: str, last: tuple[str, ...]) -> str:
    names = [f.name for f in session.table(table).schema.fields if f.name not in last]
    return ", ".join(f"`{n}`" for n in [*names, *last])


def make_layouts(info: dict) -> dict[str, dict]:
    """The published events rewritten partitioned by month, and by street and month: one
    Parquet file per partition, sorted by report time inside it (as the published table is)."""
    from analytics import spark

    session = spark.session(spark.target(info["url"]).remote)
    month = "date_format(reported_at, 'yyyy-MM')"
    columns = _columns(session, f"{info['version_db']}.events", ("street_id",))
    layouts = {
        "by_month": (
            "CREATE TABLE {dst} USING parquet PARTITIONED BY (month) AS "
            f"SELECT *, {month} AS month FROM {{src}} DISTRIBUTE BY month SORT BY reported_at"
        ),
        "by_street_month": (
            "CREATE TABLE {dst} USING parquet PARTITIONED BY (street_id, month) AS "
            f"SELECT {columns}, {month} AS month FROM {{src}} "
            "DISTRIBUTE BY street_id, month SORT BY reported_at"
        ),
    }
    out = {}
    for layout, sql in layouts.items():
        out[layout] = ensure_copy(info, layout, sql)
        out[layout]["parquet_bytes"] = parquet_bytes(session, f"{out[layout]['database']}.events")
    return out


def make_times(info: dict, times: int) -> dict:
    """A database whose events view holds the published events ``times`` times over."""
    union = " UNION ALL ".join(["SELECT * FROM {src}"] * times)
    return ensure_copy(info, f"x{times}", f"CREATE VIEW {{dst}} AS {union}")


# -- the driver ----------------------------------------------------------------------------------


def spawn(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "bench.spark", *args]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    done = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-6000:])
        raise SystemExit(f"worker failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(engine: str, target: str, case: str, runs: int, **extra) -> tuple[dict, dict]:
    """A fresh process's queries on one engine: its figures and the results of its last run."""
    print(f"  {engine} · {case} · {target} …", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.pkl"
        args = ["--worker", "queries", "--engine", engine, "--target", target, "--case", case]
        args += ["--runs", str(runs), "--out", str(out)]
        for key, value in extra.items():
            if value is not None:
                args += [f"--{key}", str(value)]
        figures = spawn(args)
        with open(out, "rb") as fh:
            return figures, pickle.load(fh)


CHECKED = (
    "data_range",
    "data_version",
    "categories",
    "org_units",
    "grid_reference",
    "grid_shapes",
    "kpis",
    "intake_trend",
    "top_categories",
    "grid_metrics",
    "worsening_grids",
    "overdue_grids",
    "backlog_ageing",
)


def compare_figures(duck: dict, spark: dict) -> dict[str, str]:
    return {name: check(name, spark[name], duck[name]) for name in CHECKED}


def best(values: list[float]) -> float:
    return min(values)


def median(values: list[float]) -> float:
    return statistics.median(values)


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def _x(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b > 0 else "–"


def step_table(duck: dict, spark: dict) -> list[str]:
    lines = [
        "| step | DuckDB first s | DuckDB best / median s | Spark first s "
        "| Spark best / median s | Spark/DuckDB (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in STEPS:
        d, s = duck["steps"][name], spark["steps"][name]
        lines.append(
            f"| {name} | {_s(duck['first'][name])} | {_s(best(d))} / {_s(median(d))} "
            f"| {_s(spark['first'][name])} | {_s(best(s))} / {_s(median(s))} "
            f"| {_x(median(s), median(d))} |"
        )
    rows = [
        ("**whole overview, serial**", "first_whole", "whole"),
        (f"**whole overview, panel on {THREADS} threads**", None, "threaded"),
    ]
    for label, first, key in rows:
        d, s = duck[key], spark[key]
        df = _s(duck[first]) if first else ""
        sf = _s(spark[first]) if first else ""
        lines.append(
            f"| {label} | {df} | {_s(best(d))} / **{_s(median(d))}** | {sf} "
            f"| {_s(best(s))} / **{_s(median(s))}** | **{_x(median(s), median(d))}** |"
        )
    for label, names in (("the per-version queries (sum)", HEAD), ("the panel's (sum)", PANEL)):
        d = sum(median(duck["steps"][n]) for n in names)
        s = sum(median(spark["steps"][n]) for n in names)
        lines.append(f"| {label} | | {_s(d)} | | {_s(s)} | {_x(s, d)} |")
    return lines


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares ``t = a + b·N`` (N in millions of events)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - b * mx, b


SPLIT_MB = 128  # Spark's spark.sql.files.maxPartitionBytes: one scan task per 128 MB of Parquet


def _events(millions: float | None) -> str:
    if millions is None:
        return "not below 100 billion"
    if millions >= 1000:
        return f"{millions / 1000:,.1f} billion"
    return f"{millions:,.0f}M" if millions >= 10 else f"{millions:,.1f}M"


def model(points: dict[str, dict[int, dict]], mb_per_million: float) -> tuple[list[str], dict]:
    """Fit each panel query on each engine (``t = a + b·N``, on the best runs: on a shared
    machine others only add time), sum, and extrapolate to more cores (see the docstring)."""
    fits = {}
    for engine in ("duckdb", "spark"):
        per = {
            name: fit(
                [(n / 1e6, best(r["steps"][name])) for n, r in sorted(points[engine].items())]
            )
            for name in PANEL
        }
        whole = fit([(n / 1e6, best(r["whole"])) for n, r in sorted(points[engine].items())])
        memory = fit([(n / 1e6, r["peak_mb"]) for n, r in sorted(points[engine].items())])
        fits[engine] = {
            "queries": per,
            "a": sum(v[0] for v in per.values()),
            "b": sum(v[1] for v in per.values()),
            "whole": whole,
            "peak_mb": memory,
        }
    d, s = fits["duckdb"], fits["spark"]
    here = os.cpu_count() or 2
    sizes = ", ".join(f"{n / 1e6:g}M" for n in sorted(points["duckdb"]))
    lines = [
        f"Fit over {sizes} events: the panel's {len(PANEL)} queries (what a filter change runs; "
        "best run each, serial), t = a + b·N with N in millions of events:",
        "",
        "| engine (this machine) | fixed a, s (per query) | b, s per 1M events "
        "| whole overview, best | process peak MB |",
        "|---|---:|---:|---|---|",
    ]
    for name, f in (("DuckDB", d), ("Spark", s)):
        lines.append(
            f"| {name} | {f['a']:.2f} ({f['a'] / len(PANEL):.3f}) | {f['b']:.3f} "
            f"| {f['whole'][0]:.2f} + {f['whole'][1]:.3f}·N s "
            f"| {f['peak_mb'][0]:,.0f} + {f['peak_mb'][1]:,.1f}·N |"
        )
    lines += [
        "",
        f"Per event Spark takes {s['b'] / d['b']:.1f}× DuckDB's time on the same {here} cores, "
        f"and {max(0.0, s['a'] - d['a']) / len(PANEL):.2f} s more fixed cost per query.",
        "",
    ]

    def duck(n: float, cores: int) -> float:
        return d["a"] + d["b"] * n * here / cores

    def spark(n: float, cores: int) -> float:
        splits = max(here, math.ceil(n * mb_per_million / SPLIT_MB))  # tasks one scan makes
        return s["a"] + s["b"] * n * here / min(cores, splits)

    def overtakes(cores: int, duck_cores: int) -> float | None:
        """The fewest millions of events from which Spark on ``cores`` is faster."""
        grid = [10 ** (k / 50) for k in range(-50, 251)]  # 0.1M … 100 billion
        faster = [n for n in grid if spark(n, cores) < duck(n, duck_cores)]
        return faster[0] if faster else None

    spark_cores = (here, 16, 64, 256)
    lines += [
        "Predicted panel time on more cores: per-event cost divided by the cores (DuckDB: "
        f"optimistic; Spark: at most one core per {SPLIT_MB} MB of Parquet, "
        f"{mb_per_million:.0f} MB per 1M events), fixed costs unchanged:",
        "",
        f"| events | DuckDB {here} cores | DuckDB 16 cores | "
        + " | ".join(f"Spark {c} cores" for c in spark_cores)
        + " |",
        "|---:|" + "---:|" * (2 + len(spark_cores)),
    ]
    for n in (1, 10, 100, 1000, 10000):
        cells = [duck(n, here), duck(n, 16), *(spark(n, c) for c in spark_cores)]
        lines.append(f"| {n:,}M | " + " | ".join(f"{x:,.1f} s" for x in cells) + " |")
    lines += [
        "",
        f"| Spark on | overtakes DuckDB on {here} cores from | overtakes DuckDB on 16 cores from |",
        "|---|---:|---:|",
    ]
    for c in (here, 8, 16, 32, 64, 256, 1024):
        lines.append(f"| {c} cores | {_events(overtakes(c, here))} | {_events(overtakes(c, 16))} |")
    lines += [
        "",
        f"Spark needs {s['b'] / d['b']:.0f}× DuckDB's cores to match its per-event speed, and "
        "enough events to pay back its fixed cost.",
    ]
    return lines, fits


def print_app(size: int, duck: dict, spark: dict) -> list[str]:
    return [
        "",
        f"Whole page (AppTest, `app.py` + overview, every chart), {size:,} events:",
        "",
        "| run | DuckDB s | Spark s | Spark/DuckDB |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {_s(duck[k])} | {_s(spark[k])} | {_x(spark[k], duck[k])} |"
            for k, label in (
                ("first", "first run of a fresh process (connection, caches cold)"),
                ("cold", "every cached figure cleared (connection kept)"),
                ("cached", "rerun, everything cached"),
                ("warmup", "ui.warmup.warm: every page's default view, caches cleared"),
            )
        ),
        f"| app process peak RSS, MB | {duck['peak_mb']:,.0f} | {spark['peak_mb']:,.0f} | |",
    ]


def main_driver(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"# Spark beside DuckDB — {os.cpu_count()} CPUs, {gib:.0f} GiB RAM, "
        f"Python {sys.version.split()[0]}, Spark Connect {args.url}, "
        f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min), "
        f"{datetime.now():%Y-%m-%d %H:%M}",
        flush=True,
    )
    points: dict[str, dict[int, dict]] = {"duckdb": {}, "spark": {}}
    published = {}
    for events in args.sizes:
        path = built_db(events)
        warm_os_cache(path)
        print(f"\n## {events:,} events — {path.relative_to(PROJECT_DIR)}", flush=True)
        info = ensure_published(args.url, path, events, args.republish)
        published[events] = info
        duck_mb = path.stat().st_size / 2**20
        pq_mb = (info["events_parquet_bytes"] or 0) / 2**20
        if info["published_now"]:
            tables = ", ".join(f"{t} {s:.1f} s" for t, s in info["tables_s"].items())
            print(f"\nPublished to `{info['url']}` in **{info['publish_s']:.1f} s** ({tables}).")
        else:
            print(f"\nAlready published at `{info['url']}` ({info['version_db']}): not timed.")
        print(
            f"Storage: DuckDB file {duck_mb:,.0f} MB ({duck_mb / events * 1e6:,.0f} MB per 1M "
            f"events, all tables); Spark's Parquet events {pq_mb:,.0f} MB "
            f"({pq_mb / events * 1e6:,.0f} MB per 1M)."
        )
        duck, duck_got = measure("duckdb", str(path), args.case, args.runs)
        spark, spark_got = measure("spark", info["url"], args.case, args.runs)
        points["duckdb"][events], points["spark"][events] = duck, spark
        checks = compare_figures(duck_got, spark_got)
        print(
            f"\n### {events:,} events · overview queries · {args.case} "
            f"(first run, then best / median of {args.runs})\n"
        )
        print("\n".join(step_table(duck, spark)))
        bad = {k: v for k, v in checks.items() if v != "✓"}
        print(
            f"\nFigures equal on both engines: {'✓ all' if not bad else bad}. "
            f"Spark session + pinned backend: {spark['connect_s']:.1f} s; process peak RSS: "
            f"DuckDB {duck['peak_mb']:,.0f} MB, Spark client {spark['peak_mb']:,.0f} MB.",
            flush=True,
        )
        if not args.no_app:
            print("  app · duckdb …", file=sys.stderr, flush=True)
            app_duck = spawn(["--worker", "app", "--target", str(path)])
            print("  app · spark …", file=sys.stderr, flush=True)
            app_spark = spawn(["--worker", "app", "--target", info["url"], "--staging", str(path)])
            print("\n".join(print_app(events, app_duck, app_spark)), flush=True)
    largest = max(args.sizes)
    path, info = built_db(largest), published[largest]
    if args.times > 1:
        copy = make_times(info, args.times)
        n = largest * args.times
        print(f"\n## {n:,} events simulated: {largest:,} × {args.times} (views, nothing written)")
        duck, _ = measure("duckdb", str(path), args.case, args.runs_large, times=args.times)
        spark, _ = measure(
            "spark", info["url"], args.case, args.runs_large, pinned=copy["database"]
        )
        points["duckdb"][n], points["spark"][n] = duck, spark
        print(
            f"\n### {n:,} events · overview queries · {args.case} "
            f"(first run, then best / median of {args.runs_large})\n"
        )
        print("\n".join(step_table(duck, spark)))
        print(
            f"\nProcess peak RSS: DuckDB {duck['peak_mb']:,.0f} MB, "
            f"Spark client {spark['peak_mb']:,.0f} MB.",
            flush=True,
        )
    if args.layouts:
        print(f"\n## Partitioned copies of the {largest:,} events (Spark)")
        layouts = make_layouts(info)
        print(
            "\n| layout | written in s | Parquet MB | case | overview median s "
            "| panel (sum of medians) s | event_counts s |"
        )
        print("|---|---:|---:|---|---:|---:|---:|")
        plain = {"database": None, "made_s": None, "parquet_bytes": info["events_parquet_bytes"]}
        for layout, made in {"as published (sorted by report time)": plain, **layouts}.items():
            for case in ("district", "street"):
                r, _ = measure("spark", info["url"], case, args.runs, pinned=made["database"])
                panel = sum(median(r["steps"][q]) for q in PANEL)
                written = f"{made['made_s']:.0f}" if made["made_s"] else ""
                print(
                    f"| {layout} | {written} | {(made['parquet_bytes'] or 0) / 2**20:,.0f} "
                    f"| {case} | {median(r['whole']):.2f} | {panel:.2f} "
                    f"| {median(r['steps']['event_counts']):.2f} |",
                    flush=True,
                )
    print("\n## Summary\n")
    print(
        "| events | DuckDB overview s | Spark overview s | Spark/DuckDB "
        f"| panel on {THREADS} threads: DuckDB / Spark s | Spark/DuckDB |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sorted(points["duckdb"]):
        d, s = points["duckdb"][n], points["spark"][n]
        dw, sw = median(d["whole"]), median(s["whole"])
        dt, st = median(d["threaded"]), median(s["threaded"])
        print(
            f"| {n:,} | {dw:.3f} | {sw:.2f} | {sw / dw:.1f}× | {dt:.3f} / {st:.2f} "
            f"| {st / dt:.1f}× |"
        )
    if len(points["duckdb"]) >= 2:
        mb = published[largest]["events_parquet_bytes"] / 2**20 / (largest / 1e6)
        lines, fits = model(points, mb)
        print("\n" + "\n".join(lines))
        if args.json:
            payload = {"points": points, "published": published, "fits": fits}
            Path(args.json).write_text(json.dumps(payload, indent=1, default=str))
    print(
        f"\n(load average at the end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total bench time {time.perf_counter() - started:.0f} s)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=DEFAULT_URL, help="Spark Connect server, sc://HOST:PORT")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    ap.add_argument("--runs", type=int, default=3, help="timed runs after the first")
    ap.add_argument("--case", choices=("district", "street", "dimension"), default="district")
    ap.add_argument("--republish", action="store_true", help="publish again (timed)")
    ap.add_argument("--no-app", action="store_true", help="skip the AppTest page runs")
    ap.add_argument("--times", type=int, default=1, help="also the largest size × this")
    ap.add_argument("--runs-large", type=int, default=1, help="timed runs for --times")
    ap.add_argument("--layouts", action="store_true", help="also partitioned copies")
    ap.add_argument("--json", help="write the raw figures here")
    # a worker's arguments
    ap.add_argument("--worker", choices=("queries", "app"), help=argparse.SUPPRESS)
    ap.add_argument("--engine", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--pinned", help=argparse.SUPPRESS)
    ap.add_argument("--staging", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker == "queries":
        print(json.dumps(worker_queries(args)))
        return 0
    if args.worker == "app":
        print(json.dumps(worker_app(args)))
        return 0
    if args.json is None:
        args.json = str(OUT_DIR / "spark.json")
    return main_driver(args)


if __name__ == "__main__":
    raise SystemExit(main())
