"""Chinese map coordinate systems → WGS-84, and kilometres per degree.

GCJ-02 (AMap, Tencent) is WGS-84 with a published obfuscation offset; BD-09 (Baidu) is
GCJ-02 rotated and shifted once more. The inverse of GCJ-02 has no closed form: one
fixed-point step is accurate to about a metre, more than enough for grid maps; two steps
bring it under a decimetre.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

# Kilometres per degree on the WGS-84 ellipsoid near China's latitudes: the one home of these
# figures (distances in the planner, hexagon sizes, grid areas).
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_AT_EQUATOR = 111.320


def km_per_deg_lon(lat: float) -> float:
    """Kilometres per degree of longitude at latitude ``lat``."""
    return KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(lat))


_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )  # fmt: skip
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat):
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(2):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def bd09_to_gcj02(lon, lat):
    x = np.asarray(lon, dtype="float64") - 0.0065
    y = np.asarray(lat, dtype="float64") - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def convert_to_wgs84(lon, lat, system: str):
    """``system`` is wgs84, gcj02 or bd09; NaN stays NaN."""
    if system == "wgs84":
        return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system: {system}")


# ---------------------------------------------------------------- units from their grids

# Grids drawn by hand rarely share their edges exactly: slivers narrower than this (degrees,
# about 3 metres) are closed before the grids of a unit are merged into its outline.
SLIVER_DEG = 3e-5


def dissolve(rings: list[list], keys: list[str]) -> dict[str, tuple[list[list], tuple]]:
    """The outline of each key's areas merged into one: ``rings[i]`` are the outer rings of
    area i, ``keys[i]`` its unit. Key → (the merged outline's rings, outer and inner, as
    [[lon, lat], …], and a point inside it for its label). Areas without rings are skipped."""
    parts: dict[str, list] = {}
    for outline, key in zip(rings, keys, strict=True):
        for ring in outline:
            if len(ring) >= 4:
                polygon = shapely.make_valid(shapely.Polygon([p[:2] for p in ring]))
                parts.setdefault(key, []).append(polygon)
    merged = {}
    for key, polygons in parts.items():
        union = shapely.union_all(polygons).buffer(SLIVER_DEG).buffer(-SLIVER_DEG)
        if union.is_empty:
            continue
        paths = []
        for polygon in getattr(union, "geoms", [union]):
            if polygon.geom_type != "Polygon":
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                paths.append([[round(x, 6), round(y, 6)] for x, y in ring.coords])
        label = _label_point(union)
        merged[key] = (paths, (round(label.x, 6), round(label.y, 6)))
    return merged


def _label_point(area):
    """Where a unit's name goes: inside its largest piece, near its middle."""
    pieces = [g for g in getattr(area, "geoms", [area]) if g.geom_type == "Polygon"]
    largest = max(pieces, key=lambda g: g.area) if pieces else area
    centre = largest.centroid
    return centre if largest.contains(centre) else shapely.Point(largest.representative_point())
