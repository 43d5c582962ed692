"""The default view computed ahead (``ui/warmup.py``): after it, a newcomer's first run of
every page makes no query."""

from __future__ import annotations

import shutil

import pytest

from tests.apptest import app_test
from ui import data, warmup

PAGES = [
    "pages/overview.py",
    "pages/trends.py",
    "pages/closure.py",
    "pages/response.py",
    "pages/heatmap.py",
    "pages/whatif.py",
    "pages/rankings.py",
]


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
    for page in PAGES:
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
    assert {"kpis", "grid_metrics"} <= set(misses)


def test_a_store_without_events_is_left_alone(tmp_path, monkeypatch):
    """No database yet (a fresh deployment before its first import): the warm-up does
    nothing and raises nothing."""
    monkeypatch.setenv("GOV_DB", str(tmp_path / "missing.duckdb"))
    warmup.start().join(timeout=30)
