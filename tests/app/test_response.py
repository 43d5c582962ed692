"""The response page under AppTest (the figures it shows are tested in
``tests/analytics/test_response.py``)."""

from __future__ import annotations

from datetime import date

from tests.apptest import open_page

PAGE = "pages/response.py"


# ---------------------------------------------------------------- the page


def test_response_page_and_its_controls(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("响应时效 · ")
    assert len(at.get("plotly_chart")) == 3
    assert len(at.main.get("download_button")) == 8
    verdicts = [x.value.replace("\\", "") for x in at.markdown if x.value.startswith("- **")]
    assert len(verdicts) == 2 and "差异显著" in verdicts[0] and "p < 0.001" in verdicts[0]
    table = at.dataframe[0].value
    assert list(table["指标"]) == ["受理量", "响应时长中位数", "响应时长P90", "办理时长中位数",
                                  "办理时长P90", "按时办结率"]  # fmt: skip

    at.segmented_control(key="resp_measure").set_value("handling").run()
    assert "**办理时长(办结 − 上报) · 按单位**" in at.markdown[0].value.replace("\\", "")
    for group in ("category", "channel", "handling_type"):
        at.segmented_control(key="resp_by").set_value(group).run()
        assert not at.exception
    at.toggle(key="resp_log").set_value(False).run()
    at.date_input(key="resp_pivot").set_value(date(2026, 6, 1)).run()
    at.selectbox(key="resp_window").select(90).run()
    assert not at.exception
    assert "2026年3月3日至5月31日" in " ".join(c.value for c in at.caption)
