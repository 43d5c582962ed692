"""The response page under AppTest (the figures it shows are tested in
``tests/analytics/test_response.py``)."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from tests.apptest import open_page, page_names
from ui.panels import response

PAGE = "pages/response.py"


# ---------------------------------------------------------------- one unit per row


def unit_of(shown: str) -> str:
    return re.sub(r"[\d.,]", "", shown)


def test_durations_side_by_side_share_the_unit_of_the_largest():
    assert response.durations(48.0, 39.2) == ["2.0天", "1.6天"]  # not 2.0天 → 39.2小时
    assert response.durations(0.5, 30.0) == ["0.5小时", "30.0小时"]
    assert response.durations(0.25, 0.5) == ["15分钟", "30分钟"]
    assert response.durations(float("nan"), 0.3) == ["—", "18分钟"]
    assert response.durations(1200.0) == ["50.0天"]
    figures = pd.DataFrame(
        {
            "metric": ["handling_median", "intake"],
            "before": [48.0, 1200],
            "after": [39.2, 1300],
            "change": [39.2 / 48 - 1, 1 / 12],
        }
    )
    table = response.before_after_table(figures)
    assert list(table["之前"]) == ["2.0天", "1,200"] and list(table["之后"]) == ["1.6天", "1,300"]


def test_slowest_and_fastest_name_units_not_the_unplaced():
    dist = pd.DataFrame(
        {"group": [None, "S01", "S02"], "label": ["未指定街道", "甲街道", "乙街道"],
         "p50": [9.0, 2.0, 1.0], "p90": [20.0, 5.0, 3.0]}
    )  # fmt: skip
    assert [(name, row["label"]) for name, row in response.extremes(dist)] == [
        ("最慢", "甲街道"),
        ("最快", "乙街道"),
    ]
    assert response.extremes(dist.head(2)) == []  # one unit: nothing to compare


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
    for row in table[table["指标"].str.contains("时长")].itertuples(index=False):
        assert unit_of(row.之前) == unit_of(row.之后), row  # one unit per row
    slowest = next(c.value for c in at.caption if "中位数最慢" in c.value).replace("\\", "")
    for card in re.findall(r"中位数 (\S+) · P90 ([^)]+)\)", slowest):
        assert unit_of(card[0]) == unit_of(card[1]), card

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


def test_a_projector_fits_the_charts_above_the_findings(demo_db, monkeypatch):
    import json

    Heights = page_names(PAGE, "Heights")["Heights"]  # noqa: N806

    at = open_page(demo_db, monkeypatch, PAGE, query={"present": "1"})
    heights = {
        key: json.loads(chart.proto.spec)["layout"]["height"]
        for chart in at.get("plotly_chart")
        for key in ("resp_dist", "resp_stages", "resp_sla")
        if key in chart.proto.id
    }
    size = Heights(present=True)
    assert heights == {"resp_dist": size.durations, "resp_sla": size.sla}  # no stages
    assert Heights(present=False).durations is None and Heights(present=False).sla is None
    headings = [x.value.replace("\\", "") for x in at.markdown if x.value.startswith("**")]
    assert headings[1:] == ["**承诺时限达成 · 按办理类型**", "**前后对比 · 改进是否真实**"]
    verdicts = [x.value for x in at.markdown if x.value.startswith("- **")]
    assert len(verdicts) == 2  # the findings stay: they answer 改进是否真实
    assert not [c for c in at.caption if "左侧" in c.value]  # no sidebar to point at
    # each column ends at the screen's foot, whatever the constants are tuned to
    left = Heights.HEADING + Heights.CAPTION + size.durations + Heights.LONG_FIGURES
    right = Heights.HEADING + Heights.CAPTION + size.sla + Heights.FIGURES
    right += Heights.GAP + Heights.COMPARISON
    assert Heights.TOP + left == Heights.TOP + right == Heights.SCREEN - Heights.FOOT
