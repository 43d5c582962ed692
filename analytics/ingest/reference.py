"""Importing the reference tables: grids (GeoJSON), buildings and workers (CSV or Excel).

The same rules as the events importer (:mod:`analytics.ingest.events`): every row is
accepted, updated, unchanged or quarantined with a Chinese reason; the counts add up and are
recorded in ``imports``; the write is atomic; a file that is not what it claims gets one
clear error. Which header is which column: :data:`analytics.ingest.presets.REFERENCE_PRESETS`.

- **grids**: a GeoJSON FeatureCollection of Polygon/MultiPolygon features whose properties
  name the grid and its community (codes or names; Chinese or canonical keys). A grid
  matches an existing one by id, or by name within its community (so grids created from an
  events export get their boundaries); boundaries must be valid and must not overlap.
  Area and centroid are computed. When the database has no units yet, streets and
  communities are created from the properties.
- **buildings**: id, position and households; the grid comes from a column or, failing
  that, from the grid polygon the building stands in.
- **workers**: id, role, home grid and name (personal data: stored, masked on screen).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from analytics import geo, labels
from analytics.connection import db_url
from analytics.geo import convert_to_wgs84
from analytics.ingest.presets import REFERENCE_PRESETS, REFERENCE_REQUIRED, find_header, fold
from analytics.ingest.reading import ImportFileError, load_source, read_sheet
from analytics.ingest.rows import ImportResult, Rows, finish, publish_import, raw_text, staging_path
from analytics.ingest.units import (
    Directory,
    add_units,
    extent,
    next_id,
    place_names,
    reference,
    unit_name,
)
from analytics.ingest.values import parse_numbers, vocabulary
from analytics.settings import load as load_settings
from analytics.settings import local_now
from analytics.store import writing

KINDS = {"grids": "网格边界", "buildings": "楼栋", "workers": "网格员"}
NAMES = {
    "grid_id": "网格编码",
    "name": "名称",
    "community": "社区",
    "street": "街道",
    "households": "户数",
    "population": "人口",
    "full_time_workers": "专职网格员数",
    "part_time_workers": "兼职网格员数",
    "building_id": "楼栋编号",
    "grid": "网格",
    "lon": "经度",
    "lat": "纬度",
    "worker_id": "网格员编号",
    "role": "岗位",
}
ROLES = vocabulary(
    labels.WORKER_ROLE,
    {"full_time": ("专职",), "part_time": ("兼职",), "instructor": ("指导员",),
     "street_staff": ("街道",)},
)  # fmt: skip
INVALID = {  # GEOS validity reasons in Chinese
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points in geometry component": "点数太少",
    "Hole lies outside shell": "内环在外环之外",
    "Nested shells": "外环嵌套",
    "Interior is disconnected": "内部不连通",
    "Invalid Coordinate": "坐标无效",
}
OVERLAP_TOLERANCE = 0.01  # share of the smaller grid's area two grids may share (slivers)
# Vertices of a grid file's boundaries in all. Every map draws every boundary: 10^6 vertices
# made each map 20 MB and 8 s to draw; 100,000 is ~2 MB, ~200 a grid for 500 grids, finer than
# a map shows. Above it boundaries are simplified to it (~1 s for 500,000 vertices); above the
# hard bound, five times as many (~20 MB of GeoJSON), the file is surveyed data at a precision
# no grid map needs, and is refused before its coordinates are parsed.
GRID_VERTICES = 100_000
GRID_VERTICES_REFUSED = 500_000
_GEOJSON = ("FeatureCollection", "Feature", "Polygon", "MultiPolygon", "GeometryCollection")


def import_reference(
    source: str | Path | bytes,
    kind: str,
    *,
    db: str | Path | None = None,
    name: str | None = None,
    coordinates: str = "wgs84",
    dry_run: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> ImportResult:
    """Import grids (GeoJSON), buildings or workers (CSV/Excel) atomically; see the module."""
    if kind not in KINDS:
        raise ImportFileError(f"没有 {kind} 这种数据。可导入:{'、'.join(KINDS)}。")
    report = progress or (lambda message, fraction: None)
    data, name = load_source(source, name)
    url = db_url(db)
    path = staging_path(url)
    report("读取文件", 0.0)
    sha256 = hashlib.sha256(data).hexdigest()
    notes: list[str] = []  # e.g. boundaries simplified
    if kind == "grids":
        raw, rows_text, geometries = _features(data, name, notes)
        blank = np.zeros(len(raw), dtype=bool)
    else:
        raw, rows_text, blank = _table(data, name, kind)
        geometries = None
    source_row = np.arange(1, len(blank) + 1)[~blank]  # 1-based data rows, blank ones skipped
    state = Rows(raw, source_row, pd.Series(None, index=raw.index, dtype=object))
    zone = load_settings().timezone  # the imports table's times are the district's
    started = local_now(zone)
    report("校验", 0.3)
    with writing(path, commit=not dry_run) as con:
        created = 0
        units, grids = reference(con)
        if kind == "grids" and units.empty:
            created = add_units(con, place_names(_names(raw)), units, grids)
            units, grids = reference(con)
        if kind == "grids":
            frame = _validate_grids(con, state, geometries, units, grids, coordinates)
        elif kind == "buildings":
            frame = _validate_buildings(con, state, grids, coordinates)
        else:
            frame = _validate_workers(state, units, grids)
        report("写入数据库", 0.7)
        result = finish(
            con,
            state,
            frame,
            kind=kind,
            label="编号",
            name=name,
            sha256=sha256,
            started=started,
            zone=zone,
            raw_of=lambda bad: rows_text[bad],
            blank_rows=int(blank.sum()),
            created=created,
            dry_run=dry_run,
        )
    result.notes.extend(notes)
    publish_import(result, url, report)
    report("完成", 1.0)
    return result


# ---------------------------------------------------------------- reading


def _features(
    data: bytes, name: str, notes: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, list]:
    """Properties as canonical string columns, each feature as text, and its geometry.

    Boundaries with more than :data:`GRID_VERTICES` vertices in all are simplified (a note
    says so in ``notes``); a file above :data:`GRID_VERTICES_REFUSED` is refused unread.
    """
    positions = data.count(b"[")  # at least one per vertex: a bound before anything is parsed
    if positions > GRID_VERTICES_REFUSED * 1.2:
        raise _too_many_vertices(name, positions, approximate=True)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(
            f"{name} 不是 GeoJSON 文件({exc})。"
            "请导出为 GeoJSON(FeatureCollection,WGS-84 或注明坐标系)。"
        ) from exc
    except RecursionError:
        raise ImportFileError(
            f"{name} 的 JSON 嵌套过深,不是 GeoJSON 网格边界(文件可能已损坏)。"
        ) from None
    if isinstance(doc, list) or (
        isinstance(doc, dict) and "features" not in doc and doc.get("type") not in _GEOJSON
    ):
        raise ImportFileError(
            f"{name} 不是 GeoJSON 要素集合(FeatureCollection),像是记录数据。"
            "事件工单请选择数据类型“事件工单”导入(命令行:--kind events)。"
        )
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise ImportFileError(
            f"{name} 中没有要素(features)。请导出包含网格面要素的 GeoJSON FeatureCollection。"
        )
    for i, feature in enumerate(features):
        if not isinstance(feature, dict) and feature is not None:
            raise ImportFileError(
                f"{name} 的第 {i + 1:,} 个要素不是 JSON 对象(而是 {type(feature).__name__})。"
                "GeoJSON 的 features 应是 Feature 对象的数组;请重新导出。"
            )
    preset = REFERENCE_PRESETS["grids"]
    records, texts, geometries = [], [], []
    for feature in features:
        props = (feature or {}).get("properties")
        props = props if isinstance(props, dict) else {}
        row = {}
        for column, keys in preset.columns.items():
            value = next((props[k] for k in keys if props.get(k) not in (None, "")), None)
            row[column] = None if value is None else str(value).strip() or None
        records.append(row)
        geometry = (feature or {}).get("geometry")
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        texts.append(json.dumps(props, ensure_ascii=False) + f" · 几何:{kind or '无'}")
        geometries.append(geometry)
    raw = pd.DataFrame.from_records(records, columns=list(preset.columns))
    if not raw[["name", "grid_id"]].notna().any().any():
        raise ImportFileError(
            f"{name} 的要素属性中找不到网格名称或编码(name/网格名称、grid_id/网格编码)。"
        )
    note = _simplify(geometries, name) if positions > GRID_VERTICES else None
    if note and notes is not None:
        notes.append(note)
    return raw, pd.Series(texts, dtype=object), geometries


def _too_many_vertices(name: str, count: int, approximate: bool = False) -> ImportFileError:
    return ImportFileError(
        f"{name} 的网格边界有{'约' if approximate else ''} {count:,} 个顶点,"
        f"超过 {GRID_VERTICES_REFUSED:,} 个的上限。"
        "请先在 GIS 软件中简化边界(如 QGIS“简化”、mapshaper)后再导入。"
    )


def _simplify(geometries: list, name: str) -> str | None:
    """Boundaries above :data:`GRID_VERTICES` vertices in all simplified, in place, to at
    most that many (Douglas-Peucker preserving each polygon's topology, the tolerance
    doubled from ~1 cm until they fit); a note saying so, or None."""
    shapes = np.full(len(geometries), None, dtype=object)
    for i, geometry in enumerate(geometries):
        if isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
            try:
                shapes[i] = shape(geometry)
            except Exception:  # malformed coordinates: quarantined when validated
                shapes[i] = None
    polygons = np.array([g is not None and g.is_valid for g in shapes], dtype=bool)
    before = int(shapely.get_num_coordinates(shapes[polygons]).sum())
    if before > GRID_VERTICES_REFUSED:
        raise _too_many_vertices(name, before)
    if before <= GRID_VERTICES:
        return None
    simplified, tolerance, total = shapes[polygons], 1e-7, before
    while total > GRID_VERTICES:
        simplified = shapely.simplify(simplified, tolerance, preserve_topology=True)
        total = int(shapely.get_num_coordinates(simplified).sum())
        tolerance *= 2
    for i, geom in zip(np.flatnonzero(polygons), simplified, strict=True):
        geometries[i] = shapely.geometry.mapping(geom)
    metres = tolerance * 111_000
    return (
        f"网格边界共 {before:,} 个顶点,超过 {GRID_VERTICES:,} 个,已简化为 {total:,} 个"
        f"(偏差不超过约 {metres:,.1f} 米)"
    )


def _table(data: bytes, name: str, kind: str) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """A CSV/Excel table as canonical string columns (None when empty), raw text, blanks."""
    preset = REFERENCE_PRESETS[kind]
    sheet = read_sheet(data, name)
    index, found = find_header(
        sheet.head, preset, name, REFERENCE_REQUIRED[kind], hint="请检查表头中的列名。"
    )
    width = len(sheet.head[index])
    cells = sheet.body(index + 1, width)
    blank = ~cells.ne("").any(axis=1).to_numpy()
    if blank.all():
        raise ImportFileError(f"{name} 只有表头,没有数据行。")
    raw = pd.DataFrame(
        {c: cells[found[c]].str.strip().replace("", None) if c in found else None
         for c in preset.columns}
    )  # fmt: skip
    keep = ~blank
    text = raw_text(cells[keep], sheet.delimiter).reset_index(drop=True)
    return raw[keep].reset_index(drop=True), text, blank


def _names(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"street": raw["street"], "community": raw["community"], "grid": None})


# ---------------------------------------------------------------- validating


def _community_ids(state: Rows, directory: Directory) -> pd.Series:
    """Community id per row: by code, within its street, or by a name unique in the district;
    names are compared as the events importer compares them (normalised, folded)."""
    raw = state.raw
    streets = raw["street"] if "street" in raw else pd.Series(None, index=raw.index)
    out = []
    for street, community in zip(streets, raw["community"], strict=True):
        sid = directory.street(unit_name(street))
        out.append(directory.community(unit_name(community), sid))
    return pd.Series(out, index=raw.index, dtype=object)


def _count(state: Rows, column: str) -> pd.Series:
    values, bad = parse_numbers(state.raw[column])
    state.reject(bad | (values < 0) | (values % 1 > 0), f"{NAMES[column]}「{{}}」应为非负整数",
                 state.raw[column])  # fmt: skip
    return values.astype("Int64")


def _to_wgs84(geometry, system: str):
    if system == "wgs84":
        return geometry
    return shapely.transform(
        geometry, lambda xy: np.column_stack(convert_to_wgs84(xy[:, 0], xy[:, 1], system))
    )


def _validate_grids(con, state, geometries, units, grids, system) -> pd.DataFrame:
    raw = state.raw
    community = _community_ids(state, Directory.of(units, grids))
    state.reject(raw["community"].isna(), "所属社区为空")
    state.reject(community.isna(), "社区「{}」在区划中不存在", raw["community"])
    state.reject(raw["name"].isna() & raw["grid_id"].isna(), "网格名称和编码都为空")
    parents = dict(zip(units.unit_id, units.parent_id, strict=True))
    by_pair = {(c, fold(n)): g for g, c, n in zip(grids.grid_id, grids.community_id, grids.name,
                                                  strict=True)}  # fmt: skip
    shapes: list = []
    for i, geometry in enumerate(geometries):
        try:
            geom = _to_wgs84(shape(geometry), system) if geometry else None
        except Exception:  # shapely raises several types for malformed coordinates
            geom = None
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            state.reject(
                pd.Series(raw.index == i, index=raw.index), "边界不是面(Polygon/MultiPolygon)"
            )
            geom = None
        elif not geom.is_valid:
            why, _, where = shapely.is_valid_reason(geom).partition("[")
            where = f",位置 {where.rstrip(']')}" if where else ""
            state.reject(
                pd.Series(raw.index == i, index=raw.index),
                f"边界无效:{INVALID.get(why.strip(), why.strip())}{where}",
            )
        else:
            x0, y0, x1, y1 = geom.bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                state.reject(
                    pd.Series(raw.index == i, index=raw.index),
                    "边界坐标不是经纬度(可能是投影坐标,请导出为 WGS-84 经纬度)",
                )
        shapes.append(geom)

    ids = []
    taken = set(grids.grid_id) | set(raw["grid_id"].dropna())
    for name, given, cid in zip(raw["name"], raw["grid_id"], community, strict=True):
        gid = given or by_pair.get((cid, fold(name) if name else None))
        if gid is None and cid is not None:
            gid = next_id(f"{cid}G", taken)  # never an existing grid's id, gaps included
        ids.append(gid)
    frame = pd.DataFrame({"grid_id": ids}, index=raw.index)
    frame["community_id"] = community
    frame["street_id"] = community.map(parents)
    frame["name"] = raw["name"].fillna(raw["grid_id"])
    for column in ("households", "population"):
        frame[column] = _count(state, column)
    frame["area_km2"] = [_area_km2(g) for g in shapes]
    for column in ("full_time_workers", "part_time_workers"):
        frame[column] = _count(state, column)
    frame["geometry"] = [shapely.to_geojson(g) if g is not None else None for g in shapes]
    centroids = [g.centroid if g is not None else None for g in shapes]
    frame["centroid_lon"] = [c.x if c is not None else None for c in centroids]
    frame["centroid_lat"] = [c.y if c is not None else None for c in centroids]
    _reject_overlaps(state, frame, shapes, grids, con)
    return frame


def _area_km2(geometry) -> float | None:
    if geometry is None:
        return None
    lat = geometry.centroid.y
    return float(geometry.area * geo.km_per_deg_lon(lat) * geo.KM_PER_DEG_LAT)


def _reject_overlaps(state, frame, shapes, grids, con) -> None:
    """A grid overlapping an earlier accepted one (in the database or the file) is held back."""
    stored = con.execute(
        "SELECT grid_id, name, geometry FROM grids WHERE geometry IS NOT NULL"
    ).df()
    replaced = set(frame["grid_id"].dropna())
    stored = stored[~stored["grid_id"].isin(replaced)]
    kept = [(r.name, shapely.from_geojson(r.geometry)) for r in stored.itertuples(index=False)]
    for i, geom in enumerate(shapes):
        if geom is None or pd.notna(state.reason.iloc[i]):
            continue
        for other_name, other in kept:
            if not geom.intersects(other):
                continue
            shared = geom.intersection(other).area
            if shared > OVERLAP_TOLERANCE * min(geom.area, other.area):
                state.reject(
                    pd.Series(frame.index == i, index=frame.index),
                    f"边界与网格「{other_name}」重叠(网格之间不能重叠)",
                )
                break
        if pd.isna(state.reason.iloc[i]):
            kept.append((frame["name"].iloc[i], geom))


def _grid_ids(state: Rows, directory: Directory, community: pd.Series) -> pd.Series:
    """Grid id per row: by code, by name within the community, or by a unique name."""
    out = [
        directory.grid(unit_name(g), c if isinstance(c, str) and c in directory.street_of else None)
        for g, c in zip(state.raw["grid"], community, strict=True)
    ]
    return pd.Series(out, index=state.raw.index, dtype=object)


def _validate_buildings(con, state, grids, system) -> pd.DataFrame:
    raw = state.raw
    units = con.execute("SELECT unit_id, parent_id, level, name FROM org_units").df()
    state.reject(raw["building_id"].isna(), "楼栋编号为空")
    lon, bad_lon = parse_numbers(raw["lon"])
    lat, bad_lat = parse_numbers(raw["lat"])
    state.reject(lon.isna() | lat.isna(), "经纬度为空或不是数字")
    lon, lat = convert_to_wgs84(lon.to_numpy(), lat.to_numpy(), system)
    lo_lon, hi_lon, lo_lat, hi_lat = extent(grids)
    outside = ~(pd.Series(lon).between(lo_lon, hi_lon) & pd.Series(lat).between(lo_lat, hi_lat))
    outside = pd.Series(outside.to_numpy() & ~np.isnan(lon), index=raw.index)
    state.reject(outside, "坐标不在本区范围内")
    directory = Directory.of(units, grids)
    grid = _grid_ids(state, directory, _community_ids(state, directory))
    state.reject(raw["grid"].notna() & grid.isna(), "网格「{}」不存在", raw["grid"])
    located = _grid_at(con, lon, lat)
    grid = grid.fillna(pd.Series(located, index=raw.index))
    state.reject(grid.isna(), "找不到所属网格(未填网格,坐标也不在任何网格边界内)")
    frame = pd.DataFrame({"building_id": raw["building_id"], "grid_id": grid})
    frame["community_id"] = grid.map(dict(zip(grids.grid_id, grids.community_id, strict=True)))
    frame["lon"], frame["lat"] = lon, lat
    frame["households"] = _count(state, "households")
    return frame


def _grid_at(con, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """The grid whose boundary holds each point (None outside every grid)."""
    stored = con.execute("SELECT grid_id, geometry FROM grids WHERE geometry IS NOT NULL").df()
    out: list[str | None] = [None] * len(lon)
    if stored.empty:
        return out
    polygons = shapely.from_geojson(stored["geometry"].to_numpy())
    tree = shapely.STRtree(polygons)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    points = shapely.points(np.where(ok, lon, 0), np.where(ok, lat, 0))
    hits = tree.query(points, predicate="within")
    for point_index, polygon_index in zip(*hits, strict=True):
        if ok[point_index] and out[point_index] is None:
            out[point_index] = stored["grid_id"].iloc[polygon_index]
    return out


def _validate_workers(state, units, grids) -> pd.DataFrame:
    raw = state.raw
    state.reject(raw["worker_id"].isna(), "网格员编号为空")
    role = raw["role"].map(lambda v: None if v is None else ROLES.get(fold(v)))
    allowed = "、".join(labels.WORKER_ROLE.values())
    state.reject(raw["role"].notna() & role.isna(), f"岗位「{{}}」不是可识别的值(可选:{allowed})",
                 raw["role"])  # fmt: skip
    state.reject(role.isna(), "岗位为空")
    directory = Directory.of(units, grids)
    grid = _grid_ids(state, directory, _community_ids(state, directory))
    state.reject(raw["grid"].notna() & grid.isna(), "网格「{}」不存在", raw["grid"])
    state.reject(grid.isna() & (role != "street_staff"), "除街道工作人员外,网格员必须填写所属网格")
    return pd.DataFrame(
        {"worker_id": raw["worker_id"], "grid_id": grid, "role": role, "name": raw["name"]}
    )
