"""Nothing lost: large imports into a database that already holds events, counted in it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.ingest import rows
from analytics.ingest.events import import_events
from analytics.ingest.rows import ImportCheckFailed
from tests.conftest import query

ROW_GROUP = 122_880  # DuckDB's row group: duckdb 2.0.0 lost temp-table rows past the first
ROWS = 2 * ROW_GROUP + 20_000


def canonical_csv(path, ids: np.ndarray, category: str) -> None:
    n = len(ids)
    minutes = pd.to_timedelta(np.arange(n) % 500_000, unit="min")
    frame = pd.DataFrame(
        {
            "event_id": [f"BIG{i:07d}" for i in ids],
            "channel": "hotline",
            "event_type": "complaint",
            "category": category,
            "street_id": np.where(ids % 2 == 0, "S01", "S02"),
            "community_id": np.where(ids % 2 == 0, "S01C01", "S02C01"),
            "reported_at": (pd.Timestamp("2025-01-01") + minutes).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    frame.to_csv(path, index=False)


def count(db, sql: str) -> int:
    return int(query(db, sql).iloc[0, 0])


def test_more_than_two_row_groups_of_new_and_changed_rows_all_land(db, tmp_path):
    before = count(db, "SELECT count(*) FROM events")
    assert before > 0
    first = tmp_path / "first.csv"
    canonical_csv(first, np.arange(ROWS), "物业管理")
    result = import_events(first, db=db)
    assert (result.rows_accepted, result.rows_updated, result.rows_quarantined) == (ROWS, 0, 0)
    assert count(db, "SELECT count(*) FROM events") == before + ROWS
    assert count(db, "SELECT count(*) FROM events WHERE category = '物业管理' "
                     "AND event_id LIKE 'BIG%'") == ROWS  # fmt: skip

    second = tmp_path / "second.csv"  # every row changed, plus as many new ones again
    canonical_csv(second, np.arange(2 * ROWS), "噪音扰民")
    result = import_events(second, db=db)
    assert (result.rows_accepted, result.rows_updated, result.rows_unchanged) == (ROWS, ROWS, 0)
    assert count(db, "SELECT count(*) FROM events") == before + 2 * ROWS
    changed = "SELECT count(*) FROM events WHERE category = '噪音扰民' AND event_id LIKE 'BIG%'"
    assert count(db, changed) == 2 * ROWS
    stale = "SELECT count(*) FROM events WHERE category = '物业管理' AND event_id LIKE 'BIG%'"
    assert count(db, stale) == 0
    assert count(db, "SELECT count(DISTINCT event_id) FROM events") == before + 2 * ROWS
    stored = count(db, "SELECT rows_accepted + rows_updated FROM imports ORDER BY finished_at "
                       "DESC LIMIT 1")  # fmt: skip
    assert stored == 2 * ROWS


def test_a_write_that_does_not_read_back_aborts_with_nothing_changed(db, tmp_path, monkeypatch):
    path = tmp_path / "few.csv"
    canonical_csv(path, np.arange(50), "物业管理")
    before = count(db, "SELECT count(*) FROM events")
    imports = count(db, "SELECT count(*) FROM imports")
    real = rows.upsert

    def lossy(con, table, key, incoming):  # the engine drops rows behind the importer's back
        figures = real(con, table, key, incoming)
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} LIMIT 3)")
        return figures

    monkeypatch.setattr(rows, "upsert", lossy)
    with pytest.raises(ImportCheckFailed, match="核对不符"):
        import_events(path, db=db)
    assert count(db, "SELECT count(*) FROM events") == before
    assert count(db, "SELECT count(*) FROM imports") == imports
