"""投诉信访趋势: the analytics (hand-checked or against plain SQL) and the page under AppTest."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from analytics import queries, trends
from analytics.connection import connect
from analytics.filters import Filters, preset_period
from tests.conftest import query
from ui import downloads


def test_spikes_by_the_robust_rule_hand_checked():
    counts = pd.Series(
        [10, 12, 11, 10, 13, 12, 11, 10, 40, 11],
        index=pd.date_range("2026-01-05", periods=10, freq="W-MON"),
    )
    judged = trends.detect_spikes(counts, window=8)
    # bucket 9: median of the first 8 is 11, MAD 1 → 11 + 3 × 1.4826 = 15.4, but at least
    # 11 + 10 = 21; 40 is a spike. Bucket 10: median 11.5, MAD 1 → threshold 21.5; 11 is not.
    assert list(judged["bucket"]) == list(counts.index[8:])
    assert list(judged["baseline"]) == [11.0, 11.5]
    assert list(judged["threshold"]) == [21.0, 21.5]
    assert list(judged["spike"]) == [True, False]
    noisy = pd.Series([100, 140, 90, 150, 95, 145, 100, 150, 180])
    # median 120, MAD 25 → 120 + 3 × 37.1 = 231: a busy but noisy series is not a spike
    assert not trends.detect_spikes(noisy, window=8)["spike"].any()


def test_moving_average_per_group_and_period():
    series = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"] * 2),
            "group": ["complaint"] * 4 + ["petition"] * 4,
            "intake": [3, 6, 9, 12, 1, 1, 4, 4],
            "period": "current",
        }
    )
    out = trends.moving_average(series, "month")  # 3 months
    assert list(out["moving_avg"]) == [3, 4.5, 6, 9, 1, 1, 2, 3]


def test_category_trend_folds_the_rest_into_other(demo, demo_db):
    con, coverage, f = demo
    df = trends.category_trend(con, f, coverage, "month", n=3)
    assert df["group"].nunique() == 4 and "其他" in set(df["group"])
    total = query(
        demo_db,
        "SELECT count(*) AS n FROM events WHERE reported_at >= ? AND reported_at < ?",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    )["n"][0]
    assert df["intake"].sum() == total


def test_rising_categories_against_plain_sql(demo, demo_db):
    con, coverage, f = demo
    got = trends.rising_categories(con, f, coverage, n=50, min_events=30)
    c = f.comparison("yoy")
    counts = query(
        demo_db,
        """SELECT category,
             count(*) FILTER (WHERE reported_at >= ? AND reported_at < ?) AS intake,
             count(*) FILTER (WHERE reported_at >= ? AND reported_at < ?) AS prev
           FROM events GROUP BY category""",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1),
         c.start, pd.Timestamp(c.end) + pd.Timedelta(days=1)],
    )  # fmt: skip
    counts = counts[(counts["intake"] >= 30) & (counts["prev"] >= 30)]
    counts["change"] = counts["intake"] / counts["prev"] - 1
    expected = counts[counts["change"] > 0].sort_values(
        ["change", "category"], ascending=[False, True]
    )
    assert list(got["category"]) == list(expected["category"])
    assert got["change"].tolist() == pytest.approx(expected["change"].tolist())


def test_unit_comparison_per_thousand_households(tiny_db):
    con = connect(tiny_db, read_only=True)
    try:
        coverage = queries.data_range(con)
        f = Filters(*preset_period("ytd", coverage.last_day))
        df = trends.unit_comparison(con, f, coverage, ("S01", "S02C01", "S01C01G01"), "month")
    finally:
        con.disconnect()
    assert len(df) == 3 * 10  # January to October for each unit
    totals = df.groupby("unit_id")["intake"].sum().to_dict()
    expected = query(
        tiny_db,
        "SELECT street_id, count(*) AS n FROM events WHERE reported_at >= '2026-01-01' "
        "GROUP BY street_id",
    ).set_index("street_id")["n"]
    assert totals == {"S01": expected["S01"], "S02C01": expected["S02"],
                      "S01C01G01": expected["S01"]}  # fmt: skip
    households = df.groupby("unit_id")["households"].first().to_dict()
    assert households == {"S01": 200, "S02C01": 400, "S01C01G01": 200}
    row = df[(df["unit_id"] == "S02C01") & (df["intake"] > 0)].iloc[0]
    assert row["density"] == pytest.approx(row["intake"] * 1000 / 400)


def test_spike_drivers_are_real_categories_and_grids(demo, demo_db):
    con, coverage, f = demo
    judged, found = trends.spikes(con, f, coverage, "day")
    assert judged["bucket"].min() == pd.Timestamp(f.start)
    assert set(found["bucket"]) == set(judged.loc[judged["spike"], "bucket"])
    categories = set(query(demo_db, "SELECT DISTINCT category FROM events")["category"])
    grids = set(query(demo_db, "SELECT grid_id FROM grids")["grid_id"]) | {"(未知)"}
    for cats, grs, excess in zip(found["categories"], found["grids"], found["excess"], strict=True):
        assert {k for k, _ in cats} <= categories and {k for k, _ in grs} <= grids
        assert all(0 < v for _, v in cats) and excess > 0


def test_downloads_open_cleanly_in_excel():
    df = pd.DataFrame({"业务类别": ["噪音扰民", "物业管理"], "受理量": [12, 3]})
    data = downloads.csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert pd.read_csv(io.BytesIO(data), encoding="utf-8-sig").equals(df)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(downloads.excel_bytes(df))).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["业务类别", "受理量"], ["噪音扰民", 12], ["物业管理", 3]
    ]  # fmt: skip


def test_spikes_need_a_relative_rise_too():
    steady = [1000, 1001, 999, 1000, 1002, 998, 1000, 1001]
    index = pd.date_range("2026-01-05", periods=9, freq="W-MON")
    # median 1000, MAD 1: 1,017 passes the statistical test (threshold 1,004.4) and is 17
    # events above, but only 1.7 % more: no spike. 1,250 (+25 %) is one.
    small = trends.detect_spikes(pd.Series([*steady, 1017], index=index), window=8)
    assert small["threshold"].iloc[0] == pytest.approx(1000 * (1 + trends.SPIKE_MIN_RISE))
    assert small["rise"].iloc[0] == pytest.approx(0.017) and not small["spike"].any()
    big = trends.detect_spikes(pd.Series([*steady, 1250], index=index), window=8)
    assert big["spike"].iloc[0] and big["rise"].iloc[0] == pytest.approx(0.25)
    # A baseline of 0 has no relative rise: the absolute minimum decides.
    quiet = trends.detect_spikes(pd.Series([0] * 8 + [12], index=index), window=8)
    assert quiet["spike"].iloc[0] and pd.isna(quiet["rise"].iloc[0])


def test_partial_buckets_at_the_ends_of_the_period_and_the_data():
    from datetime import date, datetime

    coverage = queries.DataRange(date(2025, 11, 5), datetime(2026, 10, 31, 23, 59, 59))
    weeks = pd.date_range("2025-12-29", "2026-10-26", freq="W-MON")
    f = Filters(date(2026, 1, 1), date(2026, 10, 31))  # a Thursday to a Saturday
    partial = trends.partial_buckets(weeks, "week", f, coverage)
    assert list(weeks[partial.to_numpy()]) == [
        pd.Timestamp("2025-12-29"),
        pd.Timestamp("2026-10-26"),
    ]
    months = pd.date_range("2026-01-01", "2026-10-01", freq="MS")
    assert not trends.partial_buckets(months, "month", f, coverage).any()
    # Data taken at 10:00 on 31 October holds part of that day: October is partial.
    morning = queries.DataRange(date(2025, 11, 5), datetime(2026, 10, 31, 10, 0))
    assert list(trends.partial_buckets(months, "month", f, morning)) == [False] * 9 + [True]
    # Data starting on 5 November 2025: November 2025 is partial, December is not.
    older = Filters(date(2025, 11, 1), date(2025, 12, 31))
    both = pd.to_datetime(["2025-11-01", "2025-12-01"])
    assert list(trends.partial_buckets(both, "month", older, coverage)) == [True, False]


def test_moving_average_leaves_partial_buckets_out():
    series = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]),
            "group": "complaint",
            "intake": [2, 9, 12, 15],
            "period": "current",
            "partial": [True, False, False, True],
        }
    )
    out = trends.moving_average(series, "month")
    assert out["moving_avg"].isna().tolist() == [True, False, False, True]
    assert out["moving_avg"].iloc[1:3].tolist() == [9, 10.5]  # the partial 2 is not in it


def test_spikes_never_judge_a_partial_week(demo):
    from datetime import date

    con, coverage, f = demo
    mid_week = f.with_period(f.start, date(2026, 10, 28))  # a Wednesday
    judged, _ = trends.spikes(con, mid_week, coverage, "week")
    assert judged["bucket"].max() == pd.Timestamp("2026-10-19")  # not the week of 26 October
    assert "rise" in judged
    whole = f.with_period(f.start, date(2026, 10, 25))  # a Sunday: that week is whole
    assert trends.spikes(con, whole, coverage, "week")[0]["bucket"].max() == pd.Timestamp(
        "2026-10-19"
    )


@pytest.mark.parametrize("scope", [{}, {"street_id": "S01"}, {"event_types": ("complaint",)}])
def test_one_query_for_the_largest_and_the_rising_categories(demo, scope):
    con, coverage, f = demo
    f = Filters(f.start, f.end, **scope)
    for compare in ("yoy", "mom"):
        top, rising = trends.category_changes(con, f, coverage, compare)
        pd.testing.assert_frame_equal(
            top, queries.top_categories(con, f, coverage, 8, compare), check_exact=True
        )
        pd.testing.assert_frame_equal(
            rising, trends.rising_categories(con, f, coverage, compare=compare), check_exact=True
        )


def test_unit_comparison_from_the_reference_the_page_holds(demo):
    con, coverage, f = demo
    units, grids = queries.org_units(con), queries.grid_reference(con)
    chosen = ("S01", units.loc[units.level == "community", "unit_id"].iloc[-1], grids.grid_id[0])
    for freq in ("day", "week", "month"):
        held = trends.unit_comparison(con, f, coverage, chosen, freq, units, grids)
        queried = trends.unit_comparison(con, f, coverage, chosen, freq)
        pd.testing.assert_frame_equal(held, queried, check_exact=True)
        assert (held.groupby("unit_id")["intake"].sum() > 0).all()
