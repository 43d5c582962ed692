"""Small databases of sparse or odd data: one day, three weeks, one street, no grids, grids
without geometry, no buildings, no deadlines, no handling types, no ratings, no coordinates,
nothing closed, events without a place, and a mix of placed and unplaced events.

Each case starts from one base district (two streets, four communities, sixteen grids with
outlines, buildings and a full-time worker each) and a list of events, and changes one thing.
``build(case, path)`` writes the case's DuckDB file through ``analytics.schema``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from analytics.schema import create_schema
from tests.conftest import import_row, insert

T = datetime
STREETS = {"S01": "甲街道", "S02": "乙街道"}
COMMUNITIES = {
    "S01C01": ("S01", "甲一社区"),
    "S01C02": ("S01", "甲二社区"),
    "S02C01": ("S02", "乙一社区"),
    "S02C02": ("S02", "乙二社区"),
}
GRIDS_PER_COMMUNITY = 4  # 16 grids: enough to calibrate the what-if model
SIZE = 0.01  # degrees: a grid is a square of about 1 km
CHANNELS = ("hotline", "patrol", "app", "visit", "online")
EVENT_TYPES = ("complaint", "petition", "request", "hazard", "consultation")
CATEGORIES = ("物业管理", "噪音扰民", "环境卫生", "矛盾纠纷", "消防安全")
BOARDS = ("livelihood", "safety", "livelihood", "safety", "economy")
HANDLING = ("immediate", "promised", "escalated", "joint")
SATISFACTION = ("satisfied", "basic", "dissatisfied", None)
LEVELS = ("grid", "community", "street", "district")


def _square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE], [lon, lat + SIZE], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def base_grids() -> list[dict]:
    """Sixteen grids: each community a row of four touching squares."""
    grids = []
    for row, (community, (street, _)) in enumerate(COMMUNITIES.items()):
        for k in range(GRIDS_PER_COMMUNITY):
            lon, lat = 106.50 + k * SIZE, 29.60 + row * SIZE
            grids.append(
                {
                    "grid_id": f"{community}G{k + 1:02d}",
                    "community_id": community,
                    "street_id": street,
                    "name": f"第{k + 1}网格",
                    "households": 300 + 50 * k,
                    "population": 800 + 120 * k,
                    "area_km2": 1.0,
                    "full_time_workers": 1,
                    "part_time_workers": 2,
                    "geometry": _square(lon, lat),
                    "centroid_lon": lon + SIZE / 2,
                    "centroid_lat": lat + SIZE / 2,
                }
            )
    return grids


def base_buildings(grids: list[dict]) -> list[dict]:
    """Two buildings inside each grid."""
    out = []
    for g in grids:
        lon, lat = g["centroid_lon"], g["centroid_lat"]
        for j, dx in enumerate((-0.002, 0.002)):
            out.append(
                {
                    "building_id": f"B{g['grid_id']}{j}",
                    "grid_id": g["grid_id"],
                    "community_id": g["community_id"],
                    "lon": lon + dx,
                    "lat": lat + dx,
                    "households": 150,
                }
            )
    return out


def make_events(times: list[datetime], grids: list[dict], last: datetime | None = None):
    """One event per report time, spread over the grids and the code lists. The lifecycle
    stays before ``last`` (when given): a stage that would fall after it has not happened."""
    events = []
    for i, reported in enumerate(times):
        g = grids[(i * 5) % len(grids)]
        accepted = reported + timedelta(minutes=20 + 37 * (i % 7))
        dispatched = accepted + timedelta(minutes=30)
        handled = dispatched + timedelta(hours=2 + i % 5)
        closed = handled + timedelta(hours=1 + 7 * (i % 4)) if i % 6 else None
        stages = [accepted, dispatched, handled, closed]
        if last is not None:
            stages = [s if s is not None and s <= last else None for s in stages]
            for k in range(1, len(stages)):  # no later stage without the earlier one
                if stages[k - 1] is None:
                    stages[k] = None
        accepted, dispatched, handled, closed = stages
        done = closed is not None
        events.append(
            {
                "event_id": f"E{i:04d}",
                "channel": CHANNELS[i % len(CHANNELS)],
                "event_type": EVENT_TYPES[i % len(EVENT_TYPES)],
                "category": CATEGORIES[(i // 2) % len(CATEGORIES)],
                "board": BOARDS[(i // 2) % len(BOARDS)],
                "grid_id": g["grid_id"],
                "community_id": g["community_id"],
                "street_id": g["street_id"],
                "lon": g["centroid_lon"] + 0.001 * (i % 3),
                "lat": g["centroid_lat"] - 0.001 * (i % 3),
                "reported_at": reported,
                "accepted_at": accepted,
                "dispatched_at": dispatched,
                "handled_at": handled,
                "closed_at": closed,
                "deadline_at": reported + timedelta(hours=6 + 12 * (i % 3)),
                "handling_type": HANDLING[i % len(HANDLING)],
                "resolved_level": LEVELS[i % len(LEVELS)] if done else None,
                "handler_unit": g["community_id"],
                "worker_id": f"W{g['grid_id']}",
                "satisfaction": SATISFACTION[i % len(SATISFACTION)] if done else None,
                "resolved": (i % 5 != 0) if done else None,
                "repeat_of": f"E{i - 5:04d}" if i % 9 == 8 else None,
                "reporter_name": "张三",
                "reporter_phone": "13812345678",
                "address": "甲街道某路12号",
                "description": "楼道堆物",
            }
        )
    return events


def every(start: datetime, days: int, per_day: int) -> list[datetime]:
    """``per_day`` report times (08:00 onwards, every 90 minutes) on each of ``days`` days."""
    return [
        start + timedelta(days=d, hours=8, minutes=90 * k)
        for d in range(days)
        for k in range(per_day)
    ]


@dataclass
class Case:
    """What goes into one database."""

    name: str
    events: list[dict]
    grids: list[dict] = field(default_factory=base_grids)
    streets: dict = field(default_factory=lambda: dict(STREETS))
    communities: dict = field(default_factory=lambda: dict(COMMUNITIES))
    buildings: list[dict] | None = None  # None: two per grid
    workers: bool = True


def _unplace(event: dict) -> dict:
    return event | {"grid_id": None, "community_id": None, "street_id": None}


def _with(events: list[dict], **values) -> list[dict]:
    return [e | values for e in events]


def _cases() -> dict[str, Case]:
    grids = base_grids()
    # Two months of data, three events a day: enough for every chart, small enough to be quick.
    base = make_events(every(T(2026, 1, 5), 70, 3), grids)
    one_day_last = T(2026, 3, 10, 23, 59)
    one_day = make_events(every(T(2026, 3, 10), 1, 10), grids, last=one_day_last)
    one_street = [g for g in grids if g["street_id"] == "S01"]
    cases = [
        Case("one_day", one_day),
        Case("three_weeks", make_events(every(T(2026, 3, 1), 21, 4), grids)),
        Case(
            "one_street",
            make_events(every(T(2026, 1, 5), 70, 3), one_street),
            grids=one_street,
            streets={"S01": STREETS["S01"]},
            communities={k: v for k, v in COMMUNITIES.items() if v[0] == "S01"},
        ),
        Case("no_grids", _with(base, grid_id=None), grids=[], buildings=[], workers=False),
        Case(
            "grids_without_geometry",
            base,
            grids=[
                g
                | dict.fromkeys(
                    (
                        "households",
                        "population",
                        "area_km2",
                        "full_time_workers",
                        "part_time_workers",
                        "geometry",
                        "centroid_lon",
                        "centroid_lat",
                    )
                )
                for g in grids
            ],  # fmt: skip
            buildings=[],
            workers=False,
        ),
        Case("no_buildings", base, buildings=[]),
        Case("no_deadlines", _with(base, deadline_at=None)),
        Case("no_handling_types", _with(base, handling_type=None)),
        Case("no_ratings", _with(base, satisfaction=None, resolved=None)),
        Case("no_coordinates", _with(base, lon=None, lat=None)),
        Case(
            "all_open",
            _with(
                base,
                handled_at=None,
                closed_at=None,
                resolved_level=None,
                satisfaction=None,
                resolved=None,
            ),
        ),  # fmt: skip
        Case("no_place", [_unplace(e) | {"lon": None, "lat": None} for e in base]),
        Case("mixed_place", [_unplace(e) if i % 4 == 0 else e for i, e in enumerate(base)]),
    ]
    return {c.name: c for c in cases}


CASES = _cases()
UNPLACED = {"no_place": 210, "mixed_place": 53}  # events without a grid in the two cases


def build(name: str, path: Path) -> Path:
    """The DuckDB file of case ``name`` at ``path``."""
    case = CASES[name]
    con = duckdb.connect(str(path))
    create_schema(con)
    units = [{"unit_id": "D", "parent_id": None, "level": "district", "name": "测试区"}]
    units += [
        {"unit_id": s, "parent_id": "D", "level": "street", "name": n}
        for s, n in case.streets.items()
    ]
    units += [
        {"unit_id": c, "parent_id": s, "level": "community", "name": n}
        for c, (s, n) in case.communities.items()
    ]
    insert(con, "org_units", units)
    insert(con, "grids", case.grids)
    buildings = base_buildings(case.grids) if case.buildings is None else case.buildings
    insert(con, "buildings", buildings)
    if case.workers:
        workers = [{"worker_id": f"W{g['grid_id']}", "grid_id": g["grid_id"]} for g in case.grids]
        insert(con, "workers", [w | {"role": "full_time", "name": "王小明"} for w in workers])
    insert(con, "events", case.events)
    insert(con, "imports", [import_row(name, "sparse", len(case.events), T(2026, 4, 1))])
    con.close()
    return path
