"""Re-partition buildings (楼栋) into grids: fresh plans, least-change plans and hand edits.

Answers "what if we re-drew our grids at N households each, as K grids, under a ceiling of
events a month, or split or merged grids?". New grids never cross a community. Each container
(a community, or the old grid when one grid is split) is cut into balanced groups of buildings
(households, or events under a ceiling) by recursive bisection; a balanced power diagram
started from those groups then makes them compact, and a new grid's polygon is its cell of the
diagram clipped to the container, so borders are straight. When the diagram leaves a group
empty or in pieces, or is clearly less balanced than the bisection, the polygons are instead
the unions of the Voronoi cells of each bisection group's buildings. Either way the new grids
tile their container without gaps or overlaps. Geometry work happens in a local
equirectangular projection in km; output is WGS-84 GeoJSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from analytics.geo import KM_PER_DEG_LAT, km_per_deg_lon

COORD_DECIMALS = 6

_ATOM_KM = 1e-6  # buildings closer than 1 mm are one site
_EDGE_KM = 1e-6  # borders within 1 mm of each other count as shared
_MIN_BORDER_KM = 1e-5  # a shared border shorter than 1 cm is a corner touch, not a neighbour
_DUST_KM2 = 1e-8  # polygon parts under 0.01 m² are numerical slivers
_HULL_BUFFER_KM = 0.05  # margin around buildings when a community has no grid polygons
_SNAP_KM = 1e-5  # snapping grid for merging two polygons separated by a hairline gap
_POWER_ROUNDS = 30  # Lloyd rounds of the balanced power diagram
_POWER_STEPS = 30  # offset adjustments per round
_POWER_BALANCE = 0.01  # households CV within a container at which a round counts as balanced
_POWER_CV_SLACK = 0.02  # the diagram may be this much less balanced than the bisection …
_POWER_CV_TOLERANCE = 0.05  # … or up to this CV, before the bisection's groups are kept
CEILING_FILL = 0.95  # under an events ceiling, grids are sized for this share of it on average,
#                      so that the small imbalance between grids stays under the ceiling

_BUILDING_COLUMNS = ("building_id", "grid_id", "community_id", "lon", "lat", "households")
_GRID_COLUMNS = ("grid_id", "community_id", "geometry")


@dataclass(frozen=True)
class Plan:
    """A partition of the buildings into grids, with per-grid figures and summary stats.

    ``assignment``: building_id, community_id, old_grid_id, new_grid_id, in input order.
    ``grids``: new_grid_id, community_id, households, buildings, geometry (GeoJSON, WGS-84),
    compactness (Polsby-Popper), kept_from (the old grid it continues, or None).
    ``stats``: n_grids, households_max_min_ratio, households_cv, kept_share, all_contiguous,
    min_compactness, mean_compactness.
    """

    assignment: pd.DataFrame
    grids: pd.DataFrame
    stats: dict


@dataclass
class _Scope:
    """Buildings sorted by id with projected coordinates, and current grid polygons in km."""

    buildings: pd.DataFrame
    xy: np.ndarray
    households: np.ndarray
    load: np.ndarray  # what grids are balanced on: households, or events under a ceiling
    grid_ids: list[str]
    grid_community: dict[str, str]
    grid_geom: dict[str, shapely.Geometry | None]
    lon0: float
    lat0: float
    kx: float
    _communities: dict[str, shapely.Geometry] = field(default_factory=dict)

    def to_km(self, geom):
        return shapely.transform(
            geom,
            lambda c: np.column_stack(
                [(c[:, 0] - self.lon0) * self.kx, (c[:, 1] - self.lat0) * KM_PER_DEG_LAT]
            ),
        )

    def to_deg(self, geom):
        return shapely.transform(
            geom,
            lambda c: np.column_stack(
                [c[:, 0] / self.kx + self.lon0, c[:, 1] / KM_PER_DEG_LAT + self.lat0]
            ),
        )

    def rows_of(self, column: str, value: str) -> np.ndarray:
        return np.flatnonzero(self.buildings[column].to_numpy(dtype=object) == value)

    def community_polygon(self, community_id: str):
        """Union of the community's current grid polygons, or a buffered hull of its buildings."""
        if community_id not in self._communities:
            parts = [
                g
                for gid, g in self.grid_geom.items()
                if g is not None and self.grid_community[gid] == community_id
            ]
            poly = _union(np.array(parts, dtype=object)) if parts else None
            if poly is None or poly.is_empty:
                poly = self.hull(self.rows_of("community_id", community_id))
            shapely.prepare(poly)
            self._communities[community_id] = poly
        return self._communities[community_id]

    def hull(self, rows: np.ndarray):
        return shapely.buffer(
            shapely.convex_hull(shapely.multipoints(self.xy[rows])), _HULL_BUFFER_KM
        )

    def require_known_grids(self) -> None:
        known = set(self.grid_ids)
        unknown = ~self.buildings["grid_id"].isin(known)
        if unknown.any():
            raise ValueError(f"有 {int(unknown.sum())} 栋楼所属网格不在网格表中")


