"""会前简报: each sentence hand-computed on a small database built here.

The meeting was on 28 Feb 2026 (``since``); the data runs to 31 Mar 2026 18:00.
NOW is 2 Mar–31 Mar measured at 31 Mar 18:00; THEN is 30 Jan–28 Feb measured at the end of
28 Feb.

- 甲街道 (G1): THEN 4 events of 10 Feb, 2 closed 15 Feb, 2 closed 5 Mar (after the meeting:
  open then, both past their 20 Feb deadline) → 办结率 2/4 = 50 %. NOW 4 events of 10 Mar,
  all closed → 100 %.
- 乙街道 (G2): THEN 4 events of 10 Feb, all closed → 100 %. NOW 5 events of 10 Mar, 4
  closed, 1 open (due 5 Apr) → 80 %. And one event of 5 Jan, still open, due 10 Jan: in no
  window, in both backlogs, overdue both times.
- 丙街道 (G3): NOW 1 event of 20 Mar, closed → a new hot grid; too few events to move.
- The district: THEN 6/8 = 75 %, NOW 9/10 = 90 %.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from analytics import access, brief, queries, targets
from analytics.filters import Filters
from analytics.queries import DataRange
from tests.analytics.test_problems import G3, build
from tests.conftest import G1, G2, event

T = datetime
SINCE = date(2026, 2, 28)
COVERAGE = DataRange(date(2026, 1, 1), T(2026, 3, 31, 18))
F = Filters(date(2026, 1, 1), date(2026, 3, 31))
CLOSURE = targets.Target(metric="closure_rate", target=0.8, amber=0.6)


def _event(n: str, place: dict, reported: T, closed: T | None, deadline: T) -> dict:
    return event(
        event_id=n,
        channel="hotline",
        event_type="complaint",
        category="物业管理",
        board="livelihood",
        **place,
        reported_at=reported,
        closed_at=closed,
        deadline_at=deadline,
    )


EVENTS = [
    *(_event(f"a{i}", G1, T(2026, 2, 10, 9), T(2026, 2, 15, 9), T(2026, 2, 20)) for i in range(2)),
    *(_event(f"b{i}", G1, T(2026, 2, 10, 9), T(2026, 3, 5, 9), T(2026, 2, 20)) for i in range(2)),
    *(_event(f"c{i}", G1, T(2026, 3, 10, 9), T(2026, 3, 11, 9), T(2026, 3, 20)) for i in range(4)),
    *(_event(f"d{i}", G2, T(2026, 2, 10, 9), T(2026, 2, 12, 9), T(2026, 2, 20)) for i in range(4)),
    *(_event(f"e{i}", G2, T(2026, 3, 10, 9), T(2026, 3, 12, 9), T(2026, 3, 20)) for i in range(4)),
    _event("e4", G2, T(2026, 3, 10, 9), None, T(2026, 4, 5)),
    _event("old", G2, T(2026, 1, 5, 9), None, T(2026, 1, 10)),
    _event("g3", G3, T(2026, 3, 20, 9), T(2026, 3, 21, 9), T(2026, 3, 25)),
]


@pytest.fixture(scope="module")
def brief_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("brief") / "brief.duckdb", EVENTS)


@pytest.fixture
def con(brief_db, engine_connect):
    c = engine_connect(brief_db)
    yield c
    c.disconnect()


def _brief(con, book, **kw) -> brief.Brief:
    parents = access.parents(queries.org_units(con), queries.grid_reference(con))
    return brief.brief(con, F, COVERAGE, book, parents, SINCE, **kw)


def _line(b: brief.Brief, start: str) -> str | None:
    return next((line for line in b.lines if line.startswith(start)), None)


def test_default_since_is_a_month_back():
    assert brief.default_since(T(2026, 3, 31, 18)) == date(2026, 2, 28)
    assert brief.default_since(T(2026, 1, 15)) == date(2025, 12, 15)


def test_opening_counts_the_status_now(con):
    b = _brief(con, targets.Book([CLOSURE]), min_events=4)
    assert b.since == SINCE and b.as_of == COVERAGE.as_of
    assert b.lines[0] == (
        "自2026年2月28日以来(数据截至2026年3月31日 18:00),测试区近30天受理 10 件;"
        "1 项指标达标、0 项预警、0 项未达标。"
    )


def test_a_target_newly_met_measured_as_of_the_meeting(con):
    # THEN 6/8: the two events closed on 5 Mar were open at the end of 28 Feb
    b = _brief(con, targets.Book([CLOSURE]), min_events=4)
    assert _line(b, "达标变化") == "达标变化:办结率由预警转为达标(75.0% → 90.0%)。"


def test_movers_by_score_and_without_targets_by_closure_rate(con):
    # 综合指数 = min(ratio, 1.2): 甲 0.5/0.8 = 0.625 → 1/0.8 capped 1.2, +0.575 (in floating
    # point a hair under 0.575: shown +0.57); 乙 1/0.8 capped 1.2 → 0.8/0.8 = 1, −0.20
    b = _brief(con, targets.Book([CLOSURE]), min_events=4)
    assert _line(b, "各街道") == (
        "各街道综合指数(近30天与2026年2月28日前30天相比)进步最大:甲街道(+0.58);"
        "退步最大:乙街道(-0.20)。"
    )
    b = _brief(con, targets.Book([]), min_events=4)
    assert _line(b, "各街道") == (
        "各街道办结率(近30天与2026年2月28日前30天相比)进步最大:甲街道(+50.0个百分点);"
        "退步最大:乙街道(-20.0个百分点)。"
    )


def test_units_with_too_few_events_do_not_move(con):
    # 甲 and 乙 hold 4 events THEN: below 5, neither is compared (丙 never is)
    b = _brief(con, targets.Book([CLOSURE]), min_events=5)
    assert _line(b, "各街道") is None


def test_new_hot_grids(con):
    b = _brief(con, targets.Book([]), min_events=4)
    assert _line(b, "新进入") == "新进入受理量前10的网格(近30天):丙街道 丙一社区 第1网格(1 件)。"


def test_backlog_at_each_moment_over_everything_reported(con):
    # THEN: b0, b1 (closed 5 Mar) and old, all past their deadlines; NOW: old and e4 (due 5 Apr)
    b = _brief(con, targets.Book([]))
    assert _line(b, "积压") == "积压(未办结)由 3 件变为 2 件,减少 1 件;其中超期由 3 件变为 1 件。"


def test_notes_of_the_interval_kept_as_typed(con):
    notes = pd.DataFrame(
        {
            "day": [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 3)],
            "title": ["会前", "例会", "**网格** 改革\n试点"],
            "kind": ["note", "note", "note"],
        }
    )
    b = _brief(con, targets.Book([]), notes=notes)
    assert b.lines[-1] == "期间标注:2月28日 例会;3月3日 **网格** 改革 试点。"
    assert _line(_brief(con, targets.Book([])), "期间标注") is None


def test_an_empty_book_asks_for_targets(con):
    b = _brief(con, targets.Book([]), min_events=4)
    assert b.lines[0].endswith(";尚未设定目标,请在目标管理页设定后查看达标情况。")
    assert _line(b, "达标变化") is None


def test_a_scope_with_too_few_events_is_not_judged(con):
    b = _brief(con, targets.Book([CLOSURE]), min_events=11)
    assert b.lines[0].endswith("受理 10 件,不足 11 件,不评判达标情况。")
    assert _line(b, "达标变化") is None


def test_text_for_copying(con):
    b = _brief(con, targets.Book([CLOSURE]), min_events=4)
    rows = b.text.split("\n")
    assert rows[0] == "会前简报:2026年2月28日以来的变化(数据截至2026年3月31日 18:00)"
    assert rows[1] == f"1. {b.lines[0]}"
    assert len(rows) == 1 + len(b.lines)


def test_a_meeting_before_a_month_of_data_compares_nothing(con):
    parents = access.parents(queries.org_units(con), queries.grid_reference(con))
    b = brief.brief(con, F, COVERAGE, targets.Book([CLOSURE]), parents, date(2026, 1, 20))
    assert _line(b, "2026年1月20日之前的数据不足30天") is not None
    assert _line(b, "各街道") is None and _line(b, "新进入") is None
