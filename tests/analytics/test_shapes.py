"""SQL compiled once per query shape (``analytics.connection.shaped``): the dates and times of
a query are bound as parameters, so one compiled statement serves every period, and every
figure is the one the SQL with the dates written in gives."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend

from analytics import closure, connection, queries, trends
from analytics.connection import _FileCursor, connect, cursor
from analytics.filters import Filters, preset_period


@pytest.fixture
def demo_file(demo_db):
    backend = connect(demo_db, read_only=True)
    coverage = queries.data_range(cursor(backend))
    yield backend, coverage
    backend.disconnect()


def _written(monkeypatch) -> None:
    """Every query compiled as Ibis does, its dates written into the SQL."""
    monkeypatch.setattr(_FileCursor, "_to_duckdb_relation", DuckDBBackend._to_duckdb_relation)


def _figures(con, f: Filters, coverage) -> dict:
    street = Filters(f.start, f.end, street_id="S01")
    return {
        "kpis": queries.kpis(con, f, coverage, compare="yoy"),
        "kpis_mom": queries.kpis(con, street, coverage, compare="mom"),
        "types": trends.type_trend(con, f, coverage, "week", "yoy"),
        "spikes": trends.spikes(con, f, coverage, "week"),
        "units": closure.by_unit(con, street, coverage, "yoy"),
        "ageing": queries.backlog_ageing(con, f, coverage),
    }


def _periods(coverage) -> list[Filters]:
    return [
        Filters(*preset_period(preset, coverage.last_day))
        for preset in ("ytd", "last_month", "last_12m")
    ]


def test_bound_dates_give_the_figures_of_the_written_dates(demo_file, monkeypatch):
    backend, coverage = demo_file
    shaped = {f: _figures(cursor(backend), f, coverage) for f in _periods(coverage)}
    _written(monkeypatch)
    for f, got in shaped.items():
        want = _figures(cursor(backend), f, coverage)
        for name in want:
            for a, b in zip(want[name] if isinstance(want[name], tuple) else [want[name]],
                            got[name] if isinstance(got[name], tuple) else [got[name]],
                            strict=True):  # fmt: skip
                pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{name} {f}")


def test_one_compiled_statement_serves_every_period(demo_file):
    backend, coverage = demo_file
    connection.clear_shapes()
    year, month, twelve = _periods(coverage)
    first = queries.kpis(cursor(backend), year, coverage, ("intake",), compare=None)
    compiled = len(connection._SHAPES)
    assert compiled >= 1
    other = queries.kpis(cursor(backend), month, coverage, ("intake",), compare=None)
    assert len(connection._SHAPES) == compiled  # the same shape, no new compile
    assert first["value"].iloc[0] > other["value"].iloc[0] > 0  # yet the month's own figure
    sql, _ = next(reversed(connection._SHAPES.values()))
    assert "$p0" in sql and str(year.start.year) not in sql  # the dates are bound, not written
    # Text stays in the SQL: another street is another shape.
    queries.kpis(cursor(backend), Filters(year.start, year.end, street_id="S01"), coverage,
                 ("intake",), compare=None)  # fmt: skip
    assert len(connection._SHAPES) == compiled + 1


def test_the_cache_keeps_its_bound(demo_file, monkeypatch):
    backend, coverage = demo_file
    monkeypatch.setattr(connection, "MAX_SHAPES", 2)
    connection.clear_shapes()
    for start in (date(2026, 1, 1), date(2026, 2, 1)):
        f = Filters(start, coverage.last_day)
        for compare in (None, "yoy", "mom"):
            queries.kpis(cursor(backend), f, coverage, ("intake",), compare=compare)
    assert len(connection._SHAPES) == 2


def test_a_shape_is_the_query_but_its_dates():
    import ibis

    t = ibis.table({"day": "date", "at": "timestamp", "kind": "string", "n": "int64"}, name="e")

    def q(start, kind="a", limit=10, column="n"):
        f = t.filter((t.day >= start) & (t.at < ibis.timestamp("2026-11-30 10:00:00")))
        return f.filter(f.kind == kind).aggregate(v=f[column].max()).limit(limit).op()

    key, bound = connection._shape(q(date(2026, 1, 1)))
    assert len(bound) == 2  # the date and the time
    assert connection._shape(q(date(2025, 3, 1)))[0] == key
    for other in (q(date(2026, 1, 1), kind="b"), q(date(2026, 1, 1), limit=11),
                  q(date(2026, 1, 1), column="at")):  # fmt: skip
        assert connection._shape(other)[0] != key


def test_a_query_that_cannot_be_keyed_is_compiled_as_ibis_does(demo_file, monkeypatch):
    backend, coverage = demo_file
    f = _periods(coverage)[1]
    want = queries.kpis(cursor(backend), f, coverage, ("intake",), compare=None)
    monkeypatch.setattr(connection, "_shape", lambda node: (([],), {}))  # unhashable
    got = queries.kpis(cursor(backend), f, coverage, ("intake",), compare=None)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_what_binding_would_change_stays_written(demo_file):
    """A limit of 0, a timestamp of another precision or an aware time in a plain timestamp:
    as Ibis writes them (bound, they would be dropped, rounded or moved to UTC)."""
    from datetime import datetime, timedelta, timezone

    import ibis

    backend, _ = demo_file
    t = cursor(backend).table("events")
    assert len(t.select("event_id").execute(limit=0)) == 0
    cut = datetime(2026, 3, 1, 8, 0, 0, 400)
    values = [
        ibis.literal(cut, type="timestamp(3)"),
        ibis.literal(cut.replace(tzinfo=timezone(timedelta(hours=8))), type="timestamp"),
        ibis.literal(cut),
    ]
    shaped = [cursor(backend).execute(v.name("v").as_table())["v"].iloc[0] for v in values]
    connection_off = ibis.duckdb.connect()
    written = [connection_off.execute(v.name("v").as_table())["v"].iloc[0] for v in values]
    assert shaped == written


def test_the_cache_keeps_no_connection_alive(demo_db):
    """A key holds no table's source: after an import replaces the file, the old file's
    connection closes when its last cursor goes, whatever the cache holds."""
    import gc
    import weakref

    backend = connect(demo_db, read_only=True)
    con = cursor(backend)
    t = con.table("events")
    con.execute(t.filter(t.reported_at >= date(2026, 1, 1)).count())
    gone = weakref.ref(con)
    backend.disconnect()
    del con, t, backend
    gc.collect()
    assert gone() is None


def test_what_ibis_prepares_is_prepared_before_its_query(demo_file):
    """Ibis's hooks run only for queries that need them, and for each kind that does: an
    in-memory table to register, a Python or pyarrow UDF to register."""
    import ibis
    import pyarrow.compute as pc

    backend, coverage = demo_file
    con = cursor(backend)
    t = con.table("events")
    t = t.filter(t.reported_at >= coverage.as_of.replace(day=1))
    wanted = ibis.memtable({"street_id": ["S01", "S02"], "label": ["一", "二"]})
    joined = t.join(wanted, "street_id")

    @ibis.udf.scalar.python
    def twice(x: int) -> int:
        return 2 * x

    @ibis.udf.scalar.pyarrow
    def plus_one(x: int) -> int:
        return pc.add(x, 1)

    queries_ = {
        "memtable": joined.group_by("label").aggregate(n=joined.count()).order_by("label"),
        "python udf": t.aggregate(n=twice(t.count())),
        "pyarrow udf": t.aggregate(n=plus_one(t.count())),
    }
    n = int(t.count().execute())
    for _ in range(2):  # compiled, then from the cache
        got = queries_["memtable"].execute()
        assert got["label"].tolist() == ["一", "二"] and (got["n"] > 0).all()
        assert queries_["python udf"].execute()["n"].iloc[0] == 2 * n
        assert queries_["pyarrow udf"].execute()["n"].iloc[0] == n + 1
    for name, query in queries_.items():
        assert connection.shaped(query.op())[2], name
    assert not connection.shaped(t.aggregate(n=t.count()).op())[2]


def test_a_filtered_count_counts_the_rows_where_true(demo_file, monkeypatch):
    """A filtered count is compiled as ``COUNT_IF`` (faster in DuckDB's hash aggregate), yet
    gives what ``COUNT(*) FILTER`` gives: 0, not NULL, for a group where the condition is
    never true (all false, or all unknown) and for no rows at all; a 64-bit integer; and over
    a window too."""
    import ibis

    backend, coverage = demo_file

    def counts(con) -> list[pd.DataFrame]:
        t = con.table("events")
        # unknown (NULL) for a whole street, true or false elsewhere
        t = t.mutate(known=ibis.ifelse(t.street_id == "S01", ibis.null("boolean"),
                                       t.closed_at.notnull()))  # fmt: skip
        aggs = {
            "n": t.count(),
            "closed": t.count(where=t.known),
            "open": t.count(where=~t.known),
            "late": t.count(where=t.closed_at > t.deadline_at),  # NULL where either is
            "never": t.count(where=t.reported_at < date(1900, 1, 1)),
        }
        none = t.filter(t.reported_at < date(1900, 1, 1))
        windowed = t.mutate(closed=t.count(where=t.known).over(group_by="street_id"))
        return [
            t.group_by("street_id").aggregate(**aggs).order_by("street_id").execute(),
            t.aggregate(**aggs).execute(),
            none.aggregate(n=none.count(), closed=none.count(where=none.known)).execute(),
            windowed.select("street_id", "closed").distinct().order_by("street_id").execute(),
        ]

    connection.clear_shapes()
    shaped = counts(cursor(backend))
    compiled = [sql for sql, _ in connection._SHAPES.values()]
    assert sum("COUNT_IF" in sql for sql in compiled) == 3  # the window's count: a FILTER
    unknown = shaped[0].loc[shaped[0]["street_id"] == "S01", ["closed", "open"]]
    assert (unknown.to_numpy() == 0).all()
    assert shaped[2].iloc[0].tolist() == [0, 0]
    _written(monkeypatch)
    for got, want in zip(shaped, counts(cursor(backend)), strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert (got.dtypes[got.columns != "street_id"] == "int64").all()
