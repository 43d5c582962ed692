"""The heatmap coloured by status against each grid's target (issue #20). The tiny database's
grids this year to its last day (events E1..E7 of ``tests/conftest.py``):

- 甲街道 甲一社区 第1网格 (S01C01G01): E1, E2, E5, E7; closed E1, E2, E5: 办结率 3/4 = 75 %;
- 乙街道 乙一社区 第1网格 (S02C01G01): E3, E4; closed E3: 办结率 1/2 = 50 %.

Against the district's 办结率 ≥ 90 % (预警 55 %): 75 % is 预警, 50 % 未达标. Both grids have
fewer than 30 events (the settings' ``ranking_min_events``)."""

from __future__ import annotations

import json

import pytest

from analytics import scales, target_store, targets
from tests.apptest import open_page
from tests.conftest import decks, layer
from tests.ui.test_report import context
from ui import maps
from ui.panels import heatmap as heatmap_panel

PAGE = "pages/heatmap.py"
G1, G2 = "S01C01G01", "S02C01G01"
CLOSURE = targets.Target(metric="closure_rate", target=0.90, amber=0.55)
RGB = {s: scales.rgb(c) for s, c in targets.STATUS_COLOURS.items()}
GREY = scales.rgb(targets.NO_STATUS_COLOUR)


@pytest.fixture
def with_targets(admin_file):
    target_store.put(admin_file, CLOSURE, by="test")
    return admin_file


def fills(deck: dict) -> dict[str, tuple]:
    return {p["grid_id"]: tuple(p["fill"][:3]) for p in layer(deck, "grids")["data"]}


def legend_texts(at) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "map-legend" in h.proto.body)


def test_status_colours_each_grid_by_its_own_target(tiny_db, monkeypatch, with_targets):
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_metric").select("closure_rate").run()
    choice = at.radio(key="heat_colour")
    assert not choice.disabled and choice.value == "value"  # values stay the default
    [deck] = decks(at)
    assert RGB["amber"] not in fills(deck).values()
    [worst] = [d for d in at.dataframe if "状态" in d.value.columns]  # a status either way
    assert list(worst.value["状态"]) == ["未达标", "预警"]

    choice.set_value("status").run()
    assert not at.exception, [e.value for e in at.exception]
    [deck] = decks(at)
    assert fills(deck) == {G1: RGB["amber"], G2: RGB["red"]}  # 75 % 预警, 50 % 未达标
    notes = {p["grid_id"]: p["note"] for p in layer(deck, "grids")["data"]}
    assert notes[G1] == "办结率目标 ≥ 90.0%(预警 55.0%) · 预警(事件较少,仅供参考)"
    [chart] = at.get("deck_gl_json_chart")
    assert "{note}" in json.loads(chart.proto.tooltip)["text"]
    legend = legend_texts(at)
    for text in ("办结率 · 目标状态", "达标 0 个网格", "预警 1 个网格", "未达标 1 个网格",
                 "无目标或无数据 0 个网格"):  # fmt: skip
        assert text in legend, text
    assert f"background:{maps.css(RGB['red'])}" in legend
    captions = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "按目标状态着色:办结率目标 ≥ 90.0%(预警 55.0%)" in captions
    assert "有 2 个网格统计期内事件少于 30 件" in captions

    [worst] = [d for d in at.dataframe if "状态" in d.value.columns]
    assert list(worst.value["状态"]) == ["未达标", "预警"]  # the worst first: 50 %, then 75 %
    styles = worst.proto.arrow_data.styler.styles
    assert targets.STATUS_COLOURS["red"] in styles and targets.STATUS_COLOURS["amber"] in styles


def test_a_communitys_own_target_overrides_the_districts(tiny_db, monkeypatch, with_targets):
    """乙一社区 ≥ 50 %: its grid's 50 % is 达标, while 甲一社区's grid keeps the district's."""
    own = targets.Target(metric="closure_rate", target=0.50, unit_id="S02C01")
    target_store.put(with_targets, own, by="test")
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_metric").select("closure_rate").run()
    at.radio(key="heat_colour").set_value("status").run()
    [deck] = decks(at)
    assert fills(deck) == {G1: RGB["amber"], G2: RGB["green"]}
    captions = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "各网格按其所在社区、街道或全区的办结率目标判定" in captions
    assert "达标 1 个网格" in legend_texts(at)


