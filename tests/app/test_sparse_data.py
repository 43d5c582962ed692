"""Every page on sparse and odd data (``tests/sparse.py``): no exception, and where a chart
cannot be drawn the page says why in Chinese instead of drawing an empty one. Events without
a place are labelled 未指定街道 / 未指定社区 / 未落格, counted at district level, not ranked.

Each case's app is opened once (``tour``): every page visited at its defaults, then its main
controls tried, the slides made from the same cached figures, and last the sidebar narrowed
to a street. A case's tests share its tour, taken when the first of them runs (so that one
case's tests run without the others' tours). The analytics behind the fixed crashes have unit
tests.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import pytest

from analytics import closure, labels, queries, rankings, response, trends
from analytics.connection import connect
from analytics.filters import Filters
from analytics.planning import queueing
from tests import sparse
from tests.apptest import app_test
from ui import charts, findings
from ui.panels import rankings as rankings_panel
from ui.panels import response as response_panel
from ui.panels import trends as trends_panel

PAGES = ("overview", "trends", "closure", "response", "heatmap", "whatif", "rankings")
NO_COMPARISON = "对比期超出数据范围"

# What a page must say on a case, where it cannot draw or must leave events out.
EXPECTED = {
    ("one_day", "trends"): ["无法判断异常:每周须与其前 8 周比较"],
    ("one_day", "response"): ["前后对比需要至少两天的数据", "没有可选的分界日期"],
    ("one_day", "whatif"): ["校准预测模型至少需要 13 个"],
    ("three_weeks", "trends"): ["无法判断异常", "同比", NO_COMPARISON],
    ("three_weeks", "overview"): ["无法比较网格受理量的变化"],
    ("one_street", "whatif"): ["校准预测模型至少需要 13 个", "现有 8 个"],
    ("no_grids", "overview"): ["无网格边界,按蜂窝格汇总", "210 件未落到网格", "无法按网格预警"],
    ("no_grids", "trends"): [trends_panel.UNITS_WITHOUT_HOUSEHOLDS, "210 件未落到网格"],
    ("no_grids", "heatmap"): ["没有网格(数据只到街道、社区一级)"],
    ("no_grids", "whatif"): ["没有楼栋数据"],
    ("grids_without_geometry", "overview"): ["无网格边界,按蜂窝格汇总"],
    ("grids_without_geometry", "heatmap"): ["没有网格边界数据", "各网格都没有每千户事件数的数据"],
    ("grids_without_geometry", "trends"): [trends_panel.UNITS_WITHOUT_HOUSEHOLDS],
    ("grids_without_geometry", "whatif"): ["没有楼栋数据"],
    ("no_buildings", "whatif"): ["没有楼栋数据"],
    ("no_deadlines", "response"): ["没有设定办结时限的事件"],
    ("no_deadlines", "closure"): ["没有超期未办结事件"],
    ("no_deadlines", "whatif"): ["校准预测模型至少需要", "现有 0 个"],
    ("no_handling_types", "response"): ["数据没有记录办理类型"],
    ("no_ratings", "rankings"): ["没有可参与排名的街道"],
    ("all_open", "closure"): ["没有记录了解决层级的办结事件"],
    ("all_open", "rankings"): ["没有可参与排名的街道"],
    ("no_place", "overview"): ["210 件未落到网格,不在地图上。"],
    ("no_place", "trends"): ["210 件未指定街道", trends_panel.UNITS_WITHOUT_EVENTS],
    ("no_place", "closure"): ["所选范围内的 210 件事件都未指定街道,无法按街道比较"],
    ("no_place", "heatmap"): ["210 件未落到网格,不在地图上。"],
    ("no_place", "rankings"): ["另有 210 件事件未指定街道,不属于任何街道,不参与排名"],
    ("mixed_place", "overview"): ["53 件未落到网格,不在地图上。"],
    ("mixed_place", "trends"): ["53 件未指定街道", "53 件未落到网格"],
    ("mixed_place", "closure"): ["另有 53 件事件未指定街道(办结率 "],
    ("mixed_place", "heatmap"): ["53 件未落到网格,不在地图上。"],
    ("mixed_place", "rankings"): ["另有 53 件事件未指定街道"],
}


@dataclass
class Seen:
    """What a page showed: exceptions, every text users read, charts and maps."""

    exceptions: list[str]
    texts: list[str]
    charts: list[dict]
    decks: list[dict]


TEXT_ELEMENTS = (
    "info", "warning", "error", "success", "caption", "markdown", "subheader", "html"
)  # fmt: skip


def seen(at) -> Seen:
    return Seen(
        [str(e.value) for e in at.exception],
        [str(x.value).replace("\\", "") for kind in TEXT_ELEMENTS for x in at.get(kind)],
        [json.loads(c.proto.spec) for c in at.get("plotly_chart")],
        [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")],
    )


def said(page: Seen) -> str:
    return "\n".join(page.texts)


@pytest.fixture(scope="session")
def sparse_dbs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("sparse")
    return {name: sparse.build(name, root / f"{name}.duckdb") for name in sparse.CASES}


# Each page's main controls, one run per step (a key the page does not show is left alone).
CONTROLS = {
    "overview": [{"overview_map_metric": "closure_rate", "overview_hex_metric": "closure_rate"}],
    "trends": [
        {"trend_freq": "day", "trend_mode": "split", "trend_moving": True},
        {"trend_freq": "month", "trend_units": ["S01C01"]},
    ],
    "closure": [],
    "response": [
        {"resp_measure": "handling", "resp_by": "handling_type", "resp_log": False},
        {"resp_by": "channel", "resp_window": 90},
    ],
    "heatmap": [
        {"heat_metric": "closure_rate", "heat_density": True, "heat_extrude": True},
        {"heat_grid": "S01C01G01"},  # one grid's panel: cards, trend, categories, workers
    ],
    "whatif": [],
    "rankings": [{"rk_level": "community_id"}, {"rk_level": "grid_id"}, {"rk_level": "worker"}],
}
# The what-if modes redraw the same buildings whatever the events: tried on one case.
WHATIF_STEPS = [{"wi_mode": "grids"}, {"wi_mode": "ceiling"}, {"wi_mode": "edit"}]
WHATIF_CASE = "three_weeks"
# Last, a custom period; then a street, a short period and 环比 in the sidebar, and the pages
# that break down by unit.
SCOPE = {"f_street": "S01", "f_preset": "last_30d", "f_compare": "mom"}
SCOPE_PAGES = ("rankings", "overview", "closure", "trends")
WIDGETS = ("selectbox", "segmented_control", "toggle", "radio", "multiselect", "number_input")


def set_widgets(at, values: dict) -> None:
    """Set the widgets the page shows by key, then run once."""
    shown = {w.key: w for kind in WIDGETS for w in at.get(kind)}
    for key, value in values.items():
        if key in shown:
            shown[key].set_value(value)
    at.run()


DECK_CASES = ("one_day", "no_place")  # the PPTX export, images drawn by chromium


def controls_of(case: str, page: str) -> list[dict]:
    """The control steps the tour tries on ``page`` of ``case``."""
    if page == "whatif" and case == WHATIF_CASE:
        return WHATIF_STEPS
    if page == "heatmap" and sparse.CASES[case].grids == []:
        return CONTROLS[page][:1]
    return CONTROLS[page]


def planned_steps(case: str) -> set:
    """The keys of ``Tour.steps`` for ``case``: each page's controls, then a custom period on
    the rankings, then the sidebar's scope on ``SCOPE_PAGES``."""
    steps = {(page, i) for page in PAGES for i in range(len(controls_of(case, page)))}
    return steps | {("rankings", "custom")} | {(page, "scope") for page in SCOPE_PAGES}


