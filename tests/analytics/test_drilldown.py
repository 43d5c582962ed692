"""The events behind a figure (``analytics.drilldown``), on the tiny database whose events are
listed in ``tests/conftest.py``: current period 2026-01-01 .. 2026-10-31, as_of 2026-10-31
14:00, events E1..E7 (E1, E2, E5, E7 in grid S01C01G01; E3, E4 in S02C01G01; E6 in no grid)."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from analytics import access, drilldown, queries
from analytics.connection import connect
from analytics.filters import Filters

F = Filters(date(2026, 1, 1), date(2026, 10, 31))


@pytest.fixture
def tiny(tiny_con):
    return tiny_con, queries.data_range(tiny_con)


def ids(con, coverage, f=F, **selection) -> list[str]:
    return drilldown.events(con, f, coverage, **selection)["event_id"].tolist()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("all", ["E7", "E6", "E5", "E4", "E3", "E2", "E1"]),  # newest first
        ("not_closed", ["E7", "E6", "E4"]),  # 办结率 57.1 % = 4 of 7 closed
        ("open", ["E7", "E6", "E4"]),  # 积压 3
        ("overdue", ["E4"]),  # open, deadline 06-15 before as_of; E6's is 11-05
        ("late", ["E2", "E4"]),  # 按时办结率 60 % = 3 of 5: E2 closed a day late, E4 overdue
        ("slow_response", ["E6", "E2"]),  # E6 never accepted, E2 after 3 h; E7 after exactly 2 h
        ("dissatisfied", ["E2"]),
        ("above_grid", ["E5", "E2"]),  # closed at community and street level
    ],
)
def test_each_condition_lists_what_its_metric_counts_against(tiny, condition, expected):
    con, coverage = tiny
    assert ids(con, coverage, condition=condition) == expected


def test_the_lists_agree_with_the_cards_figures(tiny):
    """The count behind each card's 明细 is the card's own metric, not a second definition."""
    con, coverage = tiny
    k = queries.kpis(con, F, coverage).set_index("metric")["value"]

    def total(condition: str) -> int:
        return drilldown.events(con, F, coverage, condition=condition).attrs["total"]

    assert total("all") == k["intake"] == 7
    assert total("open") == k["backlog"]
    assert total("not_closed") == round(k["intake"] * (1 - k["closure_rate"]))


def test_a_selection_narrows_by_category_grid_street_and_month(tiny):
    con, coverage = tiny
    assert ids(con, coverage, category="噪音扰民") == ["E4", "E3"]
    assert ids(con, coverage, grid_id="S01C01G01") == ["E7", "E5", "E2", "E1"]
    assert ids(con, coverage, street_id="S02") == ["E6", "E4", "E3"]
    assert ids(con, coverage, community_id="S02C01", condition="open") == ["E6", "E4"]
    assert ids(con, coverage, month=date(2026, 3, 1)) == ["E2", "E1"]
    assert ids(con, coverage, grid_id="S01C01G01", category="物业管理") == ["E7", "E1"]
    # a month is cut to the period: 2026-03-03 .. 03-31 leaves out E1 (03-01)
    assert ids(
        con, coverage, Filters(date(2026, 3, 3), date(2026, 6, 30)), month=date(2026, 3, 1)
    ) == ["E2"]
    # a month outside the period lists nothing, rather than events outside it
    assert ids(con, coverage, month=date(2025, 3, 1)) == []
    # the sidebar's own filters still apply
    assert ids(con, coverage, Filters(F.start, F.end, channels=("app",))) == ["E3"]


def test_a_limit_keeps_the_total(tiny):
    con, coverage = tiny
    df = drilldown.events(con, F, coverage, limit=2)
    assert df["event_id"].tolist() == ["E7", "E6"]
    assert df.attrs["total"] == 7
    everything = drilldown.events(con, F, coverage, limit=None)
    assert len(everything) == everything.attrs["total"] == 7


def test_rows_are_shown_with_labels_and_a_status(tiny):
    con, coverage = tiny
    df = drilldown.events(con, F, coverage, category="噪音扰民").set_index("event_id")
    assert df.loc["E4", "status"] == "超期未办结"
    assert df.loc["E3", "status"] == "已办结"
    assert df.loc["E4", "event_type"] == "投诉"
    assert df.loc["E4", "channel"] == "12345/8890热线"
    assert df.loc["E4", "place"] == "乙街道 乙一社区 第1网格"
    e6 = drilldown.events(con, F, coverage, street_id="S02", condition="open")
    assert e6.set_index("event_id").loc["E6", "place"] == "乙街道 乙一社区 未落格"
    assert e6.set_index("event_id").loc["E6", "status"] == "未办结"


def test_personal_data_is_masked_and_free_text_kept_as_plain_text(tiny_db, tmp_path):
    db = tmp_path / "phones.duckdb"
    shutil.copy(tiny_db, db)
    raw = duckdb.connect(str(db))
    raw.execute(
        "UPDATE events SET description = '请回电 13987654321,住5栋', reporter_name = '欧阳娜娜', "
        "address = '桂花路十二号三栋二单元501' WHERE event_id = 'E1'"
    )
    raw.close()
    con = connect(db, read_only=True)
    coverage = queries.data_range(con)
    df = drilldown.events(con, F, coverage, limit=None).set_index("event_id")
    con.disconnect()
    e1 = df.loc["E1"]
    assert e1["reporter_name"] == "欧阳**"
    assert e1["reporter_phone"] == "138****5678"
    assert e1["address"] == "桂花路**号*栋*单元***"
    assert e1["description"] == "请回电 139****4321,住*栋"
    text = df.to_string()
    for secret in ("13812345678", "13987654321", "娜娜", "十二号", "12号"):
        assert secret not in text
    # untrusted text is data, not markup: it arrives as typed, for a plain-text table
    assert df.loc["E3", "description"] == "**紧急** <b>速办</b> [链接](http://x)"


def test_the_scoped_backend_keeps_a_street_to_its_own_events(tiny):
    con, coverage = tiny
    street = access.scoped(con, access.Scope(street_id="S01"))
    assert ids(street, coverage) == ["E7", "E5", "E2", "E1"]
    assert ids(street, coverage, grid_id="S02C01G01") == []  # another street's grid: nothing


def test_unknown_condition_is_refused(tiny):
    con, coverage = tiny
    with pytest.raises(ValueError, match="unknown condition"):
        drilldown.events(con, F, coverage, condition="everything")


def test_describe_names_the_selection_in_chinese(tiny):
    con, _ = tiny
    names = queries.unit_names(con)
    grid = {"street_id": "S01", "community_id": "S01C01", "grid_id": "S01C01G01"}
    assert (
        drilldown.describe(names, condition="overdue", category="物业管理", **grid)
        == "物业管理 · 甲街道 甲一社区 第1网格 · 超期未办结"
    )
    assert drilldown.describe(names, month=date(2026, 3, 1)) == "2026年3月 · 全部受理"
    assert drilldown.describe(names, street_id="S02", condition="open") == "乙街道 · 积压(未办结)"


def test_monthly_kpis_are_the_cards_metrics_by_month_in_one_query(tiny):
    con, coverage = tiny
    months = queries.monthly_kpis(con, F, coverage).set_index("month")
    assert len(months) == 10  # Jan..Oct
    assert months["intake"].sum() == 7
    assert months.loc[date(2026, 3, 1), "intake"] == 2
    assert months.loc[date(2026, 4, 1), "intake"] == 0  # a month without events is 0, not absent
    assert months.loc[date(2026, 6, 1), "closure_rate"] == 0.5  # E3 closed, E4 open
    assert months.loc[date(2026, 10, 1), "backlog"] == 2  # E6 and E7
    # one month's row is that month's card
    march = Filters(date(2026, 3, 1), date(2026, 3, 31))
    card = queries.kpis(con, march, coverage).set_index("metric")["value"]
    row = months.loc[date(2026, 3, 1)]
    for metric in queries.KPI_METRICS:
        assert row[metric] == pytest.approx(card[metric], nan_ok=True)