def test_a_grid_without_a_target_is_grey(tiny_db, monkeypatch, admin_file):
    """Only 甲街道 has a target: 乙街道's grid has none and is grey, counted apart."""
    street = targets.Target(metric="closure_rate", target=0.70, unit_id="S01")
    target_store.put(admin_file, street, by="test")
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_metric").select("closure_rate").run()
    at.radio(key="heat_colour").set_value("status").run()
    [deck] = decks(at)
    assert fills(deck) == {G1: RGB["green"], G2: GREY}  # 75 % ≥ 70 %
    assert "无目标或无数据 1 个网格" in legend_texts(at)
    [worst] = [d for d in at.dataframe if "状态" in d.value.columns]
    assert list(worst.value["状态"]) == ["未设目标", "达标"]


def test_without_targets_the_choice_is_disabled_with_a_reason(tiny_db, monkeypatch, admin_file):
    at = open_page(tiny_db, monkeypatch, PAGE)
    choice = at.radio(key="heat_colour")
    assert choice.disabled and "没有好坏之分" in choice.help  # 每千户事件数, the default
    at.selectbox(key="heat_metric").select("closure_rate").run()
    choice = at.radio(key="heat_colour")
    assert choice.disabled and "尚未设定目标值" in choice.help
    assert not [d for d in at.dataframe if "状态" in d.value.columns]


def test_a_districts_count_target_does_not_judge_grids(tiny_db, monkeypatch, admin_file):
    """积压 ≤ 1 for the district says nothing about a grid's backlog."""
    backlog = targets.Target(metric="backlog", target=1)
    target_store.put(admin_file, backlog, by="test")
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_metric").select("backlog").run()
    choice = at.radio(key="heat_colour")
    assert choice.disabled and "网格没有积压目标" in choice.help


def test_status_falls_back_to_values_when_the_metric_has_no_target(
    tiny_db, monkeypatch, with_targets
):
    """Chosen for 办结率, then 满意率 (no target): the choice returns to 按数值, disabled."""
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_metric").select("closure_rate").run()
    at.radio(key="heat_colour").set_value("status").run()
    at.selectbox(key="heat_metric").select("satisfaction_rate").run()
    assert not at.exception
    choice = at.radio(key="heat_colour")
    assert choice.disabled and choice.value == "value"
    [deck] = decks(at)
    assert not set(fills(deck).values()) & set(RGB.values())


def test_the_slide_map_uses_the_same_status_colours(tiny_db, monkeypatch, with_targets):
    ctx = context(tiny_db, monkeypatch)
    section = heatmap_panel.build(ctx, "closure_rate", colour="status")["heat_map"]
    deck = json.loads(section.map.deck().to_json())
    fig = section.map.figure()
    traces = {t.name: t.fillcolor for t in fig.data if t.showlegend is not False}
    assert traces == {
        "达标 0 个网格": maps.css(RGB["green"]),
        "预警 1 个网格": maps.css(RGB["amber"]),
        "未达标 1 个网格": maps.css(RGB["red"]),
        "无目标或无数据 0 个网格": maps.css(GREY),
    }
    # each grid's square is drawn in its trace: G1 (x from 106.50) amber, G2 (106.52) red
    lons = {t.name: {round(x, 2) for x in t.x if x is not None} for t in fig.data if t.x}
    assert lons["预警 1 个网格"] == {106.50, 106.51} and lons["未达标 1 个网格"] == {106.52, 106.53}
    assert fills(deck) == {G1: RGB["amber"], G2: RGB["red"]}
    assert fig.layout.legend.title.text.startswith("办结率 · 目标状态")
    assert section.map.legend == [
        ("", "办结率 · 目标状态:"),
        (maps.css(RGB["green"]), "达标 0 个网格"),
        (maps.css(RGB["amber"]), "预警 1 个网格"),
        (maps.css(RGB["red"]), "未达标 1 个网格"),
        (maps.css(GREY), "无目标或无数据 0 个网格"),
        ("", f"({scales.MEANING['status']})"),
    ]
    values = heatmap_panel.build(ctx, "closure_rate")["heat_map"]  # the deck's default
    assert values.map.legend[0] == ("", "办结率:")
    figures = [f.note for f in section.figures]
    assert figures == ["办结率 50.0% · 未达标", "办结率 75.0% · 预警"]
