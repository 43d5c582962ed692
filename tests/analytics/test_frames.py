"""Query results made pandas frames in one step (``analytics.connection.one_step``): every
result equals, value and dtype, what Ibis's DuckDB backend makes of the same query, for each
kind of column (nulls, edge values, no rows), and for every query the data pages run."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend

from analytics import connection
from analytics.connection import _FileCursor
from tests.apptest import DATA_PAGES, app_test
from ui import data

# Columns of every kind a query can give: (SQL type, values), None a null.
COLUMNS = {
    "big": ("BIGINT", [0, -1, 9223372036854775807, -9223372036854775808]),
    "small": ("TINYINT", [0, -128, 127, 5]),
    "int": ("INTEGER", [1, 2, -3, 2147483647]),
    "big_nulls": ("BIGINT", [1, None, 3, None]),
    "real": ("DOUBLE", [0.1, -0.0, float("inf"), float("nan")]),
    "real_nulls": ("DOUBLE", [None, 2.5, None, -1e308]),
    "single": ("FLOAT", [0.5, 1.25, -2.0, 3.0]),
    "flag": ("BOOLEAN", [True, False, True, False]),
    "flag_nulls": ("BOOLEAN", [True, None, False, None]),
    "text": ("VARCHAR", ["龙湾街道", "", "a'b", "第6网格"]),
    "text_nulls": ("VARCHAR", [None, "张*", None, "138****1234"]),
    "moment": (
        "TIMESTAMP",
        ["2026-01-25 09:16:00", "1900-01-01 00:00:00", "2262-04-12 00:00:00", "2026-11-30"],
    ),
    "moment_nulls": ("TIMESTAMP", ["2026-01-25 09:16:00.123456", None, None, "2025-02-28"]),
    "moment_ms": ("TIMESTAMP_MS", ["2026-01-25 09:16:00.123"] * 4),
    "moment_tz": ("TIMESTAMPTZ", ["2026-01-25 09:16:00+08"] * 4),
    "day": ("DATE", ["2026-01-01", "1970-01-01", "2999-12-31", "1900-03-01"]),
    "day_nulls": ("DATE", ["2026-01-01", None, None, "2024-02-29"]),
    "span": ("INTERVAL", ["1 day", "2 hours", "3 minutes", "0 seconds"]),
    "money": ("DECIMAL(18, 2)", ["1.50", "-2.25", "0.00", "3.10"]),
    "listed": ("VARCHAR[]", [["a"], [], ["b", "c"], None]),
}


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """A read-only DuckDB file (the dashboard's kind of cursor) with a table ``kinds``."""
    path = tmp_path_factory.mktemp("frames") / "kinds.duckdb"
    rows = list(zip(*(values for _, values in COLUMNS.values()), strict=True))
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    each = "(" + ", ".join("?" for _ in COLUMNS) + ")"
    casts = ", ".join(f'CAST("{n}" AS {kind}) AS "{n}"' for n, (kind, _) in COLUMNS.items())
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"CREATE TABLE kinds AS SELECT {casts} FROM (VALUES {', '.join([each] * len(rows))})"
            f" AS v({names})",
            [v for row in rows for v in row],
        )
    backend = connection.connect(path, read_only=True)
    yield connection.cursor(backend)
    backend.disconnect()


def _equal(want, got) -> None:
    assert type(got) is type(want)
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(want, got, check_exact=True)
    elif isinstance(want, pd.Series):
        pd.testing.assert_series_equal(want, got, check_exact=True)
    else:
        assert got == want or (got != got and want != want)


def _both(con, expr) -> None:
    """``expr`` run by the dashboard's cursor and as Ibis runs it: the same result."""
    assert isinstance(con, _FileCursor)
    _equal(DuckDBBackend.execute(con, expr), con.execute(expr))


@pytest.mark.parametrize("name", list(COLUMNS))
def test_each_kind_of_column_is_what_ibis_makes(kinds, name):
    t = kinds.table("kinds")
    for expr in (
        t.select(name),  # as it is, nulls included
        t.select(name).limit(0),  # no rows
        t.filter(t[name].notnull()).select(name),
        t[name],  # a column
    ):
        _both(kinds, expr)


def test_whole_tables_aggregates_and_scalars(kinds):
    t = kinds.table("kinds")
    for expr in (
        t,  # every kind at once (some only Ibis converts)
        t.select("big", "real", "text", "moment", "day", "flag"),  # kinds made in one step
        t.aggregate(n=t.count(), total=t.int.sum(), first=t.day.min(), mean=t.real_nulls.mean()),
        t.group_by("flag").aggregate(n=t.count(), last=t.moment.max()).order_by("flag"),
        t.count(),
        t.int.sum(),  # DuckDB sums to HUGEINT, Ibis reads int64
        t.big.sum(),  # the sum overflows int64: converted as Ibis does
        t.real_nulls.max(),
        t.text_nulls.min(),
    ):
        _both(kinds, expr)


def test_the_kinds_pages_fetch_take_the_one_step(kinds):
    """Not a fallback in disguise: those kinds are made by pyarrow, the others as Ibis does."""
    t = kinds.table("kinds")
    fast = t.select("big", "small", "real_nulls", "text_nulls", "flag", "moment", "day")
    arrow = kinds.con.sql(kinds.compile(fast)).to_arrow_table()
    assert connection.one_step(arrow, fast.schema()) is not None
    for name in ("big_nulls", "flag_nulls", "moment_nulls", "moment_ms", "moment_tz", "listed"):
        other = t.select(name)
        arrow = kinds.con.sql(kinds.compile(other)).to_arrow_table()
        assert connection.one_step(arrow, other.schema()) is None, name


def test_every_query_of_the_data_pages_is_what_ibis_makes(demo_db, monkeypatch):
    made = []
    dashboard = _FileCursor.execute

    def checked(self, expr, **kwargs):
        got = dashboard(self, expr, **kwargs)
        _equal(DuckDBBackend.execute(self, expr, **kwargs), got)
        made.append(expr)
        return got

    monkeypatch.setattr(_FileCursor, "execute", checked)
    monkeypatch.setenv("GOV_DB", str(demo_db))
    data.clear_caches()  # every query made here, none read from another test's cache
    for query in ({}, {"street": "S01"}):
        at = app_test(timeout=120)
        at.query_params = query
        at.run()
        for page in DATA_PAGES:
            at.switch_page(page).run()
            assert not at.exception, (page, [e.value for e in at.exception])
    assert len(made) > 60  # the pages' queries went through it
