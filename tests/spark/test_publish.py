"""Publishing to Spark (``analytics.spark``), on the run's Spark Connect server: the tables
arrive whole, a version switches all at once, a failed publish changes nothing readers see,
and the CLI's writers publish after writing their staging file."""

from __future__ import annotations

import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import queries, spark
from analytics.__main__ import main
from analytics.connection import connect
from analytics.schema import TABLES

pytestmark = pytest.mark.spark


@pytest.fixture
def url(spark_server) -> str:
    """A database of this test's own on the server."""
    return f"{spark_server}/p_{uuid.uuid4().hex[:10]}"


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order, timestamps at one resolution: what a table holds, not how."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[us]")
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.sort_values(list(frame.columns), key=lambda s: s.astype(str)).reset_index(
        drop=True
    )


def _same_tables(backend, path: Path) -> None:
    local = connect(path, read_only=True)
    for table in TABLES:
        theirs = _rows(backend.table(table).to_pandas())
        ours = _rows(local.table(table).to_pandas())
        pd.testing.assert_frame_equal(theirs, ours, check_dtype=False, obj=table)


def _events(backend) -> int:
    return int(backend.table("events").count().execute())


def test_a_published_file_reads_the_same_on_spark(tiny_db, url):
    version = spark.publish(tiny_db, url)
    assert version.version == 1
    backend = connect(url)
    assert backend.pinned == version
    _same_tables(backend, tiny_db)
    assert queries.data_range(backend) == queries.data_range(connect(tiny_db, read_only=True))


def test_sent_over_connect_the_tables_are_the_same(tiny_db, url):
    spark.publish(tiny_db, url, upload=True)
    _same_tables(connect(url), tiny_db)


def test_a_reader_keeps_its_version_while_the_next_is_published(tiny_db, url, tmp_path):
    spark.publish(tiny_db, url)
    before = connect(url)
    fewer = tmp_path / "fewer.duckdb"
    shutil.copy(tiny_db, fewer)
    with duckdb.connect(str(fewer)) as con:
        con.execute("DELETE FROM events WHERE grid_id IS NULL")
        left = con.execute("SELECT count(*) FROM events").fetchone()[0]
    all_events = _events(before)
    assert left < all_events

    spark.publish(fewer, url)

    assert _events(before) == all_events  # pinned to version 1, still there (keep=2)
    after = connect(url)
    assert after.pinned.version == 2
    assert _events(after) == left


def test_a_failed_publish_leaves_the_published_version_and_no_debris(tiny_db, url, monkeypatch):
    first = spark.publish(tiny_db, url)

    def broken(self, table: str, folder: Path) -> Path:
        if table == "events":
            raise OSError("磁盘已满")
        return original(self, table, folder)

    original = spark._Source.parquet
    monkeypatch.setattr(spark._Source, "parquet", broken)
    with pytest.raises(OSError, match="磁盘已满"):
        spark.publish(tiny_db, url)

    where = spark.target(url)
    session = spark.session(where.remote)
    assert spark.published(session, where.database) == first
    versions = session.sql(f"SHOW DATABASES LIKE '{where.database}__v*'").collect()
    assert [row[0] for row in versions] == [first.database]
    _same_tables(connect(url), tiny_db)


def test_two_publishes_at_once_both_land_one_after_the_other(tiny_db, url):
    with ThreadPoolExecutor(2) as pool:
        versions = list(pool.map(lambda _: spark.publish(tiny_db, url), range(2)))
    assert sorted(v.version for v in versions) == [1, 2]
    assert connect(url).pinned.version == 2
    _same_tables(connect(url), tiny_db)


def test_versions_beyond_keep_are_dropped(tiny_db, url):
    for _ in range(3):
        last = spark.publish(tiny_db, url, keep=2)
    where = spark.target(url)
    session = spark.session(where.remote)
    names = sorted(
        r[0] for r in session.sql(f"SHOW DATABASES LIKE '{where.database}__v*'").collect()
    )
    assert names == [f"{where.database}__v2", last.database]
    # other tools read the published version through the database's own views
    assert session.sql(f"SELECT count(*) FROM {where.database}.events").first()[0] == _events(
        connect(url)
    )


def test_an_older_file_without_a_table_publishes_it_empty(tiny_db, url, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(tiny_db, old)
    with duckdb.connect(str(old)) as con:
        con.execute("DROP TABLE calendar_notes")
    spark.publish(old, url)
    assert connect(url).table("calendar_notes").count().execute() == 0


def test_before_the_first_publish_the_reader_is_told_how(url):
    with pytest.raises(spark.NotPublished, match="python -m analytics sync"):
        connect(url)


def test_the_cli_builds_the_demo_into_staging_then_publishes(url, tmp_path, monkeypatch, capsys):
    staging = tmp_path / "staging.duckdb"
    monkeypatch.setenv("GOV_DB", url)
    monkeypatch.setenv("GOV_STAGING", str(staging))
    assert main(["demo", "--events", "3000", "--seed", "3"]) == 0
    assert staging.exists()
    backend = connect(url)
    assert backend.pinned.version == 1
    assert _events(backend) == 3000

    csv = tmp_path / "more.csv"
    csv.write_text(
        "event_id,channel,event_type,category,board,reported_at\n"
        "X-1,hotline,complaint,噪音扰民,livelihood,2026-10-30 09:15:00\n",
        encoding="utf-8",
    )
    assert main(["import", str(csv), "--preset", "canonical"]) == 0
    after = connect(url)
    assert after.pinned.version == 2
    assert _events(after) == 3001

    capsys.readouterr()
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "受理量" in out and "数据截至" in out

    district = queries.org_units(after).query("level == 'district'")["unit_id"].iloc[0]
    plan = tmp_path / "plan"
    assert main(["whatif", "--scope", district, "--grids", "40", "--out", str(plan)]) == 0
    assert any(plan.iterdir())


def test_after_a_server_restart_the_process_carries_on(tiny_db, tmp_path):
    """The server restarted under a running dashboard: the next read renews the process's
    session instead of failing with the old one until the dashboard restarts."""
    from tests import spark_engine

    port = spark_engine._free_port()
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    server, process = spark_engine.start_server(tmp_path / "first", port)
    url = f"{server}/restarted"
    try:
        spark.publish(tiny_db, url)
        before = connect(url)
        assert _events(before) > 0
    finally:
        spark_engine.stop_server(process)
    server, process = spark_engine.start_server(tmp_path / "second", port)
    try:
        spark.publish(tiny_db, url)  # the catalog is new: publish again
        assert _events(before) > 0  # the old backend reads through the renewed session
        assert _events(connect(url)) == _events(connect(tiny_db, read_only=True))
    finally:
        spark_engine.stop_server(process)
