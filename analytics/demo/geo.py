"""Geography of the fictional demo district 渝兴区: streets, communities, grids and buildings.

Each level is a clipped Voronoi partition of its parent (seeds placed by density-weighted
k-means, so the urban core gets smaller units). Neighbouring grids carry the same vertices
along shared edges, so rounding to 6 decimals leaves no overlaps and no gaps.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from analytics import geo

DISTRICT_ID = "D"
DISTRICT_NAME = "渝兴区"
COORD_DECIMALS = 6
KM_PER_DEG_LAT = geo.KM_PER_DEG_LAT
KM_PER_DEG_LON = geo.km_per_deg_lon(29.6)  # the demo district's latitude

_CENTER = (106.500, 29.600)
_HALF_EXTENT = (0.060, 0.050)
_URBAN_CORE = (106.482, 29.607, 0.022)
_TOWN_CENTER = (106.541, 29.603, 0.007)

STREETS: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("S01", "龙湾街道", (106.468, 29.622)),
    ("S02", "桂园街道", (106.497, 29.629)),
    ("S03", "文星街道", (106.472, 29.585)),
    ("S04", "双凤街道", (106.503, 29.598)),
    ("S05", "青木镇", (106.541, 29.604)),
)
RURAL_STREET = "S05"
_COMMUNITIES_PER_STREET = {"S01": 6, "S02": 5, "S03": 5, "S04": 5, "S05": 4}

_URBAN_COMMUNITY_NAMES = (
    "桂花", "龙湾", "金竹", "翠湖", "滨江", "南城", "新民", "和平", "东风", "朝阳", "文峰",
    "书院", "锦绣", "幸福", "长乐", "紫荆", "玉带", "望江", "嘉陵", "枫林", "银杏", "凤鸣",
    "青云", "白鹤", "双碑", "石门",
)  # fmt: skip
_VILLAGE_NAMES = ("石桥", "柏林", "大坪", "黄桷", "梨树", "高峰", "团结", "白沙")
_ROAD_STEMS = (
    "建设", "人民", "解放", "新华", "民生", "兴盛", "学府", "金开", "龙腾", "春晖", "松林",
    "枫香", "北城", "南坪", "江北", "华新", "渝兴", "聚贤", "育才", "科园", "东环", "西环",
    "锦华", "百花", "明月", "云峰", "翠柏", "星光", "通江", "观音",
)  # fmt: skip
_ROAD_SUFFIXES = ("路", "路", "街", "大道", "支路", "巷")


@dataclass(frozen=True)
class District:
    """The demo district as table-ready frames plus per-building strings for event addresses."""

    org_units: pd.DataFrame
    grids: pd.DataFrame
    buildings: pd.DataFrame
    grid_urbanity: np.ndarray
    building_address: np.ndarray
    building_place: np.ndarray
    building_rural: np.ndarray
    extent: tuple[float, float, float, float]


def _density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    cx, cy, s = _URBAN_CORE
    tx, ty, ts = _TOWN_CENTER
    core = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
    town = 0.35 * np.exp(-((x - tx) ** 2 + (y - ty) ** 2) / (2 * ts * ts))
    return 0.12 + core + town


def _district_polygon(rng: np.random.Generator) -> Polygon:
    angles = np.sort(rng.uniform(0, 2 * np.pi, 28))
    radius = rng.uniform(0.9, 1.0, angles.size)
    x = _CENTER[0] + _HALF_EXTENT[0] * radius * np.cos(angles)
    y = _CENTER[1] + _HALF_EXTENT[1] * radius * np.sin(angles)
    return shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))


def _points_in(poly: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        pts = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * n, 64), 2))
        pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
        found.append(pts)
        count += len(pts)
    return np.concatenate(found)[:n]


def _weighted_seeds(poly: Polygon, k: int, rng: np.random.Generator) -> np.ndarray:
    """Seeds whose Voronoi cells hold equal population mass (k-means on density samples)."""
    samples = _points_in(poly, 4000, rng)
    weights = _density(samples[:, 0], samples[:, 1])
    seeds = samples[rng.choice(len(samples), size=k, replace=False, p=weights / weights.sum())]
    for _ in range(20):
        d2 = (samples[:, None, 0] - seeds[None, :, 0]) ** 2
        d2 += (samples[:, None, 1] - seeds[None, :, 1]) ** 2
        nearest = d2.argmin(axis=1)
        mass = np.bincount(nearest, weights=weights, minlength=k)
        for axis in (0, 1):
            moment = np.bincount(nearest, weights=weights * samples[:, axis], minlength=k)
            seeds[:, axis] = np.where(mass > 0, moment / np.maximum(mass, 1e-12), seeds[:, axis])
    order = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], 3)))
    return seeds[order]


def _partition(parent: Polygon, seeds: np.ndarray) -> list[Polygon]:
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    parts = [cell.intersection(parent) for cell in shapely.get_parts(cells)]
    if not all(isinstance(p, Polygon) and not p.is_empty for p in parts):
        raise RuntimeError("Voronoi partition produced a non-polygon cell")
    return parts


def _share_vertices(polys: list[Polygon], tol: float = 1e-9) -> list[Polygon]:
    """Insert into every ring the vertices of neighbours that lie on its edges (T-junctions)."""
    coords = np.unique(np.concatenate([np.asarray(p.exterior.coords) for p in polys]), axis=0)
    points = shapely.points(coords)
    tree = shapely.STRtree(points)
    shared = []
    for poly in polys:
        ring = shapely.LineString(poly.exterior.coords)
        own = np.asarray(poly.exterior.coords)[:-1]
        hits = tree.query(ring, predicate="dwithin", distance=tol)
        cand = coords[hits]
        if len(cand):
            gap = np.sqrt(((cand[:, None, :] - own[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
            cand = cand[gap > tol]
        if len(cand):
            allpts = np.concatenate([own, cand])
            pos = shapely.line_locate_point(ring, shapely.points(allpts))
            pos[: len(own)] = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(own, axis=0).T))])
            allpts = allpts[np.argsort(pos, kind="stable")]
            poly = Polygon(allpts)
        shared.append(poly)
    return shared


def _rounded(poly: Polygon) -> Polygon:
    ring = np.round(np.asarray(orient(poly, 1.0).exterior.coords), COORD_DECIMALS)
    keep = np.concatenate([[True], np.any(ring[1:] != ring[:-1], axis=1)])
    result = Polygon(ring[keep])
    if not result.is_valid:
        raise RuntimeError("rounding produced an invalid grid polygon")
    return result


def _geojson(poly: Polygon) -> str:
    ring = [[round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)] for x, y in poly.exterior.coords]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def _roads(rng: np.random.Generator, count: int) -> list[str]:
    stems = rng.choice(len(_ROAD_STEMS), size=count, replace=False)
    return [_ROAD_STEMS[s] + _ROAD_SUFFIXES[rng.integers(len(_ROAD_SUFFIXES))] for s in stems]


def _households(rng: np.random.Generator, urbanity: float) -> int:
    median = 260 + 420 * urbanity
    while True:
        value = int(round(median * math.exp(rng.normal(0, 0.38))))
        if 150 <= value <= 900:
            return value


def _split_households(rng: np.random.Generator, total: int, buildings: int) -> np.ndarray:
    """Households per building: 1..4 each, summing exactly to ``total``."""
    extra = rng.choice(3 * buildings, size=total - buildings, replace=False) // 3
    return 1 + np.bincount(extra, minlength=buildings)


def _building_points(poly: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    inner = poly.buffer(-2e-5)
    size = math.sqrt(poly.area)
    centers = _points_in(inner, max(2, n // 70), rng)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        m = 2 * (n - count) + 16
        pick = centers[rng.integers(len(centers), size=m)]
        clustered = pick + rng.normal(0, 0.12 * size, size=(m, 2))
        pts = np.round(np.concatenate([clustered, _points_in(inner, m // 5, rng)]), COORD_DECIMALS)
        pts = pts[rng.permutation(len(pts))]
        pts = pts[shapely.contains_xy(inner, pts[:, 0], pts[:, 1])]
        found.append(pts)
        count += len(pts)
    return np.concatenate(found)[:n]


def build_district(rng: np.random.Generator, buildings_target: int = 50_000) -> District:
    """Lay out 渝兴区: 5 streets, 25 communities/villages, ~150 grids and ~50k buildings."""
    district = _district_polygon(rng)
    street_seeds = np.array([s[2] for s in STREETS]) + rng.normal(0, 0.002, (len(STREETS), 2))
    street_polys = _partition(district, street_seeds)

    org_rows = [(DISTRICT_ID, None, "district", DISTRICT_NAME)]
    urban_names = iter(rng.permutation(_URBAN_COMMUNITY_NAMES))
    village_names = iter(rng.permutation(_VILLAGE_NAMES))
    communities: list[tuple[str, str, str, Polygon, bool]] = []
    for (street_id, street_name, _), street_poly in zip(STREETS, street_polys, strict=True):
        org_rows.append((street_id, DISTRICT_ID, "street", street_name))
        count = _COMMUNITIES_PER_STREET[street_id]
        seeds = _weighted_seeds(street_poly, count, rng)
        town = np.hypot(seeds[:, 0] - _TOWN_CENTER[0], seeds[:, 1] - _TOWN_CENTER[1]).argmin()
        for i, poly in enumerate(_partition(street_poly, seeds), start=1):
            rural = street_id == RURAL_STREET and i != town + 1
            name = f"{next(village_names)}村" if rural else f"{next(urban_names)}社区"
            community_id = f"{street_id}C{i:02d}"
            org_rows.append((community_id, street_id, "community", name))
            communities.append((community_id, street_id, name, poly, rural))

    grid_meta: list[tuple[str, str, str, str, bool]] = []
    raw_polys: list[Polygon] = []
    for community_id, street_id, _, poly, rural in communities:
        if rural:
            count = int(rng.integers(3, 6))
        elif street_id == RURAL_STREET:
            count = int(rng.integers(4, 7))
        else:
            count = int(rng.integers(5, 9))
        seeds = _weighted_seeds(poly, count, rng)
        for j, cell in enumerate(_partition(poly, seeds), start=1):
            grid_meta.append(
                (f"{community_id}G{j:02d}", community_id, street_id, f"第{j}网格", rural)
            )
            raw_polys.append(cell)
    polys = [_rounded(p) for p in _share_vertices(raw_polys)]

    centroids = shapely.centroid(polys)
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    dens = _density(cx, cy)
    urbanity = np.clip((dens - dens.min()) / (dens.max() - dens.min()), 0, 1)
    households = np.array([_households(rng, u) for u in urbanity])
    per_building = households.sum() / buildings_target
    n_buildings = np.clip(
        np.round(households / (per_building * rng.uniform(0.85, 1.15, len(polys)))),
        np.ceil(households / 4),
        households,
    ).astype(int)

    community_names = {c[0]: c[2] for c in communities}
    street_names = {s[0]: s[1] for s in STREETS}
    community_roads = {c[0]: _roads(rng, 5) for c in communities}
    b_grid, b_xy, b_hh, b_addr, b_place, b_rural = [], [], [], [], [], []
    for g, ((_, community_id, street_id, _, rural), poly) in enumerate(
        zip(grid_meta, polys, strict=True)
    ):
        n = int(n_buildings[g])
        b_grid.append(np.full(n, g))
        b_xy.append(_building_points(poly, n, rng))
        b_hh.append(_split_households(rng, int(households[g]), n))
        prefix = street_names[street_id] + community_names[community_id]
        roads = community_roads[community_id]
        road_idx = rng.integers(len(roads), size=n)
        numbers = rng.integers(1, 300, size=n)
        for k in range(n):
            if rural:
                group = f"{int(road_idx[k]) + 1}组"
                b_addr.append(f"{prefix}{group}{numbers[k]}号")
                place = community_names[community_id] + group  # 石桥村3组, as texts name it
            else:
                place = roads[road_idx[k]]
                b_addr.append(f"{prefix}{place}{numbers[k]}号{k % 24 + 1}栋")
            b_place.append(place)
        b_rural.append(np.full(n, rural))

    xy = np.concatenate(b_xy)
    buildings = pd.DataFrame(
        {
            "building_id": [f"B{i:06d}" for i in range(1, len(xy) + 1)],
            "grid_id": [grid_meta[g][0] for g in np.concatenate(b_grid)],
            "community_id": [grid_meta[g][1] for g in np.concatenate(b_grid)],
            "lon": xy[:, 0],
            "lat": xy[:, 1],
            "households": np.concatenate(b_hh).astype(np.int32),
        }
    )
    areas = shapely.area(polys) * KM_PER_DEG_LON * KM_PER_DEG_LAT
    grids = pd.DataFrame(
        {
            "grid_id": [m[0] for m in grid_meta],
            "community_id": [m[1] for m in grid_meta],
            "street_id": [m[2] for m in grid_meta],
            "name": [m[3] for m in grid_meta],
            "households": households.astype(np.int32),
            "population": np.round(households * rng.uniform(2.3, 2.9, len(polys))).astype(np.int32),
            "area_km2": np.round(areas, 4),
            "full_time_workers": 0,
            "part_time_workers": 0,
            "geometry": [_geojson(p) for p in polys],
            "centroid_lon": np.round(cx, COORD_DECIMALS),
            "centroid_lat": np.round(cy, COORD_DECIMALS),
        }
    )
    org_units = pd.DataFrame(org_rows, columns=["unit_id", "parent_id", "level", "name"])
    return District(
        org_units=org_units,
        grids=grids,
        buildings=buildings,
        grid_urbanity=urbanity,
        building_address=np.array(b_addr, dtype=object),
        building_place=np.array(b_place, dtype=object),
        building_rural=np.concatenate(b_rural),
        extent=tuple(shapely.bounds(shapely.union_all(polys)).tolist()),
    )
