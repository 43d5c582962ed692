"""热点诉求: issues found in the citizens' words, checked on a hand-made month.

The month (October 2026) holds, besides 900 unplaced texts that only fill the index:
- A: 6 messages about one building site's night work in grid G1 over 3 days by 5 people
  (one calls twice; one writes his name and phone into the text), 3 of them closed; 3 more
  in September (the window before);
- B: the same words in grid G2 by 5 others (its own issue: an issue never spans two grids);
- a category's boilerplate (物业管理) with different matters, all month in every place;
- 5 unrelated messages in G1 in A's days, and 4 events without a description;
- C: 5 messages about a missing manhole cover without a grid but with coordinates, within
  100 m in one community, and a 6th 2 km away.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import hotspots
from analytics.filters import Filters
from analytics.schema import create_schema
from tests.conftest import G1, G2, GRIDS, ORG_UNITS, event, insert

T = datetime
OCTOBER = Filters(date(2026, 10, 1), date(2026, 10, 31))

NOISE = (
    "桂花苑旁边工地夜间施工打桩，噪音太大，整晚睡不着",
    "桂花苑工地夜间施工噪音扰民，凌晨还在打桩",
    "投诉桂花苑工地夜间施工，打桩噪音吵得孩子无法休息",
    "桂花苑工地又在夜间施工打桩，噪音很大",
    "桂花苑工地夜间施工打桩噪音太吵，请管一管",
    "我是王建国，电话13912345678，桂花苑工地夜间施工打桩噪音严重",
)
A_TIMES = (
    T(2026, 10, 20, 22), T(2026, 10, 21, 8), T(2026, 10, 21, 22), T(2026, 10, 22, 8),
    T(2026, 10, 22, 22), T(2026, 10, 23, 10),
)  # fmt: skip
A_PHONES = ("13800000001", "13800000002", "13800000001", "13800000003", "13800000004")
B_TIMES = tuple(T(2026, 10, 20, 9) + timedelta(hours=6 * k) for k in range(5))
MATTERS = (
    "楼道灯坏了没人修", "电梯按钮失灵", "单元门禁卡刷不开", "绿化带被人种菜", "地库排风扇不转",
    "物业费收据开错", "快递柜占了消防通道", "小区大门道闸抬不起来", "保安夜里不巡逻",
    "公共区域墙面发霉", "水泵房漏水", "监控摄像头坏了",
)  # fmt: skip
BOILERPLATE = "市民来电反映小区物业管理服务方面的问题，具体诉求如下：{}"
UNRELATED = (
    "菜市场门口流动摊贩占道经营", "公园健身器材损坏有安全隐患", "咨询高龄津贴如何申请",
    "公交站台顶棚漏雨", "河道里有人电鱼",
)  # fmt: skip
MANHOLE = (
    "翠湖路口井盖丢失，晚上很危险",
    "翠湖路口的井盖丢了，有人差点掉下去",
    "翠湖路口井盖丢失好几天了，赶紧补上",
    "反映翠湖路口井盖丢失，车辆经过很危险",
    "翠湖路口井盖丢失没人管",
)
FILLERS = 900  # a district's month is thousands of messages; an issue is a few of them
FILLER_A = "东南西北中前后左右上下里外高低大小长短新旧"
FILLER_B = "桥亭塔楼阁馆店厂站场院校园林湖池泉溪沟坡岭"
FILLER_C = "坏破脏乱堵漏响臭冷热湿滑歪塌裂"

NOGRID = {"grid_id": None, "community_id": "S02C01", "street_id": "S02"}
UNPLACED = {"grid_id": None, "community_id": None, "street_id": None, "lon": None, "lat": None}


def _rows() -> list[dict]:
    rows: list[dict] = []

    def add(place: dict, at: datetime, description: str | None, **extra) -> None:
        values = {
            "event_id": f"E{len(rows):04d}",
            "channel": "hotline",
            "event_type": "complaint",
            "category": "噪音扰民",
            "board": "livelihood",
            "reported_at": at,
            "reporter_name": None,
            "reporter_phone": None,
            "description": description,
        }
        rows.append(event(**(values | place | extra)))

    for k, at in enumerate(A_TIMES):  # A
        who = (
            {"reporter_name": "王建国", "reporter_phone": None}
            if k == 5
            else {"reporter_phone": A_PHONES[k]}
        )
        closed = {"closed_at": T(2026, 10, 25)} if k < 3 else {}
        add(G1, at, NOISE[k], **who, **closed)
    for k, at in enumerate(B_TIMES):  # B
        add(G2, at, NOISE[k], reporter_phone=f"1370000000{k}")
    for k in range(3):  # A in September
        add(G1, T(2026, 9, 10 + k, 22), NOISE[k], reporter_phone=f"1360000000{k}")
    for day in range(1, 32):  # boilerplate, every day somewhere
        for k, place in enumerate((G1, G2, UNPLACED)):
            matter = MATTERS[(day * 3 + k) % len(MATTERS)]
            add(place, T(2026, 10, day, 9 + 3 * k), BOILERPLATE.format(matter),
                category="物业管理", reporter_phone=f"135{day:04d}{k:04d}")  # fmt: skip
    for k, words in enumerate(UNRELATED):
        add(
            G1,
            T(2026, 10, 21, 12 + k),
            words,
            category="市容秩序",
            reporter_phone=f"1330000{k:04d}",
        )
    for k in range(4):
        add(G1, T(2026, 10, 21, 13 + k), None)
    for k, words in enumerate(MANHOLE):  # C: about 50 m apart
        add(NOGRID | {"lon": 106.53 + 0.0005 * k, "lat": 29.61}, T(2026, 10, 12, 8 + k), words,
            category="市政设施", reporter_phone=f"1320000{k:04d}")  # fmt: skip
    add(NOGRID | {"lon": 106.55, "lat": 29.61}, T(2026, 10, 12, 14), MANHOLE[0],
        category="市政设施", reporter_phone="13200009999")  # fmt: skip
    for n in range(FILLERS):  # distinct words, unplaced: they only fill the index
        a, b = FILLER_A[n % len(FILLER_A)], FILLER_B[(n // len(FILLER_A)) % len(FILLER_B)]
        c, d = FILLER_C[n % len(FILLER_C)], FILLER_B[(n * 7) % len(FILLER_B)]
        add(UNPLACED, T(2026, 10, 1 + n % 31, 7), f"{a}{b}{c}{d}", category="其他",
            reporter_phone=f"131{n:08d}")  # fmt: skip
    add(UNPLACED, T(2026, 10, 31, 23), "最后一条留言", category="其他")  # as_of
    return rows


ROWS = _rows()
BY_ID = {r["event_id"]: r for r in ROWS}
A_IDS = [r["event_id"] for r in ROWS[:6]]
B_IDS = [r["event_id"] for r in ROWS[6:11]]
AS_OF = T(2026, 10, 31, 23)


@pytest.fixture(scope="module")
def month_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("hot") / "hot.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    insert(con, "org_units", ORG_UNITS)
    insert(con, "grids", GRIDS)
    frame = pd.DataFrame(ROWS)  # insert() row by row took seconds for a month
    con.register("frame", frame)
    con.execute(f"INSERT INTO events ({', '.join(frame.columns)}) SELECT * FROM frame")
    con.close()
    return path


@pytest.fixture(scope="module")
def month(month_db, engine_connect):
    con = engine_connect(month_db)
    yield con
    con.disconnect()


@pytest.fixture(scope="module")
def found(month):
    return hotspots.find_issues(month, OCTOBER)


def _issue_of(found, event_id: str):
    m = found.members
    issue_id = m.loc[m["event_id"] == event_id, "issue_id"]
    assert len(issue_id) == 1, f"{event_id} is in {len(issue_id)} issues"
    return found.issues.set_index("issue_id").loc[issue_id.iloc[0]]


def test_one_place_one_problem_within_days_is_an_issue(found):
    a = _issue_of(found, A_IDS[0])
    assert sorted(hotspots.members_of(found, a.name)) == A_IDS
    assert (a.grid_id, a.grid_name, a.community_name, a.street_name) == (
        "S01C01G01",
        "第1网格",
        "甲一社区",
        "甲街道",
    )
    assert a.events == 6 and a.people == 5  # one number called twice
    assert a.category == "噪音扰民"
    assert a.first_at == A_TIMES[0] and a.last_at == A_TIMES[-1]
    assert a.span_days == pytest.approx(2.5)
    assert (a.open, a.open_share) == (3, 0.5)
    assert a.title.startswith("甲一社区 第1网格 · ")
    assert set(a.keywords) & {"夜间施工", "打桩", "噪音", "工地"}


def test_the_same_words_in_another_grid_are_another_issue(found):
    a, b = _issue_of(found, A_IDS[0]), _issue_of(found, B_IDS[0])
    assert a.name != b.name
    assert b.grid_id == "S02C01G01" and b.events == 5
    grids = pd.DataFrame({"event_id": list(BY_ID), "grid_id": [r["grid_id"] for r in ROWS]})
    places = found.members.merge(grids, on="event_id").groupby("issue_id")["grid_id"]
    assert (places.nunique(dropna=False) == 1).all()


def test_boilerplate_unrelated_and_silent_events_make_no_issue(found):
    issue_events = set(found.members["event_id"])
    for r in ROWS:
        if r["category"] in ("物业管理", "市容秩序", "其他") or r["description"] is None:
            assert r["event_id"] not in issue_events, r["description"]
    assert len(found.issues) == 3  # A, B and C


def test_the_lift_is_what_keeps_boilerplate_out(month):
    """Without the lift the category's boilerplate makes a month-long issue in each grid:
    similar words, one place, every few days. Everywhere alike, its lift stays below 15."""
    loose = hotspots.find_issues(month, OCTOBER, min_lift=0)
    boiler = loose.issues[loose.issues["category"] == "物业管理"]
    assert len(boiler) == 2 and (boiler["lift"] < 15).all()


def test_a_grids_scope_still_finds_its_issue(month):
    """One grid's month is 42 texts: the lift needed falls to a quarter of 43, and the
    boilerplate, alike all month, still stays out."""
    grid = hotspots.find_issues(month, replace(OCTOBER, grid_id="S01C01G01"))
    assert grid.params["lift_needed"] == pytest.approx(43 / 4)
    assert list(grid.issues["events"]) == [6]
    assert sorted(grid.members["event_id"]) == A_IDS


def test_events_without_a_grid_cluster_by_distance_within_their_community(found):
    c = found.issues[found.issues["grid_id"].isna()]
    assert len(c) == 1
    c = c.iloc[0]
    assert c.events == 5 and c.community_id == "S02C01"
    assert c.title.startswith("乙一社区 未落格 · ")
    far = [r["event_id"] for r in ROWS if r["lon"] == 106.55]
    assert far[0] not in set(found.members["event_id"])


def test_counts_say_how_many_events_carry_words(found):
    n_period = sum(1 for r in ROWS if r["reported_at"] >= T(2026, 10, 1))
    assert found.events_in_period == n_period
    assert found.events_with_text == n_period - 4


def test_personal_data_never_reaches_titles_keywords_or_the_index(month, found):
    shown = " ".join(found.issues["title"]) + " ".join(
        " ".join(k) for k in found.issues["keywords"]
    )
    indexed, han = hotspots._fetch(month, OCTOBER)
    titled = pd.Series(hotspots._cleaned(month, OCTOBER, indexed["event_id"]))  # for keywords
    assert len(titled) == len(indexed)
    for secret in ("王建国", "建国", "13912345678", "5678", "138000"):
        assert secret not in shown
        assert not titled.str.contains(secret).any()
        assert not any(secret in t for t in han[:].to_pylist())


def test_heat_index_by_hand():
    # ln(1+4) + ln(1+3) + 1/(1+1) + 0.5^(0/7) + 0.5
    assert hotspots.heat_raw([4], [3], [1], [0], [0.5])[0] == pytest.approx(
        math.log(5) + math.log(4) + 0.5 + 1 + 0.5
    )
    assert list(hotspots.scaled(np.array([2.0, 1.0, 0.5]))) == [100.0, 50.0, 25.0]


def test_heat_of_the_month(found):
    a, b = _issue_of(found, A_IDS[0]), _issue_of(found, B_IDS[0])
    since_a = (AS_OF - A_TIMES[-1]) / timedelta(days=1)  # 8 d 13 h
    raw_a = math.log(7) + math.log(6) + 1 / 3.5 + 0.5 ** (since_a / 7) + 0.5
    since_b = (AS_OF - B_TIMES[-1]) / timedelta(days=1)
    raw_b = math.log(6) + math.log(6) + 1 / 2 + 0.5 ** (since_b / 7) + 1.0
    assert a.heat_raw == pytest.approx(raw_a)
    assert b.heat_raw == pytest.approx(raw_b)
    top = found.issues["heat_raw"].max()
    assert a.heat == pytest.approx(round(100 * raw_a / top, 1))
    assert found.issues["heat"].iloc[0] == 100.0
    assert list(found.issues["heat"]) == sorted(found.issues["heat"], reverse=True)


def test_growth_against_the_window_before(found):
    a, b = _issue_of(found, A_IDS[0]), _issue_of(found, B_IDS[0])
    assert (a.previous, a.growth, a.new) == (3, pytest.approx(1.0), False)  # 6 against 3
    assert b.previous == 0 and b.new and np.isnan(b.growth)


def test_issue_ids_are_stable(month, found):
    again = hotspots.find_issues(month, OCTOBER)
    assert list(again.issues["issue_id"]) == list(found.issues["issue_id"])
    assert again.members.equals(found.members)


def test_an_issues_events_are_masked(month, found):
    a = _issue_of(found, A_IDS[0])
    rows = hotspots.issue_events(month, OCTOBER, hotspots.members_of(found, a.name))
    assert list(rows["event_id"]) == A_IDS
    assert rows["reporter_phone"].iloc[0] == "138****0001"
    text = rows["description"].iloc[-1]
    assert "13912345678" not in text and "139****5678" in text
    assert rows["reporter_name"].iloc[-1] == "王**"
    assert set(rows["status"]) == {"已办结", "未办结"}


def test_a_period_without_words_says_so(month):
    quiet = hotspots.find_issues(month, Filters(date(2026, 8, 1), date(2026, 8, 31)))
    assert quiet.issues.empty and quiet.events_with_text == 0 and quiet.events_in_period == 0


def test_planted_issues_of_the_demo_are_found(demo, demo_db):
    from bench.hotspots import score

    con, coverage, _ = demo
    with duckdb.connect(str(demo_db), read_only=True) as file:  # ground truth: not published
        truth = file.execute("SELECT issue_id, event_id FROM demo_hot_issue_events").df()
    f = Filters(coverage.first_day, coverage.last_day)
    result = hotspots.find_issues(con, f, coverage=coverage)
    s = score(result, truth, f, con)
    assert s["planted"] >= 30 and s["recall"] >= 0.9
    assert s["mixing_planted"] == 0 and s["mixing_grids"] == 0


def test_the_index_equals_scikit_learns_tfidf():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    TfidfVectorizer = text.TfidfVectorizer  # noqa: N806

    texts = ["夜间施工噪音", "夜间施工扰民噪音噪音", "楼道堆物", "龥一", "井盖丢失井盖"]
    ours = hotspots._Index(texts).transform(texts)
    theirs = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
    m = theirs.fit_transform(texts)
    np.testing.assert_allclose((ours @ ours.T).toarray(), (m @ m.T).toarray(), atol=1e-6)


def test_indexing_fetching_and_clustering_in_small_runs_changes_nothing(month, found, monkeypatch):
    # A city's year is indexed, fetched and clustered a run at a time; runs of a few rows
    # (places kept whole) give the very issues of one run.
    monkeypatch.setattr(hotspots, "_INDEX_CHUNK", 3)
    monkeypatch.setattr(hotspots, "_FETCH_CHUNK", 7)
    small = hotspots.find_issues(month, OCTOBER)
    pd.testing.assert_frame_equal(small.issues, found.issues, check_exact=True)
    pd.testing.assert_frame_equal(small.members, found.members, check_exact=True)
    same = {k: v for k, v in small.params.items() if k != "seconds"}
    assert same == {k: v for k, v in found.params.items() if k != "seconds"}


def test_runs_end_where_a_place_does():
    place = np.array(["a", "a", "a", "b", "c", "c", "c", "c", "d"], dtype=object)
    assert list(hotspots._chunks(place, 2)) == [(0, 3), (3, 8), (8, 9)]
    assert list(hotspots._chunks(place, 100)) == [(0, 9)]
    assert list(hotspots._chunks(place[:0], 2)) == []
