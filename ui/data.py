"""Cached access to the analytics layer: the only place pages get figures from.

The shared connection lives in ``st.cache_resource``; every query takes its own cursor
(DuckDB refuses concurrent use of one connection). Results are cached for every session of
the process (``ui.memo``: a hit is a dictionary lookup and a cheap private copy, where
``st.cache_data`` hashed and unpickled ~2 ms a hit) by the frozen ``Filters`` plus the data
version, so an import shows up on the next rerun.

Writers never modify the DuckDB file in place: they build a new file and rename it onto the
old one. The file's identity (inode, modification time) is therefore part of ``Source``: a
replaced file gets a fresh connection (the old one closes when its last cursor is gone) instead
of reading the old file forever. On Spark the identity is the published version
(``analytics.spark``): a publish gets a backend pinned to the new version.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st
from ibis.backends import BaseBackend
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from analytics import (
    access,
    admin_db,
    annotations,
    brief,
    category_store,
    closure,
    drilldown,
    heatmap,
    hotspots,
    problems,
    queries,
    rankings,
    response,
    score,
    target_store,
    targets,
    trends,
)
from analytics import categories as category_model  # data.categories is the category list
from analytics.connection import (
    connect,
    cursor,
    db_url,
    duckdb_path,
    is_duckdb_file,
    is_spark,
    spark_layer,
)
from analytics.filters import Filters
from analytics.planning import partition, queueing, scenario, whatif
from analytics.settings import Settings, SettingsError
from analytics.settings import load as load_settings
from ui import memo, offload

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """Which store, at which data version: the part of every cache key that is not a filter."""

    url: str
    version: tuple
    identity: tuple = ()
    scope: access.Scope = access.DISTRICT  # the user's 分级授权 scope: every query is clamped


class NoData(Exception):
    """The store is missing or holds no events; the message says how to fix it."""


def _open(url: str, identity: tuple) -> BaseBackend:
    """A connection to the store as it is now: the file read-only, or the published version
    on Spark."""
    if is_spark(url):
        spark = spark_layer()
        return spark.connect(url, spark.Published(*identity))
    return connect(url, read_only=True)


# The shared connection to the file as it is now. A replaced file's connection is not closed
# when it leaves the cache: sessions may still be reading the old file through their cursors
# (an import every half minute under 20 sessions closed one mid-query, bench/load.py); DuckDB
# closes it when the last cursor on it is gone.
_backend = st.cache_resource(show_spinner=False, max_entries=2)(_open)


def _identity(url: str) -> tuple:
    """Which file the URL names right now, or which version is published on Spark; empty for
    another server database."""
    if is_spark(url):
        spark = spark_layer()
        shown = spark.target(url).display  # without parameters, which may carry a token
        try:
            version = spark.current(url)
        except Exception as exc:  # the server down or unreachable: say so, the detail logged
            LOG.warning("连接 Spark 失败", exc_info=True)
            raise NoData(f"连接不上 Spark({shown}),请稍后刷新或联系管理员。") from exc
        if version is None:
            raise NoData(
                f"Spark 上还没有发布的数据({shown})。请先运行 "
                f"`python -m analytics sync {shown} --db <DuckDB 文件>` 发布数据。"
            )
        return (version.version, version.database, version.published_at)
    if not is_duckdb_file(url):
        return ()
    stat = duckdb_path(url).stat()
    return (stat.st_ino, stat.st_mtime_ns)


def _con(src: Source) -> BaseBackend:
    """A cursor that sees only the rows of the source's scope (``analytics.access``)."""
    return access.scoped(cursor(_backend(src.url, src.identity)), src.scope)


def _worker_con(src: Source) -> BaseBackend:
    """:func:`_con` in the ``ui.offload`` worker process, on the worker's own connection."""
    return access.scoped(cursor(_worker_backend(src.url, src.identity)), src.scope)


_worker_backend = functools.lru_cache(maxsize=2)(_open)