@dataclass
class Tour:
    """What one case's app showed."""

    defaults: dict  # page -> Seen at the page's defaults
    steps: dict  # (page, step) -> Seen after a control step ("scope" for the sidebar's)
    sections: object  # the slides' sections at the pages' defaults, or the exception
    deck: object  # the PPTX's bytes or the exception (DECK_CASES, with chromium), else None


def _outcome(make):
    try:
        return make()
    except Exception as exc:  # reported by the test that reads it
        return exc


def take_tour(case: str, db) -> Tour:
    """The case's app opened once: each page visited in turn at its defaults, then its
    controls tried; the slides made from the same (cached) figures; last the sidebar
    narrowed to a street."""
    from ui import images, report

    defaults, steps, deck = {}, {}, None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOV_DB", str(db))
        at = app_test()
        for page in PAGES:
            if page != "overview":
                at.switch_page(f"pages/{page}.py")
            at.run()
            defaults[page] = seen(at)
            for i, values in enumerate(controls_of(case, page)):
                set_widgets(at, values)
                steps[page, i] = seen(at)
        ctx = at.session_state["_context"]  # the sidebar's defaults, as the slides use
        sections = _outcome(lambda: report.sections(ctx))
        if case in DECK_CASES and images.problem() is None:
            deck = _outcome(lambda: report.build_deck(ctx))
        set_widgets(at, {"f_preset": "custom"})  # its dates start within the data
        steps["rankings", "custom"] = seen(at)
        set_widgets(at, SCOPE)
        for page in SCOPE_PAGES:
            at.switch_page(f"pages/{page}.py")
            at.run()
            steps[page, "scope"] = seen(at)
    return Tour(defaults, steps, sections, deck)


