"""Re-partitioning buildings into grids: a hand-checkable lattice district, awkward shapes,
and the demo street S01."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely

from analytics.planning import partition
from tests.conftest import query

# ---------------------------------------------------------------- lattice district
#
# Two square communities A (lon 106.50-106.51) and B (lon 106.51-106.52), lat 29.60-29.61,
# each with a 10 x 10 lattice of buildings of 2 households (200 households per community).
# A has three current grids by column: G1 = columns 0-1 (40 hh), G2 = columns 2-3 (40 hh),
# G3 = columns 4-9 (120 hh); B is one grid of 200 households. In km a community is taller
# (1.106) than wide (0.968), so a two-way cut is north/south along rows.


def _box(lon1: float, lat1: float, lon2: float, lat2: float) -> str:
    ring = [[lon1, lat1], [lon2, lat1], [lon2, lat2], [lon1, lat2], [lon1, lat1]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _grid_of(community: str, column: int) -> str:
    if community == "B":
        return "B-G1"
    return "A-G1" if column < 2 else "A-G2" if column < 4 else "A-G3"


def lattice() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        (
            f"{community}{i}{j}",
            _grid_of(community, i),
            community,
            round(west + 0.0005 + 0.001 * i, 6),
            round(29.6005 + 0.001 * j, 6),
            2,
        )
        for community, west in (("A", 106.50), ("B", 106.51))
        for i in range(10)
        for j in range(10)
    ]
    buildings = pd.DataFrame(
        rows, columns=["building_id", "grid_id", "community_id", "lon", "lat", "households"]
    )
    grids = pd.DataFrame(
        [
            ("A-G1", "A", _box(106.500, 29.60, 106.502, 29.61)),
            ("A-G2", "A", _box(106.502, 29.60, 106.504, 29.61)),
            ("A-G3", "A", _box(106.504, 29.60, 106.510, 29.61)),
            ("B-G1", "B", _box(106.510, 29.60, 106.520, 29.61)),
        ],
        columns=["grid_id", "community_id", "geometry"],
    )
    return buildings, grids


def shape(geojson: str):
    return shapely.from_geojson(geojson)


def same_area(a, b, rel: float = 1e-4) -> bool:
    """Two polygons cover the same ground (symmetric difference tiny relative to area)."""
    return shapely.area(shapely.symmetric_difference(a, b)) <= rel * shapely.area(b)


def by_id(plan: partition.Plan) -> pd.DataFrame:
    return plan.grids.set_index("new_grid_id")


def assert_sound(plan: partition.Plan, buildings: pd.DataFrame, grids: pd.DataFrame) -> None:
    """Completeness, nesting, contiguity and tiling, true of every plan."""
    a = plan.assignment
    assert list(a["building_id"]) == list(buildings["building_id"])
    assert list(a["old_grid_id"]) == list(buildings["grid_id"])
    assert set(a["new_grid_id"]) <= set(plan.grids["new_grid_id"])
    assert (a.groupby("new_grid_id")["community_id"].nunique() == 1).all()
    home = a.groupby("new_grid_id")["community_id"].first()
    assert (home == by_id(plan).loc[home.index, "community_id"]).all()

    drawn = shapely.from_geojson(plan.grids["geometry"].to_numpy(dtype=str))
    assert (shapely.get_type_id(drawn) == 3).all(), "every grid is one Polygon"
    assert shapely.is_valid(drawn).all()
    assert plan.stats["all_contiguous"] is True
    old = shapely.from_geojson(grids["geometry"].to_numpy(dtype=str))
    for community in grids["community_id"].unique():
        outline = shapely.union_all(old[grids["community_id"].to_numpy() == community])
        mine = drawn[plan.grids["community_id"].to_numpy() == community]
        assert abs(shapely.union_all(mine).area - outline.area) <= 0.01 * outline.area
        assert abs(shapely.area(mine).sum() - outline.area) <= 0.01 * outline.area, "overlap"
        outside = shapely.area(shapely.difference(mine, outline)).sum()
        assert outside <= 1e-4 * outline.area

    polygon = dict(zip(plan.grids["new_grid_id"], drawn, strict=True))
    own = np.array([polygon[g] for g in a["new_grid_id"]], dtype=object)
    points = shapely.points(buildings["lon"].to_numpy(), buildings["lat"].to_numpy())
    assert shapely.dwithin(own, points, 1e-6).all(), "every building lies in its new grid"

    hh = plan.grids["households"].to_numpy(dtype=float)
    assert plan.grids["households"].sum() == buildings["households"].sum()
    assert plan.grids["buildings"].sum() == len(buildings)
    assert plan.stats["n_grids"] == len(plan.grids)
    assert plan.stats["households_cv"] == pytest.approx(hh.std() / hh.mean())
    assert plan.stats["households_max_min_ratio"] == pytest.approx(hh.max() / hh.min())
    assert plan.stats["min_compactness"] == pytest.approx(plan.grids["compactness"].min())
    assert 0 < plan.stats["min_compactness"] <= plan.stats["mean_compactness"] <= 1


def kept_share(plan: partition.Plan) -> float:
    continued = plan.assignment["new_grid_id"].map(by_id(plan)["kept_from"])
    return float((continued == plan.assignment["old_grid_id"]).mean())


def test_fresh_lattice_cuts_each_community_into_north_and_south_halves():
    buildings, grids = lattice()
    plan = partition.repartition(buildings, grids, households_per_grid=100)
    assert_sound(plan, buildings, grids)
    g = by_id(plan)
    assert list(g.index) == ["A-N01", "A-N02", "B-N01", "B-N02"]
    assert list(g["households"]) == [100] * 4
    assert list(g["buildings"]) == [50] * 4
    north = plan.assignment["building_id"].str[2].astype(int) >= 5
    expected = plan.assignment["community_id"] + np.where(north, "-N01", "-N02")
    assert (plan.assignment["new_grid_id"] == expected).all()
    assert same_area(shape(g.loc["A-N01", "geometry"]), shape(_box(106.50, 29.605, 106.51, 29.61)))
    assert same_area(shape(g.loc["B-N02", "geometry"]), shape(_box(106.51, 29.60, 106.52, 29.605)))

    width = 0.01 * 111.320 * math.cos(math.radians(29.605))
    height = 0.005 * 110.574
    polsby_popper = 4 * math.pi * width * height / (2 * (width + height)) ** 2
    assert g["compactness"].to_numpy() == pytest.approx([polsby_popper] * 4, rel=1e-3)

    # A-N01 holds 30 of A-G3's buildings (a majority of its 50), B-N01 all 50 of B-G1's
    # first half; their twins find their old grid already continued.
    assert g["kept_from"].to_dict() == {
        "A-N01": "A-G3",
        "A-N02": None,
        "B-N01": "B-G1",
        "B-N02": None,
    }
    assert plan.stats["kept_share"] == pytest.approx(80 / 200) == kept_share(plan)
    assert plan.stats["households_cv"] == 0
    assert plan.stats["households_max_min_ratio"] == 1


def test_n_grids_is_shared_out_by_largest_remainder_and_honoured_exactly():
    buildings, grids = lattice()
    plan = partition.repartition(buildings, grids, n_grids=5)
    assert_sound(plan, buildings, grids)
    assert plan.stats["n_grids"] == 5
    assert plan.grids.groupby("community_id").size().to_dict() == {"A": 3, "B": 2}
    a = plan.grids.loc[plan.grids["community_id"] == "A", "households"]
    assert a.sum() == 200 and a.max() - a.min() <= 2


def test_exactly_one_target_must_be_given():
    buildings, grids = lattice()
    with pytest.raises(ValueError, match="只指定一项"):
        partition.repartition(buildings, grids)
    with pytest.raises(ValueError, match="只指定一项"):
        partition.repartition(buildings, grids, households_per_grid=100, n_grids=4)
    with pytest.raises(ValueError, match="不能少于社区数"):
        partition.repartition(buildings, grids, n_grids=1)
    with pytest.raises(ValueError, match="大于 0"):
        partition.repartition(buildings, grids, households_per_grid=0)


def test_least_change_keeps_in_band_grids_merges_small_ones_and_splits_big_ones():
    buildings, grids = lattice()
    plan = partition.repartition(buildings, grids, households_per_grid=100, least_change=True)
    assert_sound(plan, buildings, grids)
    g = by_id(plan)
    # band 75..125: G1 (40) merges with its smallest neighbour G2 (40) -> 80 (tie: G1 keeps
    # its id); G3 (120) stays; B-G1 (200) splits in round(200/100) = 2, north half keeps the id.
    assert g["households"].to_dict() == {"A-G1": 80, "A-G3": 120, "B-G1": 100, "B-N01": 100}
    assert g["kept_from"].to_dict() == {
        "A-G1": "A-G1",
        "A-G3": "A-G3",
        "B-G1": "B-G1",
        "B-N01": None,
    }
    assert same_area(shape(g.loc["A-G1", "geometry"]), shape(_box(106.50, 29.60, 106.504, 29.61)))
    assert same_area(shape(g.loc["A-G3", "geometry"]), shape(grids.geometry[2]), rel=1e-9)
    assert same_area(shape(g.loc["B-G1", "geometry"]), shape(_box(106.51, 29.605, 106.52, 29.61)))
    assert plan.stats["kept_share"] == pytest.approx((20 + 60 + 50) / 200) == kept_share(plan)
    fresh = partition.repartition(buildings, grids, households_per_grid=100)
    assert plan.stats["kept_share"] > fresh.stats["kept_share"]


def test_least_change_leaves_a_small_grid_alone_when_merging_would_overshoot():
    buildings, grids = lattice()
    plan = partition.repartition(
        buildings, grids, households_per_grid=60, tolerance=0.25, least_change=True
    )
    g = by_id(plan)
    # band 45..75: G1 (40) + smallest neighbour G2 (40) = 80 > 75, so both stay as they are.
    assert g.loc["A-G1", "households"] == 40 and g.loc["A-G2", "households"] == 40
    assert g.loc["A-G1", "kept_from"] == "A-G1"
    # G3 (120) splits in 2, B-G1 (200) in round(200/60) = 3.
    assert plan.grids.groupby("community_id").size().to_dict() == {"A": 4, "B": 3}
    assert_sound(plan, buildings, grids)


def test_split_grid_adds_one_grid_and_leaves_the_others_alone():
    buildings, grids = lattice()
    plan = partition.split_grid(buildings, grids, "B-G1")
    assert_sound(plan, buildings, grids)
    g = by_id(plan)
    assert plan.stats["n_grids"] == len(grids) + 1
    assert g.loc[["B-G1", "B-N01"], "households"].tolist() == [100, 100]
    assert same_area(shape(g.loc["B-G1", "geometry"]), shape(_box(106.51, 29.605, 106.52, 29.61)))
    in_a = plan.assignment["community_id"] == "A"
    assert (plan.assignment.loc[in_a, "new_grid_id"] == buildings.loc[in_a, "grid_id"]).all()
    for i, gid in enumerate(["A-G1", "A-G2", "A-G3"]):
        assert same_area(shape(g.loc[gid, "geometry"]), shape(grids.geometry[i]), rel=1e-9)
    assert plan.stats["kept_share"] == pytest.approx(150 / 200)
    with pytest.raises(ValueError, match="不在当前范围内"):
        partition.split_grid(buildings, grids, "X-G9")


def test_split_edits_can_be_chained_without_id_clashes():
    buildings, grids = lattice()
    first = partition.split_grid(buildings, grids, "B-G1")
    again = partition.split_grid(*partition.plan_inputs(first, buildings), "B-G1")
    assert list(by_id(again).index) == ["A-G1", "A-G2", "A-G3", "B-G1", "B-N01", "B-N02"]
    assert by_id(again)["households"].to_dict()["B-N01"] == 100


def test_merge_grids_joins_neighbours_and_rejects_the_rest():
    buildings, grids = lattice()
    plan = partition.merge_grids(buildings, grids, "A-G1", "A-G2")
    assert_sound(plan, buildings, grids)
    g = by_id(plan)
    assert plan.stats["n_grids"] == len(grids) - 1
    assert g["households"].to_dict() == {"A-G1": 80, "A-G3": 120, "B-G1": 200}
    assert same_area(shape(g.loc["A-G1", "geometry"]), shape(_box(106.50, 29.60, 106.504, 29.61)))
    assert list(by_id(partition.merge_grids(buildings, grids, "A-G3", "A-G2")).index) == [
        "A-G1",
        "A-G3",
        "B-G1",
    ], "the grid with more households keeps its id"
    with pytest.raises(ValueError, match="不相邻"):
        partition.merge_grids(buildings, grids, "A-G1", "A-G3")
    with pytest.raises(ValueError, match="不属于同一社区"):
        partition.merge_grids(buildings, grids, "A-G3", "B-G1")
    with pytest.raises(ValueError, match="自身"):
        partition.merge_grids(buildings, grids, "A-G1", "A-G1")


def test_current_plan_reproduces_the_current_grids():
    buildings, grids = lattice()
    plan = partition.current_plan(buildings, grids)
    assert_sound(plan, buildings, grids)
    g = by_id(plan)
    assert g["households"].to_dict() == {"A-G1": 40, "A-G2": 40, "A-G3": 120, "B-G1": 200}
    assert (g["kept_from"] == g.index).all()
    assert (plan.assignment["new_grid_id"] == buildings["grid_id"]).all()
    for gid, geojson in zip(grids["grid_id"], grids["geometry"], strict=True):
        assert shape(g.loc[gid, "geometry"]).equals(shape(geojson))
    assert plan.stats["kept_share"] == 1
    assert plan.stats["households_max_min_ratio"] == 5
    assert plan.stats["households_cv"] == pytest.approx(math.sqrt(4400) / 100)


def test_results_do_not_depend_on_input_order():
    buildings, grids = lattice()
    plan = partition.repartition(buildings, grids, n_grids=5)
    shuffled = buildings.sample(frac=1, random_state=3).reset_index(drop=True)
    other = partition.repartition(shuffled, grids.iloc[::-1], n_grids=5)
    assert list(other.assignment["building_id"]) == list(shuffled["building_id"])
    mapping = plan.assignment.set_index("building_id")["new_grid_id"]
    assert (
        other.assignment.set_index("building_id")["new_grid_id"]
        == mapping.loc[shuffled["building_id"]]
    ).all()
    pd.testing.assert_frame_equal(plan.grids, other.grids)


def test_buildings_at_the_same_spot_stay_together():
    buildings, grids = lattice()
    twin = buildings[buildings["building_id"] == "A55"].assign(building_id="A55b", households=3)
    buildings = pd.concat([buildings, twin], ignore_index=True)
    plan = partition.repartition(buildings, grids, households_per_grid=70)
    assert_sound(plan, buildings, grids)
    new = plan.assignment.set_index("building_id")["new_grid_id"]
    assert new["A55"] == new["A55b"]
    assert len(plan.assignment) == 201


def test_a_community_without_grid_polygons_falls_back_to_its_buildings_hull():
    buildings, grids = lattice()
    grids.loc[grids["community_id"] == "B", "geometry"] = None
    plan = partition.repartition(buildings, grids, households_per_grid=100)
    b = plan.grids[plan.grids["community_id"] == "B"]
    drawn = shapely.from_geojson(b["geometry"].to_numpy(dtype=str))
    assert (shapely.get_type_id(drawn) == 3).all() and list(b["households"]) == [100, 100]
    hull = shapely.convex_hull(
        shapely.multipoints(buildings.loc[buildings.community_id == "B", ["lon", "lat"]].to_numpy())
    )
    assert shapely.union_all(drawn).contains(hull)


def test_pieces_cut_off_by_a_concave_community_join_a_neighbouring_grid():
    # A U-shaped community: the Voronoi cell of the building high in the west arm also covers
    # the top of the east arm, which must not leave that grid in two pieces.
    u = shapely.difference(
        shapely.box(106.50, 29.60, 106.53, 29.63), shapely.box(106.51, 29.61, 106.52, 29.63)
    )
    grids = pd.DataFrame(
        {"grid_id": ["U-G1"], "community_id": ["U"], "geometry": [shapely.to_geojson(u)]}
    )
    buildings = pd.DataFrame(
        {
            "building_id": ["b1", "b2", "b3", "b4"],
            "grid_id": "U-G1",
            "community_id": "U",
            "lon": [106.505, 106.5051, 106.525, 106.515],
            "lat": [29.629, 29.628, 29.602, 29.602],
            "households": [5, 5, 5, 5],
        }
    )
    plan = partition.repartition(buildings, grids, n_grids=2)
    assert_sound(plan, buildings, grids)


def test_an_events_ceiling_gives_busy_areas_more_and_smaller_grids():
    buildings, grids = lattice()
    # community A's west half is three times as busy: A has 200 events a month, B 100
    west = (buildings["community_id"] == "A") & (buildings["building_id"].str[1].astype(int) < 5)
    buildings["events"] = np.where(west, 3.0, 1.0)
    plan = partition.repartition(buildings, grids, events_ceiling=60)
    assert_sound(plan, buildings, grids)
    # sized for 95 % of the ceiling on average: ceil(200 / 57) = 4 grids in A, 2 in B
    assert plan.grids.groupby("community_id").size().to_dict() == {"A": 4, "B": 2}
    events = buildings["events"].groupby(plan.assignment["new_grid_id"]).sum()
    assert events.max() <= 60
    mine = plan.assignment.assign(west=west)
    busy = mine.groupby("new_grid_id")["west"].mean()
    size = plan.grids.set_index("new_grid_id")["buildings"]
    assert size[busy > 0.5].max() < size[(busy < 0.5) & size.index.str.startswith("A")].min()
    with pytest.raises(ValueError, match="缺少列：events"):
        partition.repartition(buildings.drop(columns="events"), grids, events_ceiling=60)
    with pytest.raises(ValueError, match="只指定一项"):
        partition.repartition(buildings, grids, events_ceiling=60, n_grids=4)


def test_power_cells_split_at_the_bisector_moved_by_the_offsets():
    centres = np.array([[0.0, 0.0], [2.0, 0.0]])
    even = partition._power_cells(centres, np.zeros(2), (-1.0, -1.0, 3.0, 1.0))
    assert shapely.get_coordinates(even[0])[:, 0].max() == pytest.approx(1.0)
    assert shapely.get_coordinates(even[1])[:, 0].min() == pytest.approx(1.0)
    # |x|² − 2 = (x − 2)²  ⇒  x = 1.5: a larger offset grows the cell
    grown = partition._power_cells(centres, np.array([2.0, 0.0]), (-1.0, -1.0, 3.0, 1.0))
    assert shapely.get_coordinates(grown[0])[:, 0].max() == pytest.approx(1.5)
    assert shapely.area(shapely.intersection(grown[0], grown[1])) == pytest.approx(0.0)


def test_the_voronoi_fallback_still_draws_sound_balanced_plans(monkeypatch):
    monkeypatch.setattr(partition, "_power_groups", lambda *args: None)
    buildings, grids = lattice()
    plan = partition.repartition(buildings, grids, households_per_grid=100)
    assert_sound(plan, buildings, grids)
    assert list(plan.grids["households"]) == [100] * 4


def test_repair_moves_a_cut_off_part_to_the_group_it_borders():
    sites = np.array([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5]])
    pieces = partition._voronoi_pieces(shapely.box(0, 0, 3, 1), sites)
    labels, geoms = partition._repair(
        pieces.geoms, np.array([0, 1, 0])[pieces.site], np.array([3.0, 1.0, 2.0])[pieces.site], 2
    )
    assert labels[pieces.home].tolist() == [0, 1, 1]
    assert geoms[0].equals(shapely.box(0, 0, 1, 1)) and geoms[1].equals(shapely.box(1, 0, 3, 1))


# ---------------------------------------------------------------- the demo street S01


@pytest.fixture(scope="module")
def s01(demo_db):
    buildings = query(
        demo_db,
        "SELECT b.building_id, b.grid_id, b.community_id, b.lon, b.lat, b.households "
        "FROM buildings b JOIN grids g USING (grid_id) WHERE g.street_id = ? "
        "ORDER BY b.building_id",
        ["S01"],
    )
    grids = query(
        demo_db,
        "SELECT grid_id, community_id, households, geometry FROM grids WHERE street_id = ?",
        ["S01"],
    )
    median = float(buildings.groupby("grid_id")["households"].sum().median())
    return buildings, grids, median


@pytest.fixture(scope="module")
def s01_fresh(s01):
    buildings, grids, median = s01
    return partition.repartition(buildings, grids, households_per_grid=median)


@pytest.fixture(scope="module")
def s01_least(s01):
    buildings, grids, median = s01
    return partition.repartition(buildings, grids, households_per_grid=median, least_change=True)


def test_demo_fresh_plan_is_sound_and_balanced(s01, s01_fresh):
    buildings, grids, median = s01
    assert_sound(s01_fresh, buildings, grids)
    assert s01_fresh.stats["households_cv"] <= 0.15
    households = buildings.groupby("community_id")["households"].sum()
    expected = {c: max(1, math.floor(h / median + 0.5)) for c, h in households.items()}
    assert s01_fresh.grids.groupby("community_id").size().to_dict() == expected
    assert s01_fresh.grids["new_grid_id"].str.fullmatch(r"S01C\d\d-N\d\d").all()


def test_demo_fresh_grids_are_about_as_compact_as_todays(s01, s01_fresh):
    buildings, grids, _ = s01
    today = partition.current_plan(buildings, grids).stats
    assert s01_fresh.stats["mean_compactness"] >= 0.9 * today["mean_compactness"]
    assert s01_fresh.stats["min_compactness"] >= 0.45


def test_demo_n_grids_is_honoured_exactly(s01):
    buildings, grids, _ = s01
    plan = partition.repartition(buildings, grids, n_grids=37)
    assert plan.stats["n_grids"] == 37 == len(plan.grids)
    assert plan.stats["all_contiguous"] is True


def test_demo_plans_are_deterministic(s01, s01_fresh):
    buildings, grids, median = s01
    again = partition.repartition(buildings, grids, households_per_grid=median)
    pd.testing.assert_frame_equal(again.assignment, s01_fresh.assignment)
    pd.testing.assert_frame_equal(again.grids, s01_fresh.grids)
    assert again.stats == s01_fresh.stats


def test_demo_least_change_keeps_much_more_than_a_fresh_plan(s01, s01_fresh, s01_least):
    buildings, grids, median = s01
    assert_sound(s01_least, buildings, grids)
    assert s01_least.stats["kept_share"] >= s01_fresh.stats["kept_share"] + 0.2
    assert s01_least.stats["kept_share"] == pytest.approx(kept_share(s01_least))
    current = buildings.groupby("grid_id")["households"].sum()
    in_band = current[(current >= 0.75 * median) & (current <= 1.25 * median)].index
    new = by_id(s01_least)
    old = grids.set_index("grid_id")["geometry"]
    for gid in in_band:
        assert new.loc[gid, "households"] == current[gid]
        assert same_area(shape(new.loc[gid, "geometry"]), shape(old[gid]), rel=1e-9)


def test_demo_split_and_merge(s01):
    buildings, grids, _ = s01
    current = buildings.groupby("grid_id")["households"].sum()
    biggest = current.idxmax()
    plan = partition.split_grid(buildings, grids, biggest)
    assert_sound(plan, buildings, grids)
    assert plan.stats["n_grids"] == len(grids) + 1
    moved = plan.assignment["new_grid_id"] != plan.assignment["old_grid_id"]
    assert (plan.assignment.loc[moved, "old_grid_id"] == biggest).all()
    halves = by_id(plan).loc[
        [biggest, plan.assignment.loc[moved, "new_grid_id"].iloc[0]], "households"
    ]
    assert (
        halves.sum() == current[biggest]
        and abs(halves.iloc[0] - halves.iloc[1]) <= 0.05 * current[biggest]
    )

    geoms = dict(
        zip(
            grids["grid_id"],
            shapely.from_geojson(grids["geometry"].to_numpy(dtype=str)),
            strict=True,
        )
    )
    pairs = [
        (a, b)
        for a in sorted(geoms)
        for b in sorted(geoms)
        if a < b and a[:6] == b[:6] and geoms[a].intersection(geoms[b]).length > 1e-5
    ]
    a, b = pairs[0]
    merged = partition.merge_grids(buildings, grids, a, b)
    assert_sound(merged, buildings, grids)
    assert merged.stats["n_grids"] == len(grids) - 1
    keeper = a if current[a] >= current[b] else b
    assert by_id(merged).loc[keeper, "households"] == current[a] + current[b]
    far = next(c for c in sorted(geoms) if c[:6] == a[:6] and geoms[a].distance(geoms[c]) > 1e-4)
    with pytest.raises(ValueError, match="不相邻"):
        partition.merge_grids(buildings, grids, a, far)


def test_demo_current_plan_matches_the_grids_table(s01):
    buildings, grids, _ = s01
    plan = partition.current_plan(buildings, grids)
    assert_sound(plan, buildings, grids)
    assert plan.stats["kept_share"] == 1 and plan.stats["n_grids"] == len(grids)
    table = grids.set_index("grid_id")["households"]
    assert (by_id(plan)["households"] == table.loc[by_id(plan).index]).all()