def prefetch(*calls: Callable[[], object]) -> None:
    """Run a page's cached queries side by side, so that the page then reads them from the
    cache: DuckDB executes one query (releasing the GIL) while Python compiles the next.
    About 15–20 % off a page's queries at 1M events on two cores (``bench/page_runs.py``).

    Each call takes its own cursor. A failing call is left for the page to make again, where
    its error is shown in place. In a page run, a spinner says what the page waits for once it
    takes over half a second (Streamlit's delay): seconds on Spark or at ten million events,
    nothing shown at a district's size. (Without its elapsed time: Streamlit writes that in
    English.)
    """
    calls = [call for call in calls if not _cached(call)]
    if len(calls) < 2:  # nothing to run side by side: the page makes the call itself
        return
    ctx = get_script_run_ctx()

    def attach() -> None:
        add_script_run_ctx(threading.current_thread(), ctx)

    name = f"{threading.current_thread().name}-prefetch"  # the warm-up's keep its prefix
    waiting = st.spinner("正在计算本页数据…") if ctx else contextlib.nullcontext()
    with waiting, ThreadPoolExecutor(3, initializer=attach, thread_name_prefix=name) as pool:
        futures = [pool.submit(call) for call in calls]
    for future in futures:
        future.exception()  # consumed here; the page's own call raises it again


# One worker for what a page starts and does not wait for (the overview's 热点诉求 line); its
# thread is joined when the process exits, so no query is cut off mid-way.
_BACKGROUND = ThreadPoolExecutor(1, thread_name_prefix="background")
_started: set = set()
_started_lock = threading.Lock()


def in_background(call: Callable[[], object]) -> bool:
    """Whether the cached ``call`` (a ``partial`` of a function here) has its result ready;
    when not, it is started in the background (once) for a later run to read."""
    if _cached(call):
        return True
    key = (call.func, call.args, tuple(sorted(call.keywords.items())))
    with _started_lock:
        if key in _started:
            return False
        _started.add(key)

    def run() -> None:
        try:
            call()
        except Exception:  # the page's own call shows the error where it is asked for
            LOG.warning("后台计算失败", exc_info=True)
        finally:
            with _started_lock:
                _started.discard(key)

    _BACKGROUND.submit(run)
    return False


def _cached(call: Callable[[], object]) -> bool:
    """Whether a prefetch call (a ``partial`` of a cached function here) is cached already:
    a rerun that needs no new data starts no threads."""
    has = getattr(getattr(call, "func", None), "has", None)
    return has is not None and has(*call.args, **call.keywords)


def clear_caches() -> None:
    """Forget every cached figure (the connection stays): a cold start for benchmarks and
    tests."""
    memo.clear_all()
    st.cache_data.clear()


def source(scope: access.Scope = access.DISTRICT) -> Source:
    """The current store, its data version (once per file for DuckDB, once per published
    version for Spark, a tiny query on every rerun for another database server) and the
    viewer's scope."""
    url = db_url()
    if is_duckdb_file(url) and not duckdb_path(url).exists():
        raise NoData(
            f"找不到数据库文件 {duckdb_path(url)}。"
            "请先运行 `python -m analytics demo` 生成演示数据,"
            "或设置环境变量 GOV_DB 指向已有数据库,或在左侧「数据导入」页导入本区数据。"
        )
    identity = _identity(url)
    if identity:
        return Source(url, _file_version(url, identity), identity, scope)
    return Source(url, queries.data_version(cursor(_backend(url, identity))), identity, scope)


@memo.cached(max_entries=8)
def _file_version(url: str, identity: tuple) -> tuple:
    """The data version of a DuckDB file or a published Spark version, read once per identity:
    every write replaces or touches the file, every publish makes a new version (a rerun
    saves 10 ms on a file, ~0.3 s on Spark)."""
    return queries.data_version(cursor(_backend(url, identity)))