@pytest.fixture(scope="session")
def tours() -> dict:
    """case -> its ``Tour``, each taken when a test of the case first asks for it."""
    return {}


@pytest.fixture
def tour(tours, sparse_dbs, case) -> Tour:
    """The tour of the test's ``case``."""
    if case not in tours:
        tours[case] = take_tour(case, sparse_dbs[case])
    return tours[case]


@pytest.mark.parametrize("case", list(sparse.CASES))
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_says_what_it_cannot_show(tour, case, page):
    shown = tour.defaults[page]
    assert not shown.exceptions, shown.exceptions
    text = said(shown)
    for expected in EXPECTED.get((case, page), []):
        assert expected in text, (expected, text)
    for spec in shown.charts:  # a chart is drawn only with something in it
        points = [len(t.get("x") or t.get("y") or []) for t in spec["data"]]
        assert spec["data"] and max(points) > 0, spec["layout"].get("title")
    for deck in shown.decks:
        assert any(layer.get("data") for layer in deck["layers"])
    if page == "overview" and case not in sparse.UNPLACED and case != "no_grids":
        assert "未落到网格" not in text  # the line is there only when some events have no grid


@pytest.mark.parametrize("case", list(sparse.CASES))
def test_main_controls_on_sparse_data(tour, case):
    tried = tour.steps
    assert len(tried) >= 10 and set(tried) == planned_steps(case)
    failed = {key: shown.exceptions for key, shown in tried.items() if shown.exceptions}
    assert not failed


def test_the_tours_try_enough_steps():
    """With ``test_main_controls_on_sparse_data`` (each tour takes its planned steps):
    more than ten steps a case over all the cases."""
    assert sum(len(planned_steps(case)) for case in sparse.CASES) > 13 * 10


# What a control step (``Tour.steps``) must say on a case, and what it must not.
STEP_SAYS = {
    ("all_open", "response", 0): [response_panel.NO_DURATIONS["handling"]],
    ("no_coordinates", "heatmap", 0): ["事件没有坐标,无法叠加事件密度"],
    ("no_grids", "trends", 1): [trends_panel.UNITS_WITHOUT_HOUSEHOLDS],
}
# a street excludes the events without one: nothing left unplaced to mention
STEP_OMITS = {
    ("mixed_place", "closure", "scope"): ["未指定街道"],
    ("mixed_place", "rankings", "scope"): ["未指定街道"],
}


@pytest.mark.parametrize("case", sorted({key[0] for key in STEP_SAYS | STEP_OMITS}))
def test_controls_explain_what_is_missing(tour, case):
    for (of, *step), texts in STEP_SAYS.items():
        for expected in texts if of == case else ():
            assert expected in said(tour.steps[tuple(step)]), (step, expected)
    for (of, *step), texts in STEP_OMITS.items():
        for unexpected in texts if of == case else ():
            assert unexpected not in said(tour.steps[tuple(step)]), (step, unexpected)


@pytest.mark.parametrize("case", ["mixed_place", "grids_without_geometry"])
def test_maps_leave_out_only_what_they_say(tour, case):
    """The overview's map of a scope with unplaced events still draws every grid; grids
    without outlines are drawn as hexagons."""
    (deck,) = tour.defaults["overview"].decks
    if case == "mixed_place":
        assert len(deck["layers"][0]["data"]) == len(sparse.base_grids())
    else:
        assert deck["layers"][0]["id"] == "hexagons"


# ---------------------------------------------------------------- the analytics


@pytest.fixture
def con_of(sparse_dbs):
    opened = []

    def open_case(case: str):
        con = connect(sparse_dbs[case], read_only=True)
        opened.append(con)
        coverage = queries.data_range(con)
        return con, coverage, Filters(coverage.first_day, coverage.last_day)

    yield open_case
    for con in opened:
        con.disconnect()


