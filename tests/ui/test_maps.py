"""Maps that mean what they say: absolute colour scales (``analytics.scales``), the units'
outlines merged from their grids (``analytics.geo.dissolve``, ``queries.unit_outlines``), and
the maps of the overview, the heatmap and the what-if pages (pydeck and the slide twin)
drawn with them."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from analytics import geo, queries, scales, targets
from tests.conftest import layer
from tests.ui.test_report import context
from ui import charts, maps
from ui.panels import heatmap as heatmap_panel
from ui.panels import overview as overview_panel
from ui.panels import whatif as whatif_panel

GREENS = set(scales.GOOD_TO_BAD[:2])
ALARMS = set(scales.GOOD_TO_BAD[3:])  # orange and red
STATUS_RGB = {s: scales.rgb(c) for s, c in targets.STATUS_COLOURS.items()}


# ---------------------------------------------------------------- scales


def test_a_rate_all_grids_do_well_on_reads_green_whatever_the_spread():
    """The issue's case: every grid's 办结率 between 97.7 % and 99.5 %. Quantile classes made
    a fifth of them dark red; on the absolute scale none is orange or red."""
    values = pd.Series([0.977, 0.981, 0.985, 0.990, 0.993, 0.995])
    scale = scales.for_metric("closure_rate", values)
    assert {scale.colour(v) for v in values} <= GREENS
    assert scale.colour(0.75) == scales.GOOD_TO_BAD[-1]  # a real problem is red
    assert scale == scales.for_metric("closure_rate", values.head(2))  # not from the values
    assert scale.labels == ("低于 80%", "80%–90%", "90%–95%", "95%–98%", "98% 及以上")


def test_lower_is_better_metrics_turn_red_at_the_top():
    repeat = scales.for_metric("repeat_rate")
    assert repeat.colour(0.01) == scales.GOOD_TO_BAD[0]
    assert repeat.colour(0.30) == scales.GOOD_TO_BAD[-1]
    response = scales.for_metric("response_median")
    assert response.colour(0.3) == scales.GOOD_TO_BAD[0]  # 18 minutes
    assert response.colour(5.0) == scales.GOOD_TO_BAD[-1]
    assert response.labels[0] == "低于 30分钟" and response.labels[-1] == "4小时 及以上"


def test_volumes_are_blue_on_round_breaks_with_their_unit():
    values = pd.Series([180.0, 230, 260, 290, 330, 380, float("nan")])
    scale = scales.for_metric("density", values)
    assert scale.breaks == (200.0, 250.0, 300.0, 350.0)  # p10 ≈ 205, p90 ≈ 355: steps of 50
    assert set(scale.colours) <= set(scales.LITTLE_TO_MUCH)
    assert not set(scale.colours) & ALARMS
    assert scale.title == "每千户事件数(件/千户)" and "不代表好坏" in scale.meaning
    assert scale.labels == ("低于 200", "200–250", "250–300", "300–350", "350 及以上")
    assert scale.legend(values)[-1] == (scales.NO_DATA, "无数据")
    assert scale.colour(float("nan")) == scales.NO_DATA
    counts = scales.for_metric("backlog", pd.Series([0, 0, 1, 3, 8, 12, 40]))
    assert all(float(b).is_integer() for b in counts.breaks)
    assert scales.for_metric("backlog", pd.Series([5, 5])).breaks  # one value: still a scale
    assert scales.for_metric("backlog", pd.Series([], dtype=float)).labels == ("全部",)


def test_a_target_centres_the_scale():
    scale = scales.for_metric("closure_rate", target=0.95, band=0.02)
    assert scale.breaks == pytest.approx((0.91, 0.93, 0.95, 0.97))
    assert scale.colour(0.94) == scales.GOOD_TO_BAD[2]  # just under the target: amber
    assert scale.colour(0.96) == scales.GOOD_TO_BAD[1]


def test_the_status_scale_counts_and_colours():
    """达标 / 预警 / 未达标 in the targets' colours, grey without a status, with counts."""
    statuses = ["green", "red", None, "red", "amber"]
    scale = scales.for_status(statuses, "满意率", counted="个网格")
    codes = scales.status_codes(statuses)
    grey = scales.rgb(targets.NO_STATUS_COLOUR)
    green, amber, red = (STATUS_RGB[s] for s in ("green", "amber", "red"))
    assert [scale.colour(c) for c in codes] == [green, red, grey, red, amber]
    assert [t for _, t in scale.legend(codes)] == [
        "达标 1 个网格", "预警 1 个网格", "未达标 2 个网格", "无目标或无数据 1 个网格",
    ]  # fmt: skip
    assert scales.rgb("#2e7d32") == (46, 125, 50)
    assert len(scales.for_status(["green"]).legend([0.0])) == 4  # the grey class always listed


