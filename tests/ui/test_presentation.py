"""The URL carries the view (filters and presentation mode), and the presentation mode."""

from __future__ import annotations

from datetime import date

import pytest

from tests.app.test_app import metric_values, run_app
from tests.apptest import app_test


def test_the_url_follows_the_filters(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    assert at.query_params["period"] == "ytd" and "street" not in at.query_params
    at.selectbox(key="f_street").set_value("S01").run()
    at.multiselect(key="f_channels").set_value(["hotline", "app"]).run()
    at.radio(key="f_compare").set_value("mom").run()
    assert at.query_params["street"] == "S01"
    assert at.query_params["channel"] == ["hotline", "app"]  # repeated: names may hold commas
    assert at.query_params["cmp"] == "mom"
    at.selectbox(key="f_preset").set_value("custom").run()
    at.date_input(key="f_range").set_value((date(2026, 6, 1), date(2026, 6, 30))).run()
    assert (at.query_params["start"], at.query_params["end"]) == ("2026-06-01", "2026-06-30")


def test_a_link_opens_the_same_view(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.selectbox(key="f_street").set_value("S01").run()
    at.multiselect(key="f_channels").set_value(["hotline"]).run()
    at.selectbox(key="f_preset").set_value("custom").run()
    at.date_input(key="f_range").set_value((date(2026, 6, 1), date(2026, 6, 30))).run()
    expected, link = metric_values(at), dict(at.query_params)

    fresh = app_test()  # a new session opening the copied link
    fresh.query_params = link
    fresh.run()
    assert not fresh.exception
    assert fresh.selectbox(key="f_street").value == "S01"
    assert fresh.multiselect(key="f_channels").value == ["hotline"]
    assert fresh.date_input(key="f_range").value == (date(2026, 6, 1), date(2026, 6, 30))
    assert metric_values(fresh) == expected
    assert dict(fresh.query_params) == link


def test_a_link_with_values_the_app_does_not_offer_is_shown_safely(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {
        "period": "forever",
        "street": "S99",
        "channel": ["hotline", "<b>x</b>"],
        "cat": "不存在的类别",
        "community": "S01C01",  # without its street
        "start": "2026-13-01",
        "rotate": "overview,nowhere",
        "every": "1",
    }
    at.run()
    assert not at.exception
    assert at.selectbox(key="f_preset").value == "ytd"
    assert at.selectbox(key="f_street").value == ""
    assert at.multiselect(key="f_channels").value == ["hotline"]
    assert at.multiselect(key="f_categories").value == []
    assert at.query_params.get("channel") == "hotline" and "street" not in at.query_params
    assert "community" not in at.query_params


def test_a_link_whose_dates_miss_the_data_keeps_the_default_range(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"period": "custom", "start": "2019-01-01", "end": "2019-03-01"}
    at.run()
    assert not at.exception
    start, end = at.date_input(key="f_range").value
    assert start.year == end.year == 2026 and start < end


def test_leaving_a_street_clears_its_community_from_the_url(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    at.selectbox(key="f_street").set_value("S01").run()
    at.selectbox(key="f_community").set_value("S01C01").run()
    assert at.query_params["community"] == "S01C01"
    at.selectbox(key="f_street").set_value("").run()
    assert "street" not in at.query_params and "community" not in at.query_params


HIDDEN_CHROME = '[data-testid="stSidebarCollapsedControl"]'  # in the presentation style only


def test_presentation_mode_from_a_link_and_back(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"street": "S01", "present": "1", "rotate": "overview,trends", "every": "45"}
    at.run()
    assert not at.exception
    assert at.toggle(key="present").value is True
    assert at.multiselect(key="present_pages").value == ["overview", "trends"]
    assert at.number_input(key="present_every").value == 45
    assert any(HIDDEN_CHROME in h.proto.body for h in at.get("html")), "chrome hidden"
    assert any("切换到「投诉信访趋势」" in c.value for c in at.caption)
    assert at.query_params["present"] == "1" and at.query_params["every"] == "45"

    at.button(key="present_exit").click().run()
    assert at.toggle(key="present").value is False
    assert not any(HIDDEN_CHROME in h.proto.body for h in at.get("html"))
    assert "present" not in at.query_params and at.query_params["street"] == "S01"


def test_presentation_mode_switch_in_the_sidebar(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    assert not any(HIDDEN_CHROME in h.proto.body for h in at.get("html"))
    at.toggle(key="present").set_value(True).run()
    assert any(HIDDEN_CHROME in h.proto.body for h in at.get("html"))
    assert at.query_params["present"] == "1" and "rotate" not in at.query_params
    assert not any("自动轮播" in c.value for c in at.caption)  # no pages chosen: no rotation


@pytest.mark.parametrize("every", ["²", "٣٠", "9" * 400, "-5", "3.5"])
def test_a_link_with_an_odd_stay_keeps_the_default(tiny_db, monkeypatch, every):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"present": "1", "rotate": "overview,trends", "every": every}
    at.run()
    assert not at.exception
    assert at.number_input(key="present_every").value == 30


def test_a_chart_on_the_projector_has_large_text_and_every_category():
    import plotly.graph_objects as go

    from ui import presentation

    fig = go.Figure(
        go.Bar(
            x=[5, 3, 1], y=["物业管理", "社会保障", "道路交通"], orientation="h", text=["+7%"] * 3
        )
    )
    fig.update_traces(textfont_size=10)
    fig.update_layout(font_size=13, legend_font_size=11)
    fig.add_annotation(text="春节", font_size=10, x=1, y="社会保障")
    fig.update_xaxes(type="log")
    big = presentation.figure(fig)
    assert big is not fig and fig.layout.font.size == 13  # the page's figure is left alone
    assert big.layout.font.size >= 18 and big.layout.legend.font.size >= 18
    assert big.data[0].textfont.size >= 16 and big.layout.annotations[0].font.size >= 16
    assert big.layout.yaxis.tickfont.size >= 16 and big.layout.yaxis.dtick == 1  # categories
    assert big.layout.xaxis.tickfont.size * 0.75 >= 16  # a log axis's 2…9 at 3/4 size
    assert big.layout.xaxis.dtick is None
    assert "colorbar" not in big.data[0].to_plotly_json().get("marker", {})  # none added


def _presented(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"present": "1"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tables_on_the_projector_are_html_with_the_rows_that_fit(tiny_db, monkeypatch):
    at = _presented(tiny_db, monkeypatch)
    assert len(at.dataframe) == 0  # a canvas table ignores the page's font size
    tables = [h.proto.body for h in at.get("html") if h.proto.body.startswith("<table")]
    assert tables and all('class="gov-present"' in t for t in tables)
    assert at.main.get("download_button") == []  # no controls on a projector


def test_a_long_table_says_how_many_rows_are_left_out():
    from streamlit.testing.v1 import AppTest

    from ui.presentation import ROW_PX

    def page():
        import pandas as pd

        from ui import presentation
        from ui.panel import Table

        frame = pd.DataFrame({"网格": [f"<b>第{i}网格</b>" for i in range(40)], "件数": range(40)})
        presentation.table(Table(frame, formats={"件数": "%d 件"}), height=300)

    at = AppTest.from_function(page).run()
    assert not at.exception
    body = at.get("html")[0].proto.body
    rows = (300 - ROW_PX) // ROW_PX
    assert body.count("<tr>") == rows + 1  # the header and the rows that fit, none cut
    assert f"另有 {40 - rows} 行未显示" in body
    assert "&lt;b&gt;第0网格&lt;/b&gt;" in body and "<b>" not in body  # names escaped
    assert ">0 件</td>" in body  # the table's own format


def test_the_chart_config_speaks_chinese_and_hides_the_mode_bar_on_a_projector(
    tiny_db, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from ui import charts

        st.session_state["present"] = st.session_state.get("want_present", False)
        st.session_state["config"] = charts.config("办结率_全区")

    at = AppTest.from_function(page).run()
    spec = at.session_state["config"]
    assert spec["locale"] == "zh-CN" and "displayModeBar" not in spec
    words = spec["locales"]["zh-CN"]["dictionary"]
    assert words["Zoom in"] == "放大" and words["Download plot as a PNG"] == "下载为 PNG 图片"
    assert spec["locales"]["zh-CN"]["format"]["months"][0] == "1月"
    at.session_state["want_present"] = True
    at.run()
    assert at.session_state["config"]["displayModeBar"] is False


def test_a_projector_shows_no_hint_about_widgets(demo_db, monkeypatch):
    """A section's hint tells how to use the page's widgets (the sidebar, a click on the map);
    a projector has neither, so presentation mode leaves hints out, on every page."""
    from tests.apptest import open_page

    def captions(at) -> str:
        return " ".join(c.value.replace("\\", "") for c in at.caption)

    for page, hint in (("pages/rankings.py", "可在左侧"), ("pages/heatmap.py", "点击网格查看详情")):
        assert hint in captions(open_page(demo_db, monkeypatch, page))
        presenting = open_page(demo_db, monkeypatch, page, query={"present": "1"})
        assert hint not in captions(presenting)