def prefetch_reference(src: Source) -> None:
    """The data version's reference data, which the sidebar reads one after another before
    any page's query (the span, units, grids, categories, the freshness line), fetched side
    by side first."""
    prefetch(
        functools.partial(data_range, src),
        functools.partial(org_units, src),
        functools.partial(grid_reference, src),
        functools.partial(categories, src),
        functools.partial(freshness, src),
    )


@memo.cached(max_entries=16)
def data_range(src: Source) -> queries.DataRange:
    coverage = queries.data_range(_con(src))
    if coverage is None:
        raise NoData(
            "数据库中还没有事件数据。请在左侧「数据导入」页导入,或运行 `python -m analytics demo`。"
        )
    return coverage


@memo.cached(max_entries=16)
def org_units(src: Source) -> pd.DataFrame:
    return queries.org_units(_con(src))


@memo.cached(max_entries=16)
def unit_names(src: Source) -> dict[str, str]:
    """From the units and grids cached for the sidebar: no query of its own."""
    return queries.names_of(org_units(src), grid_reference(src))


@memo.cached(max_entries=16)
def grid_reference(src: Source) -> pd.DataFrame:
    return queries.grid_reference(_con(src))


@memo.cached(max_entries=16)
def parents(src: Source) -> dict[str, str | None]:
    return access.parents(org_units(src), grid_reference(src))


@memo.cached(max_entries=16)
def categories(src: Source) -> list[str]:
    return queries.categories(_con(src))


@memo.cached(max_entries=64)
def grid_shapes(src: Source, f: Filters) -> pd.DataFrame:
    return queries.grid_shapes(_con(src), f)


@memo.cached(max_entries=64)
def event_counts(src: Source, f: Filters, compare: str | None = "yoy") -> queries.EventCounts:
    """The counts behind ``counted_kpis``, ``grid_metrics``, ``counted_months`` and
    ``counted_placement``: one scan for all of them (the overview's)."""
    return queries.event_counts(_con(src), f, data_range(src), compare)


@memo.cached(max_entries=256)
def kpis(
    src: Source,
    f: Filters,
    compare: str | None = "yoy",
    keys: tuple[str, ...] = queries.KPI_METRICS,
) -> pd.DataFrame:
    """The headline figures of ``keys``: a page asks only for those it shows, since the
    medians cost the engine more than all the counts together."""
    return queries.kpis(_con(src), f, data_range(src), keys, compare=compare)


def _median_keys(book: targets.Book | None = None) -> tuple[str, ...]:
    """The metrics whose figures the counts cannot give (``queries.kpi_medians``) are asked
    for the cards and the score (the metrics of ``book``, default the saved targets) at
    once: one query for both when the score's book is the saved one."""
    book = target_book() if book is None else book
    return tuple(dict.fromkeys([*queries.KPI_METRICS, *score.score_keys(book)]))


@memo.cached(max_entries=64)
def period_medians(src: Source, f: Filters, keys: tuple, compare: str | None) -> pd.DataFrame:
    return queries.kpi_medians(_con(src), f, data_range(src), keys, compare=compare)


@memo.cached(max_entries=64)
def month_medians(src: Source, f: Filters, keys: tuple) -> pd.DataFrame:
    return queries.month_medians(_con(src), f, data_range(src), keys)


