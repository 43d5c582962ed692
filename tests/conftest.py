"""Fixtures: a tiny database with hand-checkable contents, and a small demo district.

The tiny database (see ``TINY_EVENTS``) is the ground truth for the metric tests: every
expected figure in ``tests/analytics/test_metrics.py`` is worked out by hand from these rows.
Every row names its columns (``insert``), so a row reads without counting positions in the
schema.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from analytics.schema import create_schema

REPO = Path(__file__).resolve().parent.parent  # the project's root, wherever a test file sits

T = datetime


def insert(con, table: str, rows: list[dict]) -> None:
    """``rows`` into ``table`` by column name; every row names the same columns."""
    if not rows:
        return
    columns = list(rows[0])
    for row in rows:
        if set(row) != set(columns):
            raise ValueError(f"{table}: a row names {sorted(row)}, the first {sorted(columns)}")
    con.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [[row[c] for c in columns] for row in rows],
    )


def _square(lon: float, lat: float, size: float = 0.01) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _unit(unit_id: str, parent_id: str | None, level: str, name: str) -> dict:
    return {"unit_id": unit_id, "parent_id": parent_id, "level": level, "name": name}


ORG_UNITS = [
    _unit("D", parent_id=None, level="district", name="测试区"),
    _unit("S01", parent_id="D", level="street", name="甲街道"),
    _unit("S02", parent_id="D", level="street", name="乙街道"),
    _unit("S01C01", parent_id="S01", level="community", name="甲一社区"),
    _unit("S02C01", parent_id="S02", level="community", name="乙一社区"),
]
# A place: the ids an event or a building carries.
G1 = {"grid_id": "S01C01G01", "community_id": "S01C01", "street_id": "S01"}
G2 = {"grid_id": "S02C01G01", "community_id": "S02C01", "street_id": "S02"}
NOGRID2 = {"grid_id": None, "community_id": "S02C01", "street_id": "S02"}
GRIDS = [
    {
        **G1,
        "name": "第1网格",
        "households": 200,
        "population": 500,
        "area_km2": 0.5,
        "full_time_workers": 1,
        "part_time_workers": 3,
        "geometry": _square(106.50, 29.60),
        "centroid_lon": 106.505,
        "centroid_lat": 29.605,
    },
    {
        **G2,
        "name": "第1网格",
        "households": 400,
        "population": 1000,
        "area_km2": 0.8,
        "full_time_workers": 2,
        "part_time_workers": 4,
        "geometry": _square(106.52, 29.60),
        "centroid_lon": 106.525,
        "centroid_lat": 29.605,
    },
]
WORKERS = [
    {"worker_id": "W1", "grid_id": "S01C01G01", "role": "full_time", "name": "王小明"},
    {"worker_id": "W2", "grid_id": "S02C01G01", "role": "full_time", "name": "李四"},
    {"worker_id": "W3", "grid_id": "S02C01G01", "role": "full_time", "name": "赵五"},
]


def _building(building_id: str, place: dict, lon: float, lat: float, households: int) -> dict:
    return {
        "building_id": building_id,
        "grid_id": place["grid_id"],
        "community_id": place["community_id"],
        "lon": lon,
        "lat": lat,
        "households": households,
    }


BUILDINGS = [
    _building("B1", G1, lon=106.502, lat=29.602, households=120),
    _building("B2", G1, lon=106.507, lat=29.607, households=80),
    _building("B3", G2, lon=106.525, lat=29.605, households=400),
]

EVENT_COLUMNS = (
    "event_id channel event_type category board grid_id community_id street_id lon lat "
    "reported_at accepted_at dispatched_at handled_at closed_at deadline_at handling_type "
    "resolved_level handler_unit worker_id satisfaction resolved repeat_of "
    "reporter_name reporter_phone address description"
).split()
# What every tiny event shares: one position, a promised handling, the same (fake) reporter.
EVENT_DEFAULTS = {
    "lon": 106.51,
    "lat": 29.605,
    "handling_type": "promised",
    "reporter_name": "张三",
    "reporter_phone": "13812345678",
    "address": "甲街道某路12号3栋",
    "description": "描述",
}


def event(**values) -> dict:
    """One ``events`` row by column name: ``values``, else ``EVENT_DEFAULTS``, else NULL."""
    unknown = set(values) - set(EVENT_COLUMNS)
    if unknown:
        raise TypeError(f"not an events column: {sorted(unknown)}")
    return dict.fromkeys(EVENT_COLUMNS) | EVENT_DEFAULTS | values


TINY_EVENTS = [
    event(
        event_id="X0",
        channel="hotline",
        event_type="request",
        category="社会保障",
        board="livelihood",
        **G1,
        reported_at=T(2024, 6, 1, 9),
        accepted_at=T(2024, 6, 1, 10),
        closed_at=T(2024, 6, 2, 9),
        resolved_level="grid",
        satisfaction="satisfied",
        resolved=True,
    ),
    # comparison period 2025-01-01 .. 2025-10-31, measured as of 2025-10-31 14:00
    event(
        event_id="P1",
        channel="hotline",
        event_type="complaint",
        category="物业管理",
        board="livelihood",
        **G1,
        reported_at=T(2025, 3, 1, 8),
        accepted_at=T(2025, 3, 1, 12),
        dispatched_at=T(2025, 3, 1, 13),
        handled_at=T(2025, 3, 2, 12),
        closed_at=T(2025, 3, 3, 8),
        deadline_at=T(2025, 3, 6, 8),
        resolved_level="community",
        satisfaction="basic",
        resolved=True,
    ),
    event(
        event_id="P2",
        channel="hotline",
        event_type="complaint",
        category="物业管理",
        board="livelihood",
        **G1,
        reported_at=T(2025, 10, 30, 8),
        accepted_at=T(2025, 10, 30, 10),
        closed_at=T(2025, 11, 2, 8),
        deadline_at=T(2025, 11, 3, 8),
        resolved_level="grid",
        satisfaction="satisfied",
        resolved=True,
    ),
    event(
        event_id="P3",
        channel="visit",
        event_type="petition",
        category="矛盾纠纷",
        board="safety",
        **G2,
        reported_at=T(2025, 5, 1, 9),
        accepted_at=T(2025, 5, 1, 10),
        closed_at=T(2025, 5, 10, 9),
        deadline_at=T(2025, 5, 16, 9),
        resolved_level="grid",
        satisfaction="dissatisfied",
        resolved=False,
    ),
    event(
        event_id="X1",
        channel="app",
        event_type="complaint",
        category="市容秩序",
        board="livelihood",
        **G2,
        reported_at=T(2025, 12, 15, 9),
        accepted_at=T(2025, 12, 15, 9, 30),
        closed_at=T(2025, 12, 16, 9),
        deadline_at=T(2025, 12, 20, 9),
        resolved_level="grid",
        satisfaction="satisfied",
        resolved=True,
    ),
    # current period 2026-01-01 .. 2026-10-31, as_of 2026-10-31 14:00
    event(
        event_id="E1",
        channel="hotline",
        event_type="complaint",
        category="物业管理",
        board="livelihood",
        **G1,
        reported_at=T(2026, 3, 1, 8),
        accepted_at=T(2026, 3, 1, 9),
        dispatched_at=T(2026, 3, 1, 10),
        handled_at=T(2026, 3, 2, 8),
        closed_at=T(2026, 3, 2, 10),
        deadline_at=T(2026, 3, 6, 8),
        resolved_level="grid",
        satisfaction="satisfied",
        resolved=True,
    ),
    event(
        event_id="E2",
        channel="visit",
        event_type="petition",
        category="矛盾纠纷",
        board="safety",
        **G1,
        reported_at=T(2026, 3, 5, 10),
        accepted_at=T(2026, 3, 5, 13),
        dispatched_at=T(2026, 3, 5, 14),
        handled_at=T(2026, 3, 20, 10),
        closed_at=T(2026, 3, 21, 10),
        deadline_at=T(2026, 3, 20, 10),
        resolved_level="street",
        satisfaction="dissatisfied",
        resolved=False,
    ),
    event(
        event_id="E3",
        channel="app",
        event_type="complaint",
        category="噪音扰民",
        board="livelihood",
        **G2,
        reported_at=T(2026, 6, 1, 20),
        accepted_at=T(2026, 6, 1, 20, 30),
        dispatched_at=T(2026, 6, 1, 21),
        handled_at=T(2026, 6, 1, 22),
        closed_at=T(2026, 6, 1, 23),
        deadline_at=T(2026, 6, 2, 20),
        resolved_level="grid",
        satisfaction="basic",
        resolved=True,
        description="**紧急** <b>速办</b> [链接](http://x)",
    ),
    event(  # still open: the same complaint again
        event_id="E4",
        channel="hotline",
        event_type="complaint",
        category="噪音扰民",
        board="livelihood",
        **G2,
        reported_at=T(2026, 6, 10, 21),
        accepted_at=T(2026, 6, 10, 23),
        deadline_at=T(2026, 6, 15, 21),
        repeat_of="E3",
    ),
    event(  # closed, not rated
        event_id="E5",
        channel="patrol",
        event_type="hazard",
        category="消防安全",
        board="safety",
        **G1,
        reported_at=T(2026, 9, 30, 9),
        accepted_at=T(2026, 9, 30, 9, 5),
        dispatched_at=T(2026, 9, 30, 9, 10),
        handled_at=T(2026, 9, 30, 12),
        closed_at=T(2026, 10, 1, 9),
        deadline_at=T(2026, 10, 1, 9),
        resolved_level="community",
    ),
    event(  # not accepted yet, and in no grid
        event_id="E6",
        channel="online",
        event_type="request",
        category="社会保障",
        board="livelihood",
        **NOGRID2,
        reported_at=T(2026, 10, 30, 10),
        deadline_at=T(2026, 11, 5, 10),
    ),
    event(  # accepted on the last day, no deadline
        event_id="E7",
        channel="hotline",
        event_type="consultation",
        category="物业管理",
        board="livelihood",
        **G1,
        reported_at=T(2026, 10, 31, 12),
        accepted_at=T(2026, 10, 31, 14),
    ),
]


def import_row(import_id: str, file_name: str, rows: int, finished: datetime) -> dict:
    """The ``imports`` row of a fixture: ``rows`` events read and accepted at ``finished``."""
    return {
        "import_id": import_id,
        "kind": "events",
        "file_name": file_name,
        "sha256": None,
        "rows_read": rows,
        "rows_accepted": rows,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_quarantined": 0,
        "started_at": finished,
        "finished_at": finished,
    }


def make_tiny_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    create_schema(con)
    insert(con, "org_units", ORG_UNITS)
    insert(con, "grids", GRIDS)
    insert(con, "workers", WORKERS)
    insert(con, "buildings", BUILDINGS)
    insert(con, "events", TINY_EVENTS)
    insert(con, "imports", [import_row("tiny", "tiny", len(TINY_EVENTS), T(2026, 11, 1))])
    con.close()
    return path


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory) -> Path:
    return make_tiny_db(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


# ---------------------------------------------------------------- the engine of the run

ENGINE_FIXTURES = {"engine_connect", "tiny_con", "demo", "ibis_con"}


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where the analytics run: duckdb (default), or spark, the conformance suite: "
        "the tests that read through an engine connection (ENGINE_FIXTURES) and those marked "
        "spark, on one Spark Connect server ($GOV_TEST_SPARK, else a local one); run with -n0",
    )


def pytest_collection_modifyitems(config, items) -> None:
    """Under ``--engine spark`` only the tests an engine runs; otherwise none marked spark."""
    spark = config.getoption("engine") == "spark"
    keep, drop = [], []
    for item in items:
        marked = item.get_closest_marker("spark") is not None
        if spark:
            runs = marked or bool(ENGINE_FIXTURES & set(item.fixturenames))
            runs = runs and item.get_closest_marker("e2e") is None
        else:
            runs = not marked
        (keep if runs else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory):
    """The Spark Connect server of the run: ``$GOV_TEST_SPARK``, else a local one."""
    import os

    from tests import spark_engine

    if os.environ.get("GOV_TEST_SPARK"):
        yield os.environ["GOV_TEST_SPARK"].rstrip("/")
        return
    url, process = spark_engine.start_server(tmp_path_factory.mktemp("spark"))
    yield url
    spark_engine.stop_server(process)


@pytest.fixture(scope="session")
def engine_connect(request):
    """``engine_connect(path)``: an analytics backend on the DuckDB file ``path`` read by the
    run's engine: the file itself, or its tables published to Spark (once per file)."""
    from analytics.connection import connect

    if request.config.getoption("engine") == "duckdb":
        return lambda path: connect(path, read_only=True)
    from tests import spark_engine

    server = request.getfixturevalue("spark_server")
    return lambda path: connect(spark_engine.published(server, path))