def test_spikes_with_fewer_buckets_than_the_window_are_none():
    counts = pd.Series([5.0, 50.0, 7.0], index=pd.date_range("2026-03-02", periods=3, freq="W-MON"))
    judged = trends.detect_spikes(counts, window=8)
    assert judged.empty and list(judged.columns) == [
        "bucket", "intake", "baseline", "threshold", "rise", "spike"
    ]  # fmt: skip
    assert judged["spike"].dtype == bool
    judged = trends.detect_spikes(counts, window=2)
    assert list(judged["intake"]) == [7.0] and not judged["spike"].any()


def test_spikes_on_three_weeks_of_data(con_of):
    con, coverage, f = con_of("three_weeks")
    judged, found = trends.spikes(con, f, coverage, "week")
    assert judged.empty and found.empty
    assert {"bucket", "intake", "baseline", "excess", "categories", "grids"} <= set(found.columns)
    judged, _ = trends.spikes(con, f, coverage, "day")  # 28 days before a day: none in three weeks
    assert judged.empty


def test_spike_drivers_leave_unplaced_events_out_of_the_grids(con_of):
    con, coverage, f = con_of("mixed_place")
    by_category, by_grid = trends._counts(con, f, "day", ("category", "grid_id"))
    assert set(by_grid.columns) <= {g["grid_id"] for g in sparse.base_grids()}
    totals = by_category.sum(axis=1)
    assert totals.sum() == len(sparse.CASES["mixed_place"].events)


def test_pivot_stays_within_the_data():
    one_day = queries.DataRange(date(2026, 3, 10), pd.Timestamp("2026-03-10 23:00").to_pydatetime())
    assert response.pivot_bounds(one_day) is None
    few = queries.DataRange(date(2026, 3, 1), pd.Timestamp("2026-03-04 12:00").to_pydatetime())
    low, high = response.pivot_bounds(few)
    assert (low, high) == (date(2026, 3, 2), date(2026, 3, 4))
    assert low <= response.default_pivot(few) <= high  # the month start (1 March) is no pivot
    two_days = queries.DataRange(date(2026, 3, 1), pd.Timestamp("2026-03-02 08:00").to_pydatetime())
    assert response.default_pivot(two_days) == date(2026, 3, 2)
    longer = queries.DataRange(date(2026, 1, 5), pd.Timestamp("2026-03-16 13:00").to_pydatetime())
    assert response.default_pivot(longer) == date(2026, 2, 1)


def test_deadlines_without_handling_types(con_of):
    con, coverage, f = con_of("no_handling_types")
    table = response.sla(con, f, coverage)
    assert len(table) == 1 and pd.isna(table["handling_type"].iloc[0])
    fig = charts.sla_bars(table)
    assert fig.data[0].y[0].startswith(labels.NOT_STATED)
    dist = response.distribution(con, f, coverage, "response", "handling_type")
    assert list(dist["label"]) == [labels.NOT_STATED]


def test_unplaced_names_come_from_one_helper():
    names = {"S01": "甲街道"}
    assert labels.unit(names, "street_id", "S01") == "甲街道"
    assert labels.unit(names, "street_id", "S09") == "S09"
    assert labels.unit(names, "street_id", None) == "未指定街道"
    assert labels.unit(names, "community_id", float("nan")) == "未指定社区"
    assert labels.unit(names, "grid_id", pd.NA) == "未落格"


def test_placement_counts_what_maps_and_units_leave_out(con_of):
    con, _, f = con_of("mixed_place")
    got = queries.placement(con, f)
    unplaced = sparse.UNPLACED["mixed_place"]
    assert got == {"intake": 210, "no_street": unplaced, "no_community": unplaced,
                   "no_grid": unplaced, "no_outline": 0, "no_coordinates": 0}  # fmt: skip
    assert (
        queries.placement(con, replace(f, street_id="S01"))["no_grid"] == 0
    )  # a street excludes them
    con, _, f = con_of("grids_without_geometry")
    assert queries.placement(con, f)["no_outline"] == 210
    assert queries.grid_shapes(con, f).empty
    assert findings.map_note(queries.placement(con, f), hexagons=True) is None
    con, _, f = con_of("no_coordinates")
    assert (
        findings.map_note(queries.placement(con, f), hexagons=True) == "210 件没有坐标,不在地图上。"
    )
    assert findings.map_note(queries.placement(con, f)) is None


