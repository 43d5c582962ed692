"""The overview page under AppTest: the cards' trend lines, the 明细 lists behind a card, a
category or an alert row, and cross-filtering by a clicked category. The tiny database's
events are listed in ``tests/conftest.py`` (period 2026-01-01 .. 10-31, events E1..E7)."""

from __future__ import annotations

import json
from datetime import date

from streamlit.testing.v1 import AppTest

from tests.apptest import open_page
from tests.conftest import query

PAGE = "pages/overview.py"


def cards(at: AppTest) -> dict:
    return {m.label: m for m in at.metric}


def dialogs(at: AppTest) -> list:
    return list(at.get("dialog"))


def headings(at: AppTest) -> list[str]:
    return [x.value.replace("\\", "") for x in at.markdown]


def test_each_card_draws_its_metric_by_month(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, PAGE)
    shown = cards(at)
    # Jan..Sep 2026: E1, E2 in March; E3, E4 in June; E5 in September. October (E6, E7) is
    # left out: the data ends on 10-31 at 14:00, so the month is not whole (as on the trend)
    assert list(shown["受理量"].proto.chart_data) == [0, 0, 2, 0, 0, 2, 0, 0, 1]
    assert list(shown["积压"].proto.chart_data) == [0, 0, 0, 0, 0, 1, 0, 0, 0]
    # a rate has no value in a month without events: those months are left out, not zeros
    assert list(shown["办结率"].proto.chart_data) == [1.0, 0.5, 1.0]
    assert "小图为各整月的走势" in shown["受理量"].proto.help
    assert "首尾不满一个月的月份不画" in shown["受理量"].proto.help


def test_partial_months_are_left_out_and_said(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.selectbox(key="f_preset").select("custom").run()
    at.date_input(key="f_range").set_value((date(2026, 3, 3), date(2026, 10, 15))).run()
    assert not at.exception, [e.value for e in at.exception]
    intake = cards(at)["受理量"]
    assert intake.value == "4"  # E2 (03-05), E3 and E4 (June), E5 (09-30)
    # March (from the 3rd) and October (to the 15th) are partial: April .. September drawn
    assert list(intake.proto.chart_data) == [0, 0, 2, 0, 0, 1]
    assert "首尾不满一个月的月份不画" in intake.proto.help


def test_a_cards_detail_lists_the_events_behind_it_masked(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.button(key="overview_drill_closure_rate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (dialog,) = dialogs(at)
    assert dialog.proto.dialog.title == "事件明细 · 未办结"
    listed = at.dataframe[-1].value
    assert listed["事件编号"].tolist() == ["E7", "E6", "E4"]  # 办结率 57.1 %: 3 of 7 open
    assert listed["状态"].tolist() == ["未办结", "未办结", "超期未办结"]
    assert listed["办结时间"].tolist() == ["—"] * 3
    assert "共 3 件。反映人、联系电话、地址和诉求内容已脱敏。" in [c.value for c in at.caption]
    text = listed.to_string()
    for secret in ("张三", "13812345678", "12号"):
        assert secret not in text
    # whoever may export gets the list as files (audited by ui.downloads)
    assert {b.key for b in at.get("download_button")} >= {"dl_drill_csv", "dl_drill_xlsx"}


def test_a_long_list_says_how_many_it_shows(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    at.button(key="overview_drill_intake").click().run()
    assert not at.exception, [e.value for e in at.exception]
    intake = cards(at)["受理量"].value
    (summary,) = [c.value for c in at.caption if c.value.startswith("共 ")]
    assert summary.startswith(f"共 {intake} 件,显示前 200 件")
    assert len(at.dataframe[-1].value) == 200


def test_a_clicked_category_narrows_the_trend_map_and_alerts(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, PAGE)
    before = cards(at)["受理量"].value
    at.session_state["overview_category"] = "噪音扰民"  # what a click on its bar sets
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = headings(at)
    assert "**网格地图(噪音扰民)**" in shown
    assert any(h.startswith("**受理趋势") and h.endswith("(噪音扰民)**") for h in shown)
    assert cards(at)["受理量"].value == before  # the cards keep the whole selection
    (deck,) = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    intake = {r["grid_id"]: r["intake"] for r in deck["layers"][0]["data"]}
    assert intake == {"S01C01G01": "0", "S02C01G01": "2"}  # E3 and E4 only
    chip = at.button(key="overview_chip_clear")
    assert chip.label.replace("\\", "") == "已筛选:噪音扰民 ✕"  # as shown, unescaped
    at.button(key="overview_chip_drill").click().run()
    (dialog,) = dialogs(at)
    assert dialog.proto.dialog.title == "事件明细 · 噪音扰民 · 全部受理"
    assert at.dataframe[-1].value["事件编号"].tolist() == ["E4", "E3"]
    at.button(key="overview_chip_clear").click().run()
    assert "**网格地图**" in headings(at)
    assert not [b for b in at.button if b.key == "overview_chip_clear"]


def test_presentation_mode_has_no_detail_buttons(tiny_db, monkeypatch):
    from tests.apptest import app_test

    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"present": "1"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.metric) == 7
    assert not [b for b in at.button if (b.key or "").startswith("overview_drill_")]


def test_a_category_the_sidebar_then_leaves_out_is_dropped(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, PAGE)
    at.session_state["overview_category"] = "噪音扰民"
    at.run()
    assert "**网格地图(噪音扰民)**" in headings(at)
    at.multiselect(key="f_categories").set_value(["物业管理"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "**网格地图**" in headings(at)
    assert not [b for b in at.button if b.key == "overview_chip_clear"]


def test_the_alerts_name_grids_with_their_street_and_community(demo_db, monkeypatch):
    """ "第6网格 / 新民社区" repeats in every street: the alert tables name a grid in full."""
    at = open_page(demo_db, monkeypatch, PAGE)
    titles = {
        f"{s} {c} {g}"
        for s, c, g in zip(
            *query(
                demo_db,
                """SELECT s.name AS s, c.name AS c, g.name AS g FROM grids g
                JOIN org_units c ON c.unit_id = g.community_id
                JOIN org_units s ON s.unit_id = g.street_id""",
            )
            .to_dict("list")
            .values(),
            strict=True,
        )
    }
    alerts = [d.value for d in at.dataframe if "网格" in d.value.columns]
    assert len(alerts) == 2 and all(len(a) for a in alerts)
    assert all(set(a["网格"]) <= titles for a in alerts)
