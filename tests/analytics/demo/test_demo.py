"""Properties of the demo district: integrity, geometry, determinism and the stories it tells."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
import shapely

from analytics import schema
from analytics.catalogue import CATEGORIES
from analytics.demo.build import build_demo

EVENTS = 30_000
SEED = 20260101
TIMESTAMPS = (*schema.EVENT_TIMESTAMPS, "deadline_at")
FIRST, LAST = "2023-11-01 00:00:00", "2026-10-31 23:59:59"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("demo") / "nested" / "governance.duckdb"
    return path, build_demo(path, events=EVENTS, seed=SEED)


@pytest.fixture(scope="module")
def con(built: tuple[Path, dict]):
    connection = duckdb.connect(str(built[0]), read_only=True)
    yield connection
    connection.close()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def column(con, sql: str) -> list:
    return [row[0] for row in con.execute(sql).fetchall()]


def test_summary_matches_tables_and_no_temp_file_remains(built, con):
    path, summary = built
    assert not Path(f"{path}.tmp").exists()
    assert summary["rows"]["events"] == EVENTS
    for table, rows in summary["rows"].items():
        assert scalar(con, f"SELECT count(*) FROM {table}") == rows
    assert summary["rows"]["quarantine"] == 0
    assert 140 <= summary["rows"]["grids"] <= 170
    assert 45_000 <= summary["rows"]["buildings"] <= 55_000
    assert scalar(con, "SELECT count(*) FROM org_units WHERE level = 'street'") == 5
    assert 22 <= scalar(con, "SELECT count(*) FROM org_units WHERE level = 'community'") <= 28
    latest = scalar(con, f"SELECT max(greatest({', '.join(schema.EVENT_TIMESTAMPS)})) FROM events")
    assert summary["as_of"] == latest


def test_imports_bookkeeping(con, built):
    rows = con.execute(
        "SELECT kind, import_id, file_name, sha256, rows_read, rows_accepted, rows_updated,"
        " rows_unchanged, rows_quarantined, started_at <= finished_at FROM imports ORDER BY kind"
    ).fetchall()
    counts = built[1]["rows"]
    assert [r[0] for r in rows] == ["buildings", "events", "grids", "workers"]
    for kind, import_id, file_name, sha, read, accepted, updated, unchanged, bad, ordered in rows:
        assert import_id == f"demo-{kind}"
        assert file_name == f"demo(seed={SEED}, events={EVENTS})"
        assert sha is None
        assert read == accepted == counts[kind]
        assert updated == unchanged == bad == 0
        assert ordered


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("org_units", "unit_id"),
        ("grids", "grid_id"),
        ("buildings", "building_id"),
        ("workers", "worker_id"),
        ("events", "event_id"),
        ("imports", "import_id"),
    ],
)
def test_ids_are_unique(con, table, key):
    assert scalar(con, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == 0
    assert scalar(con, f"SELECT count(*) FROM {table} WHERE {key} IS NULL") == 0


def test_event_ids_follow_reported_order(con):
    out_of_order = scalar(
        con,
        "SELECT count(*) FROM (SELECT event_id, lag(reported_at) OVER (ORDER BY event_id) AS prev,"
        " reported_at FROM events) WHERE prev > reported_at",
    )
    assert out_of_order == 0
    stored_out_of_order = scalar(
        con,
        "SELECT count(*) FROM (SELECT lag(reported_at) OVER (ORDER BY rowid) AS prev,"
        " reported_at FROM events) WHERE prev > reported_at",
    )
    assert stored_out_of_order == 0
    assert all(re.fullmatch(r"E\d{9}", e) for e in column(con, "SELECT event_id FROM events"))


def test_lifecycle_order(con):
    stages = schema.EVENT_TIMESTAMPS
    pairs = [(a, b) for i, a in enumerate(stages) for b in stages[i + 1 :]]
    violations = " OR ".join(f"{a} > {b}" for a, b in pairs)
    assert scalar(con, f"SELECT count(*) FROM events WHERE {violations}") == 0
    for earlier, later in zip(stages, stages[1:], strict=False):
        if later == "handled_at":
            continue
        missing = scalar(
            con, f"SELECT count(*) FROM events WHERE {earlier} IS NULL AND {later} IS NOT NULL"
        )
        assert missing == 0, (earlier, later)


def test_timestamps_stay_inside_the_fixed_calendar(con):
    for col in TIMESTAMPS:
        low, high = con.execute(f"SELECT min({col}), max({col}) FROM events").fetchone()
        assert str(low) >= FIRST and str(high) <= LAST, col
    assert str(scalar(con, "SELECT min(reported_at) FROM events")) < "2023-11-02"
    assert str(scalar(con, "SELECT max(reported_at) FROM events")) > "2026-10-30"


def test_org_hierarchy_and_grid_keys(con):
    assert con.execute(
        "SELECT unit_id, parent_id FROM org_units WHERE level = 'district'"
    ).fetchall() == [("D", None)]
    bad_parents = scalar(
        con,
        "SELECT count(*) FROM org_units c LEFT JOIN org_units p ON c.parent_id = p.unit_id"
        " WHERE c.level <> 'district' AND (p.unit_id IS NULL OR p.level <>"
        " CASE c.level WHEN 'street' THEN 'district' ELSE 'street' END)",
    )
    assert bad_parents == 0
    bad_grids = scalar(
        con,
        "SELECT count(*) FROM grids g LEFT JOIN org_units c ON g.community_id = c.unit_id"
        " WHERE c.level IS DISTINCT FROM 'community' OR c.parent_id <> g.street_id",
    )
    assert bad_grids == 0
    assert (
        scalar(con, "SELECT count(*) FROM grids WHERE NOT starts_with(grid_id, community_id)") == 0
    )


def test_events_reference_consistent_units(con):
    assert scalar(con, "SELECT count(*) FROM events WHERE community_id IS NULL") == 0
    assert scalar(con, "SELECT count(*) FROM events WHERE street_id IS NULL") == 0
    mismatched = scalar(
        con,
        "SELECT count(*) FROM events e LEFT JOIN grids g USING (grid_id)"
        " WHERE e.grid_id IS NOT NULL AND (g.grid_id IS NULL OR g.community_id <> e.community_id"
        " OR g.street_id <> e.street_id)",
    )
    assert mismatched == 0
    orphan_units = scalar(
        con,
        "SELECT count(*) FROM events e LEFT JOIN org_units c ON c.unit_id = e.community_id"
        " WHERE c.unit_id IS NULL OR c.level <> 'community' OR c.parent_id <> e.street_id",
    )
    assert orphan_units == 0
    share_without_grid = scalar(con, "SELECT avg((grid_id IS NULL)::INT) FROM events")
    assert 0.005 < share_without_grid < 0.05


def test_buildings_and_workers_reference_grids(con):
    bad_buildings = scalar(
        con,
        "SELECT count(*) FROM buildings b LEFT JOIN grids g USING (grid_id)"
        " WHERE g.grid_id IS NULL OR g.community_id <> b.community_id",
    )
    assert bad_buildings == 0
    bad_workers = scalar(
        con,
        "SELECT count(*) FROM workers w LEFT JOIN grids g USING (grid_id)"
        " WHERE (w.grid_id IS NOT NULL AND g.grid_id IS NULL)"
        " OR ((w.grid_id IS NULL) <> (w.role = 'street_staff'))",
    )
    assert bad_workers == 0
    unknown = scalar(
        con,
        "SELECT count(*) FROM events e LEFT JOIN workers w USING (worker_id)"
        " WHERE e.worker_id IS NOT NULL AND (w.worker_id IS NULL OR w.role <> 'full_time'"
        " OR w.grid_id IS DISTINCT FROM e.grid_id)",
    )
    assert unknown == 0
    patrol_without_worker = scalar(
        con, "SELECT count(*) FROM events WHERE channel = 'patrol' AND worker_id IS NULL"
    )
    assert patrol_without_worker == 0


def test_worker_counts_match_grids(con):
    mismatched = scalar(
        con,
        "SELECT count(*) FROM grids g LEFT JOIN (SELECT grid_id,"
        " count(*) FILTER (WHERE role = 'full_time') AS ft,"
        " count(*) FILTER (WHERE role = 'part_time') AS pt FROM workers GROUP BY grid_id) w"
        " USING (grid_id) WHERE w.ft IS DISTINCT FROM g.full_time_workers"
        " OR w.pt IS DISTINCT FROM g.part_time_workers"
        " OR g.full_time_workers <> CASE WHEN g.households > 700 THEN 2 ELSE 1 END"
        " OR g.part_time_workers NOT BETWEEN 3 AND 6",
    )
    assert mismatched == 0
    per_community = column(
        con,
        "SELECT count(w.worker_id) FROM org_units c LEFT JOIN grids g ON g.community_id = c.unit_id"
        " LEFT JOIN workers w ON w.grid_id = g.grid_id AND w.role = 'instructor'"
        " WHERE c.level = 'community' GROUP BY c.unit_id",
    )
    assert set(per_community) == {1}
    assert scalar(con, "SELECT count(*) FROM workers WHERE role = 'street_staff'") >= 10
    assert scalar(con, "SELECT count(*) FROM workers WHERE name IS NULL OR length(name) < 2") == 0


ENUMS = {
    ("events", "channel"): schema.CHANNELS,
    ("events", "event_type"): schema.EVENT_TYPES,
    ("events", "board"): schema.BOARDS,
    ("events", "handling_type"): schema.HANDLING_TYPES,
    ("events", "resolved_level"): schema.RESOLVED_LEVELS,
    ("events", "satisfaction"): schema.SATISFACTION,
    # ~2 % of citizen messages show 未分类 (test_demo_text checks their true category)
    ("events", "category"): (*CATEGORIES, "未分类"),
    ("workers", "role"): schema.WORKER_ROLES,
    ("org_units", "level"): schema.UNIT_LEVELS,
}


@pytest.mark.parametrize(("table", "col"), list(ENUMS))
def test_enumerations_hold_only_and_all_schema_values(con, table, col):
    values = set(column(con, f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL"))
    assert values == set(ENUMS[table, col])


def test_category_determines_board(con):
    pairs = dict(con.execute("SELECT DISTINCT category, board FROM events").fetchall())
    # 未分类 takes the importer's default board for a category outside the catalogue
    assert pairs == {name: c.board for name, c in CATEGORIES.items()} | {"未分类": "livelihood"}
    assert scalar(con, "SELECT count(DISTINCT category) FROM events") >= 14


@pytest.fixture(scope="module")
def grid_shapes(con) -> dict[str, tuple[str, shapely.Polygon]]:
    rows = con.execute("SELECT grid_id, community_id, geometry FROM grids").fetchall()
    return {g: (c, shapely.from_geojson(geo)) for g, c, geo in rows}


def _overlap_areas(polys: list) -> np.ndarray:
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="intersects")
    keep = left < right
    shapes = np.array(polys, dtype=object)
    return shapely.area(shapely.intersection(shapes[left[keep]], shapes[right[keep]]))


def test_grid_polygons_are_valid_and_do_not_overlap(grid_shapes):
    polys = [p for _, p in grid_shapes.values()]
    assert all(p.geom_type == "Polygon" and p.is_valid and p.area > 0 for p in polys)
    assert _overlap_areas(polys).max(initial=0.0) < 1e-10
    district = shapely.union_all(polys)
    assert district.geom_type == "Polygon"
    assert abs(district.area - sum(p.area for p in polys)) < 1e-9


def test_communities_nest_and_do_not_overlap(grid_shapes):
    by_community: dict[str, list] = {}
    for community, poly in grid_shapes.values():
        by_community.setdefault(community, []).append(poly)
    unions = {c: shapely.union_all(ps) for c, ps in by_community.items()}
    for community, poly in grid_shapes.values():
        assert unions[community].buffer(1e-9).contains(poly)
    assert _overlap_areas(list(unions.values())).max(initial=0.0) < 1e-10


def test_grid_attributes(con, grid_shapes):
    rows = con.execute(
        "SELECT grid_id, name, households, population, area_km2, centroid_lon, centroid_lat"
        " FROM grids"
    ).fetchall()
    for grid_id, name, households, population, area, lon, lat in rows:
        poly = grid_shapes[grid_id][1]
        assert re.fullmatch(r"S0\dC\d{2}G\d{2}", grid_id) and name == f"第{int(grid_id[-2:])}网格"
        assert 150 <= households <= 900
        assert 2.3 * households - 1 <= population <= 2.9 * households + 1
        assert area == pytest.approx(poly.area * 111.32 * np.cos(np.radians(29.6)) * 110.574, 1e-3)
        assert (
            poly.contains(shapely.Point(lon, lat)) or poly.distance(shapely.Point(lon, lat)) < 1e-6
        )
    households = column(con, "SELECT households FROM grids")
    assert np.std(households) > 100


def test_grid_households_equal_their_buildings(con):
    mismatched = scalar(
        con,
        "SELECT count(*) FROM grids g LEFT JOIN (SELECT grid_id, sum(households) AS hh"
        " FROM buildings GROUP BY grid_id) b USING (grid_id) WHERE b.hh IS DISTINCT FROM"
        " g.households",
    )
    assert mismatched == 0
    low, high = con.execute("SELECT min(households), max(households) FROM buildings").fetchone()
    assert low >= 1 and high <= 4


def test_buildings_lie_inside_their_grid(con, grid_shapes):
    frame = con.execute("SELECT grid_id, lon, lat FROM buildings").df()
    shapes = np.array([grid_shapes[g][1] for g in frame.grid_id], dtype=object)
    assert shapely.contains_xy(shapes, frame.lon.to_numpy(), frame.lat.to_numpy()).all()


def test_event_coordinates_inside_district_extent(con, grid_shapes):
    minx, miny, maxx, maxy = shapely.union_all([p for _, p in grid_shapes.values()]).bounds
    outside = scalar(
        con,
        f"SELECT count(*) FROM events WHERE lon NOT BETWEEN {minx} AND {maxx}"
        f" OR lat NOT BETWEEN {miny} AND {maxy} OR (lon IS NULL) <> (lat IS NULL)",
    )
    assert outside == 0
    assert 0.01 < scalar(con, "SELECT avg((lon IS NULL)::INT) FROM events") < 0.08
    far = scalar(
        con,
        "SELECT count(*) FROM events e JOIN grids g USING (grid_id)"
        " WHERE abs(e.lon - g.centroid_lon) > 0.03 OR abs(e.lat - g.centroid_lat) > 0.03",
    )
    assert far == 0


def test_open_events_at_the_end(con):
    open_count, recent, stuck = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reported_at >= TIMESTAMP '2026-10-24'),"
        " count(*) FILTER (WHERE reported_at < TIMESTAMP '2026-10-01' AND deadline_at <"
        f" TIMESTAMP '{LAST}') FROM events WHERE closed_at IS NULL"
    ).fetchone()
    assert open_count > 0
    assert recent > open_count / 3
    assert stuck > 0
    early_open = scalar(
        con, "SELECT count(*) FROM events WHERE closed_at IS NULL AND reported_at < '2025-01-01'"
    )
    assert early_open < stuck + 5


def test_closing_fields_only_on_closed_events(con):
    inconsistent = scalar(
        con,
        "SELECT count(*) FROM events WHERE (closed_at IS NULL) <> (resolved_level IS NULL)"
        " OR (closed_at IS NULL) <> (handler_unit IS NULL)"
        " OR (satisfaction IS NOT NULL AND closed_at IS NULL)"
        " OR (satisfaction IS NULL) <> (resolved IS NULL)"
        " OR (handling_type IS NULL)",
    )
    assert inconsistent == 0
    not_rated = scalar(
        con,
        "SELECT avg((satisfaction IS NULL)::INT) FROM events"
        " WHERE closed_at IS NOT NULL AND channel NOT IN ('patrol', 'sensor')",
    )
    assert 0.1 < not_rated < 0.2
    machine_rated = scalar(
        con,
        "SELECT avg((satisfaction IS NOT NULL)::INT) FROM events"
        " WHERE closed_at IS NOT NULL AND channel IN ('patrol', 'sensor')",
    )
    assert machine_rated < 0.2


def test_on_time_share_and_satisfaction_follow_handling(con):
    late = scalar(
        con,
        "SELECT avg((closed_at > deadline_at)::INT) FROM events"
        " WHERE closed_at IS NOT NULL AND deadline_at IS NOT NULL",
    )
    assert 0.05 < late < 0.2
    dissatisfied_late, dissatisfied_on_time = con.execute(
        "SELECT avg((satisfaction = 'dissatisfied')::INT) FILTER (WHERE closed_at > deadline_at),"
        " avg((satisfaction = 'dissatisfied')::INT) FILTER (WHERE closed_at <= deadline_at)"
        " FROM events WHERE satisfaction IS NOT NULL"
    ).fetchone()
    assert dissatisfied_late > 2 * dissatisfied_on_time
    resolved_by_rating = dict(
        con.execute(
            "SELECT satisfaction, avg(resolved::INT) FROM events WHERE satisfaction IS NOT NULL"
            " GROUP BY ALL"
        ).fetchall()
    )
    assert resolved_by_rating["satisfied"] > resolved_by_rating["dissatisfied"] + 0.3


def test_repeat_demands_point_to_earlier_events_of_same_grid_and_category(con):
    share = scalar(con, "SELECT avg((repeat_of IS NOT NULL)::INT) FROM events")
    assert 0.02 < share < 0.1
    bad = scalar(
        con,
        "SELECT count(*) FROM events e LEFT JOIN events o ON o.event_id = e.repeat_of"
        " WHERE e.repeat_of IS NOT NULL AND (o.event_id IS NULL OR o.grid_id <> e.grid_id"
        " OR e.grid_id IS NULL OR o.category <> e.category OR o.reported_at >= e.reported_at"
        " OR e.reported_at - o.reported_at > INTERVAL 30 DAY)",
    )
    assert bad == 0


def test_personal_and_free_text(con):
    machine_reporters = scalar(
        con,
        "SELECT count(*) FROM events WHERE channel IN ('patrol', 'sensor')"
        " AND (reporter_name IS NOT NULL OR reporter_phone IS NOT NULL)",
    )
    assert machine_reporters == 0
    phones = column(
        con, "SELECT DISTINCT reporter_phone FROM events WHERE reporter_phone IS NOT NULL"
    )
    assert phones and all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert (
        scalar(con, "SELECT count(*) FROM events WHERE description IS NULL OR address IS NULL") == 0
    )
    markup = scalar(
        con,
        "SELECT count(*) FROM events WHERE description LIKE '%**紧急** <b>速办</b> [链接](http://x)%'",
    )
    assert 0 < markup < EVENTS * 0.01
    html = scalar(con, "SELECT count(*) FROM events WHERE regexp_matches(description, '<[a-z]+')")
    assert html > markup
    assert (
        scalar(
            con,
            "SELECT count(*) FROM events"
            " WHERE address NOT LIKE '%街道%' AND address NOT LIKE '%镇%'",
        )
        == 0
    )


def test_channel_and_type_mix(con):
    channel = dict(
        con.execute(
            "SELECT channel, count(*) / sum(count(*)) OVER () FROM events GROUP BY 1"
        ).fetchall()
    )
    assert channel["hotline"] == pytest.approx(0.40, abs=0.03)
    assert channel["patrol"] == pytest.approx(0.25, abs=0.03)
    etype = dict(
        con.execute(
            "SELECT event_type, count(*) / sum(count(*)) OVER () FROM events GROUP BY 1"
        ).fetchall()
    )
    assert etype["complaint"] == pytest.approx(0.35, abs=0.03)
    assert etype["petition"] == pytest.approx(0.11, abs=0.03)
    hazard_by_machine = scalar(
        con,
        "SELECT avg((channel IN ('patrol', 'sensor'))::INT) FROM events"
        " WHERE event_type = 'hazard'",
    )
    assert hazard_by_machine > 0.75


def test_reform_speeds_response_and_keeps_more_in_the_grid(con):
    before, after = (
        scalar(
            con,
            "SELECT median(epoch(accepted_at - reported_at)) FROM events"
            f" WHERE year(reported_at) = {year}",
        )
        for year in (2024, 2025)
    )
    assert after < 0.75 * before
    grid_before, grid_after = con.execute(
        "SELECT avg((resolved_level = 'grid')::INT) FILTER (WHERE reported_at < '2025-01-01'),"
        " avg((resolved_level = 'grid')::INT) FILTER (WHERE reported_at >= '2025-01-01')"
        " FROM events WHERE closed_at IS NOT NULL"
    ).fetchone()
    assert grid_after > grid_before + 0.08


def test_property_complaints_and_petitions_fall_year_on_year(con):
    counts = dict(
        con.execute(
            "SELECT year(reported_at), count(*) FROM events"
            " WHERE category = '物业管理' AND event_type = 'complaint' GROUP BY 1"
        ).fetchall()
    )
    assert counts[2025] < 0.95 * counts[2024]
    petitions = dict(
        con.execute(
            "SELECT year(reported_at), count(*) FROM events"
            " WHERE event_type = 'petition' GROUP BY 1"
        ).fetchall()
    )
    assert petitions[2025] < 0.95 * petitions[2024]


def test_seasonal_and_daily_rhythm(con):
    flood = dict(
        con.execute(
            "SELECT month(reported_at), count(*) FROM events WHERE event_type = 'hazard'"
            " AND category IN ('防汛排涝', '房屋安全') GROUP BY 1"
        ).fetchall()
    )
    others = np.mean([flood[m] for m in (1, 2, 3, 4, 10, 11, 12)])
    assert flood[7] > 2.5 * others
    noise_summer, noise_rest = con.execute(
        "SELECT count(*) FILTER (WHERE month(reported_at) IN (6, 7, 8)) / 3,"
        " count(*) FILTER (WHERE month(reported_at) IN (3, 4, 5, 9, 10, 11)) / 6"
        " FROM events WHERE category = '噪音扰民'"
    ).fetchone()
    assert noise_summer > 1.6 * noise_rest
    festival, normal = con.execute(
        "SELECT count(*) FILTER (WHERE reported_at::DATE"
        " BETWEEN '2025-01-26' AND '2025-02-02') / 8,"
        " count(*) FILTER (WHERE reported_at::DATE BETWEEN '2025-03-03' AND '2025-03-30') / 28"
        " FROM events"
    ).fetchone()
    assert festival < 0.7 * normal
    patrol_weekend, patrol_weekday = con.execute(
        "SELECT count(*) FILTER (WHERE isodow(reported_at) >= 6) / 2,"
        " count(*) FILTER (WHERE isodow(reported_at) <= 5) / 5 FROM events WHERE channel = 'patrol'"
    ).fetchone()
    assert patrol_weekend < 0.5 * patrol_weekday
    night, noise_evening = con.execute(
        "SELECT avg((hour(reported_at) BETWEEN 1 AND 5)::INT),"
        " avg((hour(reported_at) BETWEEN 20 AND 23)::INT) FILTER (WHERE category = '噪音扰民')"
        " FROM events"
    ).fetchone()
    assert night < 0.03
    assert noise_evening > 0.3


def test_hot_grids_are_busier_and_worse(con):
    frame = con.execute(
        "SELECT e.grid_id, count(*) / any_value(g.households) AS density,"
        " median(epoch(accepted_at - reported_at)) AS response"
        " FROM events e JOIN grids g USING (grid_id) GROUP BY 1 ORDER BY density DESC"
    ).df()
    top, rest = frame.head(4), frame.iloc[10:]
    assert top.density.min() > 1.8 * rest.density.median()
    assert top.response.median() > rest.response.median()


def _fingerprint(path: Path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as c:
        return tuple(
            c.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {table} t").fetchone()
            for table in ("events", "grids", "buildings", "workers", "org_units")
        )


def test_same_seed_rebuilds_identically(built, tmp_path):
    again = tmp_path / "again.duckdb"
    build_demo(again, events=EVENTS, seed=SEED)
    assert _fingerprint(again) == _fingerprint(built[0])


def test_other_seed_differs_and_replaces_existing_file_atomically(built, tmp_path):
    target = tmp_path / "other.duckdb"
    target.write_text("an older file")
    Path(f"{target}.tmp").write_text("a crashed build")
    calls: list[tuple[str, float]] = []
    summary = build_demo(target, events=3_000, seed=7, progress=lambda m, f: calls.append((m, f)))
    assert summary["rows"]["events"] == 3_000
    assert not Path(f"{target}.tmp").exists()
    assert _fingerprint(target)[0] != (3_000, _fingerprint(built[0])[0][1])
    with duckdb.connect(str(target), read_only=True) as c:
        first = c.execute("SELECT * FROM events ORDER BY event_id LIMIT 5").fetchall()
    with duckdb.connect(str(built[0]), read_only=True) as c:
        assert first != c.execute("SELECT * FROM events ORDER BY event_id LIMIT 5").fetchall()
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] >= 0.0
    assert all(isinstance(m, str) and m for m, _ in calls)


@pytest.mark.skipif(
    not os.environ.get("GOV_DEMO_FULL"),
    reason="builds the default 1M-event demo (~10 s); set GOV_DEMO_FULL=1 to run",
)
def test_default_demo_builds_within_a_minute(tmp_path):
    began = time.perf_counter()
    summary = build_demo(tmp_path / "full.duckdb")
    assert summary["rows"]["events"] == 1_000_000
    assert time.perf_counter() - began < 60
