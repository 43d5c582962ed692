"""Metrics and queries against hand-computed answers on the tiny fixture (see conftest)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from analytics import metrics, queries
from analytics.filters import Filters, preset_period

YTD = Filters(date(2026, 1, 1), date(2026, 10, 31))


@pytest.fixture
def coverage(tiny_con):
    return queries.data_range(tiny_con)


def test_data_range_is_latest_timestamp_anywhere(coverage):
    assert coverage.first_day == date(2024, 6, 1)
    assert coverage.as_of == datetime(2026, 10, 31, 14, 0)


def test_default_period_is_this_year_to_as_of(coverage):
    assert preset_period("ytd", coverage.last_day) == (date(2026, 1, 1), date(2026, 10, 31))


def test_headline_figures_current_period(tiny_con, coverage):
    row = queries.metric_table(tiny_con, YTD, coverage, list(metrics.METRICS)).iloc[0]
    assert row["intake"] == 7
    assert row["closure_rate"] == pytest.approx(4 / 7)
    assert row["on_time_rate"] == pytest.approx(3 / 5)
    assert row["response_median"] == pytest.approx(1.5)
    assert row["response_p90"] == pytest.approx(2.5)
    assert row["handling_median"] == pytest.approx(25.0)
    assert row["response_rate"] == pytest.approx(5 / 7)
    assert row["satisfaction_rate"] == pytest.approx(2 / 3)
    assert row["resolution_rate"] == pytest.approx(2 / 3)
    assert row["grid_level_rate"] == pytest.approx(2 / 4)
    assert row["community_level_rate"] == pytest.approx(3 / 4)
    assert row["street_level_rate"] == pytest.approx(4 / 4)
    assert row["backlog"] == 3
    assert row["overdue"] == 1
    assert row["repeat_rate"] == pytest.approx(1 / 7)


def test_comparison_period_is_measured_as_of_one_year_earlier(tiny_con, coverage):
    row = queries.metric_table(tiny_con, YTD, coverage, list(metrics.METRICS)).iloc[0]
    assert row["intake_prev"] == 3
    # P2 closed on 2025-11-02, after the shifted as_of (2025-10-31 14:00): still open then
    assert row["closure_rate_prev"] == pytest.approx(2 / 3)
    assert row["backlog_prev"] == 1
    assert row["on_time_rate_prev"] == pytest.approx(1.0)
    assert row["response_median_prev"] == pytest.approx(2.0)
    assert row["satisfaction_rate_prev"] == pytest.approx(1 / 2)
    assert row["grid_level_rate_prev"] == pytest.approx(1 / 2)


def test_kpi_changes(tiny_con, coverage):
    k = queries.kpis(tiny_con, YTD, coverage).set_index("metric")
    assert k.loc["intake", "change"] == pytest.approx((7 - 3) / 3)
    assert k.loc["closure_rate", "change"] == pytest.approx(4 / 7 - 2 / 3)
    assert k.loc["backlog", "change"] == pytest.approx(2.0)
    assert k.loc["response_median", "change"] == pytest.approx(1.5 / 2.0 - 1)


def test_month_over_month_compares_preceding_span(tiny_con, coverage):
    f = Filters(date(2026, 6, 1), date(2026, 6, 30))
    row = queries.metric_table(tiny_con, f, coverage, ["intake"], compare="mom").iloc[0]
    assert row["intake"] == 2  # E3, E4
    assert row["intake_prev"] == 0  # May 2026
    assert f.comparison("mom") == Filters(date(2026, 5, 1), date(2026, 5, 31))


@pytest.mark.parametrize(
    ("start", "end", "kind", "expected"),
    [
        # calendar months compare with calendar months
        (date(2026, 9, 1), date(2026, 9, 30), "mom", (date(2026, 8, 1), date(2026, 8, 31))),
        (date(2026, 3, 1), date(2026, 3, 31), "mom", (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 10, 1), date(2026, 10, 15), "mom", (date(2026, 9, 1), date(2026, 9, 15))),
        (date(2026, 1, 1), date(2026, 10, 31), "mom", (date(2025, 3, 1), date(2025, 12, 31))),
        # other spans: the preceding span of equal length in days
        (date(2026, 10, 2), date(2026, 10, 31), "mom", (date(2026, 9, 2), date(2026, 10, 1))),
        # February after a leap year keeps the 29th
        (date(2025, 2, 1), date(2025, 2, 28), "yoy", (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2024, 2, 1), date(2024, 2, 29), "yoy", (date(2023, 2, 1), date(2023, 2, 28))),
        (date(2026, 1, 1), date(2026, 10, 31), "yoy", (date(2025, 1, 1), date(2025, 10, 31))),
    ],
)
def test_comparison_periods(start, end, kind, expected):
    c = Filters(start, end).comparison(kind)
    assert (c.start, c.end) == expected


def test_a_span_longer_than_a_year_has_no_yoy(tiny_con, coverage):
    f = Filters(date(2025, 1, 1), date(2026, 10, 31))
    assert (
        queries.comparison_problem(f, "yoy", coverage) == "统计期超过一年,与对比期重叠,不显示变化"
    )
    k = queries.kpis(tiny_con, f, coverage, compare="yoy")
    assert k["previous"].isna().all() and k["change"].isna().all()


def test_no_comparison_when_comparison_period_precedes_data(tiny_con, coverage):
    f = Filters(date(2025, 1, 1), date(2025, 10, 31))
    k = queries.kpis(tiny_con, f, coverage).set_index("metric")
    assert k.loc["intake", "value"] == 3
    assert k["change"].isna().all()


@pytest.mark.parametrize(
    ("filters", "intake", "closure"),
    [
        (Filters(date(2026, 1, 1), date(2026, 10, 31), street_id="S02"), 3, 1 / 3),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), community_id="S01C01"), 4, 3 / 4),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), grid_id="S02C01G01"), 2, 1 / 2),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), event_types=("complaint",)), 3, 2 / 3),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), categories=("物业管理",)), 2, 1 / 2),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), channels=("hotline", "app")), 4, 2 / 4),
        (Filters(date(2026, 1, 1), date(2026, 10, 31), boards=("safety",)), 2, 2 / 2),
        (Filters(date(2026, 6, 1), date(2026, 6, 1)), 1, 1.0),
    ],
)
def test_filters_select_the_right_events(tiny_con, coverage, filters, intake, closure):
    row = queries.metric_table(tiny_con, filters, coverage, ["intake", "closure_rate"]).iloc[0]
    assert row["intake"] == intake
    assert row["closure_rate"] == pytest.approx(closure)


def test_empty_selection_gives_zero_intake_and_no_rates(tiny_con, coverage):
    f = Filters(date(2026, 1, 1), date(2026, 10, 31), categories=("不存在的类别",))
    k = queries.kpis(tiny_con, f, coverage).set_index("metric")
    assert k.loc["intake", "value"] == 0
    assert k.loc["closure_rate", "value"] != k.loc["closure_rate", "value"]  # NaN


def test_intake_trend_overlays_last_year_on_this_years_calendar(tiny_con, coverage):
    df = queries.intake_trend(tiny_con, YTD, coverage, by="event_type", freq="month")
    cur = df[df.period == "current"].set_index(["bucket", "group"])["intake"]
    prev = df[df.period == "previous"].set_index(["bucket", "group"])["intake"]
    assert cur[(datetime(2026, 3, 1), "complaint")] == 1
    assert cur[(datetime(2026, 6, 1), "complaint")] == 2
    assert cur.sum() == 7
    assert prev[(datetime(2026, 5, 1), "petition")] == 1  # P3, May 2025
    assert prev.sum() == 3


def test_top_categories_with_change(tiny_con, coverage):
    df = queries.top_categories(tiny_con, YTD, coverage, n=3)
    assert df["category"].tolist() == ["噪音扰民", "物业管理", "消防安全"]
    assert df["intake"].tolist() == [2, 2, 1]
    row = df.set_index("category").loc["物业管理"]
    assert row["intake_prev"] == 2 and row["change"] == pytest.approx(0.0)


def test_grid_metrics_density_and_workload(tiny_con, coverage):
    df = queries.grid_metrics(tiny_con, YTD, coverage).set_index("grid_id")
    g1, g2 = df.loc["S01C01G01"], df.loc["S02C01G01"]
    assert (g1["intake"], g1["intake_prev"]) == (4, 2)
    assert g1["density"] == pytest.approx(4 / 200 * 1000)
    assert g2["density"] == pytest.approx(2 / 400 * 1000)
    assert g2["workload"] == pytest.approx(2 / 2 / YTD.months)
    assert g2["overdue"] == 1 and g1["backlog"] == 1
    assert g1["community_name"] == "甲一社区" and g2["street_name"] == "乙街道"


def test_grid_scope_limits_grids(tiny_con, coverage):
    f = Filters(date(2026, 1, 1), date(2026, 10, 31), street_id="S01")
    assert queries.grid_metrics(tiny_con, f, coverage)["grid_id"].tolist() == ["S01C01G01"]


def test_backlog_ageing_buckets(tiny_con, coverage):
    df = queries.backlog_ageing(tiny_con, YTD, coverage).set_index("bucket")
    assert df["backlog"].to_dict() == {"le_1d": 1, "1_3d": 1, "3_7d": 0, "7_30d": 0, "gt_30d": 1}
    assert df["overdue"].sum() == 1 and df.loc["gt_30d", "overdue"] == 1


def test_alert_lists(tiny_con, coverage):
    grids = queries.grid_metrics(tiny_con, YTD, coverage)
    worse = queries.worsening_grids(grids, min_events=1)
    assert worse["grid_id"].tolist() == ["S01C01G01", "S02C01G01"]  # both doubled: tie by id
    assert worse["intake_change"].tolist() == pytest.approx([1.0, 1.0])
    assert worse.loc[0, "closure_change"] == pytest.approx(3 / 4 - 1 / 2)
    assert queries.worsening_grids(grids).empty  # too few events to compare fairly
    assert queries.overdue_grids(grids)["grid_id"].tolist() == ["S02C01G01"]


def test_grid_shapes_are_lon_lat_rings(tiny_con):
    shapes = queries.grid_shapes(tiny_con).set_index("grid_id")
    ring = shapes.loc["S01C01G01", "polygons"][0]
    assert ring[0] == [106.5, 29.6] and len(ring) == 5


def test_relative_change_is_null_when_base_is_zero():
    assert metrics.relative_change(5, 0) != metrics.relative_change(5, 0)
    assert metrics.relative_change(6, 4) == pytest.approx(0.5)
    assert metrics.change("closure_rate", 0.9, 0.8) == pytest.approx(0.1)


def response_rates(tmp_path, events: list[dict], by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Response rate (and intake) on a database of ``events``: event_id, reported_at and
    (where given) street_id and accepted_at of events of one category in March 2026."""
    import duckdb

    from analytics.connection import connect
    from analytics.schema import create_schema
    from tests.conftest import insert

    path = tmp_path / "response.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    common = {"channel": "hotline", "event_type": "request", "category": "噪音"}
    common |= {"board": "livelihood", "street_id": None, "accepted_at": None}
    insert(con, "events", [common | e for e in events])
    con.close()
    backend = connect(str(path))
    try:
        march = Filters(date(2026, 3, 1), date(2026, 3, 31))
        span = queries.data_range(backend)
        return queries.metric_table(backend, march, span, ["intake", "response_rate"], by=list(by))
    finally:
        backend.disconnect()


def test_no_response_rate_where_the_source_records_no_acceptance(tmp_path):
    events = [
        {"event_id": "A", "reported_at": "2026-03-01 08:00"},
        {"event_id": "B", "reported_at": "2026-03-03 08:00"},
    ]
    row = response_rates(tmp_path, events).iloc[0]
    assert row["intake"] == 2 and pd.isna(row["response_rate"])


def test_a_unit_that_accepted_nothing_rates_zero_when_the_source_records_acceptance(tmp_path):
    events = [
        {"event_id": "A", "street_id": "S1", "reported_at": "2026-03-01 08:00",
         "accepted_at": "2026-03-01 08:30"},
        {"event_id": "B", "street_id": "S2", "reported_at": "2026-03-02 08:00"},
    ]  # fmt: skip
    rates = response_rates(tmp_path, events, by=("street_id",)).set_index("street_id")
    assert rates["response_rate"].to_dict() == {"S1": 1.0, "S2": 0.0}
