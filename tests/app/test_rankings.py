"""The rankings page under AppTest (the figures it shows are tested in
``tests/analytics/test_rankings.py``)."""

from __future__ import annotations

import json
import re

import pytest

from tests.apptest import open_page
from tests.conftest import query

PAGE = "pages/rankings.py"


# ---------------------------------------------------------------- the page


def shown_text(at) -> str:
    """Everything the page put on screen, as one string."""
    parts = [x.value for x in (*at.markdown, *at.caption, *at.error, *at.info)]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [
        json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")
    ]
    return "\n".join(map(str, parts))


def downloads(at) -> list[str]:
    """The page's own download buttons (the sidebar may have others)."""
    return [b.key for b in at.get("download_button") if b.key.startswith("rk_")]


def counts(at) -> tuple[int, int]:
    """Units ranked and apart, as the page's heading says."""
    heading = next(x.value for x in at.markdown if "参与排名" in x.value and "不参与" in x.value)
    ranked, apart = re.search(r"参与排名 (\d+) 个,不参与 (\d+) 个", heading).groups()
    return int(ranked), int(apart)


def test_page_ranks_every_level_without_personal_names(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    assert at.subheader[0].value.startswith("赛马比拼 · ")
    assert at.radio(key="rk_level").options == ["街道", "社区", "网格", "专职网格员"]
    table = at.dataframe[0].value
    assert list(table["名次"]) == sorted(table["名次"]) and table["名次"].iloc[0] == 1
    assert set(table["档次"]) <= {"一档", "二档", "三档", "四档"}
    assert {"得分", "名次变化(同比)", "响应率(%)", "近6月名次", "受理量"} <= set(table.columns)
    assert len(at.get("plotly_chart")) == 1
    assert downloads(at) == ["rk_dl_ranked_csv", "rk_dl_ranked_xlsx"]
    names = query(demo_db, "SELECT name FROM workers WHERE name IS NOT NULL")["name"]
    for level, title in (("community_id", "社区"), ("grid_id", "网格"), ("worker", "网格员")):
        at.radio(key="rk_level").set_value(level).run()
        assert not at.exception, [e.value for e in at.exception]
        table = at.dataframe[0].value
        assert title in table.columns and table["名次"].iloc[0] == 1
    assert {"活跃度(件/月)", "信息完整度(%)", "办结率(%)"} <= set(table.columns)
    assert table["网格员"].str.contains("*", regex=False).all()  # masked …
    text = shown_text(at)
    assert not [n for n in names if len(n) >= 2 and n in text]  # … and no full name anywhere


def test_page_weights_reorder_and_all_zero_is_refused(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    at.radio(key="rk_level").set_value("community_id").run()
    before = list(at.dataframe[0].value["社区"])
    for part in ("resolution_rate", "satisfaction_rate"):
        at.number_input(key=f"rk_w_{part}").set_value(0)
    at.number_input(key="rk_w_response_rate").set_value(100).run()
    table = at.dataframe[0].value
    assert list(table["社区"]) != before
    assert list(table["得分"]) == sorted(table["得分"], reverse=True)
    assert table["得分"].to_numpy() == pytest.approx(table["响应率(%)"].to_numpy(), abs=0.051)
    at.number_input(key="rk_w_response_rate").set_value(0).run()
    assert not at.exception
    assert at.error and "权重不能全为 0" in at.error[0].value
    assert not at.dataframe and not at.get("plotly_chart")
    at.button(key="rk_w_reset").click().run()
    assert list(at.dataframe[0].value["社区"]) == before


def test_page_minimum_moves_units_apart_and_sidebar_narrows_levels(demo_db, monkeypatch):
    at = open_page(demo_db, monkeypatch, PAGE)
    at.radio(key="rk_level").set_value("community_id").run()
    assert len(at.dataframe) == 1  # nobody apart at 30 events this year
    intakes = at.dataframe[0].value["受理量"]
    threshold = int(intakes.median())
    at.number_input(key="rk_min_events").set_value(threshold).run()
    ranked, apart = at.dataframe[0].value, at.dataframe[1].value
    assert len(apart) == (intakes < threshold).sum() > 0
    assert len(ranked) + len(apart) == len(intakes) and ranked["受理量"].min() >= threshold
    assert apart["原因"].str.startswith("事件数不足").all()
    assert downloads(at) == [
        "rk_dl_ranked_csv",
        "rk_dl_ranked_xlsx",
        "rk_dl_apart_csv",
        "rk_dl_apart_xlsx",
    ]

    at.selectbox(key="f_street").select_index(1).run()
    street = at.selectbox(key="f_street").value
    assert at.radio(key="rk_level").options == ["社区", "网格", "专职网格员"]
    assert at.radio(key="rk_level").value == "community_id"  # still offered: kept
    at.radio(key="rk_level").set_value("grid_id").run()
    assert not at.exception
    grids = query(demo_db, "SELECT name FROM grids WHERE street_id = ?", [street])
    ranked, apart = counts(at)
    assert ranked + apart == len(grids) and apart > 0  # the minimum is still the median above
    at.selectbox(key="f_community").select_index(1).run()
    at.selectbox(key="f_grid").select_index(1).run()
    assert at.radio(key="rk_level").options == ["专职网格员"]
    assert not at.exception
    assert "专职网格员排名" in json.dumps([m.value for m in at.markdown], ensure_ascii=False)


def test_rank_change_follows_the_sidebars_comparison(demo_db, monkeypatch):
    """同比 compares with the same months a year earlier, 环比 with the preceding period of
    equal length; the column and the caption say which."""
    from analytics import queries
    from analytics.connection import connect
    from analytics.filters import Filters, preset_period

    con = connect(demo_db, read_only=True)
    f = Filters(*preset_period("ytd", queries.data_range(con).last_day))
    con.disconnect()
    at = open_page(demo_db, monkeypatch, PAGE)
    for compare, column, words in (("yoy", "名次变化(同比)", "去年同期"),
                                   ("mom", "名次变化(环比)", "上一等长时段")):  # fmt: skip
        at.radio(key="f_compare").set_value(compare).run()
        assert not at.exception
        assert column in at.dataframe[0].value.columns
        c = f.comparison(compare)
        period = f"{c.start.year}年{c.start.month}月{c.start.day}日至"
        shown = [x.value.replace("\\", "") for x in at.caption]  # markdown escapes
        assert any(f"名次变化对比{words}:{period}" in x for x in shown)
