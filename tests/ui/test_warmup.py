"""The default view computed ahead (``ui/warmup.py``): after it, a newcomer's first run of
every page makes no query."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from tests.apptest import DATA_PAGES, app_test
from ui import data, warmup


@pytest.fixture
def fresh_db(demo_db, tmp_path, monkeypatch):
    """The demo district in a file of its own: nothing of it is cached yet."""
    path = tmp_path / "gov.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("GOV_DB", str(path))
    return path


def count_queries(monkeypatch) -> list[str]:
    """Every cache miss asks ``ui.data._con`` for a cursor: the calls, by caller."""
    misses: list[str] = []
    real = data._con

    def counted(src):
        import inspect

        misses.append(inspect.stack()[1].function)
        return real(src)

    monkeypatch.setattr(data, "_con", counted)
    return misses


def test_after_the_warm_up_every_page_opens_from_the_cache(fresh_db, monkeypatch):
    seconds = warmup.warm(data.source())
    assert seconds > 0
    misses = count_queries(monkeypatch)
    for page in DATA_PAGES:
        at = app_test(timeout=120)
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert misses == [], (page, misses)


def test_without_it_the_first_visitor_pays_for_the_queries(fresh_db, monkeypatch):
    """The test above can fail: a newcomer's first run does query the store."""
    misses = count_queries(monkeypatch)
    at = app_test(timeout=120)
    at.run()
    assert not at.exception
    assert len(misses) >= 5, misses
    first = len(misses)
    at.run()  # the same run again: all cached
    assert len(misses) == first


def test_a_store_without_events_is_left_alone(tmp_path, monkeypatch):
    """No database yet (a fresh deployment before its first import): the warm-up does
    nothing and raises nothing."""
    monkeypatch.setenv("GOV_DB", str(tmp_path / "missing.duckdb"))
    warmup.start().join(timeout=30)


def test_the_servers_thread_warms_up_again_after_an_import(fresh_db, tiny_db, monkeypatch):
    """An import replaces the file (here: by another district's); the watching thread sees
    the new version within its interval and computes the new default view."""
    warmed = []
    monkeypatch.setattr(warmup, "warm", lambda src: warmed.append(src) or 0.0)
    stop = threading.Event()
    thread = threading.Thread(target=warmup.watch, args=(0.05, stop), daemon=True)
    thread.start()
    try:
        _until(lambda: len(warmed) == 1)
        replacement = fresh_db.with_name("new.duckdb")
        shutil.copy(tiny_db, replacement)
        replacement.rename(fresh_db)
        _until(lambda: len(warmed) == 2)
        time.sleep(0.3)  # and no more while nothing changes
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(warmed) == 2
    assert warmed[0].identity != warmed[1].identity
    assert warmed[1] == data.source()


def _until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_server_stopping_mid_way_is_not_a_failure(fresh_db, monkeypatch, caplog):
    """Stopping the server while it warms up ends the warm-up's work (here: the pool that
    runs queries refuses new work): nothing is logged as a failure. Any other error is."""

    def refused(src):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(warmup, "warm", refused)
    monkeypatch.setattr(warmup, "_stopping", lambda: True)
    with caplog.at_level("WARNING"):
        warmup._warm_quietly()
    assert "预先计算失败" not in caplog.text
    monkeypatch.setattr(warmup, "_stopping", lambda: False)
    warmup._warm_quietly()
    assert "预先计算失败" in caplog.text
