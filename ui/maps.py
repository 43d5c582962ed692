"""Grid maps with pydeck: polygons coloured by a metric, no basemap needed (works offline).

Only aggregated figures and reference attributes go into the payload: never event rows or
any personal field.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pydeck as pdk

from analytics import formats as fmt
from analytics import metrics as m

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


def view_of(shapes: pd.DataFrame) -> pdk.ViewState:
    """A view that frames every polygon of ``shapes``."""
    coords = np.array([pt for rings in shapes["polygons"] for ring in rings for pt in ring])
    if coords.size == 0:
        return pdk.ViewState(longitude=106.5, latitude=29.6, zoom=10)
    lon0, lat0 = coords.min(axis=0)
    lon1, lat1 = coords.max(axis=0)
    span = max(lon1 - lon0, (lat1 - lat0) * 1.2, 1e-3)
    zoom = float(np.clip(math.log2(360 / span) - 0.9, 3, 17))
    return pdk.ViewState(
        longitude=float((lon0 + lon1) / 2), latitude=float((lat0 + lat1) / 2), zoom=zoom
    )


def grid_layer_data(
    grids: pd.DataFrame, shapes: pd.DataFrame, metric: str, higher_is_worse: bool = True
) -> tuple[list[dict], list[float]]:
    """One record per polygon part: outline, colour and tooltip text (reference + figures)."""
    df = grids.merge(shapes, on="grid_id", how="inner")
    breaks = class_breaks(df[metric])
    records = []
    for row in df.itertuples(index=False):
        value = getattr(row, metric)
        for ring in row.polygons:
            records.append(
                {
                    "grid_id": row.grid_id,
                    "name": row.name,
                    "community": row.community_name,
                    "households": fmt.count(row.households),
                    "value": fmt.value(metric, value),
                    "intake": fmt.count(row.intake),
                    "closure": fmt.rate(row.closure_rate),
                    "polygon": ring,
                    "fill": [*colour(value, breaks, higher_is_worse), 200],
                }
            )
    return records, breaks


def grid_deck(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str = "density",
    higher_is_worse: bool = True,
) -> pdk.Deck:
    """A deck of grid polygons coloured by ``metric``, drawn without any basemap (offline)."""
    records, _ = grid_layer_data(grids, shapes, metric, higher_is_worse)
    text = "{name}({community})\n户数 {households}\n" + m.label(metric) + " {value}\n"
    return _deck(records, "grids", view_of(shapes), text + "受理量 {intake} · 办结率 {closure}")


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


def hex_deck(hexes: pd.DataFrame, metric: str = "intake", higher_is_worse: bool = True):
    """Events binned into hexagons (data without grid boundaries), coloured by ``metric``."""
    records = hex_layer_data(hexes, metric, higher_is_worse)
    view = view_of(pd.DataFrame({"polygons": [[p] for p in hexes["polygon"]]}))
    text = m.label(metric) + " {value}\n受理量 {intake} · 办结率 {closure}"
    return _deck(records, "hexagons", view, text)


def _deck(records: list[dict], layer_id: str, view: pdk.ViewState, text: str) -> pdk.Deck:
    layer = pdk.Layer(
        "PolygonLayer",
        data=records,
        id=layer_id,
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color=[255, 255, 255],
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
    )
    tooltip = {"text": text, "style": {"fontSize": "13px"}}
    # No basemap, and no request for one: with ``map_provider=None`` and pydeck's default
    # ``map_style`` the payload carries pydeck's "no style" sentinel, which Streamlit's
    # frontend honours; an explicit ``map_style=None`` would make it fetch a CARTO basemap
    # from the internet, which the district's network may not reach.
    return pdk.Deck(
        layers=[layer],
        initial_view_state=view,
        map_provider=None,
        tooltip=tooltip,
    )


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
    large = any(abs(b) >= 100 for b in breaks) and metric in m.DERIVED

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
