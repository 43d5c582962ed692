"""The app run by Streamlit's AppTest: every filter path, figures equal to the analytics layer."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.connection import connect
from analytics.filters import Filters, preset_period
from tests.apptest import app_test
from tests.conftest import decks

KPI_LABELS = ["受理量", "办结率", "按时办结率", "响应时长中位数", "满意率", "网格内解决率", "积压"]


def run_app(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("GOV_DB", str(db))
    at = app_test()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {x.label: x.value for x in at.metric}


def period_line(at: AppTest) -> str:
    """The page's 统计期 caption (the freshness line comes first on every page)."""
    return next(c.value for c in at.caption if c.value.startswith("统计期"))


def test_overview_shows_the_seven_cards_with_hand_checked_values(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    assert [x.label for x in at.metric] == KPI_LABELS
    values = metric_values(at)
    assert values["受理量"] == "7"
    assert values["办结率"] == "57.1%"
    assert values["按时办结率"] == "60.0%"
    assert values["响应时长中位数"] == "1.5小时"
    assert values["积压"] == "3"
    deltas = {x.label: x.delta for x in at.metric}
    assert deltas["受理量"] == "+133.3%(同比)"
    assert deltas["办结率"] == "-9.5个百分点(同比)"
    assert "2026年1月1日至10月31日" in period_line(at)
    assert at.subheader[0].value == "一屏统览 · 测试区"


def test_street_community_grid_cascade(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.selectbox(key="f_street").select("S02").run()
    assert metric_values(at)["受理量"] == "3"
    assert at.subheader[0].value == "一屏统览 · 乙街道"
    at.selectbox(key="f_community").select("S02C01").run()
    at.selectbox(key="f_grid").select("S02C01G01").run()
    assert not at.exception
    assert metric_values(at)["受理量"] == "2"
    assert at.subheader[0].value == "一屏统览 · 乙街道 · 乙一社区 · 第1网格"
    at.selectbox(key="f_street").select("S01").run()  # community/grid of S02 no longer apply
    assert not at.exception
    assert at.selectbox(key="f_community").value == ""
    assert metric_values(at)["受理量"] == "4"


@pytest.mark.parametrize(
    ("key", "values", "intake"),
    [
        ("f_event_types", ["complaint"], "3"),
        ("f_categories", ["物业管理"], "2"),
        ("f_channels", ["hotline", "app"], "4"),
        ("f_boards", ["safety"], "2"),
    ],
)
def test_dimension_filters(tiny_db, monkeypatch, key, values, intake):
    at = run_app(tiny_db, monkeypatch)
    at.multiselect(key=key).set_value(values).run()
    assert not at.exception
    assert metric_values(at)["受理量"] == intake


def test_period_presets_and_custom_range(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.selectbox(key="f_preset").select("last_year").run()
    assert metric_values(at)["受理量"] == "4"  # P1, P2, P3 and X1 (2025-12-15)
    assert not any(x.delta for x in at.metric)  # 2024 is not wholly inside the data
    at.selectbox(key="f_preset").select("custom").run()
    at.date_input(key="f_range").set_value((date(2026, 6, 1), date(2026, 6, 30))).run()
    assert not at.exception
    assert metric_values(at)["受理量"] == "2"
    assert "2026年6月1日至6月30日" in period_line(at)


def test_month_over_month_and_reset(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.radio(key="f_compare").set_value("mom").run()
    assert all("环比" in (x.delta or "环比") for x in at.metric)
    at.multiselect(key="f_boards").set_value(["safety"]).run()
    at.sidebar.button[0].click().run()  # 重置筛选 (the cards have 明细 buttons)
    assert not at.exception
    assert metric_values(at)["受理量"] == "7"


def test_map_payload_is_aggregated_without_personal_data(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    (deck,) = decks(at)
    layer = deck["layers"][0]  # the grids, under the streets' outlines and names
    assert [x["id"] for x in deck["layers"]] == ["grids", "outlines", "names"]
    assert layer["@@type"] == "PolygonLayer"
    assert sorted(r["grid_id"] for r in layer["data"]) == ["S01C01G01", "S02C01G01"]
    payload = json.dumps(deck, ensure_ascii=False)
    for secret in ("张三", "13812345678", "某路12号", "reporter", "description"):
        assert secret not in payload
    assert "http" not in payload  # no basemap or tiles fetched from the internet
    assert deck.get("mapStyle") in (None, "", "__MAP_STYLE__")


def test_map_metric_switch(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.selectbox(key="overview_map_metric").select("closure_rate").run()
    (deck,) = decks(at)
    values = {r["grid_id"]: r["value"] for r in deck["layers"][0]["data"]}
    assert values == {"S01C01G01": "75.0%", "S02C01G01": "50.0%"}


def test_missing_database_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tmp_path / "nothing.duckdb"))
    at = app_test().run()
    assert not at.exception
    assert "python -m analytics demo" in at.error[0].value
    assert not (tmp_path / "nothing.duckdb").exists()


FILTER_COMBINATIONS = [
    {},
    {"f_street": "S01"},
    {"f_preset": "last_12m", "f_compare": "mom"},
    {"f_preset": "last_month", "f_event_types": ["petition"]},
    {"f_preset": "qtd", "f_channels": ["patrol"], "f_boards": ["safety"]},
    {"f_preset": "last_30d", "f_street": "S03"},
    {"f_preset": "last_year", "f_categories": ["噪音扰民"]},
]


@pytest.mark.parametrize("combo", FILTER_COMBINATIONS, ids=lambda c: ",".join(c) or "default")
def test_demo_district_overview_matches_analytics(demo_db, monkeypatch, combo):
    at = run_app(demo_db, monkeypatch)
    for key, value in combo.items():
        widget = at.multiselect(key=key) if isinstance(value, list) else None
        if widget is not None:
            widget.set_value(value)
        elif key == "f_compare":
            at.radio(key=key).set_value(value)
        else:
            at.selectbox(key=key).select(value)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    assert [x.label for x in at.metric] == KPI_LABELS
    con = connect(demo_db, read_only=True)
    coverage = queries.data_range(con)
    start, end = preset_period(combo.get("f_preset", "ytd"), coverage.last_day)
    f = Filters(
        start,
        end,
        street_id=combo.get("f_street"),
        event_types=tuple(combo.get("f_event_types", ())),
        categories=tuple(combo.get("f_categories", ())),
        channels=tuple(combo.get("f_channels", ())),
        boards=tuple(combo.get("f_boards", ())),
    )
    intake = queries.kpis(con, f, coverage).set_index("metric").loc["intake", "value"]
    shown = metric_values(at)["受理量"]
    expected = f"{intake / 1e4:.1f}万" if intake >= 1e5 else f"{int(intake):,}"
    assert shown == expected
    assert re.fullmatch(r"[\d.,]+万?", shown)
    con.disconnect()


def test_a_rebuilt_database_shows_on_the_next_rerun(tiny_db, tmp_path, monkeypatch):
    """Writers replace the file (build beside it, rename onto it); the app must follow."""
    import os
    import shutil

    from analytics.demo.build import build_demo

    live = tmp_path / "live.duckdb"
    shutil.copy(tiny_db, live)
    at = run_app(live, monkeypatch)
    assert metric_values(at)["受理量"] == "7"
    build_demo(tmp_path / "next.duckdb", events=3000, seed=3)
    os.replace(tmp_path / "next.duckdb", live)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric_values(at)["受理量"] != "7"
    assert at.subheader[0].value != "一屏统览 · 测试区"


def test_unknown_households_and_untrusted_names_are_shown_safely(tiny_db, tmp_path, monkeypatch):
    import shutil

    import duckdb

    db = tmp_path / "odd.duckdb"
    shutil.copy(tiny_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE grids SET households = NULL WHERE grid_id = 'S01C01G01'")
    con.execute(
        "UPDATE org_units SET name = '[点我](http://evil.example) **甲**' WHERE unit_id = 'S01'"
    )
    con.close()
    at = run_app(db, monkeypatch)
    at.selectbox(key="f_street").select("S01").run()
    assert not at.exception, [e.value for e in at.exception]
    title = at.subheader[0].value
    # escaped, and the address broken by a zero-width space: neither a link nor autolinked
    assert "\\[点我\\]\\(http\u200b\\://evil\\.example\\) \\*\\*甲\\*\\*" in title
    (deck,) = decks(at)
    (row,) = deck["layers"][0]["data"]
    assert row["households"] == "—"


def test_overview_on_a_311_import_without_grids_draws_hexagons(tmp_path, monkeypatch):
    from analytics.ingest.events import import_events
    from tests.analytics.ingest.test_import import OPEN311_HEADER, open311_rows

    db = tmp_path / "nyc.duckdb"
    src = tmp_path / "311.csv"
    src.write_text("\n".join([OPEN311_HEADER, *open311_rows()]) + "\n", encoding="utf-8")
    import_events(src, preset="open311", db=db)
    at = run_app(db, monkeypatch)
    values = metric_values(at)
    assert values["受理量"] == "3"  # 2024 to date (as_of 2024-02-15 23:05)
    assert values["网格内解决率"] == "—"  # no resolution level recorded: no claim either way
    headings = [x.value.replace("\\", "") for x in at.markdown]  # as shown, unescaped
    assert "**事件分布(无网格边界,按蜂窝格汇总)**" in headings
    assert "**受理趋势 · 按事件类型(件/月)**" in headings
    [deck] = decks(at)
    [layer] = deck["layers"]
    assert layer["id"] == "hexagons"
    assert len(layer["data"]) == 2  # two located events, far apart; the third has no position
    assert {d["intake"] for d in layer["data"]} == {"1"}
    payload = json.dumps(deck)
    assert "MAIN ST" not in payload and "-73.99," not in payload  # no event's own position
    assert sum("无法按网格预警" in x.value for x in at.info) == 2
    at.selectbox(key="overview_hex_metric").select("closure_rate").run()
    assert not at.exception


def test_hexagons_bin_nearby_events_together(tiny_db, tmp_path):
    import shutil

    import duckdb

    db = tmp_path / "hex.duckdb"
    shutil.copy(tiny_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE events SET lon = NULL, lat = NULL")
    con.execute("UPDATE events SET lon = 106.50, lat = 29.60 WHERE event_id IN ('E1', 'E2')")
    con.execute("UPDATE events SET lon = 106.5001, lat = 29.6001 WHERE event_id = 'E3'")
    con.execute("UPDATE events SET lon = 106.60, lat = 29.70 WHERE event_id = 'E4'")
    con.close()
    backend = connect(db, read_only=True)
    try:
        coverage = queries.data_range(backend)
        f = Filters(*preset_period("last_12m", coverage.last_day))
        hexes = queries.hex_metrics(backend, f, coverage, compare=None)
        located = backend.raw_sql(
            "SELECT event_id FROM events WHERE lon IS NOT NULL AND reported_at >= ? "
            "AND reported_at < ?",
            parameters=[f.start, f.end + timedelta(days=1)],
        ).fetchall()
    finally:
        backend.disconnect()
    assert hexes["intake"].sum() == len(located)
    assert len(hexes) == 2  # E1–E3 share one hexagon, E4 (13 km away) has its own
    for ring, lon, lat in zip(hexes["polygon"], hexes["lon"], hexes["lat"], strict=True):
        assert len(ring) == 6
        assert min(p[0] for p in ring) < lon < max(p[0] for p in ring)
        assert min(p[1] for p in ring) < lat < max(p[1] for p in ring)
