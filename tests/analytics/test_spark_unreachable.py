"""A Spark store whose server cannot be reached: writes still land in the staging file, are
audited and reported, and say that Spark still shows the previous version. No server needed."""

from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pytest

from analytics import admin_db, audit
from analytics.__main__ import main

pytest.importorskip("pyspark")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free, and nothing listens on it once closed


def test_an_import_is_kept_audited_and_reported_when_spark_is_down(
    db: Path, tmp_path, monkeypatch, capsys
):
    url = f"sc://127.0.0.1:{_closed_port()}/gov"
    monkeypatch.setenv("GOV_DB", url)
    monkeypatch.setenv("GOV_STAGING", str(db))
    csv = tmp_path / "one.csv"
    csv.write_text(
        "event_id,channel,event_type,category,board,reported_at\n"
        "X-1,hotline,complaint,噪音扰民,livelihood,2026-10-30 09:15:00\n",
        encoding="utf-8",
    )

    assert main(["import", str(csv), "--preset", "canonical"]) == 1

    err = capsys.readouterr().err
    assert "发布到 Spark 失败" in err and "Spark 上仍是上一版数据" in err
    assert f"sync sc://127.0.0.1:{url.split(':')[2]}" in err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events WHERE event_id = 'X-1'").fetchone()[0] == 1
    entries = audit.query(admin_db.admin_path(url), action="import")
    assert len(entries) == 1


def test_the_dashboard_says_spark_cannot_be_reached_without_the_error_text(monkeypatch):
    from ui import data

    monkeypatch.setenv("GOV_DB", f"sc://127.0.0.1:{_closed_port()}/gov;token=secret")
    with pytest.raises(data.NoData) as caught:
        data.source()
    assert "连接不上 Spark" in str(caught.value)
    assert "secret" not in str(caught.value)
