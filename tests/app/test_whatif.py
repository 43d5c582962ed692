"""The whatif page under AppTest (the figures it shows are tested in
``tests/analytics/planning/test_whatif.py``)."""

from __future__ import annotations

import json

from tests.conftest import query

# ---------------------------------------------------------------- the page


def test_whatif_page_and_its_controls(demo_db, monkeypatch):
    from tests.apptest import open_page

    at = open_page(demo_db, monkeypatch, "pages/whatif.py")
    assert at.subheader[0].value == "网格调整推演"
    assert [m.label for m in at.metric] == [
        "网格数", "专职网格员", "预计响应时长中位数", "预计按时办结率", "年度人力成本(元)"
    ]  # fmt: skip
    decks = [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]
    assert len(decks) == 2
    table = at.dataframe[0].value.set_index("指标")
    grids_before = int(table.loc["网格数", "调整前"].replace(",", ""))
    assert len(decks[0]["layers"][0]["data"]) >= grids_before
    for key in ("reporter_name", "reporter_phone", "address"):
        assert key not in json.dumps(decks)

    at.slider(key="wi_households").set_value(300).run()
    assert not at.exception
    more = int(at.dataframe[0].value.set_index("指标").loc["网格数", "调整后"].replace(",", ""))
    assert more > grids_before

    at.segmented_control(key="wi_mode").set_value("grids").run()
    at.number_input(key="wi_grids").set_value(grids_before - 5).run()
    table = at.dataframe[0].value.set_index("指标")
    assert table.loc["网格数", "调整后"] == str(grids_before - 5)

    at.segmented_control(key="wi_mode").set_value("ceiling").run()
    assert not at.exception and "按各楼栋近一年的事件量" in " ".join(c.value for c in at.caption)
    at.slider(key="wi_ceiling").set_value(600).run()
    few = int(at.dataframe[0].value.set_index("指标").loc["网格数", "调整后"].replace(",", ""))
    at.slider(key="wi_ceiling").set_value(20).run()
    many = int(at.dataframe[0].value.set_index("指标").loc["网格数", "调整后"].replace(",", ""))
    assert many > few and not at.exception

    at.segmented_control(key="wi_mode").set_value("edit").run()
    at.button(key="wi_do_split").click().run()
    table = at.dataframe[0].value.set_index("指标")
    assert table.loc["网格数", "调整后"] == str(grids_before + 1)
    assert any("已做调整:拆分" in c.value.replace("\\", "") for c in at.caption)
    at.button(key="wi_undo").click().run()
    assert at.dataframe[0].value.set_index("指标").loc["网格数", "调整后"] == str(grids_before)


def test_whatif_scope_follows_the_sidebar(demo_db, monkeypatch):
    from tests.apptest import open_page

    at = open_page(demo_db, monkeypatch, "pages/whatif.py")
    assert at.selectbox(key="wi_scope").value == "S01"
    at.selectbox(key="f_street").set_value("S02").run()
    assert at.selectbox(key="wi_scope").value == "S02" and not at.exception
    at.selectbox(key="wi_scope").set_value("S03").run()  # the page's own choice then holds
    at.run()
    assert at.selectbox(key="wi_scope").value == "S03"


def test_whatif_page_explains_a_merge_of_grids_that_do_not_touch(demo_db, monkeypatch):
    from tests.apptest import open_page

    at = open_page(demo_db, monkeypatch, "pages/whatif.py")
    at.segmented_control(key="wi_mode").set_value("edit").run()
    grids = at.selectbox(key="wi_merge_a").options
    at.selectbox(key="wi_merge_a").set_value(at.selectbox(key="wi_merge_a").options[0])
    far = query(
        demo_db,
        "SELECT a.grid_id AS a, b.grid_id AS b FROM grids a JOIN grids b "
        "ON a.street_id = b.street_id AND a.community_id <> b.community_id "
        "WHERE a.street_id = 'S01' ORDER BY 1, 2 LIMIT 1",
    ).iloc[0]
    assert grids
    at.selectbox(key="wi_merge_a").set_value(far["a"])
    at.selectbox(key="wi_merge_b").set_value(far["b"]).run()
    at.button(key="wi_do_merge").click().run()
    assert at.error and "社区" in at.error[0].value
    at.run()  # the failed edit was dropped: the page recovers
    assert not at.error and not at.exception