def _prepare(buildings: pd.DataFrame, grids: pd.DataFrame, load: str | None = None) -> _Scope:
    """``load``: a buildings column (events a month) to balance on instead of households."""
    for frame, columns, label in (
        (buildings, _BUILDING_COLUMNS + ((load,) if load else ()), "楼栋"),
        (grids, _GRID_COLUMNS, "网格"),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{label}数据缺少列：{'、'.join(missing)}")
    if buildings.empty:
        raise ValueError("范围内没有楼栋，无法划分网格")
    b = pd.DataFrame(
        {
            "building_id": buildings["building_id"].astype(str).to_numpy(dtype=object),
            "grid_id": buildings["grid_id"].to_numpy(dtype=object),
            "community_id": buildings["community_id"].astype(str).to_numpy(dtype=object),
            "lon": pd.to_numeric(buildings["lon"]).to_numpy(dtype=float),
            "lat": pd.to_numeric(buildings["lat"]).to_numpy(dtype=float),
            "households": pd.to_numeric(buildings["households"]).fillna(0).clip(lower=0).to_numpy(),
            "load": pd.to_numeric(buildings[load or "households"])
            .fillna(0)
            .clip(lower=0)
            .to_numpy(dtype=float),
            "pos": np.arange(len(buildings)),
        }
    )
    if b["building_id"].duplicated().any():
        raise ValueError("楼栋编号重复，无法划分网格")
    if b[["lon", "lat"]].isna().any().any():
        raise ValueError("有楼栋缺少经纬度，无法划分网格")
    b = b.sort_values("building_id", kind="stable").reset_index(drop=True)
    lon0 = float((b["lon"].min() + b["lon"].max()) / 2)
    lat0 = float((b["lat"].min() + b["lat"].max()) / 2)
    kx = km_per_deg_lon(lat0)
    xy = np.column_stack(
        [(b["lon"].to_numpy() - lon0) * kx, (b["lat"].to_numpy() - lat0) * KM_PER_DEG_LAT]
    )

    g = grids.assign(grid_id=grids["grid_id"].astype(str)).sort_values("grid_id", kind="stable")
    if g["grid_id"].duplicated().any():
        raise ValueError("网格编号重复，无法划分网格")
    scope = _Scope(
        buildings=b,
        xy=xy,
        households=b["households"].to_numpy(dtype=np.int64),
        load=b["load"].to_numpy(dtype=float),
        grid_ids=g["grid_id"].tolist(),
        grid_community=dict(zip(g["grid_id"], g["community_id"].astype(str), strict=True)),
        grid_geom={},
        lon0=lon0,
        lat0=lat0,
        kx=kx,
    )
    text = g["geometry"].to_numpy(dtype=object)
    has = np.array([isinstance(t, str) and bool(t.strip()) for t in text], dtype=bool)
    geoms = np.full(len(text), None, dtype=object)
    if has.any():
        parsed = scope.to_km(shapely.from_geojson(text[has].astype(str)))
        bad = ~shapely.is_valid(parsed)
        parsed[bad] = shapely.make_valid(parsed[bad])
        geoms[has] = parsed
    scope.grid_geom = dict(zip(scope.grid_ids, geoms, strict=True))
    return scope


# ---------------------------------------------------------------- geometry helpers


def _solid_parts(geom) -> list:
    """Polygon parts of ``geom`` larger than numerical dust, largest first."""
    if geom is None or geom.is_empty:
        return []
    parts = shapely.get_parts(shapely.get_parts(geom))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > _DUST_KM2)]
    order = np.argsort(-shapely.area(parts), kind="stable")
    return list(parts[order])


def _union(geoms: np.ndarray):
    """Union of polygons that tile without overlap; drops slivers so one part stays a Polygon."""
    geoms = geoms[~shapely.is_empty(geoms)] if len(geoms) else geoms
    if len(geoms) == 0:
        return shapely.Polygon()
    if len(geoms) == 1:
        merged = geoms[0]
    else:
        merged = shapely.coverage_union_all(geoms)
        expected = float(shapely.area(geoms).sum())
        if not shapely.is_valid(merged) or abs(merged.area - expected) > 1e-9 * max(expected, 1.0):
            merged = shapely.union_all(geoms)
    parts = _solid_parts(merged)
    if len(parts) == 1:
        return parts[0]
    return shapely.multipolygons(parts) if parts else shapely.Polygon()


def _shared_border(geom, others: np.ndarray) -> np.ndarray:
    """Length (km) of ``geom``'s border that runs along each of ``others``."""
    lengths = np.zeros(len(others))
    near = np.array([o is not None and not o.is_empty for o in others], dtype=bool)
    if near.any():
        near[near] = shapely.dwithin(geom, others[near].astype(object), 2 * _EDGE_KM)
    if near.any():
        zone = shapely.buffer(shapely.boundary(others[near].astype(object)), _EDGE_KM)
        lengths[near] = shapely.length(shapely.intersection(shapely.boundary(geom), zone))
    return lengths


def _best_neighbour(part, others: np.ndarray) -> int | None:
    """Index of the geometry sharing the longest border with ``part``; None if none borders it
    (an island of a multi-part container cannot be joined to anything)."""
    if len(others) == 0:
        return None
    shared = _shared_border(part, others)
    return int(np.argmax(shared)) if shared.max() > _MIN_BORDER_KM else None


