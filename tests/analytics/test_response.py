"""响应时效: distributions, stages, SLA and the before/after rank test; the page under AppTest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import product

import pandas as pd
import pytest

from analytics import queries, response
from tests.conftest import query


def sample(values: list[float]) -> pd.DataFrame:
    s = pd.Series(values).value_counts()
    return pd.DataFrame({"v": s.index, "n": s.to_numpy()})


def test_mann_whitney_hand_checked_and_with_ties():
    test = response.mann_whitney(sample([1, 2, 3]), sample([4, 5, 6]))
    # U = 9 of a possible 9; mean 4.5, variance 9/12 × 7 = 5.25; z = (4.5 − 0.5)/2.291
    assert (test.u, test.superiority) == (9.0, 1.0)
    assert test.z == pytest.approx(1.7457, abs=1e-4)
    assert test.p_value == pytest.approx(0.080856, abs=1e-5)  # scipy: 0.0808556
    before, after = [1, 1, 2, 3, 5, 5], [1, 2, 2, 4, 5, 6, 6]
    brute = sum((a > b) + 0.5 * (a == b) for a, b in product(after, before))
    tied = response.mann_whitney(sample(before), sample(after))
    assert tied.u == brute
    assert 0 < tied.p_value < 1
    assert response.mann_whitney(sample([1, 2]), sample([])) is None


def test_distribution_quantiles_against_plain_sql(demo, demo_db):
    con, coverage, f = demo
    got = response.distribution(con, f, coverage, "response", "channel").set_index("group")
    expected = query(
        demo_db,
        """SELECT channel, count(*) AS n,
             quantile_cont((epoch(accepted_at) - epoch(reported_at)) / 3600, 0.5) AS p50,
             quantile_cont((epoch(accepted_at) - epoch(reported_at)) / 3600, 0.9) AS p90
           FROM events WHERE reported_at >= ? AND reported_at < ? AND accepted_at IS NOT NULL
           GROUP BY channel""",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    ).set_index("channel")
    assert set(got.index) == set(expected.index)
    for channel, row in expected.iterrows():
        assert got.loc[channel, "n"] == row["n"]
        assert got.loc[channel, "p50"] == pytest.approx(row["p50"], rel=1e-9)
        assert got.loc[channel, "p90"] == pytest.approx(row["p90"], rel=1e-9)
    assert list(got["p50"]) == sorted(got["p50"], reverse=True)
    assert got.loc["hotline", "label"] == "12345/8890热线"


def test_stage_medians_against_plain_sql(demo, demo_db):
    con, coverage, f = demo
    got = response.stage_breakdown(con, f, coverage, "handling_type").set_index("group")
    expected = query(
        demo_db,
        """SELECT handling_type,
             quantile_cont((epoch(dispatched_at) - epoch(accepted_at)) / 3600, 0.5)
               FILTER (WHERE accepted_at IS NOT NULL AND dispatched_at IS NOT NULL) AS dispatch
           FROM events WHERE reported_at >= ? AND reported_at < ? GROUP BY handling_type""",
        [f.start, pd.Timestamp(f.end) + pd.Timedelta(days=1)],
    ).set_index("handling_type")
    for kind, row in expected.iterrows():
        if pd.isna(row["dispatch"]):
            assert pd.isna(got.loc[kind, "stage_dispatch"])
        else:
            assert got.loc[kind, "stage_dispatch"] == pytest.approx(row["dispatch"], rel=1e-9)


def test_sla_states_add_up_to_the_on_time_rate(demo):
    con, coverage, f = demo
    df = response.sla(con, f, coverage)
    assert (df[list(response.SLA_STATES)].sum(axis=1) == df["total"]).all()
    eligible = df["on_time"] + df["late"] + df["open_overdue"]
    assert df["on_time_rate"].tolist() == pytest.approx((df["on_time"] / eligible).tolist())


def test_before_and_after_the_reform(demo, demo_db):
    con, coverage, f = demo
    pivot = response.default_pivot(coverage)
    assert pivot == date(2025, 1, 1)
    s = response.sides(f, coverage, pivot, 90)
    assert (s.before.start, s.before.end) == (date(2024, 10, 3), date(2024, 12, 31))
    assert (s.after.start, s.after.end) == (date(2025, 1, 1), date(2025, 3, 31))
    figures = response.before_after(con, s, coverage).set_index("metric")
    for side, side_filters in (("before", s.before), ("after", s.after)):  # one side at a time
        direct = queries.metric_table(
            con, side_filters, coverage, response.BEFORE_AFTER_METRICS, compare=None
        )
        for metric in response.BEFORE_AFTER_METRICS:
            assert figures.loc[metric, side] == pytest.approx(direct.iloc[0][metric]), metric
    assert figures.loc["response_median", "after"] < figures.loc["response_median", "before"]
    tests = response.rank_tests(con, s, coverage)
    assert tests["response"].p_value < 0.001 and tests["response"].superiority < 0.5
    for measure, end in (("response", "accepted_at"), ("handling", "closed_at")):
        step = response.RANK_RESOLUTION_SECONDS[measure]
        samples = [
            query(
                demo_db,
                f"SELECT floor((epoch({end}) - epoch(reported_at)) / {step}) AS v, count(*) AS n "
                f"FROM events WHERE reported_at >= ? AND reported_at < ? AND {end} IS NOT NULL "
                f"AND {end} <= ? GROUP BY v",
                [side.start, pd.Timestamp(side.end) + pd.Timedelta(days=1), coverage.as_of],
            )
            for side in (s.before, s.after)
        ]
        in_memory = response.mann_whitney(*samples)  # ranked in pandas: the same
        test = tests[measure]
        assert (test.n_before, test.n_after) == (in_memory.n_before, in_memory.n_after)
        assert test.u == pytest.approx(in_memory.u) and test.z == pytest.approx(in_memory.z)
    assert response.sides(f, coverage, coverage.first_day, 90) is None


def test_before_and_after_with_an_empty_side(demo):
    con, coverage, f = demo
    s = response.sides(
        replace(f, categories=("不存在的类别",)), coverage, response.default_pivot(coverage), 90
    )
    figures = response.before_after(con, s, coverage).set_index("metric")
    assert figures.loc["intake", "before"] == 0 and figures.loc["intake", "after"] == 0
    assert pd.isna(figures.loc["response_median", "after"])
    assert response.rank_tests(con, s, coverage) == {"response": None, "handling": None}


@pytest.mark.parametrize(("measure", "by"), list(product(response.MEASURES, ["unit", "channel"])))
def test_durations_in_one_query_equal_the_distribution_and_the_stages(demo, measure, by):
    con, coverage, f = demo
    for scope in (f, replace(f, street_id="S01")):
        dist, stages = response.durations(con, scope, coverage, measure, by)
        expected = response.distribution(con, scope, coverage, measure, by)
        pd.testing.assert_frame_equal(dist, expected, check_exact=True)
        expected = response.stage_breakdown(con, scope, coverage, by)
        pd.testing.assert_frame_equal(stages, expected, check_exact=True)