@pytest.fixture
def tiny_con(tiny_db, engine_connect):
    con = engine_connect(tiny_db)
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
def demo(demo_db, engine_connect):
    """An analytics connection on the demo district, its data range and the default period
    (本年 up to the data's last day)."""
    from analytics import queries
    from analytics.filters import Filters, preset_period

    con = engine_connect(demo_db)
    coverage = queries.data_range(con)
    yield con, coverage, Filters(*preset_period("ytd", coverage.last_day))
    con.disconnect()


@pytest.fixture(autouse=True, scope="session")
def _streamlit_caches():
    """Streamlit's caches last the whole run, as on a server whose one process serves every
    session: the app keys them by the store (its path, inode and modification time, and the
    data version), the viewer's scope and every argument, so the tests of one database reuse
    its figures and a test that writes a database (always a copy in its own tmp_path) gets
    fresh ones. Emptied before the first test and after the last."""
    import streamlit as st

    from ui import data

    data.clear_caches()
    st.cache_resource.clear()
    yield
    data.clear_caches()
    st.cache_resource.clear()


@pytest.fixture
def admin_file(tmp_path, monkeypatch) -> Path:
    """An admin database of the test's own (accounts, audit log, targets, notes), empty."""
    path = tmp_path / "admin.sqlite"
    monkeypatch.setenv("GOV_ADMIN_DB", str(path))
    return path


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


