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


def test_presentation_mode_from_a_link_and_back(tiny_db, monkeypatch):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    at = app_test()
    at.query_params = {"street": "S01", "present": "1", "rotate": "overview,trends", "every": "45"}
    at.run()
    assert not at.exception
    assert at.toggle(key="present").value is True
    assert at.multiselect(key="present_pages").value == ["overview", "trends"]
    assert at.number_input(key="present_every").value == 45
    assert any("display: none" in h.proto.body for h in at.get("html")), "chrome hidden"
    assert any("切换到「投诉信访趋势」" in c.value for c in at.caption)
    assert at.query_params["present"] == "1" and at.query_params["every"] == "45"

    at.button(key="present_exit").click().run()
    assert at.toggle(key="present").value is False
    assert not any("display: none" in h.proto.body for h in at.get("html"))
    assert "present" not in at.query_params and at.query_params["street"] == "S01"


def test_presentation_mode_switch_in_the_sidebar(tiny_db, monkeypatch):
    at = run_app(tiny_db, monkeypatch)
    assert not any("display: none" in h.proto.body for h in at.get("html"))
    at.toggle(key="present").set_value(True).run()
    assert any("display: none" in h.proto.body for h in at.get("html"))
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
