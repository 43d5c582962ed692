"""Grid maps with pydeck: polygons coloured by a metric, no basemap needed (works offline).

Only aggregated figures and reference attributes go into the payload: never event rows or
any personal field.
"""

from __future__ import annotations

import functools
import html
import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings import deck as pydeck_deck
from pydeck.bindings.json_tools import default_serialize

from analytics import formats as fmt
from analytics import labels, metrics, scales
from analytics.filters import Filters

# Every pydeck.Deck asks whether Jupyter's widget can be made, by importing it and failing
# (ipywidgets is not installed): ~4 ms a map on every rerun. The answer cannot change while
# the process runs, so it is asked once.
pydeck_deck.has_jupyter_extra = functools.cache(pydeck_deck.has_jupyter_extra)

NO_DATA = scales.NO_DATA
# The names of units on a map: deck.gl draws text with a browser font, so name the CJK fonts
# the machines have (Noto/Source Han on Linux, YaHei on Windows, PingFang on macOS).
CJK_FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", sans-serif'
)
OUTLINE = {  # level → (colour, width in pixels): streets thicker than communities
    "street": ([40, 40, 40], 3),
    "community": ([70, 70, 70], 1.5),
}


def district(f: Filters) -> Filters:
    """``f`` over the whole district (the viewer's scope still applies): what a volume
    scale's breaks come from, so that they do not change with the selected street."""
    return replace(f, street_id=None, community_id=None, grid_id=None)


def css(rgb: tuple) -> str:
    return "rgb({},{},{})".format(*rgb)


def scale_legend(scale: scales.Scale, values=None) -> list[tuple[str, str]]:
    """The legend of ``scale`` for the page (``legend_html``): its title, a swatch per class
    (then 无数据 when any of ``values`` is missing) and what the colours mean."""
    items = [("", f"{scale.title}:")]
    items += [(css(rgb), text) for rgb, text in scale.legend(values)]
    return items + ([("", f"({scale.meaning})")] if scale.meaning else [])


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
    metric: str,
    scale: scales.Scale,
    outlines: pd.DataFrame | None = None,
    style_url: str = "",
    height_px: int | None = None,
) -> pdk.Deck:
    """A deck of grid polygons coloured by ``metric`` on ``scale``, with the units'
    ``outlines`` and names over them (no basemap unless ``style_url``), framed for a map
    ``height_px`` high."""
    records = heat_records(grids, shapes, metric, scale)
    text = "{title}\n户数 {households}\n" + metrics.label(metric) + " {value}\n"
    layers = [_polygons("grids", records), *outline_layers(outlines, label_px=12)]  # a small map
    tooltip = text + "受理量 {intake} · 办结率 {closure}"
    return _deck(layers, view_of(shapes, height_px=height_px or 260), tooltip, style_url)


def hex_layer_data(hexes: pd.DataFrame, metric: str, scale: scales.Scale) -> list[dict]:
    """One record per hexagon: outline, colour and tooltip text (aggregates only)."""
    return [
        {
            "hex_id": row.hex_id,
            "value": fmt.value(metric, getattr(row, metric)),
            "intake": fmt.count(row.intake),
            "closure": fmt.rate(row.closure_rate),
            "polygon": row.polygon,
            "fill": [*scale.colour(getattr(row, metric)), 200],
        }
        for row in hexes.itertuples(index=False)
    ]


def hex_deck(
    hexes: pd.DataFrame,
    metric: str,
    scale: scales.Scale,
    style_url: str = "",
    height_px: int | None = None,
) -> pdk.Deck:
    """Events binned into hexagons (data without grid boundaries, so no unit outlines),
    coloured by ``metric`` on ``scale``, framed for a map ``height_px`` high."""
    records = hex_layer_data(hexes, metric, scale)
    cells = pd.DataFrame({"polygons": [[p] for p in hexes["polygon"]]})
    view = view_of(cells, height_px=height_px or 260)
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


def grid_titles(grids: pd.DataFrame) -> pd.Series:
    """Each grid named in full (``labels.grid_title``): 龙湾街道 新民社区 第6网格."""
    street = grids["street_name"] if "street_name" in grids else [None] * len(grids)
    return pd.Series(
        [
            labels.grid_title(s, c, n)
            for s, c, n in zip(street, grids["community_name"], grids["name"], strict=True)
        ],
        index=grids.index,
        dtype=object,
    )