# ---------------------------------------------------------------- pytest -n (pytest-xdist)

# Files whose parametrized tests share what a fixture makes once per value of their last
# parameter (test_sparse_data.py's tour of a case, test_real_exports.py's import of an
# export): one work unit per value, not one for the file. By file name, wherever it sits.
UNIT_PER_PARAMETER = {"test_sparse_data.py", "test_real_exports.py"}


def work_unit(nodeid: str) -> str:
    """The unit of work a test runs in under ``--dist loadfile``: its file, whose module-scoped
    fixtures a worker then makes once; in ``UNIT_PER_PARAMETER``, the file and the test's last
    parameter."""
    file, _, test = nodeid.partition("::")
    if file.rsplit("/", 1)[-1] in UNIT_PER_PARAMETER and test.endswith("]"):
        return f"{file}::{test[:-1].rsplit('[', 1)[1].rsplit('-', 1)[-1]}"
    return file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (pyproject's addopts) with the units of ``work_unit``."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Units(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return Units(config, log)


# ---------------------------------------------------------------- map payloads

PERSONAL = ("reporter_name", "reporter_phone", "address", "description")


def decks(at) -> list[dict]:
    """The pydeck specs an ``AppTest`` run drew."""
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def layer(deck: dict, layer_id: str) -> dict:
    return next(x for x in deck["layers"] if x["id"] == layer_id)


def personal_values(db) -> list[str]:
    """Real reporters' names, phones and addresses and workers' names from the database:
    none of them may reach a map payload."""
    rows = query(
        db,
        "SELECT reporter_name, reporter_phone, address FROM events "
        "WHERE reporter_name IS NOT NULL AND reporter_phone IS NOT NULL AND address IS NOT NULL "
        "ORDER BY event_id LIMIT 200",
    )
    workers = query(db, "SELECT name FROM workers ORDER BY worker_id LIMIT 200")["name"]
    values = {*rows["reporter_phone"], *rows["address"], *rows["reporter_name"], *workers}
    return sorted(v for v in values if len(v) >= 2)
