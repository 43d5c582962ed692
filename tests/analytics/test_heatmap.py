"""网格热力图: per-grid figures, the density layer, the grid's staff, the deck payload, the
page and its controls, and the basemap setting."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from analytics import heatmap, queries, scales
from analytics.filters import Filters
from analytics.settings import Settings, SettingsError, load
from tests.conftest import PERSONAL, layer, personal_values, query
from ui import maps

# ---------------------------------------------------------------- analytics


def test_grid_figures_agree_with_plain_sql(demo, demo_db):
    con, coverage, f = demo
    grids = heatmap.grid_figures(con, f, coverage).set_index("grid_id")
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
    direct = queries.metric_table(
        con,
        f.with_period(f.start, f.end),
        coverage,
        ["response_median"],
        by=["grid_id"],
        compare=None,
    ).set_index("grid_id")
    assert grids.loc[one, "response_median"] == pytest.approx(direct.loc[one, "response_median"])


def test_density_hexes_count_every_located_event_and_nothing_else(demo, demo_db):
    con, coverage, f = demo
    hexes = heatmap.density_hexes(con, f, coverage)
    located = query(
        demo_db,
        "SELECT count(*) AS n FROM events WHERE reported_at >= ? AND reported_at < ? "
        "AND lon IS NOT NULL AND lat IS NOT NULL",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    )["n"][0]
    assert hexes["intake"].sum() + hexes.attrs["hidden_events"] == located
    assert hexes["intake"].min() >= heatmap.DENSITY_MIN_EVENTS
    everything = heatmap.density_hexes(con, f, coverage, min_events=1)
    assert everything["intake"].sum() == located and everything.attrs["hidden_cells"] == 0
    assert len(everything) == len(hexes) + hexes.attrs["hidden_cells"]
    assert set(hexes.columns) == {"hex_id", "polygon", "lon", "lat", "intake", "intake_prev"}
    assert hexes["hex_id"].is_unique and len(hexes) < 2000


def test_period_slider_months():
    f = Filters(date(2026, 1, 15), date(2026, 3, 10))
    months = heatmap.month_starts(f)
    assert months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    narrowed = heatmap.months_within(f, months[1], months[2])
    assert (narrowed.start, narrowed.end) == (date(2026, 2, 1), date(2026, 3, 10))
    assert heatmap.months_within(f, months[0], months[0]).end == date(2026, 1, 31)
    assert heatmap.month_starts(Filters(date(2025, 12, 5), date(2026, 1, 2))) == [
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
    assert list(heatmap.worst(grids, "closure_rate", 2)["grid_id"]) == ["b", "d"]  # lower is worse
    assert list(heatmap.worst(grids, "density", 5)["grid_id"]) == ["b", "c", "a"]  # no value: out


def test_grid_workers_are_counted_and_masked(demo, demo_db):
    con, coverage, f = demo
    busiest = query(
        demo_db,
        "SELECT w.grid_id, count(*) AS n FROM events e JOIN workers w USING (worker_id) "
        "WHERE reported_at >= ? AND reported_at < ? GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    )["grid_id"][0]
    staff = heatmap.grid_workers(con, f, coverage, busiest)
    names = query(demo_db, "SELECT worker_id, name, role FROM workers WHERE grid_id = ?", [busiest])
    assert set(staff["worker_id"]) == set(names["worker_id"])
    expected = query(
        demo_db,
        "SELECT worker_id, count(*) FILTER (WHERE channel = 'patrol') AS reported, "
        "count(*) FILTER (WHERE channel IS DISTINCT FROM 'patrol') AS handled, "
        "count(*) FILTER (WHERE closed_at <= ?) AS closed FROM events "
        "WHERE reported_at >= ? AND reported_at < ? AND worker_id IN "
        "(SELECT worker_id FROM workers WHERE grid_id = ?) GROUP BY 1",
        [coverage.as_of, f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1), busiest],
    ).set_index("worker_id")
    got = staff.set_index("worker_id")
    for worker_id, row in expected.iterrows():
        for column in ("reported", "handled", "closed"):
            assert got.loc[worker_id, column] == row[column], (worker_id, column)
    assert staff["role"].iloc[0] == "full_time"
    # the columns add up: events = reported + handled ≥ closed, in_grid; per_month = events/month
    assert (staff["events"] == staff["reported"] + staff["handled"]).all()
    assert (staff["closed"] <= staff["events"]).all()
    assert (staff["in_grid"] <= staff["events"]).all()
    assert staff["per_month"].to_numpy() == pytest.approx(staff["events"].to_numpy() / f.months)
    in_grid = query(
        demo_db,
        "SELECT worker_id, count(*) AS n FROM events WHERE grid_id = ? "
        "AND reported_at >= ? AND reported_at < ? GROUP BY 1",
        [busiest, f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    ).set_index("worker_id")["n"]
    for worker_id, n in got["in_grid"].items():
        assert n == in_grid.get(worker_id, 0), worker_id
    grid = heatmap.grid_figures(con, f, coverage).set_index("grid_id").loc[busiest]
    assert staff["in_grid"].sum() <= grid["intake"]  # of the grid's events, those staff handled
    assert grid["workload"] == pytest.approx(
        grid["intake"] / grid["full_time_workers"] / f.months
    )  # the grid's 人均事件数: its whole intake, not the staff's own events
    real = dict(zip(names["worker_id"], names["name"], strict=True))
    for worker_id, shown in zip(staff["worker_id"], staff["name"], strict=True):
        assert shown != real[worker_id] and shown[0] == real[worker_id][0] and "*" in shown
    assert heatmap.grid_workers(con, f, coverage, "no-such-grid").empty


# ---------------------------------------------------------------- the deck payload


def test_deck_payload_one_polygon_per_grid_and_no_personal_fields(demo, demo_db):
    con, coverage, f = demo
    grids = heatmap.grid_figures(con, f, coverage)
    shapes = queries.grid_shapes(con, f)
    hexes = heatmap.density_hexes(con, f, coverage)
    worst = tuple(heatmap.worst(grids, "closure_rate", 10)["grid_id"])
    scale = scales.for_metric("closure_rate")
    deck = maps.heat_deck(
        grids, shapes, "closure_rate", scale, hexes=hexes, extrude=worst, selected=worst[0]
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
    con, coverage, f = demo
    settings = tmp_path / "settings.toml"
    settings.write_text('[map]\nstyle_url = "https://tiles.example.cn/style.json"\n', "utf-8")
    chosen = load(settings)
    assert chosen == Settings(map_style_url="https://tiles.example.cn/style.json")
    grids, shapes = heatmap.grid_figures(con, f, coverage), queries.grid_shapes(con, f)
    scale = scales.for_metric("density", grids["density"])
    deck = maps.heat_deck(grids, shapes, "density", scale, style_url=chosen.map_style_url)
    assert json.loads(deck.to_json())["mapStyle"] == "https://tiles.example.cn/style.json"
    assert load(tmp_path / "missing.toml") == Settings()
    settings.write_text('[map]\nstyle_url = "file:///etc/passwd"\n', "utf-8")
    with pytest.raises(SettingsError, match="style_url"):
        load(settings)
    settings.write_text("[map\n", "utf-8")
    with pytest.raises(SettingsError, match="无法解析"):
        load(settings)


def test_a_grid_named_like_a_deck_expression_stays_text():
    from ui import maps

    shape = [[0, 0], [1, 0], [0, 1]]
    records = [{"name": "@@=a()", "polygon": shape}, {"name": "第1网格", "polygon": shape}]
    assert [r["name"] for r in maps.inert(records)] == ["\u200b@@=a()", "第1网格"]


def test_grid_figures_from_the_district_reference_the_app_holds(demo):
    """``ui.data`` hands in the cached district reference instead of a query per scope:
    the same figures for the district, a street, a community and a grid."""
    from dataclasses import replace

    con, coverage, f = demo
    reference = queries.grid_reference(con)
    street, community, grid = reference.iloc[0][["street_id", "community_id", "grid_id"]]
    for scope in (
        f,
        replace(f, street_id=street),
        replace(f, street_id=street, community_id=community),
        replace(f, street_id=street, community_id=community, grid_id=grid),
    ):
        pd.testing.assert_frame_equal(
            heatmap.grid_figures(con, scope, coverage, reference=reference),
            heatmap.grid_figures(con, scope, coverage),
            check_exact=True,
        )
