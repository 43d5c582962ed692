"""The closure page under AppTest (the figures it shows are tested in
``tests/analytics/test_closure.py``)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.apptest import open_page

PAGE = "pages/closure.py"


# ---------------------------------------------------------------- the page


def unit_names(at: AppTest) -> list[str]:
    import json

    [chart] = [c for c in at.get("plotly_chart") if "closure_units" in c.proto.id]
    return json.loads(chart.proto.spec)["data"][0]["y"]


def test_closure_page_drills_down_with_the_sidebar(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("办结率 · ")
    assert len(at.get("plotly_chart")) == 4
    assert len(at.main.get("download_button")) == 10
    assert "**各街道办结率与按时办结率**" in [x.value for x in at.markdown]
    streets = unit_names(at)
    assert all(n.endswith(("街道", "镇")) for n in streets)
    [overdue] = [d.value for d in at.dataframe if "联系电话" in d.value.columns]
    assert overdue["联系电话"].dropna().str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert list(overdue.columns[:2]) == ["网格", "已超期(天)"]  # in view without scrolling
    placed = overdue["网格"][~overdue["网格"].str.contains("未")]
    assert placed.str.fullmatch(r"\S+(街道|镇) \S+ \S+网格").all()  # named in full
    headings = [x.value for x in at.markdown if x.value.startswith("**")]
    first_row = headings.index("**各街道办结率与按时办结率**") + 1
    assert headings[first_row].startswith("**超期未办结清单")  # the answer beside the ranking

    at.selectbox(key="f_street").select_index(1).run()
    assert "**各社区办结率与按时办结率**" in [x.value for x in at.markdown]
    assert not set(unit_names(at)) & set(streets)
    at.selectbox(key="f_community").select_index(1).run()
    assert "**各网格办结率与按时办结率**" in [x.value for x in at.markdown]
    assert all("网格" in n for n in unit_names(at))
    at.radio(key="f_compare").set_value("mom").run()
    assert not at.exception
    [categories] = [d.value for d in at.dataframe if "受理量" in d.value.columns]
    assert "办结率环比" in categories.columns