def _locate(parts: list, points: np.ndarray) -> np.ndarray:
    """Index of the part holding each point (the nearest part for points on no part)."""
    where = np.full(len(points), -1)
    for i, part in enumerate(parts):
        hit = (where < 0) & shapely.contains_xy(part, points[:, 0], points[:, 1])
        where[hit] = i
    lost = np.flatnonzero(where < 0)
    if len(lost):
        pts = shapely.points(points[lost])
        where[lost] = np.argmin(np.column_stack([shapely.distance(p, pts) for p in parts]), axis=1)
    return where


def _compactness(geom) -> float:
    """Polsby-Popper 4πA/P² of a km geometry: 1 for a disc, near 0 for a sliver."""
    if geom is None or geom.is_empty:
        return float("nan")
    perimeter = geom.length
    return float(4 * math.pi * geom.area / perimeter**2) if perimeter > 0 else float("nan")


# ---------------------------------------------------------------- partitioning a container


def _site_count(xy: np.ndarray) -> int:
    return len(np.unique(np.round(xy / _ATOM_KM).astype(np.int64), axis=0))


def _atoms(xy: np.ndarray, households: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct building sites (co-located buildings become one), their households, and the
    site of each building."""
    keys = np.round(xy / _ATOM_KM).astype(np.int64)
    sites, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    weight = np.bincount(inverse, weights=households, minlength=len(sites))
    return sites * _ATOM_KM, weight, inverse


def _principal_axis(xy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    centre = (xy * weight[:, None]).sum(axis=0) / weight.sum()
    d = xy - centre
    values, vectors = np.linalg.eigh((d * weight[:, None]).T @ d)
    axis = vectors[:, -1] if values[-1] > 0 else np.array([1.0, 0.0])
    return -axis if axis[0] < 0 or (axis[0] == 0 and axis[1] < 0) else axis


def _bisect(xy: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Recursive bisection into ``k`` groups of near-equal weight: each cut is perpendicular to
    the principal axis, at the weighted quantile that gives the halves floor(k/2):ceil(k/2)."""
    labels = np.zeros(len(xy), dtype=np.int64)
    stack = [(np.arange(len(xy)), k, 0)]
    while stack:
        idx, parts, first = stack.pop()
        if parts == 1:
            labels[idx] = first
            continue
        left = parts // 2
        w = weight[idx] if weight[idx].sum() > 0 else np.ones(len(idx))
        t = xy[idx] @ _principal_axis(xy[idx], w)
        order = np.lexsort((idx, t))
        cumulative = np.cumsum(w[order])
        cuts = np.arange(left, len(idx) - (parts - left) + 1)
        cut = cuts[np.argmin(np.abs(cumulative[cuts - 1] - cumulative[-1] * left / parts))]
        stack.append((idx[order[cut:]], parts - left, first + left))
        stack.append((idx[order[:cut]], left, first))
    return labels


def _cv(loads: np.ndarray) -> float:
    return float(loads.std() / loads.mean()) if loads.mean() > 0 else 0.0


def _weighted_centres(sites, weight, labels, k, previous=None) -> np.ndarray:
    total = np.bincount(labels, weights=weight, minlength=k)
    sums = np.column_stack(
        [np.bincount(labels, weights=weight * sites[:, i], minlength=k) for i in (0, 1)]
    )
    centres = sums / np.where(total > 0, total, 1.0)[:, None]
    if previous is not None:
        centres[total == 0] = previous[total == 0]
    return centres


def _balanced_power(
    sites: np.ndarray, weight: np.ndarray, labels: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Centres and additive offsets of a power diagram whose cells hold near-equal weight,
    a site going to the centre minimising |x − c|² − offset. Lloyd rounds move each centre
    to its group's centroid (compactness); between them the offsets are nudged until the
    weights balance (a heavy cell's offset falls, so it shrinks). Starts from ``labels``'
    centroids; keeps the last round that balanced within ``_POWER_BALANCE``, else the best."""
    target = weight.sum() / k
    extent = np.ptp(sites, axis=0)
    cell_area = max(float(extent[0] * extent[1]), float(extent.max()) ** 2 * 1e-3, 1e-12) / k
    centres = _weighted_centres(sites, weight, labels, k)
    offsets = np.zeros(k)
    best: tuple[tuple, np.ndarray, np.ndarray] = ((True, np.inf), centres, offsets)
    for round_ in range(_POWER_ROUNDS):
        step, previous = 0.5, np.inf
        for _ in range(_POWER_STEPS):
            cost = (centres**2).sum(axis=1)[None, :] - 2 * sites @ centres.T - offsets[None, :]
            group = np.argmin(cost, axis=1)
            loads = np.bincount(group, weights=weight, minlength=k)
            spread = _cv(loads)
            balanced = spread < _POWER_BALANCE
            rank = (not balanced, -round_ if balanced else spread)
            if rank < best[0]:
                best = (rank, centres.copy(), offsets.copy())
            if balanced:
                break
            if spread > previous:
                step *= 0.7
            previous = spread
            offsets = offsets - step * (loads - target) / target * cell_area
        moved = _weighted_centres(sites, weight, group, k, centres)
        shift = float(np.abs(moved - centres).max())
        centres = moved
        if shift < 1e-3 * math.sqrt(cell_area) and round_ >= 2:
            break
    return best[1], best[2]


def _clip_half_plane(ring: np.ndarray, normal: np.ndarray, bound: float) -> np.ndarray:
    """The part of convex polygon ``ring`` (vertices, not closed) where normal·x ≤ bound."""
    side = ring @ normal - bound
    out = []
    for i in range(len(ring)):
        j = (i + 1) % len(ring)
        if side[i] <= 0:
            out.append(ring[i])
        if (side[i] <= 0) != (side[j] <= 0):
            out.append(ring[i] + side[i] / (side[i] - side[j]) * (ring[j] - ring[i]))
    return np.array(out).reshape(-1, 2)


def _power_cells(centres: np.ndarray, offsets: np.ndarray, bounds: tuple) -> np.ndarray:
    """Each centre's power cell within ``bounds`` (grown by a margin), as convex polygons."""
    x0, y0, x1, y1 = bounds
    margin = max(x1 - x0, y1 - y0, 1e-3)
    box = np.array(
        [
            [x0 - margin, y0 - margin],
            [x1 + margin, y0 - margin],
            [x1 + margin, y1 + margin],
            [x0 - margin, y1 + margin],
        ]
    )
    norms = (centres**2).sum(axis=1)
    cells = np.empty(len(centres), dtype=object)
    for j in range(len(centres)):
        ring = box
        for m in range(len(centres)):
            if m != j and len(ring):
                normal = 2 * (centres[m] - centres[j])
                ring = _clip_half_plane(ring, normal, norms[m] - norms[j] - offsets[m] + offsets[j])
        cells[j] = shapely.Polygon(ring) if len(ring) >= 3 else shapely.Polygon()
    return cells


@dataclass(frozen=True)
class _Pieces:
    """Voronoi cells of the sites clipped to a container, exploded into single polygons."""

    geoms: np.ndarray
    site: np.ndarray  # the site whose cell each piece comes from
    home: np.ndarray  # per site: the piece holding the site (-1 if its cell misses the container)


def _voronoi_pieces(container, sites: np.ndarray) -> _Pieces:
    if len(sites) == 1:
        cells = np.array([container], dtype=object)
    else:
        diagram = shapely.voronoi_polygons(
            shapely.multipoints(sites), extend_to=container, ordered=True
        )
        cells = shapely.get_parts(diagram)
        if len(cells) != len(sites):
            raise RuntimeError("Voronoi diagram lost a building site")
        outside = ~shapely.within(cells, container)
        cells[outside] = shapely.intersection(cells[outside], container)
    parts, first = shapely.get_parts(cells, return_index=True)
    parts, second = shapely.get_parts(parts, return_index=True)
    site = first[second]
    area = shapely.area(parts)
    keep = (shapely.get_type_id(parts) == 3) & (area > _DUST_KM2)
    parts, site, area = parts[keep], site[keep], area[keep]
    holds = shapely.contains_xy(parts, sites[site, 0], sites[site, 1])
    order = np.lexsort((-area, ~holds, site))
    home = np.full(len(sites), -1)
    found, firsts = np.unique(site[order], return_index=True)
    home[found] = order[firsts]
    return _Pieces(parts, site, home)


def _repair(
    pieces: np.ndarray, labels: np.ndarray, mass: np.ndarray, k: int
) -> tuple[np.ndarray, list]:
    """Relabel pieces until every group is one polygon: the parts of a group other than the one
    holding most of its ``mass`` (per piece) go to the group they share the longest border with."""
    labels = labels.copy()
    geoms = [_union(pieces[labels == g]) for g in range(k)]
    stuck: set[int] = set()
    for _ in range(20 * k + 20):
        todo = next(
            (g for g in range(k) if g not in stuck and len(_solid_parts(geoms[g])) > 1), None
        )
        if todo is None:
            break
        parts = _solid_parts(geoms[todo])
        members = np.flatnonzero(labels == todo)
        reps = shapely.get_coordinates(shapely.point_on_surface(pieces[members]))
        where = _locate(parts, reps)
        held = np.bincount(where, weights=mass[members], minlength=len(parts))
        main = max(range(len(parts)), key=lambda i: (held[i], parts[i].area, -i))
        others = np.array([h for h in range(k) if h != todo])
        changed = set()
        for i, part in enumerate(parts):
            target = (
                None
                if i == main
                else _best_neighbour(part, np.array([geoms[h] for h in others], dtype=object))
            )
            if target is not None:
                labels[members[where == i]] = others[target]
                changed.add(int(others[target]))
        if not changed:
            stuck.add(todo)
            continue
        for g in (todo, *sorted(changed)):
            geoms[g] = _union(pieces[labels == g])
    return labels, geoms


def _voronoi_groups(container, sites: np.ndarray, weight: np.ndarray, labels: np.ndarray, k: int):
    """Groups drawn as unions of their sites' Voronoi cells: always possible, but the borders
    zigzag between sites."""
    pieces = _voronoi_pieces(container, sites)
    is_home = np.zeros(len(pieces.geoms), dtype=bool)
    is_home[pieces.home[pieces.home >= 0]] = True
    mass = np.where(is_home, weight[pieces.site], 0.0)
    piece_labels, geoms = _repair(pieces.geoms, labels[pieces.site], mass, k)
    labels = labels.copy()
    placed = pieces.home >= 0
    labels[placed] = piece_labels[pieces.home[placed]]
    return labels, geoms


def _power_groups(container, sites: np.ndarray, weight: np.ndarray, start: np.ndarray, k: int):
    """Groups drawn as cells of a balanced power diagram clipped to the container: straight
    borders and convex cells wherever the container is convex. None when a group comes out
    empty or less balanced than ``start`` (the caller then draws Voronoi unions)."""
    w = weight if weight.sum() > 0 else np.ones(len(sites))  # weights are ≥ 0 (_prepare)
    centres, offsets = _balanced_power(sites, w, start, k)
    cells = shapely.intersection(_power_cells(centres, offsets, container.bounds), container)
    parts, cell = shapely.get_parts(cells, return_index=True)
    solid = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > _DUST_KM2)
    parts, cell = parts[solid], cell[solid]
    if len(parts) == 0:
        return None
    where = _locate(list(parts), sites)
    mass = np.bincount(where, weights=w, minlength=len(parts)) + 1e-9 * np.bincount(
        where, minlength=len(parts)
    )
    piece_labels, geoms = _repair(parts, cell, mass, k)
    labels = piece_labels[where]
    loads = np.bincount(labels, weights=w, minlength=k)
    if (np.bincount(labels, minlength=k) == 0).any() or any(
        len(_solid_parts(g)) != 1 for g in geoms
    ):
        return None
    before = np.bincount(start, weights=w, minlength=k)
    if _cv(loads) > max(_cv(before) + _POWER_CV_SLACK, _POWER_CV_TOLERANCE):
        return None
    return labels, geoms


def _partition_container(
    container, xy: np.ndarray, households: np.ndarray, k: int
) -> tuple[np.ndarray, list]:
    """Split the buildings inside ``container`` into ``k`` balanced contiguous groups; returns a
    group label per building and each group's polygon (km). Recursive bisection gives balanced
    groups, a balanced power diagram started from them makes the groups compact, and Voronoi
    unions of the bisection's groups are the fallback when the diagram fails."""
    sites, weight, inverse = _atoms(xy, households)
    k = max(1, min(k, len(sites)))
    if k == 1:
        return np.zeros(len(xy), dtype=np.int64), [_union(np.array([container], dtype=object))]
    start = _bisect(sites, weight, k)
    drawn = _power_groups(container, sites, weight, start, k)
    site_labels, geoms = (
        drawn if drawn is not None else _voronoi_groups(container, sites, weight, start, k)
    )
    return site_labels[inverse], geoms


def _centres(xy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.array([xy[labels == g].mean(axis=0) for g in range(k)])


def _spatial_order(geoms: list, fallback: np.ndarray) -> np.ndarray:
    """Group indices ordered north to south, then west to east, by polygon centroid (or by
    ``fallback`` centres for groups without a polygon)."""
    centres = np.array(fallback, dtype=float)
    for i, geom in enumerate(geoms):
        if geom is not None and not geom.is_empty:
            centres[i] = shapely.get_coordinates(geom.centroid)[0]
    return np.lexsort((np.round(centres[:, 0], 6), -np.round(centres[:, 1], 6)))


def _fresh_ids(community_id: str, count: int, used: set[str]) -> list[str]:
    ids, i = [], 0
    while len(ids) < count:
        i += 1
        candidate = f"{community_id}-N{i:02d}"
        if candidate not in used:
            ids.append(candidate)
            used.add(candidate)
    return ids


# ---------------------------------------------------------------- plan assembly


def _to_geojson(geom_deg) -> str | None:
    if geom_deg is None or geom_deg.is_empty:
        return None

    def rings(poly) -> list:
        out = [np.round(shapely.get_coordinates(poly.exterior), COORD_DECIMALS).tolist()]
        out += [
            np.round(shapely.get_coordinates(r), COORD_DECIMALS).tolist() for r in poly.interiors
        ]
        return out

    if geom_deg.geom_type == "Polygon":
        doc = {"type": "Polygon", "coordinates": rings(geom_deg)}
    else:
        doc = {"type": "MultiPolygon", "coordinates": [rings(p) for p in _solid_parts(geom_deg)]}
    return json.dumps(doc, separators=(",", ":"))


def _match_kept(old: np.ndarray, new: np.ndarray) -> dict[str, str]:
    """Each new grid continues the old grid holding most of its buildings, if that is a
    majority; one old grid is continued by at most one new grid (greedy, biggest overlap first)."""
    frame = pd.DataFrame({"old": old, "new": new}, dtype=object)
    size = frame.groupby("new").size()
    pairs = frame.dropna().groupby(["new", "old"]).size().reset_index(name="n")
    pairs = pairs.sort_values(["n", "new", "old"], ascending=[False, True, True], kind="stable")
    kept: dict[str, str] = {}
    taken: set[str] = set()
    for new_id, old_id, n in pairs.itertuples(index=False):
        if new_id not in kept and old_id not in taken and 2 * n > size[new_id]:
            kept[new_id] = old_id
            taken.add(old_id)
    return kept


def _build_plan(
    scope: _Scope,
    new_ids: np.ndarray,
    geoms: dict[str, shapely.Geometry | None],
    community: dict[str, str],
    kept_from: dict[str, str | None],
) -> Plan:
    b = scope.buildings
    ids = sorted(geoms, key=lambda g: (community[g], g))
    frame = pd.DataFrame({"new": new_ids, "hh": scope.households}, dtype=object)
    households = frame.groupby("new")["hh"].sum()
    counts = frame.groupby("new").size()
    km = np.array([geoms[g] for g in ids], dtype=object)
    present = np.array([g is not None and not g.is_empty for g in km], dtype=bool)
    deg = np.full(len(ids), None, dtype=object)
    if present.any():
        deg[present] = shapely.orient_polygons(
            shapely.set_precision(scope.to_deg(km[present].astype(object)), 10.0**-COORD_DECIMALS)
        )
    grids = pd.DataFrame(
        {
            "new_grid_id": pd.Series(ids, dtype=object),
            "community_id": pd.Series([community[g] for g in ids], dtype=object),
            "households": np.array([households.get(g, 0) for g in ids], dtype=np.int64),
            "buildings": np.array([counts.get(g, 0) for g in ids], dtype=np.int64),
            "geometry": pd.Series([_to_geojson(g) for g in deg], dtype=object),
            "compactness": np.array([_compactness(g) for g in km], dtype=float),
            "kept_from": pd.Series([kept_from.get(g) for g in ids], dtype=object),
        }
    )
    order = np.argsort(b["pos"].to_numpy(), kind="stable")
    old = b["grid_id"].to_numpy(dtype=object)
    assignment = pd.DataFrame(
        {
            "building_id": pd.Series(b["building_id"].to_numpy(dtype=object)[order], dtype=object),
            "community_id": pd.Series(
                b["community_id"].to_numpy(dtype=object)[order], dtype=object
            ),
            "old_grid_id": pd.Series(old[order], dtype=object),
            "new_grid_id": pd.Series(new_ids[order], dtype=object),
        }
    )
    continued = np.array([kept_from.get(n) for n in new_ids], dtype=object)
    kept = np.array(
        [c is not None and c == o for c, o in zip(continued, old, strict=True)], dtype=bool
    )
    hh = grids["households"].to_numpy(dtype=float)
    compact = grids["compactness"].dropna()
    types = [g.geom_type if g is not None else None for g in deg]
    stats = {
        "n_grids": len(grids),
        "households_max_min_ratio": float(hh.max() / hh.min()) if hh.min() > 0 else float("inf"),
        "households_cv": float(hh.std() / hh.mean()) if hh.mean() > 0 else 0.0,
        "kept_share": float(kept.mean()),
        "all_contiguous": all(t == "Polygon" for t in types),
        "min_compactness": float(compact.min()) if len(compact) else float("nan"),
        "mean_compactness": float(compact.mean()) if len(compact) else float("nan"),
    }
    return Plan(assignment=assignment, grids=grids, stats=stats)


# ---------------------------------------------------------------- grid counts


def _grids_per_community(
    households: pd.Series,
    sites: pd.Series,
    per_grid: float | None,
    n_grids: int | None,
    ceiling: bool = False,
) -> dict:
    """k per community: round(h/target) (at least 1), ceil(h/target) under a ceiling, or
    n_grids shared out by largest remainder."""
    if per_grid is not None:
        grids = (lambda x: math.ceil(x - 1e-9)) if ceiling else (lambda x: math.floor(x + 0.5))
        k = {c: max(1, int(grids(h / per_grid))) for c, h in households.items()}
    else:
        if n_grids < len(households):
            raise ValueError(f"网格数（{n_grids}）不能少于社区数（{len(households)}）")
        if n_grids > int(sites.sum()):
            raise ValueError(f"网格数（{n_grids}）不能多于楼栋位置数（{int(sites.sum())}）")
        total = float(households.sum())
        quota = (
            households.astype(float) * n_grids / total
            if total > 0
            else pd.Series(1.0 * n_grids / len(households), index=households.index)
        )
        k = {c: max(1, int(math.floor(q))) for c, q in quota.items()}
        while sum(k.values()) > n_grids:
            c = min((c for c in k if k[c] > 1), key=lambda c: (quota[c] - k[c], c))
            k[c] -= 1
        while sum(k.values()) < n_grids:
            open_ = sorted((c for c in k if k[c] < sites[c]), key=lambda c: (k[c] - quota[c], c))
            k[open_[0]] += 1
    return {c: min(v, int(sites[c])) for c, v in k.items()}


def _target(
    per_grid: float | None, n_grids: int | None, total: float, ceiling: float | None = None
) -> float:
    if sum(x is not None for x in (per_grid, n_grids, ceiling)) != 1:
        raise ValueError("请在“每格户数”“网格数”和“每格月事件上限”中指定且只指定一项")
    if ceiling is not None:
        if not ceiling > 0:
            raise ValueError("每格月事件上限必须大于 0")
        return float(ceiling) * CEILING_FILL
    if per_grid is not None:
        if not per_grid > 0:
            raise ValueError("每格户数必须大于 0")
        return float(per_grid)
    if int(n_grids) != n_grids or n_grids < 1:
        raise ValueError("网格数必须是正整数")
    return total / n_grids


# ---------------------------------------------------------------- public API


def repartition(
    buildings: pd.DataFrame,
    grids: pd.DataFrame,
    *,
    households_per_grid: float | None = None,
    n_grids: int | None = None,
    events_ceiling: float | None = None,
    least_change: bool = False,
    tolerance: float = 0.25,
) -> Plan:
    """Re-draw the grids at ``households_per_grid`` each, as ``n_grids`` grids in all, or so
    that no grid's events a month (the buildings' ``events`` column) pass ``events_ceiling``.

    Fresh mode re-draws every community from scratch, balanced on households (on events
    under a ceiling: busy areas get smaller grids, each community enough grids that their
    mean is ``CEILING_FILL`` of the ceiling); ``least_change`` keeps grids within
    ``tolerance`` of the target (with ``n_grids``, the mean households per grid; under a
    ceiling, any grid below it) and only splits the big ones and merges the small ones, so
    the count is then only approximate.
    """
    scope = _prepare(buildings, grids, "events" if events_ceiling is not None else None)
    b = scope.buildings
    total = float(scope.load.sum())
    target = _target(households_per_grid, n_grids, total, events_ceiling)
    if least_change:
        if not 0 <= tolerance < 1:
            raise ValueError("容差必须在 0 到 1 之间")
        return _least_change(scope, target, tolerance, events_ceiling)

    communities = sorted(b["community_id"].unique())
    load = b.groupby("community_id")["load"].sum().reindex(communities)
    sites = pd.Series(
        {c: _site_count(scope.xy[scope.rows_of("community_id", c)]) for c in communities}
    )
    per_grid = target if events_ceiling is not None else households_per_grid
    ks = _grids_per_community(load, sites, per_grid, n_grids, events_ceiling is not None)

    new_ids = np.empty(len(b), dtype=object)
    geoms: dict[str, shapely.Geometry] = {}
    community: dict[str, str] = {}
    for c in communities:
        rows = scope.rows_of("community_id", c)
        labels, parts = _partition_container(
            scope.community_polygon(c), scope.xy[rows], scope.load[rows], ks[c]
        )
        order = _spatial_order(parts, _centres(scope.xy[rows], labels, len(parts)))
        ids = np.empty(len(parts), dtype=object)
        ids[order] = [f"{c}-N{i:02d}" for i in range(1, len(parts) + 1)]
        new_ids[rows] = ids[labels]
        for label, gid in enumerate(ids):
            geoms[gid] = parts[label]
            community[gid] = c
    kept = _match_kept(b["grid_id"].to_numpy(dtype=object), new_ids)
    return _build_plan(scope, new_ids, geoms, community, kept)


def split_grid(buildings: pd.DataFrame, grids: pd.DataFrame, grid_id: str) -> Plan:
    """Split one grid into two balanced, contiguous halves; every other grid stays as it is."""
    scope = _prepare(buildings, grids)
    scope.require_known_grids()
    if grid_id not in scope.grid_community:
        raise ValueError(f"网格 {grid_id} 不在当前范围内")
    rows = scope.rows_of("grid_id", grid_id)
    if _site_count(scope.xy[rows]) < 2:
        raise ValueError(f"网格 {grid_id} 的楼栋不足两处，无法拆分")
    return _edit(scope, splits={grid_id: 2}, merges=[])


def merge_grids(buildings: pd.DataFrame, grids: pd.DataFrame, a: str, b: str) -> Plan:
    """Merge two neighbouring grids of one community; the one with more households keeps its id."""
    scope = _prepare(buildings, grids)
    scope.require_known_grids()
    for gid in (a, b):
        if gid not in scope.grid_community:
            raise ValueError(f"网格 {gid} 不在当前范围内")
    if a == b:
        raise ValueError("不能把网格与自身合并")
    if scope.grid_community[a] != scope.grid_community[b]:
        raise ValueError(f"网格 {a} 与 {b} 不属于同一社区，不能合并")
    if b not in _neighbours(scope, a):
        raise ValueError(f"网格 {a} 与 {b} 不相邻，不能合并")
    hh = _grid_households(scope)
    keep, absorb = (b, a) if hh[b] > hh[a] else (a, b)
    return _edit(scope, splits={}, merges=[(keep, absorb)])


def current_plan(buildings: pd.DataFrame, grids: pd.DataFrame) -> Plan:
    """The existing grids as a Plan, the 'before' of every before/after comparison."""
    scope = _prepare(buildings, grids)
    scope.require_known_grids()
    return _edit(scope, splits={}, merges=[])


def plan_inputs(plan: Plan, buildings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plan as (buildings, grids) inputs, so hand edits can be chained; ``buildings`` must be
    the frame the plan was made from."""
    moved = buildings.assign(grid_id=plan.assignment["new_grid_id"].to_numpy())
    drawn = plan.grids.rename(columns={"new_grid_id": "grid_id"})[list(_GRID_COLUMNS)]
    return moved, drawn


# ---------------------------------------------------------------- least change and hand edits


def _grid_households(scope: _Scope, of: np.ndarray | None = None) -> pd.Series:
    """Each current grid's households (or sum of ``of``, per building)."""
    frame = pd.DataFrame(
        {
            "grid": scope.buildings["grid_id"].to_numpy(dtype=object),
            "hh": scope.households if of is None else of,
        }
    )
    return frame.groupby("grid")["hh"].sum().reindex(scope.grid_ids, fill_value=0)


def _neighbours(scope: _Scope, grid_id: str) -> list[str]:
    """Grids of the same community sharing a border (not just a corner) with ``grid_id``."""
    geom = scope.grid_geom.get(grid_id)
    if geom is None or geom.is_empty:
        return []
    same = [
        g
        for g in scope.grid_ids
        if g != grid_id and scope.grid_community[g] == scope.grid_community[grid_id]
    ]
    shared = _shared_border(geom, np.array([scope.grid_geom[g] for g in same], dtype=object))
    return [g for g, length in zip(same, shared, strict=True) if length > _MIN_BORDER_KM]


def _least_change(
    scope: _Scope, target: float, tolerance: float, ceiling: float | None = None
) -> Plan:
    """Keep grids within the band, split those above into round(h/target) parts, and merge those
    below with their smallest free neighbour when the sum stays within the band. Under a
    ``ceiling`` the band's top is the ceiling and a split makes ceil(load/target) parts."""
    scope.require_known_grids()
    low = target * (1 - tolerance)
    high = ceiling if ceiling is not None else target * (1 + tolerance)
    hh = _grid_households(scope, scope.load)
    count = (
        (lambda x: math.ceil(x - 1e-9)) if ceiling is not None else (lambda x: math.floor(x + 0.5))
    )
    splits: dict[str, int] = {}
    for gid in scope.grid_ids:
        if hh[gid] > high:
            rows = scope.rows_of("grid_id", gid)
            parts = min(int(count(hh[gid] / target)), _site_count(scope.xy[rows]))
            if parts >= 2:
                splits[gid] = parts
    busy = set(splits)
    merges: list[tuple[str, str]] = []
    for small in sorted((g for g in scope.grid_ids if hh[g] < low), key=lambda g: (hh[g], g)):
        if small in busy:
            continue
        free = [g for g in _neighbours(scope, small) if g not in busy]
        if not free:
            continue
        partner = min(free, key=lambda g: (hh[g], g))
        if hh[small] + hh[partner] <= high:
            keep, absorb = sorted((small, partner), key=lambda g: (-hh[g], g))
            merges.append((keep, absorb))
            busy.update((small, partner))
    return _edit(scope, splits=splits, merges=merges)


def _edit(scope: _Scope, splits: dict[str, int], merges: list[tuple[str, str]]) -> Plan:
    """Apply splits and merges to the current grids; untouched grids keep id and polygon."""
    new_ids = scope.buildings["grid_id"].to_numpy(dtype=object).copy()
    geoms = dict(scope.grid_geom)
    community = dict(scope.grid_community)
    kept_from: dict[str, str | None] = {g: g for g in scope.grid_ids}
    for keep, absorb in merges:
        new_ids[new_ids == absorb] = keep
        geoms[keep] = _merge_polygons(geoms[keep], geoms.pop(absorb))
        kept_from.pop(absorb)
    used = set(scope.grid_ids)
    pending: dict[str, list[tuple[shapely.Geometry, np.ndarray]]] = {}
    for gid in sorted(splits):
        rows = scope.rows_of("grid_id", gid)
        container = (
            geoms[gid] if geoms[gid] is not None and not geoms[gid].is_empty else scope.hull(rows)
        )
        labels, parts = _partition_container(
            container, scope.xy[rows], scope.load[rows], splits[gid]
        )
        mass = np.bincount(labels, weights=scope.households[rows], minlength=len(parts))
        size = np.bincount(labels, minlength=len(parts))
        rank = np.argsort(_spatial_order(parts, _centres(scope.xy[rows], labels, len(parts))))
        keeper = int(np.lexsort((rank, -size, -mass))[0])
        geoms[gid] = parts[keeper]
        for label, part in enumerate(parts):
            if label != keeper:
                pending.setdefault(community[gid], []).append((part, rows[labels == label]))
    for c in sorted(pending):
        items = pending[c]
        fallback = np.array([scope.xy[rows].mean(axis=0) for _, rows in items])
        order = _spatial_order([p for p, _ in items], fallback)
        for gid, i in zip(_fresh_ids(c, len(items), used), order, strict=True):
            part, rows = items[i]
            new_ids[rows] = gid
            geoms[gid] = part
            community[gid] = c
            kept_from[gid] = None
    return _build_plan(scope, new_ids, geoms, community, kept_from)


def _merge_polygons(a, b):
    if a is None or b is None:
        return a if b is None else b
    merged = _union(np.array([a, b], dtype=object))
    if len(_solid_parts(merged)) > 1:
        merged = _union(np.array([shapely.union_all([a, b], grid_size=_SNAP_KM)], dtype=object))
    return merged
