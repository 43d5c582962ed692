"""The 日期标注 page under AppTest (add, refuse, remove, audit), and a note on a time chart."""

from __future__ import annotations

import json
from datetime import date

from streamlit import config

from analytics import annotations, audit
from tests.apptest import app_test, open_page

PAGE = "pages/notes.py"


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def add(at, day: date, title: str, detail: str = "", unit: str = ""):
    at.date_input(key="nt_day").set_value(day)
    at.selectbox(key="nt_unit").set_value(unit)
    at.text_input(key="nt_title").set_value(title)
    at.text_area(key="nt_detail").set_value(detail)
    next(b for b in at.button if b.label == "添加").click()
    return run(at)


def audited(path, action: str):
    from ui import auth

    auth.flush()
    return audit.query(path, action=action)


def test_a_note_added_is_listed_audited_and_removed(tiny_db, monkeypatch, admin_file):
    at = open_page(tiny_db, monkeypatch, PAGE)
    assert "还没有标注" in at.caption[-1].value
    add(at, date(2026, 3, 15), "<b>改革</b>", "详情 *加粗*", "S01")
    assert "已添加标注" in at.success[0].value
    [table] = [d.value for d in at.dataframe]
    row = table.iloc[0]
    assert (row["标题"], row["详情"], row["单位"], row["录入人"], row["来源"]) == (
        "<b>改革</b>",
        "详情 *加粗*",
        "甲街道",
        "本机",
        "看板录入",
    )  # fmt: skip  (typed text in cells, as typed)
    [stored] = annotations.load(admin_file).itertuples(index=False)
    assert (stored.day, stored.unit_id, stored.created_by) == (date(2026, 3, 15), "S01", "本机")
    [entry] = audited(admin_file, "note_add").itertuples(index=False)
    assert json.loads(entry.detail)["title"] == "<b>改革</b>" and entry.page == "notes"
    at.selectbox(key="nt_remove").set_value(stored.id)
    run(at)
    next(b for b in at.button if b.label == "删除").click()
    run(at)
    assert annotations.load(admin_file).empty
    assert len(audited(admin_file, "note_remove")) == 1


def test_an_empty_or_long_title_is_refused_with_the_reason(tiny_db, monkeypatch, admin_file):
    at = open_page(tiny_db, monkeypatch, PAGE)
    add(at, date(2026, 3, 15), "   ")
    assert [e.value for e in at.error] == ["备注标题不能为空。"]
    add(at, date(2026, 3, 15), "长" * (annotations.TITLE_MAX + 1))
    assert "最多 40 个字" in at.error[0].value
    assert annotations.load(admin_file).empty and audited(admin_file, "note_add").empty


def test_a_visitor_who_is_no_analyst_is_refused(tiny_db, monkeypatch, admin_file):
    monkeypatch.setenv("GOV_DB", str(tiny_db))
    monkeypatch.setenv("GOV_OPEN_INTRANET", "1")  # visitors are 内网访客 (leader)
    at = app_test()
    config.set_option("server.address", "0.0.0.0")
    try:
        run(at)
        at.switch_page(PAGE)
        run(at)
    finally:
        config.set_option("server.address", "127.0.0.1")
    assert [e.value for e in at.error] == [
        "此页仅分析员和管理员可用。如需添加日期标注,请联系分析员或管理员。"
    ]
    assert not at.get("date_input") and not at.dataframe
    denied = audited(admin_file, "denied")
    assert denied["page"].tolist() == ["notes"]


def test_the_closure_chart_marks_a_note_added_on_the_page(tiny_db, monkeypatch, admin_file):
    annotations.put(admin_file, date(2026, 3, 10), "防汛演练", "全区演练", by="本机")
    at = open_page(tiny_db, monkeypatch, "pages/closure.py")
    [chart] = [c for c in at.get("plotly_chart") if "closure_levels" in c.proto.id]
    layout = json.loads(chart.proto.spec)["layout"]
    lines = [s for s in layout.get("shapes", []) if s.get("type") == "line"]
    assert [s["x0"][:10] for s in lines] == ["2026-03-10"]
    assert "防汛演练" in {a["text"] for a in layout["annotations"]}
    # removed elsewhere: gone on the next run (the cache is keyed by the notes' version)
    annotations.delete(admin_file, int(annotations.load(admin_file)["id"][0]), by="本机")
    run(at)
    [chart] = [c for c in at.get("plotly_chart") if "closure_levels" in c.proto.id]
    layout = json.loads(chart.proto.spec)["layout"]
    assert not [s for s in layout.get("shapes", []) if s.get("type") == "line"]


def test_a_grids_trend_on_the_heatmap_marks_its_communitys_note(tiny_db, monkeypatch, admin_file):
    annotations.put(admin_file, date(2026, 6, 1), "社区议事会", unit_id="S01C01", by="本机")
    annotations.put(admin_file, date(2026, 7, 1), "乙街道活动", unit_id="S02", by="本机")
    at = open_page(tiny_db, monkeypatch, "pages/heatmap.py")
    at.selectbox(key="heat_grid").set_value("S01C01G01").run()
    [chart] = [c for c in at.get("plotly_chart") if "heat_trend" in c.proto.id]
    layout = json.loads(chart.proto.spec)["layout"]
    lines = [s for s in layout.get("shapes", []) if s.get("type") == "line"]
    # the grid's own community's note, not another street's
    assert [s["x0"][:10] for s in lines] == ["2026-06-01"]
    assert "社区议事会" in {a["text"] for a in layout["annotations"]}
