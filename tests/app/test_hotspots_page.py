"""The 热点诉求 page under AppTest (how issues are found is tested in
``tests/analytics/test_hotspots.py``): what it lists is what the analytics find, an issue's
events are masked, the map carries no personal data, and data without descriptions says so."""

from __future__ import annotations

import time

import duckdb

from analytics import hotspots, queries
from analytics.connection import connect
from analytics.filters import Filters, preset_period
from tests.apptest import open_page
from tests.conftest import decks, layer, personal_values

PAGE = "pages/hotspots.py"


def found_in(db) -> hotspots.HotIssues:
    con = connect(db, read_only=True)
    try:
        coverage = queries.data_range(con)
        return hotspots.find_issues(
            con, Filters(*preset_period("ytd", coverage.last_day)), coverage=coverage
        )
    finally:
        con.disconnect()


def cards(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_the_page_lists_what_the_analytics_find(demo_db, monkeypatch):
    expected = found_in(demo_db)
    assert not expected.issues.empty  # the demo plants hot issues
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("热点诉求 · ")
    assert cards(at)["热点诉求"] == f"{len(expected.issues)} 个"
    [listing] = [d.value for d in at.dataframe if "热点诉求" in d.value.columns]
    assert list(listing["热点诉求"]) == list(expected.issues["title"].head(len(listing)))
    assert list(listing["件数"]) == list(expected.issues["events"].head(len(listing)))
    assert listing["热度"].is_monotonic_decreasing
    assert len(at.get("plotly_chart")) == 1  # the timeline
    assert len(decks(at)) == 1  # the map


def test_an_issue_lists_its_events_masked(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    at.selectbox(key="hot_pick").select_index(0).run()
    assert not at.exception
    expected = found_in(demo_db)
    first = expected.issues.iloc[0]
    [events] = [d.value for d in at.dataframe if "联系电话" in d.value.columns]
    assert len(events) == first["events"]
    phones = events["联系电话"][events["联系电话"] != "—"]
    assert phones.str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    shown = " ".join(events.astype(str).to_numpy().ravel())
    for value in personal_values(demo_db):
        assert value not in shown


def test_the_map_carries_no_personal_data(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    [deck] = decks(at)
    payload = str(layer(deck, "issues"))
    for value in personal_values(demo_db):
        assert value not in payload


def test_presentation_mode_shows_the_figures_and_the_list(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE, query={"present": "1"})
    assert cards(at)["热点诉求"].endswith("个")
    assert not at.get("plotly_chart") and not decks(at)  # the rest stays for normal mode
    assert any("时间线和分布图见常规模式" in c.value for c in at.caption)
    assert not [box for box in at.selectbox if box.key == "hot_pick"]


def test_data_without_descriptions_says_so(db, monkeypatch):
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE events SET description = NULL")
    at = open_page(db, monkeypatch, PAGE)
    assert any("不含诉求描述" in i.value for i in at.info)
    assert not at.dataframe


def test_the_overview_names_the_hottest_issue_and_links_to_the_page(demo_db, monkeypatch):
    expected = found_in(demo_db).issues.iloc[0]
    at = open_page(demo_db, monkeypatch, "pages/overview.py")
    for _ in range(100):  # computed aside on the first run, shown by a later one
        links = [link.proto.label for link in at.get("page_link")]
        if links:
            break
        time.sleep(0.1)
        at.run()
    [link] = at.get("page_link")
    assert link.proto.label == f"热点诉求 {len(found_in(demo_db).issues)} 个"
    assert f"最热:{expected['title']}({expected['events']} 件" in link.proto.help.replace("\\", "")
    assert link.proto.page.endswith("hotspots")
