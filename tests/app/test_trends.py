"""The trends page under AppTest (the figures it shows are tested in
``tests/analytics/test_trends.py``)."""

from __future__ import annotations

import base64

import numpy as np
from streamlit.testing.v1 import AppTest

from analytics import trends
from tests.apptest import open_page, page_names

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
    units = [t for t in traces(at, "trend_units_chart") if t.get("showlegend", True)]
    assert len([t for t in units if t["name"] != "不完整周期"]) == 3  # partial stubs aside
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


def layout(at: AppTest, key: str) -> dict:
    import json

    [chart] = [c for c in at.get("plotly_chart") if key in c.proto.id]
    return json.loads(chart.proto.spec)["layout"]


def test_trend_charts_mark_holidays_notes_and_partial_weeks(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    labels = {a["text"] for a in layout(at, "trend_types").get("annotations", [])}
    # The demo's 2026 notes: 春节 (built in) and 龙湾街道's 物业管理专项整治 (its own note).
    assert {"春节", "物业管理专项整治"} <= labels
    assert any(t["name"] == "不完整周期" for t in traces(at, "trend_types"))
    assert any("不完整周期" in c.value for c in at.caption)  # what the grey bands mean
    at.selectbox(key="f_street").select("S02").run()
    labels = {a["text"] for a in layout(at, "trend_types").get("annotations", [])}
    assert "春节" in labels and "物业管理专项整治" not in labels  # another street's note
    for key in ("trend_categories", "trend_spikes", "trend_units_chart"):
        assert "春节" in {a["text"] for a in layout(at, key).get("annotations", [])}, key


def test_spike_list_puts_the_answer_first_and_names_grids_in_full(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    [table] = [d.value for d in at.dataframe if "比基线" in d.value.columns]
    assert list(table.columns) == ["时间", "受理量", "比基线", "主要网格", "主要类别"]
    assert table["时间"].str.endswith("当周").all()
    # Every spike rose by at least SPIKE_MIN_RISE on its baseline, shown as +NN%.
    rises = table["比基线"].str.rstrip("%").astype(float) / 100
    assert (rises >= trends.SPIKE_MIN_RISE).all()
    from analytics.demo.geo import STREETS

    streets = {name for _, name, _ in STREETS}
    assert all(name.split(" ")[0] in streets for name in table["主要网格"])  # 街道 社区 网格


def test_overview_trend_marks_the_calendar(demo_db, monkeypatch):
    """The overview's monthly trend carries the same markers as the trends page."""
    at = open_page(demo_db, monkeypatch, "pages/overview.py")
    labels = {a["text"] for a in layout(at, "trend").get("annotations", [])}
    assert {"春节", "物业管理专项整治"} <= labels
    at.selectbox(key="f_street").select("S02").run()
    labels = {a["text"] for a in layout(at, "trend").get("annotations", [])}
    assert "春节" in labels and "物业管理专项整治" not in labels


def test_a_projector_shows_the_first_screen_sized_to_it(demo_db, monkeypatch):
    import json

    from ui.panels import trends as panel

    Heights = page_names(PAGE, "Heights")["Heights"]  # noqa: N806
    at = open_page(demo_db, monkeypatch, PAGE, query={"present": "1"})
    headings = [x.value for x in at.markdown if x.value.startswith("**")]
    assert [h.replace("\\", "").split("(")[0].split(" · ")[0] for h in headings] == [
        "**受理量", "**业务类别构成", "**同比上升最快的类别**"
    ]  # fmt: skip
    heights = {
        key: json.loads(chart.proto.spec)["layout"]["height"]
        for chart in at.get("plotly_chart")
        for key in ("trend_types", "trend_categories", "trend_rising")
        if key in chart.proto.id
    }
    size = Heights(present=True)
    assert heights == {"trend_types": size.types, "trend_categories": size.row,
                       "trend_rising": size.row}  # fmt: skip
    captions = [c.value.replace("\\", "") for c in at.caption]  # markdown's escapes aside
    assert any("演示模式只显示首屏:异常峰值和单位对比" in c for c in captions)  # said once
    # the key figure and the grey bands' note in one line; no hover hint on a projector
    [line] = [c for c in captions if c.startswith("受理量 ")]
    assert panel.PARTIAL_NOTE in line
    assert not any(panel.DATES_NOTE in c for c in captions)
    assert not any(c.startswith("第1大类别") for c in captions)  # the charts show them
    # the rows end at the screen's foot, whatever the constants are tuned to
    bottom = Heights.TOP + 2 * Heights.HEAD + size.types + Heights.LINE + Heights.GAP + size.row
    assert bottom == Heights.SCREEN - Heights.FOOT
    assert Heights(present=False).types is None and Heights(present=False).row is None
