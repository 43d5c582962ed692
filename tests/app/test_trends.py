"""The trends page under AppTest (the figures it shows are tested in
``tests/analytics/test_trends.py``)."""

from __future__ import annotations

import base64

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page

PAGE = "pages/trends.py"


# ---------------------------------------------------------------- the page


def traces(at: AppTest, key: str) -> list[dict]:
    import json

    [chart] = [c for c in at.get("plotly_chart") if key in c.proto.id]
    return json.loads(chart.proto.spec)["data"]


def numbers(values) -> np.ndarray:
    """A trace's y: a list, or plotly's typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def test_trends_page_and_its_controls(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("投诉信访趋势 · ")
    assert len(at.get("plotly_chart")) == 5
    assert len(at.main.get("download_button")) == 10  # CSV and Excel under each of five
    stacked = traces(at, "trend_types")
    assert {t["type"] for t in stacked} == {"bar", "scatter"}
    assert any(t["name"] == "合计(上年同期)" for t in stacked)

    at.segmented_control(key="trend_mode").set_value("split").run()
    split = traces(at, "trend_types")
    assert {t["type"] for t in split} == {"scatter"}
    assert any(t["name"] == "投诉(上年同期)" for t in split)

    at.toggle(key="trend_previous").set_value(False).run()
    assert not any("上年同期" in t["name"] for t in traces(at, "trend_types"))
    at.toggle(key="trend_moving").set_value(True).run()
    assert any(t["name"] == "投诉(移动平均)" for t in traces(at, "trend_types"))

    weekly = len(traces(at, "trend_types")[0]["x"])
    at.segmented_control(key="trend_freq").set_value("month").run()
    monthly = traces(at, "trend_types")[0]["x"]
    assert len(monthly) == 10 < weekly  # January to October
    at.segmented_control(key="trend_freq").set_value("day").run()
    assert not at.exception

    at.multiselect(key="trend_units").set_value(["S01", "S02C01", "S03"]).run()
    assert len(traces(at, "trend_units_chart")) == 3
    assert not at.exception


def test_trends_page_follows_the_sidebar(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    before = sum(numbers(t["y"]).sum() for t in traces(at, "trend_types") if t["type"] == "bar")
    at.selectbox(key="f_street").select("S01").run()
    after = sum(numbers(t["y"]).sum() for t in traces(at, "trend_types") if t["type"] == "bar")
    assert 0 < after < before
    at.selectbox(key="f_preset").select("last_month").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5  # a month still has earlier weeks for its baseline