def test_deviation_from_a_target_diverges_around_it():
    scale = scales.deviation(400)
    assert scale.colour(0.05) == scale.colour(-0.05) == scales.BELOW_ON_ABOVE[2]
    assert scale.colour(-0.35) == scales.BELOW_ON_ABOVE[0]
    assert scale.colour(0.35) == scales.BELOW_ON_ABOVE[-1]
    assert scale.labels[0] == "比目标少 30% 以上" and scale.labels[2] == "与目标相差 10% 以内"
    assert maps.deviation_text(520, 400) == "比目标多 30%"
    assert maps.deviation_text(380, 400) == "比目标少 5%"


# ---------------------------------------------------------------- outlines


def _square(x, y):
    return [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]


def test_dissolve_merges_a_units_grids_into_one_outline():
    rings = [_square(0, 0), _square(1, 0), _square(5, 5), []]
    merged = geo.dissolve(rings, ["A", "A", "B", "C"])
    assert set(merged) == {"A", "B"}  # C has no outline
    paths, (x, y) = merged["A"]
    assert len(paths) == 1  # one outline around both squares, no line between them
    xs = [p[0] for p in paths[0]]
    assert min(xs) == pytest.approx(0, abs=1e-4) and max(xs) == pytest.approx(2, abs=1e-4)
    assert 0 < x < 2 and 0 < y < 1


def test_unit_outlines_streets_then_communities_inside_a_street(tiny_con):
    district = queries.unit_outlines(tiny_con)
    assert list(district["level"]) == ["street", "street"]
    assert set(district["name"]) == {"甲街道", "乙街道"}
    street = queries.unit_outlines(tiny_con, "S01")
    assert sorted(zip(street["level"], street["name"], strict=True)) == [
        ("community", "甲一社区"),
        ("street", "甲街道"),
    ]
    community = queries.unit_outlines(tiny_con, None, "S01C01")
    assert list(community["level"]) == ["community"]


# ---------------------------------------------------------------- the maps


def test_heatmap_deck_outlines_names_and_full_grid_titles(demo_db, monkeypatch):
    ctx = context(demo_db, monkeypatch)
    section = heatmap_panel.build(ctx, "closure_rate")["heat_map"]
    spec = json.loads(section.map.deck().to_json())
    assert [x["id"] for x in spec["layers"]] == ["grids", "outlines", "names"]
    names = layer(spec, "names")
    assert names["characterSet"] == "auto" and "Noto Sans CJK SC" in names["fontFamily"]
    assert {d["text"] for d in names["data"]} >= {"龙湾街道"}
    widths = {p["width"] for p in layer(spec, "outlines")["data"]}
    assert widths == {maps.OUTLINE["street"][1]}  # the district: streets only
    grid = layer(spec, "grids")["data"][0]
    assert grid["title"].count(" ") == 2 and grid["title"].split(" ")[0].endswith(("街道", "镇"))
    assert maps.HEAT_TOOLTIP.startswith("{title}\n")
    # On the absolute scale the demo's 办结率 (about 97–100 %) is never orange or red.
    fills = {tuple(p["fill"][:3]) for p in layer(spec, "grids")["data"]}
    assert not fills & ALARMS
    street = replace(ctx, filters=replace(ctx.filters, street_id="S01"))
    spec = json.loads(heatmap_panel.build(street, "closure_rate")["heat_map"].map.deck().to_json())
    widths = {p["width"] for p in layer(spec, "outlines")["data"]}
    assert widths == {maps.OUTLINE["street"][1], maps.OUTLINE["community"][1]}
    assert all(d["text"].endswith(("社区", "村")) for d in layer(spec, "names")["data"])


