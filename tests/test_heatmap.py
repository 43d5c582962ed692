"""网格热力图: per-grid figures, the density layer, the grid's staff, the deck payload, the
page and its controls, and the basemap setting."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from analytics import heatmap as hm
from analytics import queries as q
from analytics.filters import Filters
from analytics.settings import Settings, SettingsError, load
from tests.apptest import open_page
from tests.conftest import query
from ui import maps

PAGE = "pages/heatmap.py"
PERSONAL = ("reporter_name", "reporter_phone", "address", "description")


def decks(at) -> list[dict]:
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def layer(deck: dict, layer_id: str) -> dict:
    return next(x for x in deck["layers"] if x["id"] == layer_id)


# ---------------------------------------------------------------- analytics


def test_grid_figures_agree_with_plain_sql(demo, demo_db):
    con, rng, f = demo
    grids = hm.grid_figures(con, f, rng).set_index("grid_id")
    ref = query(demo_db, "SELECT grid_id, households FROM grids").set_index("grid_id")
    counts = query(
        demo_db,
        "SELECT grid_id, count(*) AS n, count(repeat_of) AS repeats FROM events "
        "WHERE reported_at >= ? AND reported_at < ? AND grid_id IS NOT NULL GROUP BY grid_id",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    ).set_index("grid_id")
    assert len(grids) == len(ref)  # every grid, with events or not
    for grid_id, row in counts.iterrows():
        assert grids.loc[grid_id, "intake"] == row["n"]
        assert grids.loc[grid_id, "repeat_rate"] == pytest.approx(row["repeats"] / row["n"])
        households = ref.loc[grid_id, "households"]
        assert grids.loc[grid_id, "density"] == pytest.approx(row["n"] * 1000 / households)
    one = counts.index[0]
    direct = q.metric_table(
        con, f.with_period(f.start, f.end), rng, ["response_median"], by=["grid_id"], compare=None
    ).set_index("grid_id")
    assert grids.loc[one, "response_median"] == pytest.approx(direct.loc[one, "response_median"])


def test_density_hexes_count_every_located_event_and_nothing_else(demo, demo_db):
    con, rng, f = demo
    hexes = hm.density_hexes(con, f, rng)
    located = query(
        demo_db,
        "SELECT count(*) AS n FROM events WHERE reported_at >= ? AND reported_at < ? "
        "AND lon IS NOT NULL AND lat IS NOT NULL",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    )["n"][0]
    assert hexes["intake"].sum() + hexes.attrs["hidden_events"] == located
    assert hexes["intake"].min() >= hm.DENSITY_MIN_EVENTS
    everything = hm.density_hexes(con, f, rng, min_events=1)
    assert everything["intake"].sum() == located and everything.attrs["hidden_cells"] == 0
    assert len(everything) == len(hexes) + hexes.attrs["hidden_cells"]
    assert set(hexes.columns) == {"hex_id", "polygon", "lon", "lat", "intake", "intake_prev"}
    assert hexes["hex_id"].is_unique and len(hexes) < 2000


def test_period_slider_months():
    f = Filters(date(2026, 1, 15), date(2026, 3, 10))
    months = hm.month_starts(f)
    assert months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    narrowed = hm.months_within(f, months[1], months[2])
    assert (narrowed.start, narrowed.end) == (date(2026, 2, 1), date(2026, 3, 10))
    assert hm.months_within(f, months[0], months[0]).end == date(2026, 1, 31)
    assert hm.month_starts(Filters(date(2025, 12, 5), date(2026, 1, 2))) == [
        date(2025, 12, 1), date(2026, 1, 1)
    ]  # fmt: skip


def test_worst_grids_follow_the_metrics_direction():
    grids = pd.DataFrame(
        {
            "grid_id": ["a", "b", "c", "d"],
            "closure_rate": [0.9, 0.5, None, 0.7],
            "density": [10.0, 30.0, 20.0, None],
        }
    )
    assert list(hm.worst(grids, "closure_rate", 2)["grid_id"]) == ["b", "d"]  # lower is worse
    assert list(hm.worst(grids, "density", 5)["grid_id"]) == ["b", "c", "a"]  # no value: out


def test_grid_workers_are_counted_and_masked(demo, demo_db):
    con, rng, f = demo
    busiest = query(
        demo_db,
        "SELECT w.grid_id, count(*) AS n FROM events e JOIN workers w USING (worker_id) "
        "WHERE reported_at >= ? AND reported_at < ? GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    )["grid_id"][0]
    staff = hm.grid_workers(con, f, rng, busiest)
    names = query(demo_db, "SELECT worker_id, name, role FROM workers WHERE grid_id = ?", [busiest])
    assert set(staff["worker_id"]) == set(names["worker_id"])
    expected = query(
        demo_db,
        "SELECT worker_id, count(*) FILTER (WHERE channel = 'patrol') AS reported, "
        "count(*) FILTER (WHERE channel IS DISTINCT FROM 'patrol') AS handled, "
        "count(*) FILTER (WHERE closed_at <= ?) AS closed FROM events "
        "WHERE reported_at >= ? AND reported_at < ? AND worker_id IN "
        "(SELECT worker_id FROM workers WHERE grid_id = ?) GROUP BY 1",
        [rng.as_of, f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1), busiest],
    ).set_index("worker_id")
    got = staff.set_index("worker_id")
    for worker_id, row in expected.iterrows():
        for column in ("reported", "handled", "closed"):
            assert got.loc[worker_id, column] == row[column], (worker_id, column)
    assert staff["role"].iloc[0] == "full_time"
    real = dict(zip(names["worker_id"], names["name"], strict=True))
    for worker_id, shown in zip(staff["worker_id"], staff["name"], strict=True):
        assert shown != real[worker_id] and shown[0] == real[worker_id][0] and "*" in shown
    assert hm.grid_workers(con, f, rng, "no-such-grid").empty


# ---------------------------------------------------------------- the deck payload


def personal_values(db) -> list[str]:
    """Real reporters' names, phones and addresses and workers' names from the database."""
    rows = query(
        db,
        "SELECT reporter_name, reporter_phone, address FROM events "
        "WHERE reporter_name IS NOT NULL AND reporter_phone IS NOT NULL AND address IS NOT NULL "
        "ORDER BY event_id LIMIT 200",
    )
    workers = query(db, "SELECT name FROM workers ORDER BY worker_id LIMIT 200")["name"]
    values = {*rows["reporter_phone"], *rows["address"], *rows["reporter_name"], *workers}
    return sorted(v for v in values if len(v) >= 2)


def test_deck_payload_one_polygon_per_grid_and_no_personal_fields(demo, demo_db):
    con, rng, f = demo
    grids = hm.grid_figures(con, f, rng)
    shapes = q.grid_shapes(con, f)
    hexes = hm.density_hexes(con, f, rng)
    worst = tuple(hm.worst(grids, "closure_rate", 10)["grid_id"])
    deck = maps.heat_deck(
        grids, shapes, "closure_rate", False, hexes=hexes, extrude=worst, selected=worst[0]
    )
    payload = deck.to_json()
    spec = json.loads(payload)
    polygons = layer(spec, "grids")["data"]
    assert len(polygons) == len(grids) == len({p["grid_id"] for p in polygons})
    assert layer(spec, "grids")["extruded"] is True and spec["initialViewState"]["pitch"] == 45
    heights = {p["grid_id"]: p["elevation"] for p in polygons}
    assert heights[worst[0]] == maps.EXTRUDE_METRES and heights[worst[-1]] > 0
    assert sum(h > 0 for h in heights.values()) == len(worst)
    assert [p["line_m"] for p in polygons if p["grid_id"] == worst[0]] == [
        maps.SELECTED_LINE_METRES
    ]
    assert len(layer(spec, "density")["data"]) == len(hexes)
    assert layer(spec, "density")["pickable"] is False
    for key in PERSONAL:
        assert key not in payload
    for value in personal_values(demo_db):
        assert value not in payload, value
    assert spec["mapStyle"] == "__MAP_STYLE__" and spec.get("mapProvider") is None  # offline
    assert len(payload.encode()) < 2_000_000


def test_a_configured_basemap_style_reaches_the_deck(tmp_path, demo):
    con, rng, f = demo
    settings = tmp_path / "settings.toml"
    settings.write_text('[map]\nstyle_url = "https://tiles.example.cn/style.json"\n', "utf-8")
    chosen = load(settings)
    assert chosen == Settings(map_style_url="https://tiles.example.cn/style.json")
    grids, shapes = hm.grid_figures(con, f, rng), q.grid_shapes(con, f)
    deck = maps.heat_deck(grids, shapes, "density", True, style_url=chosen.map_style_url)
    assert json.loads(deck.to_json())["mapStyle"] == "https://tiles.example.cn/style.json"
    assert load(tmp_path / "missing.toml") == Settings()
    settings.write_text('[map]\nstyle_url = "file:///etc/passwd"\n', "utf-8")
    with pytest.raises(SettingsError, match="style_url"):
        load(settings)
    settings.write_text("[map\n", "utf-8")
    with pytest.raises(SettingsError, match="无法解析"):
        load(settings)


# ---------------------------------------------------------------- the page


def test_heatmap_page_and_its_controls(demo, demo_db, monkeypatch):
    _, _, ytd = demo
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("网格热力图 · ")
    [deck] = decks(at)
    grids_count = query(demo_db, "SELECT count(*) AS n FROM grids")["n"][0]
    assert [x["id"] for x in deck["layers"]] == ["grids"]
    assert len(layer(deck, "grids")["data"]) == grids_count
    fills = [p["fill"] for p in layer(deck, "grids")["data"]]

    at.selectbox(key="heat_metric").select("closure_rate").run()
    [deck] = decks(at)
    assert [p["fill"] for p in layer(deck, "grids")["data"]] != fills
    assert "办结率" in at.dataframe[0].value.columns  # the grids most in need, by the metric

    at.toggle(key="heat_density").set_value(True).run()
    [deck] = decks(at)
    assert [x["id"] for x in deck["layers"]] == ["grids", "density"]
    at.toggle(key="heat_extrude").set_value(True).run()
    [deck] = decks(at)
    assert layer(deck, "grids")["extruded"] is True

    before = layer(deck, "grids")["data"][0]["intake"]
    last = hm.month_starts(ytd)[-1]
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


def test_a_grid_named_like_a_deck_expression_stays_text():
    from ui import maps

    shape = [[0, 0], [1, 0], [0, 1]]
    records = [{"name": "@@=a()", "polygon": shape}, {"name": "第1网格", "polygon": shape}]
    assert [r["name"] for r in maps.inert(records)] == ["\u200b@@=a()", "第1网格"]
