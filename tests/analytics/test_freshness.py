"""The freshness badge's figures: 数据截至, the newest import and the events in scope."""

from __future__ import annotations

import duckdb

from analytics import access, queries
from analytics.connection import connect


def test_freshness_names_the_newest_import_and_counts_the_scopes_events(tiny_db):
    raw = duckdb.connect(str(tiny_db), read_only=True)
    newest = raw.execute(
        "SELECT import_id FROM imports ORDER BY started_at DESC, finished_at DESC LIMIT 1"
    ).fetchone()[0]
    total = raw.execute("SELECT count(*) FROM events").fetchone()[0]
    in_s01 = raw.execute("SELECT count(*) FROM events WHERE street_id = 'S01'").fetchone()[0]
    raw.close()
    con = connect(tiny_db, read_only=True)
    try:
        fresh = queries.freshness(con)
        assert fresh.events == total and fresh.as_of == queries.data_range(con).as_of
        assert fresh.last_import["import_id"] == newest
        scope = access.Scope(street_id="S01")
        scoped = queries.freshness(access.ScopedBackend(con, scope))
        assert scoped.events == in_s01 < total  # a street's viewer counts their own events
        assert scoped.as_of == fresh.as_of  # 数据截至 is the district's
        # the span the app holds already, handed in: the same figures without reading it
        assert queries.freshness(con, queries.data_range(con)) == fresh
    finally:
        con.disconnect()
