"""赛马比拼: rankings recomputed by hand (plain SQL on the demo district, a tiny district
built for ties, tiers, the minimum and missing rates), grid workers' components, the
setting, and the page under AppTest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import queries, rankings
from analytics.connection import connect
from analytics.filters import Filters, add_months
from analytics.queries import DataRange
from analytics.schema import create_schema
from analytics.settings import Settings, SettingsError, load
from tests.conftest import EVENT_COLUMNS, import_row, insert, query

T = datetime
SEPTEMBER = Filters(date(2026, 9, 1), date(2026, 9, 30))

# ---------------------------------------------------------------- the tiny district

STREETS = [f"S0{i}" for i in range(1, 8)]
WORKERS = [
    {"worker_id": "W1", "grid_id": "S01C01G01", "role": "full_time", "name": "王小明"},
    {"worker_id": "W2", "grid_id": "S02C01G01", "role": "full_time", "name": "欧阳娜娜"},
    {"worker_id": "W3", "grid_id": "S02C01G01", "role": "part_time", "name": "李四"},
    {"worker_id": "W4", "grid_id": "S03C01G01", "role": "full_time", "name": "赵五"},
]
_ids = iter(range(1, 10_000))


def ev(street: str, reported: datetime, **kw) -> dict:
    """One event in ``street``'s only grid: accepted after an hour, closed the next day,
    satisfied and resolved, unless ``kw`` says otherwise."""
    row = dict.fromkeys(EVENT_COLUMNS)
    row |= {
        "event_id": f"E{next(_ids)}",
        "channel": "hotline",
        "event_type": "request",
        "category": "物业管理",
        "board": "livelihood",
        "grid_id": f"{street}C01G01",
        "community_id": f"{street}C01",
        "street_id": street,
        "lon": 106.5,
        "lat": 29.6,
        "reported_at": reported,
        "accepted_at": reported + timedelta(hours=1),
        "closed_at": reported + timedelta(days=1),
        "satisfaction": "satisfied",
        "resolved": True,
        "description": "楼道堆物",
    }
    row |= kw
    return row


def four(street: str, day: datetime, **variants) -> list[dict]:
    """Four events on ``day``; ``variants`` maps a column to its four values."""
    return [
        ev(street, day + timedelta(hours=i), **{k: v[i] for k, v in variants.items()})
        for i in range(4)
    ]


SEP, AUG, JUN = T(2026, 9, 10, 8), T(2026, 8, 10, 8), T(2026, 6, 10, 8)
AS_OF = T(2026, 9, 30, 18)  # the latest timestamp: the data's as_of
SLOW = [SEP + timedelta(hours=3 + i) for i in range(4)]  # accepted 3 h after the report
TINY_EVENTS = [
    ev("S06", T(2026, 1, 15, 9)),  # the data start early enough for August to compare
    # September (the period): S01 = S02 = 100, S05 90, S03 77.5, S04 72.5
    *four("S01", SEP),
    *four("S02", SEP),
    *four("S03", SEP, resolved=[True, True, False, False]),
    *four(
        "S04",
        SEP,
        accepted_at=[SEP + timedelta(hours=i + d) for i, d in enumerate((1, 2, 5, 6))],
        satisfaction=["satisfied", "basic", "dissatisfied", "dissatisfied"],
    ),
    *four("S05", SEP, accepted_at=SLOW),
    *four("S06", SEP)[:3],  # too few events
    *[ev("S07", SEP, satisfaction=None) for _ in range(5)],  # nobody rated
    ev("S07", T(2026, 9, 29, 8), closed_at=AS_OF, satisfaction=None),
    # August (the preceding period), measured as of 30 August 18:00: S05 100, S04 96.67
    # (two late events not yet accepted then), S03 77.5. Measured as of September's as_of,
    # S04's two unhappy late events would count and drop it to 70, below S03.
    *four("S05", AUG),
    *four("S03", AUG, resolved=[True, True, False, False]),
    *four("S04", AUG),
    *[
        ev(
            "S04",
            T(2026, 8, 31, 10 + i),
            closed_at=T(2026, 9, 30, 12),
            resolved=False,
            satisfaction="dissatisfied",
        )
        for i in range(2)
    ],
    # June: the grid workers' own events (nobody rated: no unit is ranked in June)
    *four("S01", JUN, channel=["patrol"] * 4, worker_id=["W1"] * 4, satisfaction=[None] * 4),
    ev("S01", JUN, worker_id="W1", satisfaction=None),
    ev("S01", JUN, worker_id="W1", satisfaction=None, closed_at=None),  # still open
    ev("S02", JUN, channel="patrol", worker_id="W2", satisfaction=None),
    ev("S02", JUN, channel="patrol", worker_id="W2", satisfaction=None, lat=None),
    ev("S02", JUN, channel="patrol", worker_id="W2", satisfaction=None, description="  "),
    *[ev("S02", JUN, worker_id="W2", satisfaction=None) for _ in range(3)],
    *[ev("S02", JUN, channel="patrol", worker_id="W3", satisfaction=None) for _ in range(5)],
    *[ev("S03", JUN, channel="patrol", worker_id="W4", satisfaction=None) for _ in range(2)],
]


def make_ranking_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    create_schema(con)
    units = [{"unit_id": "D", "parent_id": None, "level": "district", "name": "测试区"}]
    grids = []
    for i, s in enumerate(STREETS, start=1):
        units += [
            {"unit_id": s, "parent_id": "D", "level": "street", "name": f"第{i}街道"},
            {"unit_id": f"{s}C01", "parent_id": s, "level": "community", "name": f"{i}号社区"},
        ]
        grids.append(
            {
                "grid_id": f"{s}C01G01",
                "community_id": f"{s}C01",
                "street_id": s,
                "name": "第1网格",
                "households": 100,
                "population": 300,
                "area_km2": 0.2,
                "full_time_workers": 1,
                "part_time_workers": 2,
                "geometry": None,
                "centroid_lon": 106.5,
                "centroid_lat": 29.6,
            }
        )
    insert(con, "org_units", units)
    insert(con, "grids", grids)
    insert(con, "workers", WORKERS)
    insert(con, "events", TINY_EVENTS)
    insert(con, "imports", [import_row("r", "r", len(TINY_EVENTS), AS_OF)])
    con.close()
    return path


@pytest.fixture(scope="module")
def ranking_db(tmp_path_factory) -> Path:
    return make_ranking_db(tmp_path_factory.mktemp("rankings") / "rankings.duckdb")


@pytest.fixture
def tiny(ranking_db):
    con = connect(ranking_db, read_only=True)
    coverage = queries.data_range(con)
    assert coverage.as_of == AS_OF
    yield con, coverage
    con.disconnect()


def test_ties_tiers_the_minimum_and_missing_rates(tiny):
    con, coverage = tiny
    r = rankings.unit_ranking(con, SEPTEMBER, coverage, "street_id", min_events=4)
    got = r.ranked.set_index("unit_id")
    assert list(r.ranked["unit_id"]) == ["S01", "S02", "S05", "S03", "S04"]  # ties by id
    assert list(got["score"]) == [100.0, 100.0, 90.0, 77.5, 72.5]
    assert list(got["rank"]) == [1, 1, 3, 4, 5]
    assert list(got["tier"]) == [1, 1, 2, 3, 4]  # 1 + floor(4 · (rank − 1) / 5)
    assert got.loc["S04", "response_rate"] == 0.5 and got.loc["S04", "satisfaction_rate"] == 0.5
    reasons = r.apart.set_index("unit_id")["reason"]
    assert reasons["S06"] == "事件数不足:3 件,少于 4 件"
    assert reasons["S07"] == "无满意率(无已评价的事件)"
    assert set(reasons.index) == {"S06", "S07"}
    # without a weight on 满意率 its absence does not matter: S07 is ranked on the other two
    r = rankings.unit_ranking(
        con, SEPTEMBER, coverage, "street_id", {"response_rate": 1, "resolution_rate": 1}, 4
    )
    assert "S07" in set(r.ranked["unit_id"]) and list(r.apart["unit_id"]) == ["S06"]
    # a lower minimum ranks S06 (3 perfect events) with S01 and S02
    r = rankings.unit_ranking(con, SEPTEMBER, coverage, "street_id", min_events=3)
    assert list(r.ranked["unit_id"][:3]) == ["S01", "S02", "S06"]
    assert list(r.ranked["rank"][:3]) == [1, 1, 1]


def test_rank_change_and_trend_on_the_tiny_district(tiny):
    con, coverage = tiny
    r = rankings.unit_ranking(con, SEPTEMBER, coverage, "street_id", min_events=4)
    assert r.previous == (date(2026, 8, 1), date(2026, 8, 31))
    assert r.months == tuple(date(2026, m, 1) for m in range(4, 10))
    got = r.ranked.set_index("unit_id")
    assert got.loc["S05", "previous_rank"] == 1 and got.loc["S05", "rank_change"] == -2
    # August as of Aug 31 18:00 (as long after its end as September is): S04 ties S05 first
    assert got.loc["S04", "previous_rank"] == 1 and got.loc["S04", "rank_change"] == -4
    assert got.loc["S03", "previous_rank"] == 3 and got.loc["S03", "rank_change"] == -1
    assert got["is_new"].to_dict() == {
        "S01": True,
        "S02": True,
        "S05": False,
        "S03": False,
        "S04": False,
    }
    assert got.loc["S04", "trend"] == [None, None, None, None, 1, 5]
    assert got.loc["S05", "trend"] == [None, None, None, None, 1, 3]
    assert got.loc["S01", "trend"] == [None, None, None, None, None, 1]
    texts = [
        rankings.change_text(c, n) for c, n in zip(got["rank_change"], got["is_new"], strict=True)
    ]
    assert texts == ["新进", "新进", "↓2", "↓1", "↓4"]
    assert rankings.change_text(3) == "↑3" and rankings.change_text(0) == "—"
    assert rankings.trend_text([None, 4, 1]) == "—→4→1"


def test_weights_are_checked():
    assert rankings.weights_problem({"response_rate": 0, "resolution_rate": 0}).startswith(
        "权重不能全为 0"
    )
    assert rankings.weights_problem({"response_rate": -1, "resolution_rate": 5})
    assert rankings.weights_problem(rankings.UNIT_WEIGHTS) is None
    assert rankings.shares(rankings.UNIT_WEIGHTS)["resolution_rate"] == pytest.approx(0.45)
    with pytest.raises(ValueError, match="权重不能全为 0"):
        rankings.score_table(
            pd.DataFrame({"intake": [40], "response_rate": [0.5]}),
            {"response_rate": 0},
            30,
            "intake",
        )


def test_grid_workers_on_their_own_reporting(tiny):
    con, coverage = tiny
    june = Filters(date(2026, 6, 1), date(2026, 6, 30))
    r = rankings.worker_ranking(con, june, coverage, min_events=4)
    got = r.ranked.set_index("unit_id")
    assert list(r.ranked["unit_id"]) == ["W1", "W2"]  # W3 is part-time: not ranked at all
    w1, w2 = got.loc["W1"], got.loc["W2"]
    assert (w1["events"], w1["reports"], w2["events"], w2["reports"]) == (6, 4, 6, 3)
    assert w1["completeness"] == 1.0
    assert w2["completeness"] == pytest.approx(1 / 3)  # one without lat, one blank description
    assert w1["closure_rate"] == pytest.approx(5 / 6) and w2["closure_rate"] == 1.0
    months = june.months
    assert w1["reports_per_month"] == pytest.approx(4 / months)
    median = (4 + 3) / 2 / months  # of the workers with at least 4 events: W1 and W2
    assert r.notes["activity_median"] == pytest.approx(median)
    assert w1["activity"] == 1.0  # above the median: capped
    assert w2["activity"] == pytest.approx(3 / 3.5)
    assert w1["score"] == pytest.approx(40 * 1 + 30 * 5 / 6 + 30 * 1, abs=0.005)
    assert w2["score"] == pytest.approx(40 * 3 / 3.5 + 30 * 1 + 30 / 3, abs=0.005)
    assert list(got["rank"]) == [1, 2] and list(got["is_new"]) == [True, True]
    assert w1["name"] == "王**" and w2["name"] == "欧阳**"  # masked
    assert (w1["grid_id"], w1["street_name"]) == ("S01C01G01", "第1街道")
    assert r.apart.set_index("unit_id").loc["W4", "reason"] == "事件数不足:2 件,少于 4 件"
    # the sidebar's street narrows by home grid
    only = rankings.worker_ranking(
        con, Filters(june.start, june.end, street_id="S02"), coverage, min_events=4
    )
    assert list(only.ranked["unit_id"]) == ["W2"] and only.apart.empty


def test_ranking_min_events_setting(tmp_path):
    path = tmp_path / "settings.toml"
    assert load(tmp_path / "missing.toml").ranking_min_events == 30
    path.write_text("[rankings]\nmin_events = 12\n", "utf-8")
    assert load(path) == Settings(ranking_min_events=12)
    for bad in ("0", "12.5", '"30"', "true"):
        path.write_text(f"[rankings]\nmin_events = {bad}\n", "utf-8")
        with pytest.raises(SettingsError, match=r"\[rankings\] min_events"):
            load(path)


def test_levels_below_the_sidebar_scope():
    assert rankings.levels_below(SEPTEMBER) == ("street_id", "community_id", "grid_id", "worker")
    assert rankings.levels_below(Filters(SEPTEMBER.start, SEPTEMBER.end, street_id="S01"))[0] == (
        "community_id"
    )
    grid = Filters(SEPTEMBER.start, SEPTEMBER.end, "S01", "S01C01", "S01C01G01")
    assert rankings.levels_below(grid) == ("worker",)


# ---------------------------------------------------------------- the demo, by plain SQL

RATES_SQL = """
SELECT {level} AS unit_id, count(*) AS intake,
  count(*) FILTER (WHERE accepted_at <= $3
                   AND epoch(accepted_at) - epoch(reported_at) <= 2 * 3600) / count(*)
      AS response_rate,
  count(*) FILTER (WHERE resolved AND (closed_at IS NULL OR closed_at <= $3))
    / nullif(count(*) FILTER (WHERE resolved IS NOT NULL
                              AND (closed_at IS NULL OR closed_at <= $3)), 0)
      AS resolution_rate,
  count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basic')
                   AND (closed_at IS NULL OR closed_at <= $3))
    / nullif(count(*) FILTER (WHERE satisfaction IS NOT NULL
                              AND (closed_at IS NULL OR closed_at <= $3)), 0)
      AS satisfaction_rate
