"""综合指数 on the tiny fixture, every expected score worked out by hand from its events.

The tiny district's events reported in 2026 (as_of 2026-10-31 14:00, ``tests/conftest.py``):

======  =========  ======  ================  ========  =========
event   grid       closed  on time (judged)  rated ok  open
======  =========  ======  ================  ========  =========
E1      S01 grid   yes     yes               yes       no
E2      S01 grid   yes     late              no        no
E3      S02 grid   yes     yes               yes       no
E4      S02 grid   no      late (due 6-15)   —         yes
E5      S01 grid   yes     yes               —         no
E6      S02, none  no      — (due 11-05)     —         yes
E7      S01 grid   no      — (no deadline)   —         yes
======  =========  ======  ================  ========  =========

So the district has intake 7, 办结率 4/7, 按时办结率 3/5, 满意率 2/3, 积压 3; street S01
(E1 E2 E5 E7) 3/4, 2/3, 1/2, 1; street S02 (E3 E4 E6) 1/3, 1/2, 1, 2; grid S02C01G01
(E3 E4) 1/2, 1/2, 1, 1.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from analytics import access, queries, score
from analytics.filters import Filters
from analytics.settings import Settings, SettingsError, load
from analytics.targets import Book, Target

YEAR = Filters(date(2026, 1, 1), date(2026, 10, 31))
# ≥ 80 % closed, ≥ 90 % on time, ≥ 90 % satisfied, at most 2 open.
BOOK_TARGETS = [
    Target("closure_rate", 0.8, amber=0.7),
    Target("on_time_rate", 0.9),
    Target("satisfaction_rate", 0.9),
    Target("backlog", 2),
]
BOOK = Book(BOOK_TARGETS)
KEYS = ("intake", "closure_rate", "on_time_rate", "satisfaction_rate", "backlog")


@pytest.fixture
def tiny(tiny_con):
    coverage = queries.data_range(tiny_con)
    parents = access.parents(queries.org_units(tiny_con), queries.grid_reference(tiny_con))
    return tiny_con, coverage, parents


def figures(**values) -> pd.DataFrame:
    return pd.DataFrame({"metric": list(values), "value": list(values.values())})


def test_the_figures_behind_the_scores(tiny):
    con, coverage, _ = tiny
    got = queries.kpis(con, YEAR, coverage, keys=KEYS, compare=None).set_index("metric")["value"]
    assert list(got) == pytest.approx([7, 4 / 7, 3 / 5, 2 / 3, 3])
    s02 = Filters(YEAR.start, YEAR.end, street_id="S02")
    got = queries.kpis(con, s02, coverage, keys=KEYS, compare=None)["value"]
    assert list(got) == pytest.approx([3, 1 / 3, 1 / 2, 1, 2])


def test_district_score_by_hand(tiny):
    con, coverage, parents = tiny
    s = score.unit_score(
        queries.kpis(con, YEAR, coverage, keys=KEYS, compare=None), BOOK, None, parents
    )
    # 办结率 (4/7)/0.8, 按时 0.6/0.9, 满意 (2/3)/0.9 (">="); 积压 2/3 ("<=": target / value)
    ratios = [5 / 7, 2 / 3, 20 / 27, 2 / 3]
    assert s.value == pytest.approx(sum(ratios) / 4)  # 0.697
    assert list(s.parts["metric"]) == list(KEYS[1:])  # intake has no target: not a part
    assert list(s.parts["capped"]) == pytest.approx(ratios)
    assert list(s.parts["label"]) == ["办结率", "按时办结率", "满意率", "积压"]
    assert list(s.parts["status"]) == ["red", "red", "red", "red"]
    assert s.parts.loc[0, "target_text"] == "≥ 80.0%(预警 70.0%)"
    assert (s.met, s.total, s.text) == (0, 4, "0.70")


def test_cap_and_an_infinite_ratio():
    book = Book([Target("closure_rate", 0.8), Target("backlog", 6), Target("overdue", 1)])
    got = figures(closure_rate=0.4, backlog=3, overdue=0)
    # 0.4/0.8 = 0.5; 6/3 = 2 → 1.2; 1/0 = ∞ → 1.2
    s = score.unit_score(got, book, None, {})
    assert list(s.parts["ratio"]) == [0.5, 2.0, math.inf]
    assert list(s.parts["capped"]) == [0.5, 1.2, 1.2]
    assert s.value == pytest.approx((0.5 + 1.2 + 1.2) / 3)
    assert (s.met, s.total) == (2, 3)
    assert score.unit_score(got, book, None, {}, cap=1.5).value == pytest.approx(3.5 / 3)
    assert score.unit_score(got, book, None, {}, cap=1.0).value == pytest.approx(2.5 / 3)


def test_weights(tiny):
    con, coverage, parents = tiny
    got = queries.kpis(con, YEAR, coverage, keys=KEYS, compare=None)
    weights = {"closure_rate": 2, "backlog": 0}  # 0 leaves 积压 out; unnamed ones weigh 1
    s = score.unit_score(got, BOOK, None, parents, weights)
    assert s.value == pytest.approx((2 * 5 / 7 + 2 / 3 + 20 / 27) / 4)
    assert list(s.parts["weight"]) == [2.0, 1.0, 1.0] and s.total == 3
    pairs = (("closure_rate", 2.0), ("backlog", 0.0))  # Settings.score_weights' shape
    assert score.unit_score(got, BOOK, None, parents, pairs).value == pytest.approx(s.value)
    assert score.weight_of("closure_rate", pairs) == 2.0
    assert score.weight_of("backlog", pairs) == 0.0
    assert score.weight_of("on_time_rate", pairs) == score.weight_of("on_time_rate", ()) == 1.0
    nothing = {m: 0 for m in BOOK.metrics}
    assert math.isnan(score.unit_score(got, BOOK, None, parents, nothing).value)


def test_missing_figures_and_no_events_do_not_count():
    # a rate over no events is NaN: left out, not read as 0
    s = score.unit_score(figures(intake=1, closure_rate=0.0, on_time_rate=math.nan), BOOK, None, {})
    assert list(s.parts["metric"]) == ["closure_rate"] and s.value == 0.0
    # no events: a backlog of 0 would be "perfect"; the period has no score instead
    s = score.unit_score(figures(intake=0, closure_rate=math.nan, backlog=0), BOOK, None, {})
    assert math.isnan(s.value) and (s.met, s.total) == (0, 0) and s.parts.empty
    assert math.isnan(score.unit_score(figures(closure_rate=0.9), Book([]), None, {}).value)


def test_a_units_own_target_overrides_the_districts(tiny):
    con, coverage, parents = tiny
    book = Book(
        [
            *BOOK_TARGETS,
            Target("closure_rate", 0.3, unit_id="S02"),
            Target("backlog", 1, unit_id="S02"),
        ]
    )
    s02 = Filters(YEAR.start, YEAR.end, street_id="S02")
    got = queries.kpis(con, s02, coverage, keys=KEYS, compare=None)
    s = score.unit_score(got, book, "S02", parents)
    # against S02's own targets: 办结率 (1/3)/0.3, 积压 1/2 (E4 E6 open, ≤ 1: 未达标);
    # the district's rates: 按时 0.5/0.9, 满意 1/0.9
    assert list(s.parts["metric"]) == list(KEYS[1:])
    assert s.value == pytest.approx((10 / 9 + 5 / 9 + 10 / 9 + 0.5) / 4)
    assert s.parts.loc[3, "target_text"] == "≤ 1"
    assert (s.met, s.total) == (2, 4)
    # its grid (E3 E4) inherits S02's rate target through its community: 0.5/0.3 → cap 1.2;
    # a count's target is not inherited: neither S02's 积压 ≤ 1 nor the district's ≤ 2 is
    # the grid's, so 积压 is no part of its score
    grid = Filters(YEAR.start, YEAR.end, grid_id="S02C01G01")
    got = queries.kpis(con, grid, coverage, keys=KEYS, compare=None)
    s = score.unit_score(got, book, "S02C01G01", parents)
    assert s.parts.loc[0, "target_text"] == "≥ 30.0%"
    assert list(s.parts["metric"]) == ["closure_rate", "on_time_rate", "satisfaction_rate"]
    assert s.value == pytest.approx((1.2 + 5 / 9 + 10 / 9) / 3)
    # S01 has none of its own: the district's 80 %, and not the district's 积压 ≤ 2
    s01 = score.unit_score(figures(closure_rate=0.75, backlog=1), book, "S01C01G01", parents)
    assert list(s01.parts["metric"]) == ["closure_rate"]
    assert s01.value == pytest.approx(0.75 / 0.8)


def test_window_periods():
    as_of = datetime(2026, 10, 31, 14)
    assert score.window_periods(as_of, date(2024, 6, 1)) == {
        "day": (date(2026, 10, 31), date(2026, 10, 31)),
        "week": (date(2026, 10, 25), date(2026, 10, 31)),
        "month": (date(2026, 10, 2), date(2026, 10, 31)),
        "quarter": (date(2026, 8, 3), date(2026, 10, 31)),
    }
    # data that began ten days ago: the month and quarter start on its first day
    got = score.window_periods(datetime(2024, 6, 10, 9), date(2024, 6, 1))
    assert got["week"] == (date(2024, 6, 4), date(2024, 6, 10))
    assert got["month"] == got["quarter"] == (date(2024, 6, 1), date(2024, 6, 10))
    assert list(got) == list(score.WINDOWS) == ["day", "week", "month", "quarter"]


def test_windows_by_hand(tiny):
    con, coverage, parents = tiny
    got = score.windows(con, YEAR, coverage, BOOK, parents)
    assert list(got.columns) == ["window", "label", "start", "end", "score", "met", "total"]
    assert list(got["label"]) == ["近1天", "近7天", "近30天", "近90天"]
    assert list(got["start"]) == [date(2026, 10, 31), date(2026, 10, 25), date(2026, 10, 2),
                                  date(2026, 8, 3)]  # fmt: skip
    # day: E7 (办结率 0 → 0; 积压 1 → 2/1 capped 1.2; no judged deadline, no rating)
    # week and month: E6 E7 (办结率 0; 积压 2 → 1); quarter: E5 E6 E7 (1/3 ÷ 0.8, 按时 1/0.9, 1)
    expected = [0.6, 0.5, 0.5, (5 / 12 + 10 / 9 + 1) / 3]
    assert list(got["score"]) == pytest.approx(expected)
    assert list(got["met"]) == [1, 1, 1, 2] and list(got["total"]) == [2, 2, 2, 3]
    # the scope of the filters: S02 had no event on the last day, E6 in the week: 办结率 0,
    # and 积压 1 is not judged, the district's 积压 ≤ 2 being the district's only
    in_s02 = Filters(YEAR.start, YEAR.end, street_id="S02")
    s02 = score.windows(con, in_s02, coverage, BOOK, parents)
    assert math.isnan(s02.loc[0, "score"]) and s02.loc[0, "total"] == 0
    assert s02.loc[1, "score"] == 0.0 and (s02.loc[1, "met"], s02.loc[1, "total"]) == (0, 1)
    # with S02's own 积压 ≤ 2 the week's 积压 1 counts: 2/1 capped 1.2, (0 + 1.2) / 2
    own = Book([*BOOK_TARGETS, Target("backlog", 2, unit_id="S02")])
    s02 = score.windows(con, in_s02, coverage, own, parents)
    assert s02.loc[1, "score"] == pytest.approx(0.6)
    assert (s02.loc[1, "met"], s02.loc[1, "total"]) == (1, 2)
    # no targets: no score
    none = score.windows(con, YEAR, coverage, Book([]), parents)
    assert none["score"].isna().all() and (none["total"] == 0).all()


def test_monthly_by_hand(tiny):
    con, coverage, parents = tiny
    months = queries.monthly_kpis(con, YEAR, coverage, keys=KEYS)
    got = score.trend_of(months, BOOK, None, parents).set_index("month")["score"]
    assert list(got.index) == [date(2026, m, 1) for m in range(1, 11)]
    # March E1 E2: 办结 1 → 1.25 capped 1.2, 按时 and 满意 0.5/0.9, 积压 0 → ∞ capped 1.2
    assert got[date(2026, 3, 1)] == pytest.approx((2.4 + 10 / 9) / 4)
    # June E3 E4: 0.5/0.8, 0.5/0.9, 1/0.9, 积压 1 → 1.2
    assert got[date(2026, 6, 1)] == pytest.approx((0.625 + 5 / 9 + 10 / 9 + 1.2) / 4)
    # September E5: 办结 1.2 (capped), 按时 1/0.9, 积压 1.2
    assert got[date(2026, 9, 1)] == pytest.approx((1.2 + 10 / 9 + 1.2) / 3)
    assert got[date(2026, 10, 1)] == pytest.approx(0.5)  # E6 E7, as the week
    months_without_events = [date(2026, m, 1) for m in (1, 2, 4, 5, 7, 8)]
    assert got[months_without_events].isna().all()


def test_unit_scores_rank_and_min_events(tiny):
    con, coverage, parents = tiny
    got = score.unit_scores(con, YEAR, coverage, "grid_id", BOOK, parents)
    assert list(got.columns) == [
        "unit_id", "name", "street_name", "score", "met", "total", "intake", *KEYS[1:], "rank",
    ]  # fmt: skip
    # a grid has no 积压 target (the district's ≤ 2 is the district's only): three parts each.
    # S02C01G01 (E3 E4: 0.5/0.8, 0.5/0.9, 1/0.9) above S01C01G01 (E1 E2 E5 E7: 0.75/0.8,
    # (2/3)/0.9, 0.5/0.9)
    assert list(got["unit_id"]) == ["S02C01G01", "S01C01G01"]
    assert list(got["name"]) == ["乙街道 乙一社区 第1网格", "甲街道 甲一社区 第1网格"]
    assert list(got["score"]) == pytest.approx(
        [(0.625 + 5 / 9 + 10 / 9) / 3, (0.9375 + 20 / 27 + 5 / 9) / 3]
    )
    assert list(got["rank"]) == [1, 2] and list(got["intake"]) == [2, 4]
    assert list(got["met"]) == [1, 0] and list(got["total"]) == [3, 3]
    assert list(got["closure_rate"]) == pytest.approx([0.5, 0.75])
    assert list(got["backlog"]) == [1, 1]  # shown, not scored
    # fewer events than min_events: scored, not ranked
    few = score.unit_scores(con, YEAR, coverage, "grid_id", BOOK, parents, min_events=3)
    assert list(few["unit_id"]) == ["S01C01G01", "S02C01G01"]
    assert few.loc[0, "rank"] == 1 and pd.isna(few.loc[1, "rank"])
    assert few.loc[1, "score"] == pytest.approx(got.loc[0, "score"])
    # streets: E6 (no grid) counts for S02 (1/3 closed); no street has a 积压 target either
    streets = score.unit_scores(con, YEAR, coverage, "street_id", BOOK, parents)
    assert list(streets["unit_id"]) == ["S01", "S02"]
    assert list(streets["score"]) == pytest.approx(
        [(0.9375 + 20 / 27 + 5 / 9) / 3, (5 / 12 + 5 / 9 + 10 / 9) / 3]
    )
    assert list(streets["total"]) == [3, 3]
    # inside a street: its grids only; a month without events: every unit, none ranked
    inside = Filters(YEAR.start, YEAR.end, street_id="S02")
    assert list(score.unit_scores(con, inside, coverage, "grid_id", BOOK, parents)["unit_id"]) == [
        "S02C01G01"
    ]
    empty = score.unit_scores(
        con, Filters(date(2026, 1, 1), date(2026, 1, 31)), coverage, "grid_id", BOOK, parents
    )
    assert list(empty["unit_id"]) == ["S01C01G01", "S02C01G01"]
    assert empty["score"].isna().all() and empty["rank"].isna().all()
    assert list(empty["intake"]) == [0, 0]
    with pytest.raises(ValueError):
        score.unit_scores(con, YEAR, coverage, "worker", BOOK, parents)


def test_equal_scores_share_a_rank(tiny):
    con, coverage, parents = tiny
    # each street against its own 积压 target: S01 (E7 open) ≤ 1 → 1/1, S02 (E4 E6) ≤ 2 → 2/2,
    # both 1.00: a tie, listed by unit id
    book = Book([Target("backlog", 1, unit_id="S01"), Target("backlog", 2, unit_id="S02")])
    got = score.unit_scores(con, YEAR, coverage, "street_id", book, parents)
    assert list(got["unit_id"]) == ["S01", "S02"]
    assert list(got["score"]) == [1.0, 1.0] and list(got["rank"]) == [1, 1]
    # the district's 积压 ≤ 5 is not the grids': no grid has a score, none is ranked
    got = score.unit_scores(con, YEAR, coverage, "grid_id", Book([Target("backlog", 5)]), parents)
    assert got["score"].isna().all() and got["rank"].isna().all()
    assert list(got["total"]) == [0, 0] and list(got["backlog"]) == [1, 1]


def test_score_text():
    assert score.score_text(1.0234) == "1.02"
    assert score.score_text(0.7) == "0.70"
    assert score.score_text(math.nan) == "—"


# ---------------------------------------------------------------- the [score] settings


def test_score_settings(tmp_path):
    path = tmp_path / "settings.toml"
    assert load(tmp_path / "missing.toml").score_cap == score.DEFAULT_CAP == 1.2
    path.write_text(
        "[score]\ncap = 1.5\nweights = { satisfaction_rate = 1, closure_rate = 2, backlog = 0 }\n",
        "utf-8",
    )
    got = load(path)
    # in TARGETABLE order, whatever the file's order; hashable, as a cache key must be
    assert got == Settings(
        score_cap=1.5,
        score_weights=(("closure_rate", 2.0), ("satisfaction_rate", 1.0), ("backlog", 0.0)),
    )
    assert hash(got) == hash(load(path))
    path.write_text("[score]\ncap = 1\n", "utf-8")
    assert load(path).score_cap == 1.0 and load(path).score_weights == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("cap = 0.9", r"\[score\] cap"),
        ('cap = "1.2"', r"\[score\] cap"),
        ("cap = true", r"\[score\] cap"),
        ("weights = { intake = 1 }", "'intake' 不是可设目标的指标"),
        ("weights = { closure = 1 }", "'closure' 不是可设目标的指标"),
        ("weights = { closure_rate = -1 }", r"weights 的 closure_rate 须为不小于 0"),
        ('weights = { closure_rate = "2" }', r"weights 的 closure_rate 须为不小于 0"),
        ("weights = [1, 2]", r"\[score\] weights 须为指标到权重的表"),
    ],
)
def test_bad_score_settings(tmp_path, body, message):
    path = tmp_path / "settings.toml"
    path.write_text(f"[score]\n{body}\n", "utf-8")
    with pytest.raises(SettingsError, match=message):
        load(path)


def test_the_snapshot_is_the_period_and_the_windows_in_one(tiny_con):
    """The overview's header asks for both at once: the same figures as asked apart."""
    coverage = queries.data_range(tiny_con)
    f = Filters(date(2026, 1, 1), date(2026, 10, 31))
    parents = access.parents(queries.org_units(tiny_con), queries.grid_reference(tiny_con))
    period, windows = score.snapshot(tiny_con, f, coverage, BOOK, parents)
    alone = score.of_period(tiny_con, f, coverage, BOOK, parents)
    assert period.value == pytest.approx(alone.value)
    assert (period.met, period.total) == (alone.met, alone.total)
    assert period.parts.equals(alone.parts)
    pd.testing.assert_frame_equal(windows, score.windows(tiny_con, f, coverage, BOOK, parents))
