"""The pieces of the overview's drill-down and cross-filter that run without a page: a clicked
bar back to its category, an alert row to its grid, and the list as shown (``ui.drill``)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics import formats as fmt
from analytics.filters import Filters
from ui import data, drill
from ui.context import Context
from ui.panels import overview


def test_a_clicked_bar_is_its_category_even_when_its_label_was_escaped():
    top = pd.DataFrame({"category": ["物业管理", "<b>A&B</b>"], "intake": [5, 3]})
    drawn = fmt.chart_text("<b>A&B</b>")
    assert drawn != "<b>A&B</b>"  # the bar's label is escaped for plotly
    assert overview.clicked_category(top, [{"y": drawn, "x": 3}]) == "<b>A&B</b>"
    assert overview.clicked_category(top, [{"y": "物业管理"}]) == "物业管理"
    assert overview.clicked_category(top, [{"y": "别的"}]) is None
    assert overview.clicked_category(top, []) is None  # a click cleared


def test_narrowing_to_a_category_keeps_everything_else():
    f = Filters(date(2026, 1, 1), date(2026, 10, 31), street_id="S01", channels=("app",))
    narrow = overview.narrowed(f, "噪音扰民")
    assert narrow.categories == ("噪音扰民",)
    assert (narrow.street_id, narrow.channels, narrow.start) == ("S01", ("app",), f.start)
    assert overview.narrowed(f, None) is f


def grids(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grid_id": ids,
            "community_id": [g[:6] for g in ids],
            "street_id": [g[:3] for g in ids],
            "street_name": ["甲街道"] * len(ids),
            "community_name": ["甲一社区"] * len(ids),
            "name": [f"第{i + 1}网格" for i in range(len(ids))],
            "overdue": [3, 1][: len(ids)],
            "backlog": [5, 2][: len(ids)],
            "on_time_rate": [0.5, 0.9][: len(ids)],
        }
    )


def test_an_alert_row_knows_its_grid():
    table = overview.overdue_table(grids(["S01C01G02", "S01C01G05"]))
    assert table["网格"].tolist() == ["甲街道 甲一社区 第1网格", "甲街道 甲一社区 第2网格"]
    assert overview.row_place(table, 1) == {
        "street_id": "S01",
        "community_id": "S01C01",
        "grid_id": "S01C01G05",
    }
    assert overview.row_place(table, 2) is None
    assert overview.row_place(overview.overdue_table(grids(["S01C01G02"]).head(0)), 0) is None


def test_the_list_as_shown():
    events = pd.DataFrame(
        {
            "event_id": ["E4"],
            "reported_at": [pd.Timestamp("2026-06-10 21:00")],
            "category": ["噪音扰民"],
            "event_type": ["投诉"],
            "channel": ["12345/8890热线"],
            "place": ["乙街道 乙一社区 第1网格"],
            "status": ["超期未办结"],
            "deadline_at": [pd.Timestamp("2026-06-15 21:00")],
            "closed_at": [pd.NaT],
            "reporter_name": ["张*"],
            "reporter_phone": ["138****5678"],
            "address": ["某路**号"],
            "description": ["**紧急**"],
        }
    )
    shown = drill.table(events)
    assert list(shown.columns) == list(drill.COLUMNS.values())
    row = shown.iloc[0]
    assert (row["上报时间"], row["办结时限"], row["办结时间"]) == (
        "2026-06-10 21:00",
        "2026-06-15 21:00",
        "—",
    )
    assert row["诉求内容"] == "**紧急**"  # a table cell: plain text, never Markdown


def test_the_count_line():
    assert drill.summary(1060, 200) == "共 1,060 件,显示前 200 件"
    assert drill.summary(3, 3) == "共 3 件"
    assert drill.pairs({"grid_id": "G", "condition": "overdue"}) == (
        ("condition", "overdue"),
        ("grid_id", "G"),
    )


def test_the_cards_months_are_whole_by_the_trend_charts_rule(tiny_db, monkeypatch):
    """Feb from the 15th is partial; so is October: the tiny data ends on 10-31 at 14:00."""
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    ctx = Context(data.source(), Filters(date(2026, 2, 15), date(2026, 10, 31)), "yoy")
    months = overview.months(ctx)
    assert months["month"].tolist() == [date(2026, m, 1) for m in range(2, 11)]
    assert months["complete"].tolist() == [False, *[True] * 7, False]
    assert months["intake"].tolist() == [0, 2, 0, 0, 2, 0, 0, 1, 2]


def test_figures_that_wait_for_closure_leave_out_the_latest_month(tiny_db, monkeypatch):
    """The tiny data ends on 10-31: 受理量's line keeps every whole month, 办结率's also drops
    the months that ended fewer than SETTLING_DAYS before the data's last moment."""
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    monkeypatch.setattr(overview, "SETTLING_DAYS", 45)  # September, whole, is then too recent
    ctx = Context(data.source(), Filters(date(2026, 3, 1), date(2026, 9, 30)), "yoy")
    months = overview.months(ctx)
    september = months.set_index("month").loc[date(2026, 9, 1)]
    assert september["complete"] and not september["settled"]
    as_of = pd.Timestamp(data.data_range(ctx.src).as_of)
    ends = pd.to_datetime(months["month"]) + pd.offsets.MonthBegin(1)
    recent = ends + pd.Timedelta(days=overview.SETTLING_DAYS) > as_of
    assert months["settled"].tolist() == (~recent).tolist()
    whole = months[months["complete"]]
    assert overview.trend_line(months, "intake") == whole["intake"].tolist()
    settled = months[months["complete"] & months["settled"]]
    assert len(settled) == len(whole) - 1
    line = pd.Series(overview.trend_line(months, "closure_rate"), dtype="float64")
    pd.testing.assert_series_equal(
        line, settled["closure_rate"].reset_index(drop=True), check_names=False
    )
