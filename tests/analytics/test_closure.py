"""办结率: the analytics against plain SQL on the demo district, and the page under AppTest."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from analytics import closure
from analytics.filters import Filters
from tests.conftest import query


def period_sql(f: Filters) -> tuple[str, list]:
    return "reported_at >= ? AND reported_at < ?", [
        f.start,
        pd.Timestamp(f.end) + pd.Timedelta(days=1),
    ]


def test_funnel_counts_the_furthest_stage_reached(demo, demo_db):
    con, coverage, f = demo
    got = closure.funnel(con, f, coverage)
    where, params = period_sql(f)
    row = query(
        demo_db,
        f"""SELECT count(*) AS reported,
          count(*) FILTER (WHERE coalesce(accepted_at, dispatched_at, handled_at, closed_at)
                                 IS NOT NULL) AS accepted,
          count(*) FILTER (WHERE coalesce(dispatched_at, handled_at, closed_at) IS NOT NULL)
              AS dispatched,
          count(*) FILTER (WHERE coalesce(handled_at, closed_at) IS NOT NULL) AS handled,
          count(*) FILTER (WHERE closed_at IS NOT NULL) AS closed
        FROM events WHERE {where}""",
        params,
    ).iloc[0]  # every timestamp is ≤ as_of (the latest timestamp), so "by as_of" holds
    assert list(got["reached"]) == [row[c] for c in ("reported", "accepted", "dispatched",
                                                      "handled", "closed")]  # fmt: skip
    assert list(got["name"]) == ["上报", "受理", "转办", "处置", "反馈(办结)"]
    assert got["dropped"].sum() == row["reported"] - row["closed"]
    assert (got["reached"].diff().dropna() <= 0).all()


def test_closure_by_street_and_drill_down(demo, demo_db):
    con, coverage, f = demo
    got = closure.by_unit(con, f, coverage).set_index("unit_id")
    where, params = period_sql(f)
    expected = query(
        demo_db,
        f"SELECT street_id, count(*) AS n, avg((closed_at IS NOT NULL)::INT) AS rate "
        f"FROM events WHERE {where} GROUP BY street_id",
        params,
    ).set_index("street_id")
    assert set(got.index) == set(expected.index)
    for unit, row in expected.iterrows():
        assert got.loc[unit, "intake"] == row["n"]
        assert got.loc[unit, "closure_rate"] == pytest.approx(row["rate"])
    assert list(got["rank"]) == sorted(got["rank"])
    assert got["rank"].iloc[0] == 1 and got["closure_rate"].iloc[0] == got["closure_rate"].max()
    street = got.index[0]
    communities = closure.by_unit(con, Filters(f.start, f.end, street_id=street), coverage)
    assert communities["unit_id"].str.startswith(street).all()
    assert communities["intake"].sum() <= got.loc[street, "intake"]
    community = communities["unit_id"].iloc[0]
    grids = closure.by_unit(con, Filters(f.start, f.end, community_id=community), coverage)
    assert grids["unit_id"].str.startswith(community).all()
    assert grids["name"].str.contains("网格").all()


def test_resolution_levels_share_each_month(demo, demo_db):
    con, coverage, f = demo
    got = closure.resolution_levels(con, f, coverage, "month")
    sums = got.groupby("bucket")["share"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    where, params = period_sql(f)
    closed = query(
        demo_db,
        f"SELECT count(*) AS n FROM events WHERE {where} AND closed_at IS NOT NULL "
        "AND resolved_level IS NOT NULL",
        params,
    )["n"][0]
    assert got["closed"].sum() == closed


def test_overdue_list_is_masked_and_complete(demo, demo_db):
    con, coverage, f = demo
    got = closure.overdue_list(con, f, coverage, limit=50)
    where, params = period_sql(f)
    total = query(
        demo_db,
        f"SELECT count(*) AS n FROM events WHERE {where} AND closed_at IS NULL AND deadline_at < ?",
        [*params, coverage.as_of],
    )["n"][0]
    assert got.attrs["total"] == total and len(got) == min(50, total)
    assert len(closure.overdue_list(con, f, coverage, limit=None)) == total  # the download's list
    assert got["overdue_days"].is_monotonic_decreasing
    phones = got["reporter_phone"].dropna()
    assert phones.map(lambda p: bool(re.fullmatch(r"\d{3}\*{4}\d{4}", p))).all()
    raw = query(demo_db, "SELECT event_id, reporter_name FROM events")
    names = dict(zip(raw["event_id"], raw["reporter_name"], strict=True))
    for event, shown in zip(got["event_id"], got["reporter_name"], strict=True):
        real = names[event]
        if isinstance(real, str) and real:
            assert shown != real and shown[0] == real[0] and "*" in shown


def test_places_are_named_in_full_or_as_far_as_known(demo):
    con, coverage, f = demo
    titles = closure.unit_titles(con)
    grids = con.table("grids").select("grid_id", "street_id", "community_id", "name")
    row = grids.order_by("grid_id").limit(1).execute().iloc[0]
    street, community = titles[row["street_id"]], titles[row["community_id"]]
    assert titles[row["grid_id"]] == f"{street} {community} {row['name']}"
    place = closure.place_title
    assert (
        place(titles, row["street_id"], row["community_id"], row["grid_id"])
        == (titles[row["grid_id"]])
    )
    assert (
        place(titles, row["street_id"], row["community_id"], None) == f"{street} {community} 未落格"
    )
    assert place(titles, row["street_id"], None, None) == f"{street} 未落格"
    assert place(titles, None, None, None) == "未指定街道"
    one = replace(f, street_id=row["street_id"], community_id=row["community_id"])
    units = closure.by_unit(con, one, coverage)
    assert len(units) > 1 and units["name"].str.startswith(f"{street} {community} ").all()


def test_overdue_list_without_overdue_events_counts_none(demo):
    con, coverage, f = demo
    got = closure.overdue_list(con, replace(f, categories=("没有这个类别",)), coverage)
    assert got.empty and got.attrs["total"] == 0


def test_titles_from_what_the_app_holds_equal_the_queried_ones(demo):
    from analytics import queries

    con, _, _ = demo
    held = closure.titles_of(queries.unit_names(con), queries.grid_reference(con))
    assert held == closure.unit_titles(con)
