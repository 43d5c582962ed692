"""响应时效: distributions, stages, SLA and the before/after rank test; the page under AppTest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import product

import pandas as pd
import pytest

from analytics import queries as q
from analytics import response as rs
from tests.apptest import open_page
from tests.conftest import query

PAGE = "pages/response.py"


def sample(values: list[float]) -> pd.DataFrame:
    s = pd.Series(values).value_counts()
    return pd.DataFrame({"v": s.index, "n": s.to_numpy()})


def test_mann_whitney_hand_checked_and_with_ties():
    test = rs.mann_whitney(sample([1, 2, 3]), sample([4, 5, 6]))
    # U = 9 of a possible 9; mean 4.5, variance 9/12 × 7 = 5.25; z = (4.5 − 0.5)/2.291
    assert (test.u, test.superiority) == (9.0, 1.0)
    assert test.z == pytest.approx(1.7457, abs=1e-4)
    assert test.p_value == pytest.approx(0.080856, abs=1e-5)  # scipy: 0.0808556
    before, after = [1, 1, 2, 3, 5, 5], [1, 2, 2, 4, 5, 6, 6]
    brute = sum((a > b) + 0.5 * (a == b) for a, b in product(after, before))
    tied = rs.mann_whitney(sample(before), sample(after))
    assert tied.u == brute
    assert 0 < tied.p_value < 1
    assert rs.mann_whitney(sample([1, 2]), sample([])) is None


def test_distribution_quantiles_against_plain_sql(demo, demo_db):
    con, rng, f = demo
    got = rs.distribution(con, f, rng, "response", "channel").set_index("group")
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
    con, rng, f = demo
    got = rs.stage_breakdown(con, f, rng, "handling_type").set_index("group")
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
    con, rng, f = demo
    df = rs.sla(con, f, rng)
    assert (df[list(rs.SLA_STATES)].sum(axis=1) == df["total"]).all()
    eligible = df["on_time"] + df["late"] + df["open_overdue"]
    assert df["on_time_rate"].tolist() == pytest.approx((df["on_time"] / eligible).tolist())


def test_before_and_after_the_reform(demo, demo_db):
    con, rng, f = demo
    pivot = rs.default_pivot(rng)
    assert pivot == date(2025, 1, 1)
    s = rs.sides(f, rng, pivot, 90)
    assert (s.before.start, s.before.end) == (date(2024, 10, 3), date(2024, 12, 31))
    assert (s.after.start, s.after.end) == (date(2025, 1, 1), date(2025, 3, 31))
    figures = rs.before_after(con, s, rng).set_index("metric")
    for side, side_filters in (("before", s.before), ("after", s.after)):  # one side at a time
        direct = q.metric_table(con, side_filters, rng, rs.BEFORE_AFTER_METRICS, compare=None)
        for metric in rs.BEFORE_AFTER_METRICS:
            assert figures.loc[metric, side] == pytest.approx(direct.iloc[0][metric]), metric
    assert figures.loc["response_median", "after"] < figures.loc["response_median", "before"]
    tests = rs.rank_tests(con, s, rng)
    assert tests["response"].p_value < 0.001 and tests["response"].superiority < 0.5
    for measure, end in (("response", "accepted_at"), ("handling", "closed_at")):
        step = rs.RANK_RESOLUTION_SECONDS[measure]
        samples = [
            query(
                demo_db,
                f"SELECT floor((epoch({end}) - epoch(reported_at)) / {step}) AS v, count(*) AS n "
                f"FROM events WHERE reported_at >= ? AND reported_at < ? AND {end} IS NOT NULL "
                f"AND {end} <= ? GROUP BY v",
                [side.start, pd.Timestamp(side.end) + pd.Timedelta(days=1), rng.as_of],
            )
            for side in (s.before, s.after)
        ]
        in_memory = rs.mann_whitney(*samples)  # ranked in pandas: the same
        test = tests[measure]
        assert (test.n_before, test.n_after) == (in_memory.n_before, in_memory.n_after)
        assert test.u == pytest.approx(in_memory.u) and test.z == pytest.approx(in_memory.z)
    assert rs.sides(f, rng, rng.first_day, 90) is None


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


def test_before_and_after_with_an_empty_side(demo):
    con, rng, f = demo
    s = rs.sides(replace(f, categories=("不存在的类别",)), rng, rs.default_pivot(rng), 90)
    figures = rs.before_after(con, s, rng).set_index("metric")
    assert figures.loc["intake", "before"] == 0 and figures.loc["intake", "after"] == 0
    assert pd.isna(figures.loc["response_median", "after"])
    assert rs.rank_tests(con, s, rng) == {"response": None, "handling": None}
