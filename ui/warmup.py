"""The default view computed before anyone asks for it: after the server starts and after
an import, so that the first visitor (a secretary opening the overview on Monday morning)
is served from the cache instead of waiting for every query.

The default view is what a district-wide viewer sees on arrival: the sidebar's defaults
(``ui.sidebar.default_filters``) and each page's own defaults, which are the panels'
(``ui.report.SECTIONS``, the same builders the pages call). Results land in Streamlit's
process-wide data caches (``ui.data``), shared by every session.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner_utils import script_run_context

from analytics import access
from ui import data
from ui.context import Context
from ui.sidebar import default_filters

LOG = get_logger(__name__)  # Streamlit's handler: the server log shows when it ran
THREAD = "warm-up"  # the name of its thread, and the prefix of the threads it starts


class _NotAScript(logging.Filter):
    """Streamlit warns of a "missing ScriptRunContext" for every cached call made outside a
    script run: expected here, so it is dropped for the warm-up's threads only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not threading.current_thread().name.startswith(THREAD)


logging.getLogger(script_run_context.__name__).addFilter(_NotAScript())
_running = threading.Lock()  # one warm-up at a time; a second request while one runs is moot


def warm(src: data.Source) -> float:
    """Compute the default view of every page for ``src``; the seconds it took."""
    started = time.perf_counter()
    from ui import report  # the panels import charts and maps: only needed here

    coverage = data.data_range(src)
    data.org_units(src)
    data.grid_reference(src)
    data.categories(src)
    data.freshness(src)
    ctx = Context(src, *default_filters(coverage))
    for build in report.SECTIONS:
        build(ctx)
    return time.perf_counter() - started


def _warm_quietly(src: data.Source | None = None) -> data.Source | None:
    """Warm up for ``src`` (default: the store as it is now); the source warmed, or None
    when another warm-up was running or there is nothing to compute."""
    if not _running.acquire(blocking=False):
        return None
    try:
        src = src or data.source(access.DISTRICT)
        seconds = warm(src)
        LOG.info("默认视图已预先计算(%.1f 秒)", seconds)
        return src
    except data.NoData:
        return None  # nothing to compute yet: the first import brings something
    except Exception:  # a failed warm-up costs the first visitor the wait, nothing more
        if not _stopping():  # a server stopped mid-way ends its threads' work: no failure
            LOG.warning("默认视图预先计算失败", exc_info=True)
        return src
    finally:
        _running.release()


def _stopping() -> bool:
    """Whether the server (or the interpreter) is shutting down."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.runtime import RuntimeState

    if sys.is_finalizing():
        return True
    if not Runtime.exists():
        return False
    return Runtime.instance().state in (RuntimeState.STOPPING, RuntimeState.STOPPED)


def watch(interval: float = 5.0, stop: threading.Event | None = None) -> None:
    """Warm up now, then again whenever the store has a new data version: an import on the
    数据导入 page, the CLI's ``import`` from a scheduled job, a demo build. A DuckDB file
    costs a ``stat`` per look (its identity carries the version). Runs until ``stop`` is set:
    the server's warm-up thread (``ui/serve.py``) never sets it."""
    stop = stop or threading.Event()
    warmed = None
    while not stop.is_set():
        try:
            now = data.source(access.DISTRICT)
        except data.NoData:
            now = None
        except Exception:
            LOG.warning("读取数据版本失败", exc_info=True)
            now = None
        if now is not None and now != warmed:
            warmed = _warm_quietly(now) or warmed
        stop.wait(interval)


def start() -> threading.Thread:
    """One warm-up in the background for the store as it is now (after an import)."""
    thread = threading.Thread(target=_warm_quietly, name=THREAD, daemon=True)
    thread.start()
    return thread
