"""Grid maps with pydeck: polygons coloured by a metric, no basemap needed (works offline).

Only aggregated figures and reference attributes go into the payload: never event rows or
any personal field.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from analytics import formats as fmt
from analytics import metrics

# Sequential palette from calm to alarming (ColorBrewer YlOrRd, 5 classes).
PALETTE = [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
NO_DATA = (210, 214, 220)


def class_breaks(values: pd.Series, k: int = len(PALETTE)) -> list[float]:
    """Quantile class breaks (k−1 inner edges) over the finite values."""
    finite = values[np.isfinite(values.astype("float64"))]
    if finite.nunique() < 2:
        return []  # nothing to tell apart: one neutral class
    return sorted(set(np.quantile(finite, [i / k for i in range(1, k)]).tolist()))


def colour(value: float, breaks: list[float], higher_is_worse: bool = True) -> tuple:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA
    if not breaks:
        return PALETTE[0]
    idx = int(np.searchsorted(breaks, value, side="right"))
    idx = min(idx, len(PALETTE) - 1)
    if not higher_is_worse:
        idx = len(PALETTE) - 1 - idx
    return PALETTE[idx]


def view_of(shapes: pd.DataFrame, width_px: int = 560, height_px: int = 260) -> pdk.ViewState:
    """A view that frames every polygon of ``shapes`` in a map of about the given size."""
    coords = np.array([pt for rings in shapes["polygons"] for ring in rings for pt in ring])
    if coords.size == 0:
        return pdk.ViewState(longitude=106.5, latitude=29.6, zoom=10)
    lon0, lat0 = coords.min(axis=0)
    lon1, lat1 = coords.max(axis=0)
    # deck.gl: the world is 512 · 2^zoom pixels wide; latitudes stretch by 1/cos(lat).
    lon_span = max(lon1 - lon0, 1e-3)
    lat_span = max(lat1 - lat0, 1e-3) / math.cos(math.radians((lat0 + lat1) / 2))
    fit = min(width_px / lon_span, height_px / lat_span) * 0.85  # a margin around the district
    zoom = float(np.clip(math.log2(fit * 360 / 512), 3, 17))
    return pdk.ViewState(
        longitude=float((lon0 + lon1) / 2), latitude=float((lat0 + lat1) / 2), zoom=zoom
    )


def grid_deck(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str = "density",
    higher_is_worse: bool = True,
    style_url: str = "",
) -> pdk.Deck:
    """A deck of grid polygons coloured by ``metric`` (no basemap unless ``style_url``)."""
    records = heat_records(grids, shapes, metric, higher_is_worse)
    text = "{name}({community})\n户数 {households}\n" + metrics.label(metric) + " {value}\n"
    layer = _polygons("grids", records)
    tooltip = text + "受理量 {intake} · 办结率 {closure}"
    return _deck([layer], view_of(shapes), tooltip, style_url)


def hex_layer_data(hexes: pd.DataFrame, metric: str, higher_is_worse: bool = True) -> list[dict]:
    """One record per hexagon: outline, colour and tooltip text (aggregates only)."""
    breaks = class_breaks(hexes[metric])
    return [
        {
            "hex_id": row.hex_id,
            "value": fmt.value(metric, getattr(row, metric)),
            "intake": fmt.count(row.intake),
            "closure": fmt.rate(row.closure_rate),
            "polygon": row.polygon,
            "fill": [*colour(getattr(row, metric), breaks, higher_is_worse), 200],
        }
        for row in hexes.itertuples(index=False)
    ]


def hex_deck(
    hexes: pd.DataFrame, metric: str = "intake", higher_is_worse: bool = True, style_url: str = ""
) -> pdk.Deck:
    """Events binned into hexagons (data without grid boundaries), coloured by ``metric``."""
    records = hex_layer_data(hexes, metric, higher_is_worse)
    view = view_of(pd.DataFrame({"polygons": [[p] for p in hexes["polygon"]]}))
    text = metrics.label(metric) + " {value}\n受理量 {intake} · 办结率 {closure}"
    return _deck([_polygons("hexagons", records)], view, text, style_url)


# The heatmap page's tooltip: the grid, then every figure the map can be coloured by.
HEAT_FIELDS = {
    "density": "density",
    "closure_rate": "closure",
    "on_time_rate": "on_time",
    "response_median": "response",
    "satisfaction_rate": "satisfaction",
    "backlog": "backlog",
    "repeat_rate": "repeat",
}
EXTRUDE_METRES = 1500  # the worst grid's height; the others in proportion to their rank
# The chosen grid's outline. In metres: pydeck would read a units string such as "pixels" as
# an accessor expression and the layer would not draw.
SELECTED_LINE_METRES = 60


def heat_records(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str,
    higher_is_worse: bool,
    *,
    faded: bool = False,
    extrude: tuple[str, ...] = (),
    selected: str | None = None,
) -> list[dict]:
    """One record per grid polygon: outline, colour, optional height, and the tooltip's
    figures formatted in Chinese (reference data and aggregates only). Used by every grid
    map: the overview's and the heatmap page's."""
    df = grids.merge(shapes, on="grid_id", how="inner")
    present = set(df.columns)
    breaks = class_breaks(df[metric])
    heights = {g: EXTRUDE_METRES * (len(extrude) - i) / len(extrude) for i, g in enumerate(extrude)}
    records = []
    for row in df.itertuples(index=False):
        value = getattr(row, metric)
        figures = {  # the tooltip's figures: those the grids table has
            field: fmt.value(k, getattr(row, k)) for k, field in HEAT_FIELDS.items() if k in present
        }
        for ring in row.polygons:
            records.append(
                {
                    "grid_id": row.grid_id,
                    "name": row.name,
                    "community": row.community_name,
                    "households": fmt.count(row.households),
                    "intake": fmt.count(row.intake),
                    "value": fmt.value(metric, value),
                    **figures,
                    "polygon": _rounded(ring),
                    "fill": [*colour(value, breaks, higher_is_worse), 90 if faded else 210],
                    "line": [20, 20, 20] if row.grid_id == selected else [255, 255, 255],
                    "line_m": SELECTED_LINE_METRES if row.grid_id == selected else 1,
                    "elevation": heights.get(row.grid_id, 0.0),
                }
            )
    return records


HEAT_TOOLTIP = "{name}({community})\n户数 {households} · 受理量 {intake}\n" + "\n".join(
    f"{metrics.label(k)} {{{field}}}" for k, field in HEAT_FIELDS.items()
)


def heat_deck(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str,
    higher_is_worse: bool,
    *,
    hexes: pd.DataFrame | None = None,
    extrude: tuple[str, ...] = (),
    selected: str | None = None,
    style_url: str = "",
    size_px: tuple[int, int] = (820, 640),
) -> pdk.Deck:
    """The heatmap page's deck: grids coloured by ``metric`` (layer ``grids``, pickable: a
    click selects a grid), optionally the event-density hexagons over them (layer
    ``density``, not pickable) and the ``extrude`` grids raised in 3-D, worst highest."""
    shown = hexes is not None and not hexes.empty
    records = heat_records(
        grids, shapes, metric, higher_is_worse, faded=shown, extrude=extrude, selected=selected
    )
    layers = [
        _polygons(
            "grids",
            records,
            extruded=bool(extrude),
            get_elevation="elevation",
            get_line_color="line",
            get_line_width="line_m",
            line_width_max_pixels=4,
        )
    ]
    if shown:
        breaks = class_breaks(hexes["intake"])
        density = [
            {"polygon": _rounded(polygon), "fill": [*colour(n, breaks), 170]}
            for polygon, n in zip(hexes["polygon"], hexes["intake"], strict=True)
        ]  # outline and colour only: the layer is not pickable, so it carries no figures
        layers.append(_polygons("density", density, pickable=False, auto_highlight=False))
    view = view_of(shapes, *size_px)
    if extrude:
        view.pitch, view.bearing = 45, -15
    return _deck(layers, view, HEAT_TOOLTIP, style_url)


def _rounded(ring: list) -> list:
    """Coordinates to 5 decimals (about a metre): pydeck writes indented JSON, and full
    precision would more than double what the browser downloads for nothing visible."""
    return [[round(float(x), 5), round(float(y), 5)] for x, y, *_ in ring]


def inert(records: list[dict]) -> list[dict]:
    """The records with text starting ``@@`` (which deck.gl's JSON converter evaluates as an
    expression: a grid named ``@@=a()`` broke every map) behind a zero-width space."""

    def safe(value):
        return "\u200b" + value if isinstance(value, str) and value.startswith("@@") else value

    if not any(safe(v) is not v for r in records for v in r.values()):
        return records
    return [{k: safe(v) for k, v in r.items()} for r in records]


def _polygons(layer_id: str, records: list[dict], **options) -> pdk.Layer:
    props = {
        "get_polygon": "polygon",
        "get_fill_color": "fill",
        "get_line_color": [255, 255, 255],
        "line_width_min_pixels": 1,
        "stroked": True,
        "filled": True,
        "pickable": True,
        "auto_highlight": True,
    }
    return pdk.Layer("PolygonLayer", data=inert(records), id=layer_id, **(props | options))


class CompactDeck(pdk.Deck):
    """A deck whose JSON has no indentation. pydeck indents by two spaces per level: for a
    thousand hexagons that is most of what the browser downloads, and an indented dump runs
    in Python's slow pure-Python encoder (~0.35 s here) instead of the C one."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def _deck(layers: list[pdk.Layer], view: pdk.ViewState, text: str, style_url: str) -> pdk.Deck:
    tooltip = {"text": text, "style": {"fontSize": "13px"}}
    if style_url:  # a configured MapLibre style (self-hosted tiles, 天地图 …)
        return CompactDeck(
            layers=layers,
            initial_view_state=view,
            map_provider=None,
            map_style=style_url,
            tooltip=tooltip,
        )
    # No basemap, and no request for one: with ``map_provider=None`` and pydeck's default
    # ``map_style`` the payload carries pydeck's "no style" sentinel, which Streamlit's
    # frontend honours; an explicit ``map_style=None`` would make it fetch a CARTO basemap
    # from the internet, which the district's network may not reach.
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)


