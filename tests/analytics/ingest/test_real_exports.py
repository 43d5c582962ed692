"""Real-shaped exports (issue #14 §6): what the importer must make of files as they come.

The corpus in ``tests/data/exports`` (see its README.md) holds small files shaped exactly like
the real exports of NYC 311 (portal CSV, Socrata API CSV and JSON), San Francisco 311 from
BigQuery, Los Angeles MyLA311, Boston 311 saved by pandas, Open311 GeoReport v2 (JSON and JSON
Lines), a Chinese 问政 message export without any place, and a 12345 hotline export (GB18030
CSV and .xlsx). Each one is imported with ``preset="auto"`` (or with the mapping committed
beside it) into a fresh DuckDB file and must be read as its source documents it; importing it
again changes nothing; and every page of the dashboard runs on the result.

The hostile files (a workbook whose one cell is XFD1048576, a 10 MB field, NUL bytes, GeoJSON
features that are not objects, 100 000 nesting levels, a 10^6-vertex polygon, 20 000 columns,
a 50 MB line) must each fail as a whole with one Chinese line, in seconds and modest memory;
they run in a child process with a timeout, so a hang fails the test instead of blocking it.
A UTF-8 file with one GBK-encoded cell imports, with only that row quarantined.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from tests.apptest import app_test
from tests.conftest import REPO

ROOT = REPO
EXPORTS = ROOT / "tests" / "data" / "exports"
HOSTILE = EXPORTS / "hostile"
CJK = re.compile(r"[\u4e00-\u9fff]")
T = datetime
HOTLINE_HEADER = "工单编号,来电时间,诉求类型,来源渠道,问题分类,所属街道,所属社区,所属网格,诉求内容"
SECONDS = 10  # "within a few seconds" for one hostile file (the child's own clock)
PEAK_MB = 1024  # peak resident memory of the child process, interpreter and libraries included
HANG_SECONDS = 120  # a child still running then has hung


@dataclass(frozen=True)
class Export:
    """One file of the corpus and what importing it must give."""

    file: str
    rows: int  # data rows in the file
    preset: str | None  # what preset="auto" must choose; None when imported with a mapping
    mapping: str | None = None  # a mapping YAML beside the file
    bad: tuple[str, ...] = ()  # event ids that must be quarantined (defects of the source)
    events: dict[str, dict] = field(default_factory=dict)  # event id -> expected values
    event_types: frozenset[str] = frozenset({"request"})  # every accepted event's type

    @property
    def id(self) -> str:
        return self.file + (f"+{self.mapping}" if self.mapping else "")


def _nyc(first: int) -> dict[str, dict]:
    """The hand-written NYC records at the top of each NYC file (the fifth, ``first + 4``,
    has the source's 1900 Closed Date and is listed as ``bad``)."""
    k = first
    return {
        str(k): {  # 10/06/2019 12:05:55 AM, or 2019-10-06T00:05:55.000: New York local time
            "reported_at": T(2019, 10, 6, 0, 5, 55),
            "closed_at": T(2019, 10, 6, 2, 41, 7),
            "channel": "hotline",  # PHONE
            "category": "Noise - Residential",
            "street": "BROOKLYN",
            "community": "17 BROOKLYN",
            "lat": 40.64512345,
            "lon": -73.94820113,
            "handler_unit": "NYPD",
        },
        str(k + 1): {  # an open request: Closed Date empty (or absent from the JSON)
            "reported_at": T(2019, 10, 6, 13, 2, 11),
            "closed_at": None,
            "channel": "online",  # ONLINE
            "category": "HEAT/HOT WATER",
            "street": "BRONX",
            "community": "07 BRONX",
        },
        str(k + 2): {  # no coordinates
            "reported_at": T(2019, 10, 7, 8, 30),
            "closed_at": T(2019, 10, 8, 11, 15, 42),
            "channel": "app",  # MOBILE
            "lat": None,
            "lon": None,
            "street": "QUEENS",
            "community": "04 QUEENS",
        },
        str(k + 3): {  # Borough "Unspecified", Community Board "0 Unspecified": no place
            "reported_at": T(2019, 10, 7, 19, 45, 3),
            "channel": "hotline",
            "street": None,
            "community": None,
            "lat": None,
        },
    }


# San Francisco, Los Angeles and Boston are imported twice: with preset="auto" (the open311
# preset: the political district — supervisor, council or city council district — is the
# street, the neighbourhood the community) and with the mapping beside the file (which picks
# other columns for the place, to show a mapping is followed).
BY_AUTO_AND_BY_MAPPING = {
    name: (("open311", None), (None, f"{name}.yaml"))
    for name in ("sf311_bigquery", "la_myla311", "boston311")
}


def _place(mapping: str | None, by_auto: tuple, by_mapping: tuple) -> dict:
    street, community = by_mapping if mapping else by_auto
    return {"street": street, "community": community}


def _sf(preset: str | None, mapping: str | None) -> Export:
    return Export(
        "sf311_bigquery.csv",
        60,
        preset,
        mapping,
        events={
            "11610001": {  # "2019-10-06 00:05:55 UTC" is 08:05:55 in Asia/Shanghai
                "reported_at": T(2019, 10, 6, 8, 5, 55),
                "closed_at": T(2019, 10, 7, 17, 30),
                "channel": "hotline",  # Phone
                "handler_unit": "Recology_Abandoned",
                **_place(mapping, ("9", "Mission"), ("MISSION", "Mission")),
            },
            "11610002": {"channel": "app", "closed_at": None},  # Mobile/Open311
            "11610003": {  # Web
                "channel": "online",
                **_place(mapping, ("5", "Haight Ashbury"), ("PARK", "Haight Ashbury")),
            },
            "11610004": {"lat": None, "lon": None, "street": None},  # no verified address
        },
    )


def _la(preset: str | None, mapping: str | None) -> Export:
    return Export(
        "la_myla311.csv",
        60,
        preset,
        mapping,
        events={
            "1-1486513251": {
                "reported_at": T(2019, 10, 6, 0, 5, 55),
                "closed_at": T(2019, 10, 9, 14, 20, 11),
                "channel": "hotline",  # Call
                "category": "Bulky Items",
                "handler_unit": "LASAN",
                **_place(
                    mapping,
                    ("10", "WILSHIRE CENTER - KOREATOWN NC"),
                    ("Central APC", "WILSHIRE CENTER - KOREATOWN NC"),
                ),
            },
            "1-1486513307": {"channel": "app", "closed_at": None},  # Mobile App
            "1-1486513390": {  # 11:59:01 PM; address not verified, so no place
                "reported_at": T(2019, 10, 6, 23, 59, 1),
                "lat": None,
                "street": None,
            },
            "1-1486513412": {  # a driver's own report, closed the moment it was made
                "reported_at": T(2019, 10, 7, 6, 10),
                "closed_at": T(2019, 10, 7, 6, 10),
            },
        },
    )


def _boston(preset: str | None, mapping: str | None) -> Export:
    return Export(
        "boston311.csv",
        60,
        preset,
        mapping,
        events={
            "101004114776": {  # the id, not the pandas index in the nameless first column
                "reported_at": T(2022, 1, 3, 12, 13, 47),
                "deadline_at": T(2022, 1, 4, 12, 13, 47),  # target_dt
                "closed_at": T(2022, 1, 3, 12, 41, 17),
                "channel": "hotline",  # Constituent Call
                "category": "Parking Enforcement",
                **_place(mapping, ("3", "Dorchester"), ("Dorchester", "Ward 16")),
            },
            "101004114802": {  # Citizens Connect App, still open
                "channel": "app",
                "closed_at": None,
                **_place(mapping, ("9", "Brighton"), ("Brighton", "22")),
            },
            "101004114833": {"deadline_at": None, "closed_at": T(2022, 1, 5, 9, 12, 30)},
        },
    )


EXPORTS_UNDER_TEST = [
    Export("nyc311_portal.csv", 60, "open311", bad=("44069516",), events=_nyc(44069512)),
    Export("nyc311_soda.csv", 50, "open311", bad=("44071205",), events=_nyc(44071201)),
    Export("nyc311_soda.json", 40, "open311", bad=("44073305",), events=_nyc(44073301)),
    *(_sf(preset, mapping) for preset, mapping in BY_AUTO_AND_BY_MAPPING["sf311_bigquery"]),
    *(_la(preset, mapping) for preset, mapping in BY_AUTO_AND_BY_MAPPING["la_myla311"]),
    *(_boston(preset, mapping) for preset, mapping in BY_AUTO_AND_BY_MAPPING["boston311"]),
    *(
        Export(
            name,
            40,
            "open311",
            events={
                "638350": {  # 2010-04-14T06:37:38-08:00 is 22:37:38 in Asia/Shanghai
                    "reported_at": T(2010, 4, 14, 22, 37, 38),
                    "closed_at": T(2010, 4, 15, 1, 12, 5),  # status closed: updated_datetime
                    "deadline_at": T(2010, 4, 15, 22, 37, 38),  # expected_datetime
                    "channel": "hotline",
                    "category": "Sidewalk and Curb Issues",
                    "lat": 37.762221815,
                    "lon": -122.4651145,
                    "street": None,
                },
                "638351": {"reported_at": T(2010, 4, 15, 10, 0, 1), "closed_at": None},  # open
                "638352": {  # 2010-04-20T17:05:00Z
                    "reported_at": T(2010, 4, 21, 1, 5),
                    "closed_at": T(2010, 4, 22, 0, 0),
                    "deadline_at": None,
                },
            },
        )
        for name in ("open311_georeport.json", "open311_georeport.jsonl")
    ),
    *(
        Export(
            "wenzheng_messages.csv",
            50,
            preset,
            mapping,
            events={
                "188": {
                    "reported_at": T(2019, 1, 8, 15, 26, 33),  # 2019/1/8 15:26:33
                    "closed_at": T(2019, 2, 9, 21, 43, 33),  # 答复时间
                    "channel": "online",
                    "category": "城乡建设",
                    "street": None,
                    "community": None,
                    "lat": None,
                },
                "405": {"reported_at": T(2019, 1, 9, 9, 5), "category": "劳动和社会保障"},
            },
        )
        for preset, mapping in (("wenzheng", None), (None, "wenzheng.yaml"))
    ),
    *(
        Export(
            name,
            80,
            "hotline",
            event_types=frozenset({"complaint", "request", "consultation"}),
            events={
                "YX2025030400001": {
                    "reported_at": T(2025, 3, 4, 8, 15),  # 2025年3月4日 8:15
                    "accepted_at": T(2025, 3, 4, 8, 20),  # 2025/3/4 8:20
                    "dispatched_at": T(2025, 3, 4, 8, 40),
                    "closed_at": T(2025, 3, 6, 16, 30),
                    "deadline_at": T(2025, 3, 9, 8, 15),
                    "channel": "hotline",  # 电话
                    "event_type": "complaint",
                    "category": "噪音扰民",
                    "street": "龙湾街道",
                    "community": "滨江社区",
                    "grid": "第2网格",
                    "satisfaction": "basic",
                    "resolved": True,
                    "handler_unit": "区生态环境局",
                },
                "YX2025030400002": {  # 2025/3/4 9:02
                    "reported_at": T(2025, 3, 4, 9, 2),
                    "channel": "app",  # 微信
                    "event_type": "consultation",
                },
                "YX2025051800003": {  # 网上, 求助, still open
                    "channel": "online",
                    "event_type": "request",
                    "closed_at": None,
                    "satisfaction": None,
                },
                "YX2025042200004": {"channel": "hotline"},  # 12345热线
                "YX2025050400006": {  # a quoted cell with an ASCII comma and a line break
                    "description": "青枫街道青枫路76号1栋反映两件事,一是路灯不亮,\n二是井盖松动。"
                },
            },
        )
        for name in ("hotline_12345.csv", "hotline_12345.xlsx")
    ),
]


def _query(db: Path, sql: str, params=()) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def _events(db: Path) -> pd.DataFrame:
    """Events with their street, community and grid names."""
    return _query(
        db,
        "SELECT e.*, s.name AS street, c.name AS community, g.name AS grid FROM events e "
        "LEFT JOIN org_units s ON s.unit_id = e.street_id "
        "LEFT JOIN org_units c ON c.unit_id = e.community_id "
        "LEFT JOIN grids g ON g.grid_id = e.grid_id ORDER BY e.event_id",
    )


def _count(db: Path, table: str) -> int:
    return int(_query(db, f"SELECT count(*) AS n FROM {table}")["n"][0])


def _import(export: Export, db: Path):
    from analytics.ingest.events import import_events

    mapping = None
    if export.mapping:
        mapping = yaml.safe_load((EXPORTS / export.mapping).read_text(encoding="utf-8"))
    return import_events(
        EXPORTS / export.file, preset="auto", mapping=mapping, db=db, create_units=True
    )


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """export -> (database, result of importing it into a fresh, empty database), once each."""
    done: dict[str, tuple[Path, object]] = {}

    def get(export: Export):
        if export.id not in done:
            folder = tmp_path_factory.mktemp(re.sub(r"\W", "_", export.id))
            db = folder / "corpus.duckdb"
            done[export.id] = (db, _import(export, db))
        return done[export.id]

    return get


def _same(actual, expected) -> bool:
    if expected is None:
        return actual is None or bool(pd.isna(actual))
    if actual is None or (not isinstance(actual, str) and pd.isna(actual)):
        return False
    if isinstance(expected, datetime):
        return pd.Timestamp(actual) == pd.Timestamp(expected)
    if isinstance(expected, float):
        return abs(float(actual) - expected) < 1e-6
    if isinstance(expected, bool):
        return bool(actual) is expected
    return actual == expected


@pytest.mark.parametrize("export", EXPORTS_UNDER_TEST, ids=lambda e: e.id)
def test_a_real_export_imports_as_its_source_documents_it(export, imported):
    db, r = imported(export)
    assert r.rows_read == export.rows, r
    parts = r.rows_accepted + r.rows_updated + r.rows_unchanged + r.rows_quarantined
    assert parts == r.rows_read, r
    assert r.rows_accepted >= 0.95 * export.rows, (r.rows_accepted, r.reasons)
    assert r.rows_quarantined == len(export.bad), r.reasons
    if export.preset:
        assert r.preset == export.preset, (r.preset, r.preset_reason)
        assert CJK.search(r.preset_reason), r.preset_reason
    assert isinstance(r.other_values, dict) and isinstance(r.reasons, dict)

    events = _events(db)
    assert len(events) == r.rows_accepted
    assert set(events["event_type"]) <= export.event_types
    ids = set(events["event_id"])
    assert not ids & set(export.bad), "a defective row was accepted"
    quarantined = _query(db, "SELECT raw FROM quarantine")["raw"]
    for bad in export.bad:
        assert quarantined.str.contains(bad, regex=False).any(), bad
    assert not (_query(db, "SELECT name FROM org_units")["name"].str.lower() == "unspecified").any()
    by_id = events.set_index("event_id")
    wrong = {}
    for event_id, expected in export.events.items():
        assert event_id in by_id.index, f"event {event_id} missing; ids look like {sorted(ids)[:3]}"
        row = by_id.loc[event_id]
        for column, value in expected.items():
            if not _same(row[column], value):
                wrong[f"{event_id}.{column}"] = (row[column], value)
    assert not wrong, f"(actual, expected): {wrong}"
    phones = events["reporter_phone"].dropna()
    assert phones.str.fullmatch(r"1\d{10}").all(), phones.head()  # not 1.97e10 from a number


@pytest.mark.parametrize("export", EXPORTS_UNDER_TEST, ids=lambda e: e.id)
def test_importing_the_same_export_again_changes_nothing(export, imported, tmp_path):
    first_db, first = imported(export)
    db = tmp_path / "again.duckdb"
    shutil.copy(first_db, db)
    events, quarantine = _events(db), _count(db, "quarantine")
    again = _import(export, db)
    assert (again.rows_accepted, again.rows_updated) == (0, 0), again
    assert again.rows_unchanged == first.rows_read - first.rows_quarantined, again
    assert again.rows_quarantined == first.rows_quarantined, again
    assert _count(db, "quarantine") == quarantine, "the same defective rows quarantined twice"
    pd.testing.assert_frame_equal(_events(db), events)


PAGES = re.findall(r'st\.Page\(\s*"(pages/[^"]+\.py)"', (ROOT / "app.py").read_text("utf-8"))


def test_the_page_list_is_read_from_the_app():
    assert {"pages/overview.py", "pages/heatmap.py", "pages/whatif.py"} <= set(PAGES)


@pytest.mark.parametrize("export", EXPORTS_UNDER_TEST, ids=lambda e: e.id)
def test_every_page_runs_on_an_imported_export(export, imported, monkeypatch):
    db, _ = imported(export)
    monkeypatch.setenv("GOV_DB", str(db))
    at = app_test()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    failed = {}
    for page in PAGES:
        at.switch_page(page)
        at.run()
        if at.exception:
            failed[page] = [str(e.value)[:300] for e in at.exception]
    assert not failed, failed


def test_the_command_line_imports_a_real_export(tmp_path):
    db = tmp_path / "nyc.duckdb"
    run = subprocess.run(
        [sys.executable, "-m", "analytics", "import", str(EXPORTS / "nyc311_portal.csv"),
         "--preset", "auto", "--create-units", "--db", str(db)],
        capture_output=True, text=True, timeout=HANG_SECONDS, cwd=ROOT, env=_child_env(),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert _count(db, "events") == 59


# ---------------------------------------------------------------- hostile files


def _huge_field(folder: Path) -> Path:
    """A hotline CSV whose second row's 诉求内容 is 10.5 MB."""
    path = folder / "huge_field.csv"
    text = "噪音扰民" * (10_500_000 // 12)
    place = "投诉,12345热线,噪音扰民,龙湾街道,龙湾社区,第1网格"
    path.write_text(
        f"{HOTLINE_HEADER}\nHF1,2025/4/1 8:00,{place},夜间施工\n"
        f'HF2,2025/4/1 9:00,{place},"{text}"\n',
        encoding="utf-8",
    )
    return path


def _nested_json(folder: Path, name: str = "nested.json") -> Path:
    path = folder / name
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return path


def _nested_geojson(folder: Path) -> Path:
    return _nested_json(folder, "nested.geojson")


def _million_vertices(folder: Path) -> Path:
    """One grid polygon whose ring has 10^6 vertices (a circle about 1 km across)."""
    import numpy as np

    angle = np.linspace(0, 2 * np.pi, 1_000_000)
    lon, lat = 106.5 + 0.005 * np.cos(angle), 29.6 + 0.005 * np.sin(angle)
    lon[-1], lat[-1] = lon[0], lat[0]
    ring = ",".join(f"[{x:.7f},{y:.7f}]" for x, y in zip(lon, lat, strict=True))
    properties = {"网格名称": "第1网格", "所属社区": "龙湾社区", "所属街道": "龙湾街道"}
    path = folder / "million_vertices.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        + json.dumps(properties, ensure_ascii=False)
        + ', "geometry": {"type": "Polygon", "coordinates": [['
        + ring
        + "]]}}]}",
        encoding="utf-8",
    )
    return path


def _wide(folder: Path) -> Path:
    """The hotline header followed by spare columns up to 20 000, and five rows."""
    columns = HOTLINE_HEADER.split(",")
    header = columns + [f"备用字段{i}" for i in range(len(columns), 20_000)]
    row = "HW{},2025/4/1 8:00,投诉,12345热线,噪音扰民,龙湾街道,龙湾社区,第1网格,夜间施工"
    spare = "," * (20_000 - len(columns))
    lines = [",".join(header)] + [row.format(i) + spare for i in range(5)]
    path = folder / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _one_line(folder: Path) -> Path:
    """50 MB on one line, no newline: 25 million cells of a header that never ends."""
    path = folder / "one_line.csv"
    path.write_bytes(b"x," * 25_000_000)
    return path


def _committed(name: str):
    return lambda folder: HOSTILE / name


HOSTILE_CASES = {  # name -> (kind to import as, maker of the file in a temporary folder)
    "far_cell.xlsx": ("events", _committed("far_cell.xlsx")),
    "nul_bytes.csv": ("events", _committed("nul_bytes.csv")),
    "features_not_objects.geojson": ("grids", _committed("features_not_objects.geojson")),
    "huge_field.csv": ("events", _huge_field),
    "nested.json": ("events", _nested_json),
    "nested.geojson": ("grids", _nested_geojson),
    "million_vertices.geojson": ("grids", _million_vertices),
    "wide.csv": ("events", _wide),
    "one_line.csv": ("events", _one_line),
}
CHILD = r"""
import json, sys, time
from tests.conftest import REPO
kind, path, db = sys.argv[1:4]
outcome = {}
started = time.monotonic()
try:
    from analytics.ingest.events import import_events
    from analytics.ingest.reading import ImportFileError
    from analytics.ingest.reference import import_reference
    started = time.monotonic()
    if kind == "events":
        import_events(path, preset="auto", db=db, create_units=True)
    else:
        import_reference(path, kind, db=db)
    outcome["raised"] = None
except ImportFileError as exc:
    outcome["raised"], outcome["message"] = "ImportFileError", str(exc)
except BaseException as exc:
    outcome["raised"], outcome["message"] = type(exc).__name__, repr(exc)[:1000]
outcome["seconds"] = time.monotonic() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec from the forking parent (here
# the whole pytest process), while VmHWM belongs to this process's own memory.
status = open("/proc/self/status").read()
outcome["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(outcome, ensure_ascii=False))
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=HANG_SECONDS,
            cwd=ROOT,
            env=_child_env(),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {HANG_SECONDS} s: {args[1:]}")


@pytest.mark.parametrize("name", list(HOSTILE_CASES))
def test_a_hostile_file_fails_fast_with_one_chinese_line(name, tmp_path):
    kind, make = HOSTILE_CASES[name]
    path = make(tmp_path)
    child = _run([sys.executable, "-c", CHILD, kind, str(path), str(tmp_path / "api.duckdb")])
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["raised"] == "ImportFileError", outcome
    message = outcome["message"].strip()
    assert CJK.search(message) and "\n" not in message and len(message) < 500, message
    assert outcome["seconds"] < SECONDS, outcome
    assert outcome["peak_mb"] < PEAK_MB, outcome

    command = [sys.executable, "-m", "analytics", "import", str(path), "--kind", kind]
    command += ["--db", str(tmp_path / "cli.duckdb")]
    if kind == "events":
        command += ["--preset", "auto", "--create-units"]
    cli = _run(command)
    said = cli.stdout + cli.stderr
    assert cli.returncode != 0, said[-3000:]
    assert "Traceback" not in said, said[-3000:]
    assert CJK.search(said) and len(said) < 5000, said[-3000:]


def test_a_utf8_file_with_one_gbk_cell_quarantines_only_that_row(tmp_path):
    from analytics.ingest.events import import_events

    db = tmp_path / "gbk.duckdb"
    r = import_events(HOSTILE / "gbk_cell.csv", preset="auto", db=db, create_units=True)
    assert r.preset == "hotline", (r.preset, r.preset_reason)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (30, 29, 1), r
    assert any("编码" in reason for reason in r.reasons), r.reasons
    q = _query(db, "SELECT source_row, reason FROM quarantine")
    assert list(q["source_row"]) == [12] and "编码" in q["reason"][0], q
    events = _events(db).set_index("event_id")
    assert "HX0012" not in events.index
    assert CJK.search(events.loc["HX0011", "description"])
    assert events["description"].map(lambda s: "\ufffd" not in s).all()  # no mojibake kept