def heat_records(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str,
    scale: scales.Scale,
    *,
    faded: bool = False,
    extrude: tuple[str, ...] = (),
    selected: str | None = None,
    by: str | None = None,
    note: str | None = None,
) -> list[dict]:
    """One record per grid polygon: outline, colour on ``scale``, optional height, and the
    tooltip's figures formatted in Chinese (reference data and aggregates only). Used by
    every grid map: the overview's and the heatmap page's. The colour is of column ``by``
    (default ``metric``: ``STATUS_CODE`` colours by status); column ``note`` (our own text)
    goes to the tooltip as ``{note}``."""
    df = grids.merge(shapes, on="grid_id", how="inner")
    df["title"] = grid_titles(df)
    by = by or metric
    shown = {k: field for k, field in HEAT_FIELDS.items() if k in df}  # the tooltip's figures
    columns = ["grid_id", "name", "title", "households", "intake", "polygons", metric, *shown]
    columns += [c for c in (by, note) if c]
    df = df[list(dict.fromkeys(columns))]  # a row of a few columns is quicker to walk
    heights = {g: EXTRUDE_METRES * (len(extrude) - i) / len(extrude) for i, g in enumerate(extrude)}
    records = []
    for row in df.itertuples(index=False):
        value = getattr(row, metric)
        chosen = row.grid_id == selected
        grid = {  # what every polygon of the grid carries
            "grid_id": row.grid_id,
            "name": row.name,
            "title": row.title,
            "households": fmt.count(row.households),
            "intake": fmt.count(row.intake),
            "value": fmt.value(metric, value),
            **{field: fmt.value(k, getattr(row, k)) for k, field in shown.items()},
            **({"note": str(getattr(row, note))} if note else {}),
            "fill": [*scale.colour(getattr(row, by)), 90 if faded else 210],
            "line": [20, 20, 20] if chosen else [255, 255, 255],
            "line_m": SELECTED_LINE_METRES if chosen else 1,
            "elevation": heights.get(row.grid_id, 0.0),
        }
        records += ({**grid, "polygon": ring} for ring in row.polygons)  # rounded already
    return records


HEAT_TOOLTIP = "{title}\n户数 {households} · 受理量 {intake}\n" + "\n".join(
    f"{metrics.label(k)} {{{field}}}" for k, field in HEAT_FIELDS.items()
)
# The columns a grid map coloured by status reads (``heat_deck(by=STATUS_CODE,
# note=STATUS_NOTE)``): ``scales.status_codes`` and a line such as 办结率目标 ≥ 90.0% · 预警.
STATUS_CODE = "status_code"
STATUS_NOTE = "status_note"