def legend_html(items: list[tuple[str, str]]) -> str:
    """The legend as a line of colour swatches (the texts are our own formatted numbers); an
    item without a colour is a caption."""
    swatches = "".join(
        '<span style="display:inline-block;margin-right:8px">'
        + (
            f'<span style="display:inline-block;width:10px;height:10px;background:{css};'
            f'margin-right:3px"></span>'
            if css
            else ""
        )
        + f"{html.escape(text)}</span>"
        for css, text in items
    )
    return f'<div style="font-size:12px;color:#555">{swatches}</div>'


def legend(
    values: pd.Series, metric: str, higher_is_worse: bool = True, area: str = "网格"
) -> list[tuple[str, str]]:
    """(CSS colour, range text) pairs for the map legend of ``values`` (one per area)."""
    breaks = class_breaks(values)
    items = []
    finite = values[np.isfinite(values.astype("float64"))]
    if not breaks and not finite.empty:
        r, g, b = PALETTE[0]
        items.append((f"rgb({r},{g},{b})", f"各{area}均为 {fmt.value(metric, finite.iloc[0])}"))
    edges = [None, *breaks, None] if breaks else []
    large = any(abs(b) >= 100 for b in breaks) and metric in metrics.DERIVED

    def show(x: float) -> str:  # whole numbers once the edges are large: keeps one line
        return fmt.number(x, 0) if large else fmt.value(metric, x)

    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        idx = i if higher_is_worse else len(PALETTE) - 1 - i
        r, g, b = PALETTE[min(idx, len(PALETTE) - 1)]
        text = (
            f"< {show(hi)}"
            if lo is None
            else f"≥ {show(lo)}"
            if hi is None
            else f"{show(lo)} – {show(hi)}"
        )
        items.append((f"rgb({r},{g},{b})", text))
    if len(finite) < len(values):
        r, g, b = NO_DATA
        items.append((f"rgb({r},{g},{b})", "无数据"))
    return items


def plan_deck(
    figures: pd.DataFrame, geometry: pd.Series, breaks: list[float], style_url: str = ""
) -> pdk.Deck:
    """One side of the what-if comparison: grids coloured by households on shared ``breaks``
    (so before and after read alike), tooltip with the predicted figures."""
    records = []
    for row, geojson in zip(figures.itertuples(index=False), geometry, strict=True):
        geom = json.loads(geojson) if geojson else None
        if geom is None:
            continue
        parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for part in parts:
            records.append(
                {
                    "grid_id": row.grid_id,
                    "households": fmt.count(row.households),
                    "workers": fmt.count(row.workers),
                    "per_worker": fmt.number(row.per_worker_month),
                    "median": fmt.predicted_hours(row.median_hours),
                    "polygon": _rounded(part[0]),
                    "fill": [*colour(row.households, breaks), 210],
                }
            )
    shapes = pd.DataFrame({"polygons": [[r["polygon"]] for r in records]})
    text = (
        "{grid_id}\n户数 {households} · 专职网格员 {workers}\n"
        "人均月事件 {per_worker} · 预计响应中位数 {median}"
    )
    return _deck([_polygons("plan", records)], view_of(shapes, 620, 420), text, style_url)
