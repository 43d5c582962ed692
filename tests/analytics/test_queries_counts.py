"""The overview's one scan of counts (``queries.event_counts``) gives exactly the figures of
the per-figure queries: the cards, each grid's figures, the cards' trend lines and where events
lack a place, for any scope, period and comparison."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from analytics import metrics, queries
from analytics.filters import Filters, preset_period

YTD = Filters(date(2026, 1, 1), date(2026, 10, 31))
TINY_FILTERS = [
    YTD,
    Filters(date(2026, 1, 1), date(2026, 10, 31), street_id="S01"),
    Filters(date(2026, 1, 1), date(2026, 10, 31), community_id="S02C01"),
    Filters(date(2026, 1, 1), date(2026, 10, 31), grid_id="S01C01G01"),
    Filters(date(2026, 1, 1), date(2026, 10, 31), event_types=("complaint",)),
    Filters(date(2026, 1, 1), date(2026, 10, 31), categories=("不存在的类别",)),  # no events
    Filters(date(2026, 10, 1), date(2026, 10, 31)),  # 环比 within the data
    Filters(date(2024, 6, 1), date(2026, 10, 31)),  # longer than a year: no comparison
]


def _same(con, coverage, f: Filters, compare: str | None) -> None:
    counts = queries.event_counts(con, f, coverage, compare)
    medians = queries.kpi_medians(con, f, coverage, compare=compare)
    assert_frame_equal(
        queries.kpis_from(counts, medians, f, coverage, compare=compare),
        queries.kpis(con, f, coverage, compare=compare),
        check_exact=True,
    )
    every = tuple(metrics.METRICS)  # counted or not: the rest comes with the medians
    assert_frame_equal(
        queries.kpis_from(
            counts,
            queries.kpi_medians(con, f, coverage, every, compare),
            f,
            coverage,
            every,
            compare,
        ),
        queries.kpis(con, f, coverage, every, compare=compare),
        check_exact=True,
    )
    assert_frame_equal(
        queries.grid_metrics_from(counts, queries.grid_reference(con), f),
        queries.grid_metrics(con, f, coverage, compare=compare),
        check_exact=True,
    )
    assert_frame_equal(
        queries.monthly_kpis_from(counts, queries.month_medians(con, f, coverage), f),
        queries.monthly_kpis(con, f, coverage),
        check_exact=True,
    )
    assert queries.placement_from(counts, queries.outlined_grids(con)) == queries.placement(con, f)


@pytest.mark.parametrize("compare", ["yoy", "mom", None])
@pytest.mark.parametrize("f", TINY_FILTERS, ids=repr)
def test_counts_give_the_per_figure_queries_figures(tiny_con, f, compare):
    _same(tiny_con, queries.data_range(tiny_con), f, compare)


@pytest.mark.parametrize("compare", ["yoy", "mom"])
@pytest.mark.parametrize("preset", ["ytd", "last_month", "last_90d"])
def test_counts_on_the_demo_district(demo, preset, compare):
    con, coverage, _ = demo
    start, end = preset_period(preset, coverage.last_day)
    street = queries.org_units(con).query("level == 'street'")["unit_id"].iloc[0]
    for f in (Filters(start, end), Filters(start, end, street_id=street)):
        _same(con, coverage, f, compare)


def test_counts_add_up_to_the_cards(tiny_con):
    """The cards' counts are the sums of every grid's, the events without a grid included."""
    coverage = queries.data_range(tiny_con)
    counts = queries.event_counts(tiny_con, YTD, coverage, "yoy")
    frame = counts.frame
    assert list(frame.columns[:3]) == list(queries.COUNT_GROUPS)
    assert frame["grid_id"].isna().any()  # the tiny district has events without a grid
    (intake,) = counts.parts["intake"]
    current = frame.loc[frame["period"] == "current", intake].sum()
    kpis = queries.kpis_from(counts, None, YTD, coverage, ("intake", "backlog"), "yoy")
    assert kpis.set_index("metric").loc["intake", "value"] == current == 7


def test_a_share_without_events_is_nan_not_zero():
    part, whole = np.array([0, 2]), np.array([0, 4])
    out = metrics.Share(metrics.closed).combine(part, whole)
    assert np.isnan(out).tolist() == [True, False] and out[1] == 0.5


def test_quantiles_of_one_value_are_one_aggregate_with_each_ones_figure(demo):
    """``queries.aggregate`` takes P10/P50/P90 of one value over the same events as one list
    quantile, and gives each the figure it has alone; a quantile of another value, of other
    events, or at a level that is not a literal is left as it is."""
    import ibis

    con, coverage, f = demo
    t = queries.tagged_events(con, f, coverage, "yoy")
    hours = metrics.hours_between(t.reported_at, t.accepted_at)
    aggs = {
        "p50": hours.quantile(0.5, where=metrics.accepted(t)),
        "n": t.count(),
        "p10": hours.quantile(0.1, where=metrics.accepted(t)),
        "all_p50": hours.quantile(0.5),  # other events: no family of its own
        "p90": hours.quantile(0.9, where=metrics.accepted(t)),
        "odd": hours.quantile(ibis.literal(0.25) + 0, where=metrics.accepted(t)),
    }
    got = queries.aggregate(t, ["period"], aggs)
    assert list(got.columns) == ["period", *aggs]
    want = t.group_by("period").aggregate(**aggs).execute()
    order = ["period"]
    assert_frame_equal(
        got.sort_values(order).reset_index(drop=True),
        want.sort_values(order).reset_index(drop=True),
        check_exact=True,
    )
    assert (got["p10"] <= got["p50"]).all() and (got["p50"] <= got["p90"]).all()