def test_a_volumes_breaks_are_the_districts_for_any_street(demo_db, monkeypatch):
    ctx = context(demo_db, monkeypatch)
    street = replace(ctx, filters=replace(ctx.filters, street_id="S02"))
    for build in (heatmap_panel.build, overview_panel.build):
        key = "heat_map" if build is heatmap_panel.build else "map"
        whole = build(ctx, "density")[key].map.legend
        one = build(street, "density")[key].map.legend
        assert [t for c, t in whole if c] == [t for c, t in one if c], build
    worst = heatmap_panel.build(street, "density")["heat_worst"].tables[0].frame
    assert list(worst.columns) == ["网格", "每千户事件数", "受理量"]
    assert worst["网格"].str.count(" ").eq(2).all()  # street community grid


def test_the_slide_map_uses_the_same_scale_outlines_and_names(demo_db, monkeypatch):
    ctx = context(demo_db, monkeypatch)
    street = replace(ctx, filters=replace(ctx.filters, street_id="S01"))
    section = heatmap_panel.build(street, "closure_rate")["heat_map"]
    fig = section.map.figure()
    scale = scales.for_metric("closure_rate")
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown[: len(scale.labels)] == list(scale.labels)
    assert fig.layout.legend.title.text.startswith("办结率")
    names = {a.text for a in fig.layout.annotations}
    outlines = queries_outlines(street)
    assert names == set(outlines[outlines["level"] == "community"]["name"])
    assert sum(t.showlegend is False for t in fig.data) == 2  # street and community lines
    assert charts.area_map([[]], [1.0], scale).data  # no outline, no crash


def queries_outlines(ctx):
    from ui import data

    return data.unit_outlines(ctx.src, ctx.filters.street_id, ctx.filters.community_id)


def test_whatif_maps_colour_by_distance_from_the_target(demo_db, monkeypatch):
    """A plan that evens the grids out must look calmer than today's grids: more of its
    grids within 10 % of the target (pale), on one scale for both sides."""
    ctx = context(demo_db, monkeypatch)
    built = whatif_panel.build(ctx, "S01", "households", 430)
    before, after = built["wi_map_before"], built["wi_map_after"]
    assert before.map.legend == after.map.legend
    assert "比目标少 30% 以上" in [t for _, t in before.map.legend]

    def calm(section) -> float:
        data = layer(json.loads(section.map.deck().to_json()), "plan")["data"]
        return sum(tuple(p["fill"][:3]) == scales.BELOW_ON_ABOVE[2] for p in data) / len(data)

    assert calm(after) > calm(before)
    spec = json.loads(after.map.deck().to_json())
    assert [x["id"] for x in spec["layers"]] == ["plan", "outlines", "names"]
    record = layer(spec, "plan")["data"][0]
    assert record["title"].startswith("龙湾街道") and "目标" in record["deviation"]
    caption = after.caption
    assert "的网格与目标相差 10% 以内" in caption


def test_a_map_is_framed_for_the_height_the_page_gives_it(demo_db, monkeypatch):
    """The overview's map is 212 px high on the page, the what-if maps 430 or, on a projector,
    573: each deck zooms to fit the district in its own height (a map framed for another
    height is clipped at top and bottom, or leaves the extra height empty)."""
    ctx = context(demo_db, monkeypatch)
    area = overview_panel.build(ctx)["map"].map

    def zoom(height_px: int) -> float:
        return json.loads(area.deck(height_px=height_px).to_json())["initialViewState"]["zoom"]

    assert zoom(200) < zoom(260) < zoom(600)
    assert zoom(260) == json.loads(area.deck().to_json())["initialViewState"]["zoom"]
