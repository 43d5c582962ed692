"""赛马比拼 ranked by 综合指数 (issue #20) under AppTest, on the tiny database's 2026 figures
(events E1..E7 of ``tests/conftest.py``, this year to its last day):

- 甲街道 (甲一社区, its grid 第1网格): E1 E2 E5 E7, 办结率 3/4, 满意率 1/2 (E1 of E1 E2);
- 乙街道 (乙一社区): E3 E4 E6, 办结率 1/3, 满意率 1/1 (E3, 基本满意); its grid holds E3 E4
  only (E6 has no grid): 办结率 1/2.

Against 办结率 ≥ 90 %(预警 55 %)and 满意率 ≥ 60 %, each ratio capped at 1.2:
甲 (0.75/0.9 + 0.5/0.6) / 2 = 0.833; 乙 (1/3/0.9 + min(1/0.6, 1.2)) / 2 = 0.785;
乙's grid (0.5/0.9 + 1.2) / 2 = 0.878."""

from __future__ import annotations

import pytest

from analytics import access, queries, score, target_store, targets
from analytics.connection import connect, cursor
from analytics.filters import Filters, preset_period
from tests.apptest import open_page

PAGE = "pages/rankings.py"
CLOSURE = targets.Target(metric="closure_rate", target=0.90, amber=0.55)
SATISFIED = targets.Target(metric="satisfaction_rate", target=0.60)


@pytest.fixture
def with_targets(admin_file):
    for t in (CLOSURE, SATISFIED):
        target_store.put(admin_file, t, by="test")
    return admin_file


def by_score(at, level: str = "street_id", min_events: int = 1):
    """The page ranking ``level`` by 综合指数 with units of ``min_events`` events ranked."""
    at.radio(key="rk_level").set_value(level)
    at.number_input(key="rk_min_events").set_value(min_events)
    at.radio(key="rk_basis").set_value("score").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def direct(tiny_db, level: str, book: targets.Book, min_events: int = 1):
    """``score.unit_scores`` on the tiny database, as the page's period (this year)."""
    con = cursor(connect(tiny_db, read_only=True))
    coverage = queries.data_range(con)
    f = Filters(*preset_period("ytd", coverage.last_day))
    parents = access.parents(queries.org_units(con), queries.grid_reference(con))
    return score.unit_scores(con, f, coverage, level, book, parents, min_events=min_events)


def test_streets_ranked_by_score_with_status_and_gaps(tiny_db, monkeypatch, with_targets):
    at = open_page(tiny_db, monkeypatch, PAGE)
    assert at.radio(key="rk_basis").options == ["三率加权", "综合指数"]
    assert at.radio(key="rk_basis").value == "rates"  # the default: unchanged
    at = by_score(at)
    table = at.dataframe[0].value
    assert list(table["街道"]) == ["甲街道", "乙街道"]
    assert list(table["名次"]) == [1, 2]
    assert list(table["综合指数"]) == ["0.83", "0.79"]  # 0.833, 0.785 by hand
    assert list(table["状态"]) == ["未达标", "未达标"]
    assert list(table["达标项数"]) == ["0/2", "1/2"]
    assert list(table["受理量"]) == [4, 3]
    assert list(table["办结率"]) == ["75.0%", "33.3%"]
    assert list(table["满意率"]) == ["50.0%", "100.0%"]
    assert list(table["未达标项"]) == [
        "办结率 差 15.0 个百分点(预警);满意率 差 10.0 个百分点(未达标)",
        "办结率 差 56.7 个百分点(未达标)",
    ]
    assert "得分" not in table.columns and "档次" not in table.columns
    scored = direct(tiny_db, "street_id", targets.Book([CLOSURE, SATISFIED]))
    assert list(scored["unit_id"]) == ["S01", "S02"]
    assert list(scored["score"]) == pytest.approx(
        [(0.75 / 0.9 + 0.5 / 0.6) / 2, (1 / 3 / 0.9 + 1.2) / 2]
    )
    figures = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert figures["综合指数最高"] == ("甲街道", "0.83 · 0/2 项达标")
    assert figures["综合指数最低"] == ("乙街道", "0.79 · 1/2 项达标")
    assert figures["综合指数 ≥ 1.00"][0] == "0 个"
    assert figures["不参与排名"][0] == "0 个"
    headings = [m.value.replace("\\", "") for m in at.markdown]  # markdown escapes
    assert "**街道综合指数排名(参与排名 2 个,不参与 0 个)**" in headings
    assert [b.key for b in at.get("download_button") if b.key.startswith("rk_")] == [
        "rk_dl_ranked_csv",
        "rk_dl_ranked_xlsx",
    ]
    at.radio(key="rk_basis").set_value("rates").run()  # back: the weighted ranking
    assert "得分" in at.dataframe[0].value.columns