def heat_deck(
    grids: pd.DataFrame,
    shapes: pd.DataFrame,
    metric: str,
    scale: scales.Scale,
    *,
    outlines: pd.DataFrame | None = None,
    hexes: pd.DataFrame | None = None,
    density: scales.Scale | None = None,
    extrude: tuple[str, ...] = (),
    selected: str | None = None,
    style_url: str = "",
    height_px: int | None = None,
    by_status: bool = False,
) -> pdk.Deck:
    """The heatmap page's deck: grids coloured by ``metric`` on ``scale`` (layer ``grids``,
    pickable: a click selects a grid), optionally the event-density hexagons over them (layer
    ``density``, not pickable, on the ``density`` scale) and the ``extrude`` grids raised in
    3-D, worst highest; the units' ``outlines`` and names on top. Framed for a map about 820
    px wide and ``height_px`` high. ``by_status``: coloured by ``grids[STATUS_CODE]`` on
    ``scale`` (``scales.for_status``) instead, with ``grids[STATUS_NOTE]`` in the tooltip."""
    shown = hexes is not None and not hexes.empty
    status = {"by": STATUS_CODE, "note": STATUS_NOTE} if by_status else {}
    records = heat_records(
        grids, shapes, metric, scale, faded=shown, extrude=extrude, selected=selected, **status
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
        density = density or scales.for_metric("intake", hexes["intake"])
        colour = functools.cache(density.colour)  # hexagons share their few counts
        cells = [
            {"polygon": _rounded(polygon), "fill": [*colour(n), 170]}
            for polygon, n in zip(hexes["polygon"], hexes["intake"], strict=True)
        ]  # outline and colour only: the layer is not pickable, so it carries no figures
        layers.append(_polygons("density", cells, pickable=False, auto_highlight=False))
    if not extrude:  # flat lines and labels would sink under raised grids
        layers += outline_layers(outlines)
    view = view_of(shapes, 820, height_px or 640)
    if extrude:
        view.pitch, view.bearing = 45, -15
    tooltip = HEAT_TOOLTIP.replace("\n", "\n{note}\n", 1) if by_status else HEAT_TOOLTIP
    return _deck(layers, view, tooltip, style_url)


def named_units(outlines: pd.DataFrame | None) -> pd.DataFrame:
    """The units whose names a map shows: the finest level drawn (communities inside one
    street, else streets)."""
    if outlines is None or outlines.empty:
        return pd.DataFrame(columns=["level", "unit_id", "name", "label_lon", "label_lat"])
    finest = "community" if (outlines["level"] == "community").any() else "street"
    return outlines[outlines["level"] == finest]


def outline_layers(outlines: pd.DataFrame | None, label_px: int = 15) -> list[pdk.Layer]:
    """The units' outlines (layer ``outlines``: streets thicker, communities thinner) and
    their names (layer ``names``, ``label_px`` high), neither pickable; none without
    outlines (hexagons, or grids without shapes)."""
    if outlines is None or outlines.empty:
        return []
    paths = [
        {"path": path, "color": OUTLINE[level][0], "width": OUTLINE[level][1]}
        for level, rings in zip(outlines["level"], outlines["paths"], strict=True)
        for path in rings
    ]
    paths.sort(key=lambda p: p["width"])  # streets drawn last, over their communities
    names = [
        {"text": str(n), "position": [float(lon), float(lat)]}
        for n, lon, lat in named_units(outlines)[["name", "label_lon", "label_lat"]].itertuples(
            index=False
        )
    ]
    return [
        pdk.Layer(
            "PathLayer",
            data=paths,
            id="outlines",
            get_path="path",
            get_color="color",
            get_width="width",
            width_units="'pixels'",
            width_min_pixels=1,
            joint_rounded=True,
            pickable=False,
        ),
        pdk.Layer(
            "TextLayer",
            data=inert(names),
            id="names",
            get_text="text",
            get_position="position",
            get_size=label_px,
            get_color=[20, 20, 20],
            font_family=f"'{CJK_FONTS}'",  # quoted: pydeck reads bare strings as code
            font_weight=600,
            character_set="'auto'",  # the glyphs of the names drawn, whatever they are
            background=True,
            get_background_color=[255, 255, 255, 200],
            background_padding=[3, 1],
            pickable=False,
        ),
    ]


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
        '<span style="display:inline-block;margin-right:10px;white-space:nowrap">'
        + (
            f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{colour};'
            f'margin-right:4px;vertical-align:-1px;border:1px solid #ccc"></span>'
            if colour
            else ""
        )
        + f"{html.escape(text)}</span>"
        for colour, text in items
    )
    return f'<div class="map-legend" style="font-size:0.82rem;color:#444">{swatches}</div>'


def deviation_text(households, target: float, reference: str = "目标") -> str:
    """比目标多 12% · 比目标少 5% · 与目标持平, of ``households`` against ``target``."""
    if (
        households is None
        or not target
        or (isinstance(households, float) and households != households)
    ):
        return fmt.MISSING
    share = round((float(households) / target - 1) * 100)
    if share == 0:
        return f"与{reference}持平"
    return f"比{reference}{'多' if share > 0 else '少'} {abs(share)}%"