def test_closure_by_unit_keeps_unplaced_events_apart(con_of):
    con, coverage, f = con_of("mixed_place")
    units = closure.by_unit(con, f, coverage, compare=None)
    assert units["unit_id"].notna().all() and list(units["rank"]) == [1, 2]
    unplaced = units.attrs["unplaced"]
    assert unplaced["name"] == "未指定街道" and pd.isna(unplaced["rank"])
    assert units["intake"].sum() + unplaced["intake"] == 210  # the district counts them all
    overdue = closure.overdue_list(con, f, coverage)
    unplaced_rows = overdue[overdue["street_id"].isna()]
    assert len(unplaced_rows) > 0
    assert set(unplaced_rows["street_name"]) == {"未指定街道"}
    assert set(unplaced_rows["grid_name"]) == {"未落格"}
    con, coverage, f = con_of("no_place")
    units = closure.by_unit(con, f, coverage, compare=None)
    assert units.empty and units.attrs["unplaced"]["intake"] == 210


def test_response_by_unit_labels_unplaced_events(con_of):
    con, coverage, f = con_of("mixed_place")
    dist = response.distribution(con, f, coverage, "response", "unit")
    assert set(dist["label"]) == {"甲街道", "乙街道", "未指定街道"}
    stages = response.stage_breakdown(con, f, coverage, "unit")
    assert "未指定街道" in set(stages["label"])
    communities = response.distribution(
        con, replace(f, street_id="S01"), coverage, "response", "unit"
    )
    assert "未指定社区" not in set(communities["label"])  # a street excludes them


def test_rankings_leave_unplaced_events_out_and_say_how_many(con_of):
    con, coverage, f = con_of("mixed_place")
    ranking = rankings.unit_ranking(con, f, coverage, "street_id", min_events=1)
    assert set(ranking.ranked["unit_id"]) == {"S01", "S02"}
    assert ranking.notes == {"unplaced": 53, "unplaced_name": "未指定街道"}
    assert "另有 53 件事件未指定街道" in rankings_panel.unplaced_ranking(ranking.notes, "街道")
    grids = rankings.unit_ranking(con, f, coverage, "grid_id", min_events=1)
    assert grids.notes["unplaced_name"] == "未落格"
    assert grids.ranked["unit_id"].notna().all()


def test_calibration_needs_enough_grids_for_its_back_test():
    assert queueing.grids_to_calibrate() == 13
    few = pd.DataFrame(
        {
            "grid_id": [f"G{i}" for i in range(12)],
            "events": 10,
            "households": 300,
            "rate": 0.1,
            "servers": 1,
            "median_hours": 1.0,
            "p90_hours": 3.0,
            "on_time_rate": 0.9,
        }  # fmt: skip
    )
    with pytest.raises(ValueError, match="至少需要 13 个.*现有 12 个"):
        queueing.calibrate(few)
    with pytest.raises(ValueError, match="现有 0 个"):
        queueing.calibrate(few.head(0))


# ---------------------------------------------------------------- the slides


@pytest.mark.parametrize("case", list(sparse.CASES))
def test_slide_sections_on_sparse_data(tour, case):
    sections = tour.sections
    assert not isinstance(sections, Exception), repr(sections)
    for slide in (s for section in sections for s in section.sections):
        assert slide.drawn or slide.empty, slide.title
    # what the what-if page says it cannot compute, its slide says too
    whatif = " ".join(s.empty for p in sections if p.title == "网格调整推演" for s in p.sections)
    for expected in EXPECTED.get((case, "whatif"), []):
        assert expected in whatif, (expected, whatif)


@pytest.mark.parametrize("case", DECK_CASES)
def test_the_deck_builds_on_sparse_data(tour, case):
    from pptx import Presentation

    from ui import images

    if images.problem():
        pytest.skip(images.problem())
    deck = tour.deck
    assert not isinstance(deck, Exception), repr(deck)
    texts = [
        p.text
        for slide in Presentation(io.BytesIO(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
        for p in shape.text_frame.paragraphs
    ]
    if case == "no_place":
        assert "210 件未落到网格,不在地图上。" in texts
        assert any("都未指定街道" in t for t in texts)
        assert any("另有 210 件事件未指定街道" in t for t in texts)