def test_a_units_own_target_and_the_grid_level(tiny_db, monkeypatch, with_targets):
    """乙街道's own 办结率 target of 30 % overrides the district's for it and its grid:
    (1/3/0.3 + 1.2) / 2 = 1.156 → 达标, first; its grid (min(0.5/0.3, 1.2) + 1.2) / 2 = 1.2."""
    own = targets.Target(metric="closure_rate", target=0.30, unit_id="S02")
    target_store.put(with_targets, own, by="test")
    at = by_score(open_page(tiny_db, monkeypatch, PAGE))
    table = at.dataframe[0].value
    assert list(table["街道"]) == ["乙街道", "甲街道"]
    assert list(table["综合指数"]) == ["1.16", "0.83"]
    assert list(table["状态"]) == ["达标", "未达标"]
    assert list(table["达标项数"]) == ["2/2", "0/2"]
    figures = {m.label: m.value for m in at.metric}
    assert figures["综合指数 ≥ 1.00"] == "1 个"

    by_score(at, "grid_id")
    table = at.dataframe[0].value
    assert list(table["网格"]) == ["乙街道 乙一社区 第1网格", "甲街道 甲一社区 第1网格"]
    assert list(table["综合指数"]) == ["1.20", "0.83"]
    assert list(table["受理量"]) == [2, 4]  # E6 is in no grid


def test_grids_and_communities_follow_score_unit_scores(tiny_db, monkeypatch, with_targets):
    book = targets.Book([CLOSURE, SATISFIED])
    at = by_score(open_page(tiny_db, monkeypatch, PAGE), "grid_id")
    table = at.dataframe[0].value
    scored = direct(tiny_db, "grid_id", book)
    assert list(scored["unit_id"]) == ["S02C01G01", "S01C01G01"]  # 0.878 before 0.833
    assert list(table["网格"]) == ["乙街道 乙一社区 第1网格", "甲街道 甲一社区 第1网格"]
    assert list(table["综合指数"]) == [score.score_text(x) for x in scored["score"]]
    assert list(table["综合指数"]) == ["0.88", "0.83"]
    assert list(table["办结率"]) == ["50.0%", "75.0%"]

    by_score(at, "community_id")
    table = at.dataframe[0].value
    assert list(table["社区"]) == ["甲一社区", "乙一社区"]
    assert list(table["所属街道"]) == ["甲街道", "乙街道"]
    assert list(table["综合指数"]) == ["0.83", "0.79"]


def test_units_with_few_events_are_apart(tiny_db, monkeypatch, with_targets):
    at = by_score(open_page(tiny_db, monkeypatch, PAGE), min_events=4)
    ranked, apart = at.dataframe[0].value, at.dataframe[1].value
    assert list(ranked["街道"]) == ["甲街道"]
    assert list(apart["街道"]) == ["乙街道"]
    assert list(apart["综合指数"]) == ["0.79"]
    assert list(apart["原因"]) == ["事件数不足:3 件,少于 4 件"]
    at.number_input(key="rk_min_events").set_value(30).run()  # nobody ranked
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 2  # the apart list
    assert any("没有可参与排名的街道" in i.value for i in at.info)


def test_without_targets_the_option_says_why(tiny_db, monkeypatch, admin_file):
    at = open_page(tiny_db, monkeypatch, PAGE)
    basis = at.radio(key="rk_basis")
    assert basis.disabled and basis.value == "rates"
    assert any("尚未设定目标值,不能按综合指数排名" in c.value for c in at.caption)
    at.number_input(key="rk_min_events").set_value(1).run()
    assert "得分" in at.dataframe[0].value.columns and not at.metric


def test_workers_fall_back_to_the_weighted_ranking(tiny_db, monkeypatch, with_targets):
    at = by_score(open_page(tiny_db, monkeypatch, PAGE))
    at.radio(key="rk_level").set_value("worker").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="rk_basis").disabled
    assert any("专职网格员没有目标值" in c.value for c in at.caption)
    assert any("专职网格员排名" in m.value for m in at.markdown)
    assert not any("综合指数排名" in m.value for m in at.markdown)
    at.radio(key="rk_level").set_value("street_id").run()  # the choice is kept
    assert list(at.dataframe[0].value["综合指数"]) == ["0.83", "0.79"]