def plan_deck(
    figures: pd.DataFrame,
    geometry: pd.Series,
    titles: list[str],
    target: float,
    scale: scales.Scale,
    outlines: pd.DataFrame | None = None,
    style_url: str = "",
    reference: str = "目标",
    height_px: int | None = None,
) -> pdk.Deck:
    """One side of the what-if comparison: grids coloured by how far their households are
    from ``target`` (``scales.deviation``, the same scale on both sides, so before and after
    read alike), the units' ``outlines`` and names over them; tooltip with the grid's
    ``titles`` and predicted figures; framed for a map ``height_px`` high."""
    records = []
    rows = zip(figures.itertuples(index=False), geometry, titles, strict=True)
    for row, geojson, title in rows:
        geom = json.loads(geojson) if geojson else None
        if geom is None:
            continue
        parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        gap = row.households / target - 1 if target else float("nan")
        for part in parts:
            records.append(
                {
                    "grid_id": row.grid_id,
                    "title": title,
                    "households": fmt.count(row.households),
                    "deviation": deviation_text(row.households, target, reference),
                    "workers": fmt.count(row.workers),
                    "per_worker": fmt.number(row.per_worker_month),
                    "median": fmt.predicted_hours(row.median_hours),
                    "polygon": _rounded(part[0]),
                    "fill": [*scale.colour(gap), 210],
                }
            )
    shapes = pd.DataFrame({"polygons": [[r["polygon"]] for r in records]})
    text = (
        "{title}\n户数 {households}({deviation})· 专职网格员 {workers}\n"
        "人均月事件 {per_worker} · 预计响应中位数 {median}"
    )
    layers = [_polygons("plan", records), *outline_layers(outlines)]
    return _deck(layers, view_of(shapes, 620, height_px or 420), text, style_url)


# 热点诉求's heat (0-1 of the 0-100 index) from light to dark orange: the map's circles, the
# timeline's bars and their legends (``ui.charts.HEAT_COLOURS``).
HEAT_STOPS = ((0.0, (253, 208, 162)), (0.5, (241, 105, 19)), (1.0, (127, 39, 4)))


def _heat_rgb(heat: float) -> list[int]:
    """The colour of a heat of 0-100 between the ``HEAT_STOPS``."""
    x = float(np.clip(heat, 0, 100)) / 100
    for (h0, c0), (h1, c1) in zip(HEAT_STOPS, HEAT_STOPS[1:], strict=False):
        if x <= h1:
            w = (x - h0) / (h1 - h0)
            return [round(a + (b - a) * w) for a, b in zip(c0, c1, strict=True)]
    return list(HEAT_STOPS[-1][1])


def issue_deck(
    issues: pd.DataFrame,
    outlines: pd.DataFrame | None,
    shapes: pd.DataFrame,
    style_url: str = "",
    height_px: int | None = None,
) -> pdk.Deck:
    """热点诉求 on a map: a circle per issue at its events' median position (area by events,
    darker the hotter), over the units' outlines, framed on the grids' ``shapes``. The
    payload holds each issue's title, counts and heat: no event and no personal field."""
    located = issues.dropna(subset=["lon", "lat"])
    top = max(float(located["events"].max()), 1.0) if len(located) else 1.0
    records = [
        {
            "position": [round(float(lon), 5), round(float(lat), 5)],
            "radius": round(6 + 22 * (events / top) ** 0.5, 1),
            "fill": [*_heat_rgb(heat), 220],
            "title": str(title),
            "events": fmt.count(events),
            "people": fmt.count(people),
            "heat": f"{heat:.0f}",
        }
        for title, lon, lat, events, people, heat in zip(
            located["title"],
            located["lon"],
            located["lat"],
            located["events"],
            located["people"],
            located["heat"],
            strict=True,
        )
    ]
    circles = pdk.Layer(
        "ScatterplotLayer",
        data=inert(records),
        id="issues",
        get_position="position",
        get_radius="radius",
        radius_units="'pixels'",
        get_fill_color="fill",
        get_line_color=[255, 255, 255],
        line_width_min_pixels=1,
        stroked=True,
        pickable=True,
        auto_highlight=True,
    )
    layers = [*outline_layers(outlines, label_px=12), circles]
    text = "{title}\n{events} 件 · {people} 人 · 热度 {heat}"
    return _deck(layers, view_of(shapes, height_px=height_px or 420), text, style_url)
