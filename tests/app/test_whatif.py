"""The whatif page under AppTest (the figures it shows are tested in
``tests/analytics/planning/test_whatif.py``)."""

from __future__ import annotations

import json

from analytics import scales
from tests.apptest import page_names
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
    # Both maps on one scale around the target, with the unit's outlines and names, and the
    # shared legend once under them; a plan whose households spread less looks calmer.
    assert [[x["id"] for x in d["layers"]] for d in decks] == [["plan", "outlines", "names"]] * 2
    legends = [h.proto.body for h in at.get("html") if "比目标少" in h.proto.body]
    assert len(legends) == 1
    on_target = [
        sum(p["fill"][:3] == list(scales.BELOW_ON_ABOVE[2]) for p in d["layers"][0]["data"])
        / len(d["layers"][0]["data"])
        for d in decks
    ]
    cv = [float(table.loc["户数变异系数", side].rstrip("%")) for side in ("调整前", "调整后")]
    assert (cv[1] < cv[0]) == (on_target[1] > on_target[0])

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


# ---------------------------------------------------------------- on a projector


def test_caption_lines_counts_wide_and_narrow_characters():
    lines = page_names("pages/whatif.py", "caption_lines")["caption_lines"]
    assert lines("", 36) == 0
    assert lines("按" * 36, 36) == 1 and lines("按" * 37, 36) == 2
    assert lines("1" * 72, 36) == 1 and lines("1" * 73, 36) == 2  # narrow: half as wide
    assert lines("按每格 433 户重新划分:100% 的网格与目标相差 10% 以内", 36) == 1


def test_a_projector_shows_the_maps_comparison_and_figures_on_one_screen(demo_db, monkeypatch):
    import streamlit as st

    from tests.apptest import app_test

    space = page_names("pages/whatif.py", "Heights", "caption_lines")
    Heights = space["Heights"]  # noqa: N806
    drawn = []  # the maps' heights, as the page asks Streamlit for them
    pydeck_chart = st.pydeck_chart

    def recorded(*args, height=None, **kwargs):
        drawn.append(height)
        return pydeck_chart(*args, height=height, **kwargs)

    monkeypatch.setattr(st, "pydeck_chart", recorded)
    monkeypatch.setenv("GOV_DB", str(demo_db))
    at = app_test()
    at.query_params = {"present": "1"}
    at.run()
    at.switch_page("pages/whatif.py")
    drawn.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    headings = [x.value for x in at.markdown if x.value.startswith("**")]
    assert [h.split(" · ")[0] for h in headings] == ["**调整前", "**调整后", "**调整前后对比"]
    assert len(at.metric) == 5  # the figures stay, large
    assert not at.main.get("download_button")  # 导出方案 is for normal mode
    captions = [c.value for c in at.caption]
    assert any(c.startswith("演示模式只显示首屏:每格户数分布、模型可信度") for c in captions)
    maps = [c for c in captions if "的网格与目标相差 10% 以内" in c]
    assert len(maps) == 2
    size = Heights(True, maps)
    assert drawn == [size.map, size.map] and size.map > Heights.NORMAL  # the screen used
    # the cards and the small print end at the screen's foot with one-line map captions
    bottom = Heights.TOP + Heights.CAPTION + 18 + size.map + Heights.LEGEND + Heights.CARDS
    assert bottom + Heights.LINE == Heights.SCREEN - Heights.FOOT
    assert Heights(False, maps).map == Heights.NORMAL  # normal mode as it was
    assert Heights(True, ["按" * 60]).map == size.map - Heights.CAPTION  # a caption wraps
