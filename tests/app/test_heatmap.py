"""The heatmap page under AppTest (the figures it shows are tested in
``tests/analytics/test_heatmap.py``)."""

from __future__ import annotations

import json

from analytics import heatmap
from tests.apptest import open_page
from tests.conftest import PERSONAL, decks, layer, personal_values, query
from ui import maps

PAGE = "pages/heatmap.py"


# ---------------------------------------------------------------- the page


def test_heatmap_page_and_its_controls(demo, demo_db, monkeypatch):
    _, _, ytd = demo
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("网格热力图 · ")
    [deck] = decks(at)
    grids_count = query(demo_db, "SELECT count(*) AS n FROM grids")["n"][0]
    assert [x["id"] for x in deck["layers"]] == ["grids", "outlines", "names"]
    assert len(layer(deck, "grids")["data"]) == grids_count
    fills = [p["fill"] for p in layer(deck, "grids")["data"]]

    at.selectbox(key="heat_metric").select("closure_rate").run()
    [deck] = decks(at)
    assert [p["fill"] for p in layer(deck, "grids")["data"]] != fills
    assert "办结率" in at.dataframe[0].value.columns  # the grids most in need, by the metric

    at.toggle(key="heat_density").set_value(True).run()
    [deck] = decks(at)
    assert [x["id"] for x in deck["layers"]] == ["grids", "density", "outlines", "names"]
    at.toggle(key="heat_extrude").set_value(True).run()
    [deck] = decks(at)
    assert layer(deck, "grids")["extruded"] is True
    assert [x["id"] for x in deck["layers"]] == ["grids", "density"]  # flat lines would sink

    before = layer(deck, "grids")["data"][0]["intake"]
    last = heatmap.month_starts(ytd)[-1]
    at.select_slider(key="heat_months").set_range(last, last).run()
    assert not at.exception
    [deck] = decks(at)
    assert layer(deck, "grids")["data"][0]["intake"] != before

    grid_id = query(demo_db, "SELECT grid_id FROM grids ORDER BY grid_id LIMIT 1")["grid_id"][0]
    at.selectbox(key="heat_grid").set_value(grid_id).run()
    assert not at.exception
    labels = [x.label for x in at.metric]
    assert labels == ["受理量", "每千户事件数", "办结率", "按时办结率", "响应时长中位数", "满意率",
                      "积压", "重复诉求率"]  # fmt: skip
    [deck] = decks(at)
    chosen = [p for p in layer(deck, "grids")["data"] if p["grid_id"] == grid_id]
    assert chosen[0]["line_m"] == maps.SELECTED_LINE_METRES
    staff = at.dataframe[-1].value
    assert list(staff.columns[:2]) == ["网格员", "角色"]
    assert staff["网格员"].str.contains(r"\*").all()
    payload = json.dumps(deck, ensure_ascii=False)
    for key in PERSONAL:
        assert key not in payload
    for value in personal_values(demo_db):
        assert value not in payload, value

    # Another street: the chosen grid leaves the scope, the panel closes, the map starts over.
    other = query(
        demo_db, "SELECT street_id FROM grids WHERE street_id <> "
        "(SELECT street_id FROM grids WHERE grid_id = ?) LIMIT 1", [grid_id],
    )["street_id"][0]  # fmt: skip
    at.selectbox(key="f_street").set_value(other).run()
    assert not at.exception
    assert at.selectbox(key="heat_grid").value == "" and not at.metric
    [deck] = decks(at)
    assert all(p["line_m"] == 1 for p in layer(deck, "grids")["data"])


def test_heatmap_page_narrows_with_the_sidebar(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    street = query(
        demo_db, "SELECT unit_id FROM org_units WHERE level = 'street' ORDER BY 1 LIMIT 1"
    )["unit_id"][0]
    at.selectbox(key="f_street").set_value(street).run()
    assert not at.exception
    [deck] = decks(at)
    in_street = query(demo_db, "SELECT count(*) AS n FROM grids WHERE street_id = ?", [street])
    assert len(layer(deck, "grids")["data"]) == in_street["n"][0]
    at.selectbox(key="f_preset").set_value("last_month").run()
    assert not at.exception
    assert "统计期在一个月内" in " ".join(c.value for c in at.caption)


def test_an_unusable_settings_file_is_explained(demo_db, monkeypatch, tmp_path):
    broken = tmp_path / "settings.toml"
    broken.write_text('[map]\nstyle_url = "ftp://example/style.json"\n', "utf-8")
    monkeypatch.setenv("GOV_SETTINGS", str(broken))
    at = open_page(demo_db, monkeypatch, PAGE)
    assert any("ftp" in w.value and "暂不使用底图" in w.value for w in at.warning)
    [deck] = decks(at)
    assert deck["mapStyle"] == "__MAP_STYLE__"


def test_grid_panel_staff_figures_add_up(demo_db, monkeypatch):
    """One grid's staff table: 合计 = 上报 + 承办 ≥ 已办结, 本网格内; the grid's 人均事件数
    is said to be its intake per full-time worker and month; staff without a single event
    are named by role in a note instead of rows of zeros."""
    grid_id = query(demo_db, "SELECT grid_id FROM grids ORDER BY grid_id LIMIT 1")["grid_id"][0]
    at = open_page(demo_db, monkeypatch, PAGE)
    at.selectbox(key="heat_grid").set_value(grid_id).run()
    assert not at.exception
    [staff] = [d.value for d in at.dataframe if "合计" in d.value.columns]
    assert (staff["合计"] == staff["上报"] + staff["承办"]).all()
    assert (staff["已办结"] <= staff["合计"]).all() and (staff["本网格内"] <= staff["合计"]).all()
    assert not ((staff["角色"] != "专职网格员") & (staff["合计"] == 0)).any()
    shown = " ".join(c.value.replace("\\", "") for c in at.caption)
    full_time = query(
        demo_db, "SELECT full_time_workers AS n FROM grids WHERE grid_id = ?", [grid_id]
    )["n"][0]
    assert f"÷ 专职网格员 {full_time} 人 ÷" in shown
    idle = query(
        demo_db,
        "SELECT count(*) AS n FROM workers w WHERE grid_id = ? AND role = 'part_time' AND NOT "
        "EXISTS (SELECT 1 FROM events e WHERE e.worker_id = w.worker_id AND reported_at >= "
        "(SELECT date_trunc('year', max(reported_at)) FROM events))",
        [grid_id],
    )["n"][0]
    if idle:
        assert f"兼职网格员 {idle} 人" in shown and "在统计期内没有记在其名下的事件" in shown


def test_a_grids_events_are_listed_for_the_sliders_months(tiny_db, monkeypatch):
    """Click a grid, then 列出该网格的事件: the grid's events of the months the slider keeps
    (all of the sidebar's period here), newest first, masked."""
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="heat_grid").set_value("S01C01G01").run()
    at.button(key="heat_drill").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [dialog] = at.get("dialog")
    assert "第1网格" in dialog.proto.dialog.title
    expected = query(
        tiny_db,
        "SELECT event_id FROM events WHERE grid_id = 'S01C01G01' AND reported_at >= '2026-01-01' "
        "ORDER BY reported_at DESC",
    )["event_id"].tolist()
    assert expected and at.dataframe[-1].value["事件编号"].tolist() == expected
    assert "张三" not in at.dataframe[-1].value.to_string()