@memo.cached(max_entries=256)
def counted_kpis(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    """``kpis`` from ``event_counts`` and a query of the medians: cheaper where the counts
    are made anyway (the overview), dearer than ``kpis``' one query where they are not."""
    coverage = data_range(src)
    medians = period_medians(src, f, _median_keys(), compare)  # before the wait for the counts
    return queries.kpis_from(event_counts(src, f, compare), medians, f, coverage, compare=compare)


@memo.cached(max_entries=64)
def counted_months(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    """``monthly_kpis`` from ``event_counts(src, f, compare)`` (whatever ``compare``)."""
    medians = month_medians(src, f, _median_keys())
    return queries.monthly_kpis_from(event_counts(src, f, compare), medians, f)


@memo.cached(max_entries=256)
def intake_trend(
    src: Source, f: Filters, by: str = "event_type", freq: str = "month", compare="yoy"
) -> pd.DataFrame:
    return queries.intake_trend(_con(src), f, data_range(src), by=by, freq=freq, compare=compare)


@memo.cached(max_entries=256)
def top_categories(
    src: Source, f: Filters, n: int = 8, compare: str | None = "yoy"
) -> pd.DataFrame:
    return queries.top_categories(_con(src), f, data_range(src), n=n, compare=compare)


@memo.cached(max_entries=256)
def grid_metrics(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    return queries.grid_metrics_from(event_counts(src, f, compare), grid_reference(src), f)


@memo.cached(max_entries=64)
def hex_metrics(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    return queries.hex_metrics(_con(src), f, data_range(src), compare=compare)


@memo.cached(max_entries=256)
def placement(src: Source, f: Filters) -> dict[str, int]:
    return queries.placement(_con(src), f)


@memo.cached(max_entries=16)
def outlined_grids(src: Source) -> list[str]:
    return queries.outlined_grids(_con(src))


@memo.cached(max_entries=256)
def counted_placement(src: Source, f: Filters, compare: str | None = "yoy") -> dict[str, int]:
    """``placement`` from ``event_counts(src, f, compare)`` (whatever ``compare``)."""
    return queries.placement_from(event_counts(src, f, compare), outlined_grids(src))


@memo.cached(max_entries=256)
def worsening_grids(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    return queries.worsening_grids(grid_metrics(src, f, compare))


@memo.cached(max_entries=256)
def overdue_grids(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    return queries.overdue_grids(grid_metrics(src, f, compare))


@memo.cached(max_entries=256)
def backlog_ageing(src: Source, f: Filters) -> pd.DataFrame:
    return queries.backlog_ageing(_con(src), f, data_range(src))


def store_path() -> str:
    """Where imports go: the DuckDB file of ``GOV_DB``, or its URL when it is not a file (a
    Spark store's imports are written to its staging file, then published)."""
    url = db_url()
    return str(duckdb_path(url)) if is_duckdb_file(url) else url


@memo.cached(max_entries=4)
def _import_history(src: Source) -> pd.DataFrame:
    return queries.import_history(_con(src))


def import_history() -> pd.DataFrame:
    """Recent imports; empty while there is no database yet."""
    try:
        src = source()
    except NoData:
        return pd.DataFrame()
    return _import_history(src)


# ---------------------------------------------------------------- 投诉信访趋势


@memo.cached(max_entries=64)
def type_trend(src: Source, f: Filters, freq: str, compare: str | None) -> pd.DataFrame:
    return trends.type_trend(_con(src), f, data_range(src), freq, compare)


def calendar_notes(src: Source, f: Filters) -> pd.DataFrame:
    """The dates to mark on ``f``'s time charts (``annotations.notes``), both the store's
    and the admin database's notes: cached by the latter's version, read on every run, so
    that a note added on the 日期标注 page shows on the next run of every chart."""
    admin = str(admin_db.admin_path())
    return notes_at(src, f, admin, annotations.version(admin))


@memo.cached(max_entries=64)
def notes_at(src: Source, f: Filters, admin: str, version: int) -> pd.DataFrame:
    return annotations.notes(_con(src), f, admin, org_units(src), grid_reference(src))


def note_listing(src: Source) -> pd.DataFrame:
    """Every note the viewer may see, from both places, for the 日期标注 page (uncached: a
    few rows, and the page shows its own changes at once)."""
    return annotations.listing(_con(src), admin_db.admin_path())


@memo.cached(max_entries=64)
def category_trend(src: Source, f: Filters, freq: str) -> pd.DataFrame:
    return trends.category_trend(_con(src), f, data_range(src), freq)


@memo.cached(max_entries=64)
def category_changes(src: Source, f: Filters, compare: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 8 largest categories and the fastest rising against ``compare``, in one query."""
    counts = category_counts(src, f, compare)
    return trends.category_changes(_con(src), f, data_range(src), compare, counts=counts)


@memo.cached(max_entries=64)
def category_counts(src: Source, f: Filters, compare: str | None) -> queries.EventCounts:
    """Intake by category and period: behind ``category_changes`` and ``intake_card``."""
    return trends.category_counts(_con(src), f, data_range(src), compare)


@memo.cached(max_entries=64)
def intake_card(src: Source, f: Filters, compare: str | None) -> pd.DataFrame:
    """``kpis(src, f, compare, ("intake",))`` from ``category_counts``: no query of its own."""
    counts = category_counts(src, f, compare)
    return queries.kpis_from(counts, None, f, data_range(src), ("intake",), compare)


@memo.cached(max_entries=64)
def spikes(src: Source, f: Filters, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return trends.spikes(_con(src), f, data_range(src), freq)


@memo.cached(max_entries=64)
def unit_comparison(src: Source, f: Filters, units: tuple[str, ...], freq: str) -> pd.DataFrame:
    return trends.unit_comparison(
        _con(src), f, data_range(src), units, freq, org_units(src), grid_reference(src)
    )


# ---------------------------------------------------------------- 办结率


@memo.cached(max_entries=16)
def unit_titles(src: Source) -> dict[str, str]:
    """Every unit's name as tables show it (``closure.unit_titles``), from the names and grids
    the sidebar holds already: no query of its own."""
    return closure.titles_of(unit_names(src), grid_reference(src))


@memo.cached(max_entries=64)
def closure_counts(src: Source, f: Filters, compare: str | None) -> queries.EventCounts:
    """The one scan behind ``closure_cards``, ``closure_by_unit`` and ``closure_by_category``."""
    return closure.rate_counts(_con(src), f, data_range(src), compare)


@memo.cached(max_entries=64)
def closure_cards(src: Source, f: Filters, compare: str | None) -> pd.DataFrame:
    return closure.cards(closure_counts(src, f, compare), f, data_range(src), compare)


@memo.cached(max_entries=64)
def closure_by_unit(src: Source, f: Filters, compare: str | None) -> pd.DataFrame:
    counts = closure_counts(src, f, compare)
    return closure.by_unit(_con(src), f, data_range(src), compare, unit_titles(src), counts)


@memo.cached(max_entries=64)
def closure_by_category(src: Source, f: Filters, compare: str | None) -> pd.DataFrame:
    counts = closure_counts(src, f, compare)
    return closure.by_category(_con(src), f, data_range(src), compare, counts)


@memo.cached(max_entries=64)
def funnel(src: Source, f: Filters) -> pd.DataFrame:
    return closure.funnel(_con(src), f, data_range(src))


@memo.cached(max_entries=64)
def resolution_levels(src: Source, f: Filters, freq: str) -> pd.DataFrame:
    return closure.resolution_levels(_con(src), f, data_range(src), freq)


@memo.cached(max_entries=32)
def overdue_list(src: Source, f: Filters) -> pd.DataFrame:
    return closure.overdue_list(
        _con(src), f, data_range(src), names=unit_names(src), titles=unit_titles(src)
    )


def require_current(src: Source) -> None:
    """For files made on click, outside any script run: if an import replaced the data since
    the page was drawn, the file would not match what the page showed."""
    if _identity(src.url) != src.identity:
        raise RuntimeError("数据已更新:请刷新页面后再下载。")


def overdue_export(src: Source, f: Filters) -> pd.DataFrame:
    """The whole overdue list (masked) for a download; made on click, so not cached."""
    require_current(src)
    return closure.overdue_list(
        _con(src), f, data_range(src), None, unit_names(src), unit_titles(src)
    )


# ---------------------------------------------------------------- 响应时效


@memo.cached(max_entries=64)
def durations(src: Source, f: Filters, measure: str, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The measure's distribution and the stages' medians by group, in one query."""
    return response.durations(_con(src), f, data_range(src), measure, by, unit_titles(src))


@memo.cached(max_entries=64)
def sla(src: Source, f: Filters) -> pd.DataFrame:
    return response.sla(_con(src), f, data_range(src))


def sides(src: Source, f: Filters, pivot: date, days: int) -> response.Sides | None:
    return response.sides(f, data_range(src), pivot, days)


@memo.cached(max_entries=32)
def before_after(src: Source, s: response.Sides) -> pd.DataFrame:
    """The two sides' figures: metric, before, after, change."""
    return response.before_after(_con(src), s, data_range(src))


@memo.cached(max_entries=32)
def rank_tests(src: Source, s: response.Sides) -> dict:
    """The Mann-Whitney test of each measure (None for a measure with an empty side)."""
    return response.rank_tests(_con(src), s, data_range(src))


# ---------------------------------------------------------------- 网格热力图


@memo.cached(max_entries=64)
def grid_figures(src: Source, f: Filters, compare: str | None = "yoy") -> pd.DataFrame:
    return heatmap.grid_figures(_con(src), f, data_range(src), compare, grid_reference(src))


@memo.cached(max_entries=64)
def density_hexes(src: Source, f: Filters) -> pd.DataFrame:
    return heatmap.density_hexes(_con(src), f, data_range(src))


@memo.cached(max_entries=128)
def grid_workers(src: Source, f: Filters, grid_id: str) -> pd.DataFrame:
    return heatmap.grid_workers(_con(src), f, data_range(src), grid_id)


def settings() -> tuple[Settings, str | None]:
    """The deployment's settings (read on every run, so an edit shows on the next one), and
    the reason when the file cannot be used (its defaults then apply)."""
    try:
        return load_settings(), None
    except SettingsError as exc:
        return Settings(), str(exc)


def target_book() -> targets.Book:
    """The district's targets, read on every run (a few rows of the admin database), so that
    an admin's change shows on the next rerun of every session."""
    return target_store.book(admin_db.admin_path())


@memo.cached(max_entries=64)
def score_snapshot(
    src: Source, f: Filters, book: targets.Book, weights: tuple, cap: float, compare="yoy"
) -> tuple[score.Score, pd.DataFrame]:
    """The period's score and the four windows' (as ``score.snapshot``). The period's figures
    come from the cards' counts and medians (``event_counts``, ``period_medians``): the
    period's own query over every target metric was a third of the overview's engine time at
    10M events. ``compare`` only shares the cards' cache entries."""
    coverage, keys = data_range(src), score.score_keys(book)
    medians = period_medians(src, f, _median_keys(book), compare)  # the cards' query
    counts = event_counts(src, f, compare)
    figures = queries.kpis_from(counts, medians, f, coverage, keys, compare=compare)
    period = score.unit_score(figures, book, f.unit_id, parents(src), weights, cap)
    windows = score.windows(_con(src), f, coverage, book, parents(src), weights, cap)
    return period, windows


@memo.cached(max_entries=64)
def unit_scores(
    src: Source,
    f: Filters,
    level: str,
    book: targets.Book,
    weights: tuple,
    cap: float,
    min_events: int,
) -> pd.DataFrame:
    """Every unit of ``level`` (``street_id``, ``community_id`` or ``grid_id``) scored
    against its targets and ranked (``score.unit_scores``)."""
    return score.unit_scores(
        _con(src), f, data_range(src), level, book, parents(src), weights, cap, min_events
    )


@memo.cached(max_entries=64)
def score_trend(
    src: Source, f: Filters, book: targets.Book, weights: tuple, cap: float, compare="yoy"
) -> pd.DataFrame:
    """``score.trend`` from the cards' counts and medians by month (``event_counts``,
    ``month_medians``), as their lines are made. ``compare`` only shares the cards' cache
    entries."""
    keys = score.score_keys(book)
    medians = month_medians(src, f, _median_keys(book))  # the cards' query
    months = queries.monthly_kpis_from(event_counts(src, f, compare), medians, f, keys)
    return score.trend_of(months, book, f.unit_id, parents(src), weights, cap)


@memo.cached(max_entries=64)
def problem_list(src: Source, f: Filters, book: targets.Book, min_events: int) -> pd.DataFrame:
    return problems.problem_list(
        _con(src), f, data_range(src), book, parents(src), min_events=min_events
    )


def meeting_brief(
    src: Source,
    f: Filters,
    book: targets.Book,
    since: date,
    min_events: int,
    weights: tuple,
    cap: float,
) -> brief.Brief:
    """The brief (``analytics.brief``) with the interval's notes from both places, cached by
    the admin database's notes version too: a note added shows in the next brief."""
    admin = str(admin_db.admin_path())
    version = annotations.version(admin)
    return _meeting_brief(src, f, book, since, min_events, weights, cap, admin, version)


@memo.cached(max_entries=64)
def _meeting_brief(
    src: Source,
    f: Filters,
    book: targets.Book,
    since: date,
    min_events: int,
    weights: tuple,
    cap: float,
    admin: str,
    version: int,
) -> brief.Brief:
    coverage = data_range(src)
    notes = notes_at(src, f.with_period(since, coverage.last_day), admin, version)
    return brief.brief(
        _con(src), f, coverage, book, parents(src), since,
        notes=notes, min_events=min_events, weights=weights, cap=cap,
    )  # fmt: skip


# ---------------------------------------------------------------- 网格调整推演


@memo.cached(max_entries=16)
def whatif_scope(src: Source, unit_id: str) -> whatif.Scope:
    return whatif.load_scope(_con(src), unit_id)


@memo.cached(max_entries=4)
def whatif_model(
    src: Source, hours_per_month: float
) -> tuple[pd.DataFrame, queueing.Model, dict[str, queueing.Backtest]]:
    """The calibration grids, the better response model and both models' back-tests."""
    return whatif.calibrated_model(_con(src), data_range(src), hours_per_month)


@memo.cached(max_entries=32)
def whatif_plan(src: Source, choice: scenario.Scenario, hours_per_month: float) -> partition.Plan:
    """The plan ``choice`` asks for (``scenario.draw``)."""
    calibration = whatif_model(src, hours_per_month)[0]
    return scenario.draw(whatif_scope(src, choice.unit_id), choice, calibration, hours_per_month)


def whatif_result(src: Source, choice: scenario.Scenario, settings: Settings) -> scenario.Result:
    """The plan beside today's grids (``scenario.judge``), from the cached scope, model and
    plans."""
    hours = settings.worker_hours_per_month
    return scenario.judge(
        choice,
        whatif_scope(src, choice.unit_id),
        whatif_model(src, hours),
        whatif_plan(src, choice, hours),
        whatif_plan(src, choice.today(), hours),
        settings,
    )


# ---- 赛马比拼


@memo.cached(max_entries=64)
def unit_ranking(
    src: Source,
    f: Filters,
    level: str,
    weights: tuple[tuple[str, float], ...],
    min_events: int,
    compare: str | None,
) -> rankings.Ranking:
    """Streets, communities or grids ranked (``weights`` as (rate, weight) pairs); the rank
    change is against ``compare``."""
    return rankings.unit_ranking(
        _con(src), f, data_range(src), level, dict(weights), min_events, compare
    )


@memo.cached(max_entries=64)
def worker_ranking(
    src: Source,
    f: Filters,
    weights: tuple[tuple[str, float], ...],
    min_events: int,
    compare: str | None,
) -> rankings.Ranking:
    """Full-time grid workers ranked (names masked; ``weights`` as (part, weight) pairs); the
    rank change is against ``compare``."""
    return rankings.worker_ranking(
        _con(src), f, data_range(src), dict(weights), min_events, compare
    )


# ---------------------------------------------------------------- 一屏统览: trend lines, drill-down


@memo.cached(max_entries=64)
def drill_events(
    src: Source, f: Filters, selection: tuple[tuple[str, object], ...]
) -> pd.DataFrame:
    """The first events behind ``selection`` (``drilldown.events``' keywords as pairs), masked."""
    return drilldown.events(_con(src), f, data_range(src), **dict(selection))


def drill_export(
    src: Source, f: Filters, selection: tuple[tuple[str, object], ...]
) -> pd.DataFrame:
    """The events behind ``selection`` for a download, up to ``drilldown.EXPORT_LIMIT``; made
    on click, so not cached."""
    require_current(src)
    return drilldown.events(
        _con(src), f, data_range(src), limit=drilldown.EXPORT_LIMIT, **dict(selection)
    )


@memo.cached(max_entries=16)
def freshness(src: Source) -> queries.Freshness:
    """The freshness badge's figures (数据截至, latest import, events held)."""
    try:
        coverage = data_range(src)  # cached already: the sidebar has read it
    except NoData:
        coverage = None
    return queries.freshness(_con(src), coverage)


@memo.cached(max_entries=64)
def unit_outlines(
    src: Source, street_id: str | None = None, community_id: str | None = None
) -> pd.DataFrame:
    return queries.unit_outlines(_con(src), street_id, community_id)


@memo.cached(max_entries=16)
def hot_issues(src: Source, f: Filters) -> hotspots.HotIssues:
    """热点诉求 of the scope and period: seconds for a year of a district, mostly Python, so
    computed in a process of its own (``ui.offload``); cached, and warmed."""
    return offload.run(_hot_issues_offloaded, src, f, data_range(src))


def _hot_issues_offloaded(src: Source, f: Filters, coverage) -> hotspots.HotIssues:
    """:func:`hot_issues` in the worker process."""
    return hotspots.find_issues(_worker_con(src), f, coverage=coverage)


@memo.cached(max_entries=64)
def issue_events(src: Source, f: Filters, event_ids: tuple[str, ...]) -> pd.DataFrame:
    """One hot issue's events, personal data masked."""
    return hotspots.issue_events(_con(src), f, event_ids, coverage=data_range(src))


# ---------------------------------------------------------------- 赛马比拼: 同比 or 环比


# ---- 分类建议


@memo.cached(max_entries=4)
def category_readiness(src: Source) -> category_model.Readiness:
    """How many events lack a category, how many categorised ones have text (the 分类建议
    page's counts and empty states)."""
    return category_model.readiness(_con(src))


def category_pending(
    src: Source, min_confidence: float, category: str | None, limit: int = 1000
) -> category_store.Pending:
    """The pending suggestions passing the filters, with their events' details (masked),
    cached under the admin database's suggestions version: a decision shows on the next run."""
    admin = str(admin_db.admin_path())
    version = category_store.version(admin)
    return _category_pending(src, admin, version, float(min_confidence), category, int(limit))


@memo.cached(max_entries=16)
def _category_pending(
    src: Source, admin: str, version: tuple, min_confidence: float, category, limit: int
) -> category_store.Pending:
    return category_store.pending_view(
        _con(src), admin, min_confidence=min_confidence, category=category, limit=limit
    )


def category_generate(src: Source, by: str, zone: str) -> category_store.ModelRun:
    """重新训练并生成建议 on the store as it is (uncached: a click; seconds of Python at a
    district's size, so in a process of its own, ``ui.offload``)."""
    return offload.run(_category_generate_offloaded, src, str(admin_db.admin_path()), by, zone)


def _category_generate_offloaded(
    src: Source, path: str, by: str, zone: str
) -> category_store.ModelRun:
    """:func:`category_generate` in the worker process."""
    return category_store.generate(_worker_con(src), path, by, zone=zone)
