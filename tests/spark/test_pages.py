"""Every page of the dashboard on Spark shows what it shows on DuckDB, for the same data."""

from __future__ import annotations

import shutil
import uuid

import duckdb
import pytest

from tests import spark_engine
from tests.apptest import DATA_PAGES, app_test

pytestmark = pytest.mark.spark

PAGES = (*DATA_PAGES, "pages/import.py")


INTRO = "导入看板数据库"  # the import page's introduction, which says where imports go


def _tour(store: str, monkeypatch) -> dict[str, tuple]:
    """Each page's cards, tables and captions on ``store``: the freshness line aside, and the
    import page's introduction, which differs by design (checked on its own)."""
    from ui import data

    monkeypatch.setenv("GOV_DB", store)
    data.clear_caches()
    at = app_test(timeout=600)
    at.run()
    seen = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        seen[page] = (
            [(m.label, m.value, m.delta) for m in at.metric],
            [
                c.value
                for c in at.caption
                if not c.value.startswith("数据截至") and INTRO not in c.value
            ],
            [df.value.to_string() for df in at.dataframe],
        )
        if page == "pages/import.py":
            seen["intro"] = next(c.value for c in at.caption if INTRO in c.value)
    return seen


def test_every_page_on_spark_matches_duckdb(demo_db, spark_server, monkeypatch):
    on_spark = _tour(spark_engine.published(spark_server, demo_db), monkeypatch)
    on_duckdb = _tour(str(demo_db), monkeypatch)
    assert any(on_spark[page][0] for page in PAGES)
    assert "发布到 Spark" in on_spark["intro"] and "发布到 Spark" not in on_duckdb["intro"]
    for page in PAGES:
        assert on_spark[page] == on_duckdb[page], page


def test_a_publish_reaches_the_dashboard(tiny_db, spark_server, monkeypatch, tmp_path):
    """The next rerun after a publish (the version read at most every few seconds, here at
    once) reads the new version: a new ``Source``, so fresh caches and a new warm-up."""
    from analytics import spark
    from ui import data

    url = f"{spark_server}/w_{uuid.uuid4().hex[:10]}"
    spark.publish(tiny_db, url)
    monkeypatch.setenv("GOV_DB", url)
    monkeypatch.setattr(spark, "POINTER_MAX_AGE", 0.0)
    before = data.source()
    fewer = tmp_path / "fewer.duckdb"
    shutil.copy(tiny_db, fewer)
    with duckdb.connect(str(fewer)) as con:
        con.execute("DELETE FROM events WHERE grid_id IS NULL")
        left = con.execute("SELECT count(*) FROM events").fetchone()[0]

    spark.publish(fewer, url)

    after = data.source()
    assert after != before
    assert after.identity[0] == before.identity[0] + 1
    assert data.freshness(after).events == left < data.freshness(before).events
