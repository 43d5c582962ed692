"""Fixtures: a tiny database with hand-checkable contents, and a small demo district.

The tiny database (see ``TINY_EVENTS``) is the ground truth for the metric tests: every
expected figure in ``tests/test_metrics.py`` is worked out by hand from these rows.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from analytics.schema import create_schema

T = datetime


def _square(lon: float, lat: float, size: float = 0.01) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


ORG_UNITS = [
    ("D", None, "district", "测试区"),
    ("S01", "D", "street", "甲街道"),
    ("S02", "D", "street", "乙街道"),
    ("S01C01", "S01", "community", "甲一社区"),
    ("S02C01", "S02", "community", "乙一社区"),
]
GRIDS = [
    (
        "S01C01G01",
        "S01C01",
        "S01",
        "第1网格",
        200,
        500,
        0.5,
        1,
        3,
        _square(106.50, 29.60),
        106.505,
        29.605,
    ),
    (
        "S02C01G01",
        "S02C01",
        "S02",
        "第1网格",
        400,
        1000,
        0.8,
        2,
        4,
        _square(106.52, 29.60),
        106.525,
        29.605,
    ),
]
WORKERS = [
    ("W1", "S01C01G01", "full_time", "王小明"),
    ("W2", "S02C01G01", "full_time", "李四"),
    ("W3", "S02C01G01", "full_time", "赵五"),
]
BUILDINGS = [
    ("B1", "S01C01G01", "S01C01", 106.502, 29.602, 120),
    ("B2", "S01C01G01", "S01C01", 106.507, 29.607, 80),
    ("B3", "S02C01G01", "S02C01", 106.525, 29.605, 400),
]

EVENT_COLUMNS = (
    "event_id channel event_type category board grid_id community_id street_id lon lat "
    "reported_at accepted_at dispatched_at handled_at closed_at deadline_at handling_type "
    "resolved_level handler_unit worker_id satisfaction resolved repeat_of "
    "reporter_name reporter_phone address description"
).split()

G1, G2 = ("S01C01G01", "S01C01", "S01"), ("S02C01G01", "S02C01", "S02")
NOGRID2 = (None, "S02C01", "S02")


def _event(
    eid,
    channel,
    etype,
    category,
    board,
    org,
    times,
    deadline,
    level,
    sat,
    resolved,
    repeat_of=None,
    description="描述",
):
    grid, community, street = org
    rep, acc, dis, han, clo = times
    return (
        eid,
        channel,
        etype,
        category,
        board,
        grid,
        community,
        street,
        106.51,
        29.605,
        rep,
        acc,
        dis,
        han,
        clo,
        deadline,
        "promised",
        level,
        None,
        None,
        sat,
        resolved,
        repeat_of,
        "张三",
        "13812345678",
        "甲街道某路12号3栋",
        description,
    )


TINY_EVENTS = [
    _event(
        "X0",
        "hotline",
        "request",
        "社会保障",
        "livelihood",
        G1,
        (T(2024, 6, 1, 9), T(2024, 6, 1, 10), None, None, T(2024, 6, 2, 9)),
        None,
        "grid",
        "satisfied",
        True,
    ),
    # comparison period 2025-01-01 .. 2025-10-31, measured as of 2025-10-31 14:00
    _event(
        "P1",
        "hotline",
        "complaint",
        "物业管理",
        "livelihood",
        G1,
        (
            T(2025, 3, 1, 8),
            T(2025, 3, 1, 12),
            T(2025, 3, 1, 13),
            T(2025, 3, 2, 12),
            T(2025, 3, 3, 8),
        ),
        T(2025, 3, 6, 8),
        "community",
        "basic",
        True,
    ),
    _event(
        "P2",
        "hotline",
        "complaint",
        "物业管理",
        "livelihood",
        G1,
        (T(2025, 10, 30, 8), T(2025, 10, 30, 10), None, None, T(2025, 11, 2, 8)),
        T(2025, 11, 3, 8),
        "grid",
        "satisfied",
        True,
    ),
    _event(
        "P3",
        "visit",
        "petition",
        "矛盾纠纷",
        "safety",
        G2,
        (T(2025, 5, 1, 9), T(2025, 5, 1, 10), None, None, T(2025, 5, 10, 9)),
        T(2025, 5, 16, 9),
        "grid",
        "dissatisfied",
        False,
    ),
    _event(
        "X1",
        "app",
        "complaint",
        "市容秩序",
        "livelihood",
        G2,
        (T(2025, 12, 15, 9), T(2025, 12, 15, 9, 30), None, None, T(2025, 12, 16, 9)),
        T(2025, 12, 20, 9),
        "grid",
        "satisfied",
        True,
    ),
    # current period 2026-01-01 .. 2026-10-31, as_of 2026-10-31 14:00
    _event(
        "E1",
        "hotline",
        "complaint",
        "物业管理",
        "livelihood",
        G1,
        (
            T(2026, 3, 1, 8),
            T(2026, 3, 1, 9),
            T(2026, 3, 1, 10),
            T(2026, 3, 2, 8),
            T(2026, 3, 2, 10),
        ),
        T(2026, 3, 6, 8),
        "grid",
        "satisfied",
        True,
    ),
    _event(
        "E2",
        "visit",
        "petition",
        "矛盾纠纷",
        "safety",
        G1,
        (
            T(2026, 3, 5, 10),
            T(2026, 3, 5, 13),
            T(2026, 3, 5, 14),
            T(2026, 3, 20, 10),
            T(2026, 3, 21, 10),
        ),
        T(2026, 3, 20, 10),
        "street",
        "dissatisfied",
        False,
    ),
    _event(
        "E3",
        "app",
        "complaint",
        "噪音扰民",
        "livelihood",
        G2,
        (
            T(2026, 6, 1, 20),
            T(2026, 6, 1, 20, 30),
            T(2026, 6, 1, 21),
            T(2026, 6, 1, 22),
            T(2026, 6, 1, 23),
        ),
        T(2026, 6, 2, 20),
        "grid",
        "basic",
        True,
        description="**紧急** <b>速办</b> [链接](http://x)",
    ),
    _event(
        "E4",
        "hotline",
        "complaint",
        "噪音扰民",
        "livelihood",
        G2,
        (T(2026, 6, 10, 21), T(2026, 6, 10, 23), None, None, None),
        T(2026, 6, 15, 21),
        None,
        None,
        None,
        repeat_of="E3",
    ),
    _event(
        "E5",
        "patrol",
        "hazard",
        "消防安全",
        "safety",
        G1,
        (
            T(2026, 9, 30, 9),
            T(2026, 9, 30, 9, 5),
            T(2026, 9, 30, 9, 10),
            T(2026, 9, 30, 12),
            T(2026, 10, 1, 9),
        ),
        T(2026, 10, 1, 9),
        "community",
        None,
        None,
    ),
    _event(
        "E6",
        "online",
        "request",
        "社会保障",
        "livelihood",
        NOGRID2,
        (T(2026, 10, 30, 10), None, None, None, None),
        T(2026, 11, 5, 10),
        None,
        None,
        None,
    ),
    _event(
        "E7",
        "hotline",
        "consultation",
        "物业管理",
        "livelihood",
        G1,
        (T(2026, 10, 31, 12), T(2026, 10, 31, 14), None, None, None),
        None,
        None,
        None,
        None,
    ),
]


def make_tiny_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    create_schema(con)
    con.executemany("INSERT INTO org_units VALUES (?, ?, ?, ?)", ORG_UNITS)
    con.executemany(f"INSERT INTO grids VALUES ({', '.join('?' * 12)})", GRIDS)
    con.executemany("INSERT INTO workers VALUES (?, ?, ?, ?)", WORKERS)
    con.executemany("INSERT INTO buildings VALUES (?, ?, ?, ?, ?, ?)", BUILDINGS)
    placeholders = ", ".join("?" * len(EVENT_COLUMNS))
    con.executemany(
        f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})", TINY_EVENTS
    )
    con.execute(
        "INSERT INTO imports VALUES ('tiny', 'events', 'tiny', NULL, ?, ?, 0, 0, 0, ?, ?)",
        [len(TINY_EVENTS), len(TINY_EVENTS), T(2026, 11, 1), T(2026, 11, 1)],
    )
    con.close()
    return path


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory) -> Path:
    return make_tiny_db(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture
def tiny_con(tiny_db):
    from analytics.connection import connect

    con = connect(tiny_db, read_only=True)
    yield con
    con.disconnect()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A small but complete demo district (the real generator, fewer events)."""
    from analytics.demo.build import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, events=40_000, seed=7)
    return path


@pytest.fixture
def demo(demo_db):
    """An analytics connection on the demo district, its data range and the default period
    (本年 up to the data's last day)."""
    from analytics import queries as q
    from analytics.connection import connect
    from analytics.filters import Filters, preset_period

    con = connect(demo_db, read_only=True)
    rng = q.data_range(con)
    yield con, rng, Filters(*preset_period("ytd", rng.last_day))
    con.disconnect()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """Every test starts and ends with empty Streamlit caches (AppTest runs share them)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def db(tiny_db, tmp_path) -> Path:
    """A writable copy of the tiny database, for the tests that import into it."""
    path = tmp_path / "gov.duckdb"
    shutil.copy(tiny_db, path)
    return path


def query(db: Path, sql: str, params=()):
    """A DataFrame straight from the DuckDB file: the plain-SQL side of a check."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()
