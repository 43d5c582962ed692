"""The closure page under AppTest (the figures it shows are tested in
``tests/analytics/test_closure.py``)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.apptest import open_page, page_names

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


# ---------------------------------------------------------------- on a projector


def test_a_projector_shows_the_first_two_rows_sized_to_the_screen(demo_db, monkeypatch):
    import json

    Heights = page_names(PAGE, "Heights")["Heights"]  # noqa: N806

    at = open_page(demo_db, monkeypatch, PAGE, query={"present": "1"})
    headings = [x.value.replace("\\", "") for x in at.markdown if x.value.startswith("**")]
    assert headings[0] == "**各街道办结率与按时办结率**"
    assert headings[1].startswith("**超期未办结清单")
    assert headings[2:] == ["**各业务类别办结率**", "**积压账龄(件)**"]  # nothing after them
    assert not [c for c in at.caption if c.value.startswith("口径:")]  # nothing after
    assert not [c for c in at.caption if "左侧" in c.value]  # no sidebar to point at
    assert not at.dataframe  # the tables are legible HTML
    heights = {
        key: json.loads(chart.proto.spec)["layout"]["height"]
        for chart in at.get("plotly_chart")
        for key in ("closure_units", "closure_ageing")
        if key in chart.proto.id
    }
    size = Heights(units_caption=True, units_notes=0)  # 排名按办结率; the streets need no note
    assert heights == {"closure_units": size.units, "closure_ageing": size.ageing}
    # the rows end together at the screen's foot, whatever the constants are tuned to
    for notes in (0, 1, 2):  # the unplaced events' note takes from the second row
        size = Heights(units_caption=True, units_notes=notes)
        assert (
            Heights.TOP + size.first_row + Heights.GAP + size.second_row
            == Heights.SCREEN - Heights.FOOT
        )
        assert size.units == Heights(units_caption=True, units_notes=0).units
        assert size.overdue + Heights.HEADING + Heights.MORE == size.first_row
        assert size.categories + Heights.HEADING + Heights.MORE == size.second_row