FROM events
WHERE reported_at >= $1 AND reported_at < $2 AND {level} IS NOT NULL
GROUP BY 1
"""


def ranked_by_hand(db: Path, level: str, start: date, end: date, as_of: datetime, minimum=30):
    """Rates from plain SQL, the default score, rank = 1 + units scoring strictly more."""
    df = query(db, RATES_SQL.format(level=level), [start, end + timedelta(days=1), as_of])
    df = df[(df["intake"] >= minimum) & df["resolution_rate"].notna()]
    df = df[df["satisfaction_rate"].notna()].copy()
    df["score"] = (
        10 * df["response_rate"] + 45 * df["resolution_rate"] + 45 * df["satisfaction_rate"]
    ).round(2)
    df["rank"] = [1 + int((df["score"] > s).sum()) for s in df["score"]]
    df["tier"] = 1 + 4 * (df["rank"] - 1) // len(df)
    return df.set_index("unit_id")


def moved_back(as_of: datetime, months: int) -> datetime:
    return datetime.combine(add_months(as_of.date(), -months), as_of.time())


def test_streets_and_communities_agree_with_plain_sql(demo, demo_db):
    con, coverage, _ = demo
    f = Filters(date(2026, 9, 1), date(2026, 9, 30))
    for level in ("street_id", "community_id"):
        r = rankings.unit_ranking(con, f, coverage, level)
        got = r.ranked.set_index("unit_id")
        expected = ranked_by_hand(demo_db, level, f.start, f.end, coverage.as_of)
        assert len(got) == len(expected) >= 5
        assert not set(r.apart["unit_id"]) & set(expected.index)
        for unit, row in expected.iterrows():
            for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
                assert got.loc[unit, rate] == pytest.approx(row[rate])
            assert got.loc[unit, "intake"] == row["intake"]
            assert got.loc[unit, "score"] == pytest.approx(row["score"], abs=0.011)
            assert got.loc[unit, "rank"] == row["rank"]
            assert got.loc[unit, "tier"] == row["tier"]
        # rank change: August measured one month earlier, as 环比 is
        august = ranked_by_hand(
            demo_db, level, date(2026, 8, 1), date(2026, 8, 31), moved_back(coverage.as_of, 1)
        )
        unit = next(u for u in expected.index if u in august.index)
        assert got.loc[unit, "previous_rank"] == august.loc[unit, "rank"]
        assert got.loc[unit, "rank_change"] == august.loc[unit, "rank"] - expected.loc[unit, "rank"]
        # the trend's first point: April, measured as long after April as September is
        april = ranked_by_hand(
            demo_db, level, date(2026, 4, 1), date(2026, 4, 30),
            coverage.as_of - (f.end - date(2026, 4, 30)),
        )  # fmt: skip
        for unit in got.index:
            want = int(april.loc[unit, "rank"]) if unit in april.index else None
            assert got.loc[unit, "trend"][0] == want
            assert got.loc[unit, "trend"][-1] == got.loc[unit, "rank"]  # September itself


def test_worker_components_agree_with_plain_sql(demo, demo_db):
    con, coverage, f = demo
    r = rankings.worker_ranking(con, f, coverage)
    everyone = pd.concat([r.ranked, r.apart]).set_index("unit_id")
    expected = query(
        demo_db,
        """SELECT w.worker_id, count(e.event_id) AS events,
             count(*) FILTER (WHERE e.channel = 'patrol') AS reports,
             count(*) FILTER (WHERE e.channel = 'patrol' AND e.lon IS NOT NULL
                 AND e.lat IS NOT NULL AND trim(e.category) <> ''
                 AND trim(e.description) <> '') AS complete,
             count(*) FILTER (WHERE e.closed_at <= ?) AS closed
           FROM workers w LEFT JOIN events e ON e.worker_id = w.worker_id
             AND e.reported_at >= ? AND e.reported_at < ?
           WHERE w.role = 'full_time' GROUP BY 1""",
        [coverage.as_of, f.start, f.end + timedelta(days=1)],
    ).set_index("worker_id")
    assert set(everyone.index) == set(expected.index)
    for worker, row in expected.iterrows():
        assert everyone.loc[worker, "events"] == row["events"]
        assert everyone.loc[worker, "reports"] == row["reports"]
        if row["reports"]:
            assert everyone.loc[worker, "completeness"] == pytest.approx(
                row["complete"] / row["reports"]
            )
        if row["events"]:
            assert everyone.loc[worker, "closure_rate"] == pytest.approx(
                row["closed"] / row["events"]
            )
    eligible = expected[expected["events"] >= rankings.MIN_EVENTS]
    median = (eligible["reports"] / f.months).median()
    assert r.notes["activity_median"] == pytest.approx(median)
    top = r.ranked.iloc[0]
    activity = min(1.0, top["reports"] / f.months / median)
    assert top["activity"] == pytest.approx(activity)
    completeness = top["complete_reports"] / top["reports"]
    score = 40 * activity + 30 * top["closure_rate"] + 30 * completeness
    assert top["score"] == pytest.approx(score, abs=0.006)
    names = query(demo_db, "SELECT worker_id, name FROM workers").set_index("worker_id")["name"]
    for worker, shown in zip(r.ranked["unit_id"], r.ranked["name"], strict=True):
        assert shown != names[worker] and shown[0] == names[worker][0] and "*" in shown


def test_trend_months_are_judged_after_they_end_when_the_data_ends_mid_month():
    coverage = DataRange(date(2026, 1, 1), datetime(2026, 9, 15, 18, 0))
    f = Filters(date(2026, 9, 1), date(2026, 9, 15))
    months = {
        k: (first, last, as_of) for k, first, last, as_of in rankings.slices(f, coverage) if k >= 0
    }
    assert months[5] == (date(2026, 9, 1), date(2026, 9, 15), datetime(2026, 9, 15, 18, 0))
    assert months[4] == (date(2026, 8, 1), date(2026, 8, 31), datetime(2026, 8, 31, 18, 0))
    assert months[0][2] == datetime(2026, 4, 30, 18, 0)


# ---------------------------------------------------------------- against the sidebar's 同比 / 环比


@pytest.mark.parametrize("compare", ["yoy", "mom"])
def test_rank_change_compares_with_the_period_the_sidebar_names(demo, compare):
    """The previous rank is the unit's rank in ``Filters.comparison(compare)`` (同比: the
    same months a year earlier; 环比: the preceding period of equal length), ranked on its
    own as long after its end as the period is after its end."""
    con, coverage, f = demo
    r = rankings.unit_ranking(con, f, coverage, "street_id", min_events=1, compare=compare)
    c = f.comparison(compare)
    assert r.compare == compare and r.previous == (c.start, c.end)
    if compare == "yoy":
        assert (c.start, c.end) == (f.start.replace(year=f.start.year - 1),
                                    f.end.replace(year=f.end.year - 1))  # fmt: skip
    lagged = DataRange(coverage.first_day, coverage.as_of - (f.end - c.end))
    alone = rankings.unit_ranking(con, c, lagged, "street_id", min_events=1, compare=None)
    expected = alone.ranked.set_index("unit_id")["rank"]
    got = r.ranked.set_index("unit_id")
    assert len(expected) > 1
    for unit, row in got.iterrows():
        assert row["previous_rank"] == expected[unit]
        assert row["rank_change"] == expected[unit] - row["rank"]


def test_no_comparison_chosen_gives_no_rank_change(demo):
    con, coverage, f = demo
    r = rankings.worker_ranking(con, f, coverage, compare=None)
    assert r.previous is None and r.previous_problem == "未选择对比方式"
    assert r.ranked["previous_rank"].isna().all() and not r.ranked["is_new"].any()


def test_standing_names_the_period_compared_with(demo):
    con, coverage, f = demo
    for compare, words in (("yoy", "去年同期"), ("mom", "上一等长时段")):
        r = rankings.unit_ranking(con, f, coverage, "street_id", min_events=1, compare=compare)
        moved = r.ranked[~r.ranked["is_new"]].iloc[0]
        assert words in rankings.standing(r, moved["unit_id"], "街道")
