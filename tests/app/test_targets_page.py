"""The target page (目标管理) under AppTest: set, refuse, remove, history, import, export."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics import audit, target_store, targets
from analytics import formats as fmt
from tests.apptest import app_test, open_page, page_names

PAGE = "pages/targets.py"
NAMES = {
    "D": "测试区",
    "S01": "甲街道",
    "S02": "乙街道",
    "S01C01": "甲一社区",
    "S02C01": "乙一社区",
}
UNITS = ["S01", "S02", "S01C01", "S02C01"]
HEADER = "指标代码,指标,单位编码,单位,方向,目标值,预警线"


@pytest.fixture
def page(tiny_db, monkeypatch, admin_file) -> AppTest:
    return open_page(tiny_db, monkeypatch, PAGE)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return run(at)


def submit(at: AppTest, metric: str, value, amber=None, unit: str = "", op: str = "") -> AppTest:
    at.selectbox(key="tg_metric").set_value(metric)
    at.selectbox(key="tg_unit").set_value(unit)
    at.selectbox(key="tg_op").set_value(op)
    at.number_input(key="tg_value").set_value(value)
    at.number_input(key="tg_amber").set_value(amber)
    return click(at, "保存")


def table(at: AppTest, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def audited(admin_file, action: str):
    from ui import auth

    auth.flush()
    return audit.query(admin_file, action=action)


def upload(at: AppTest, content: bytes, name: str = "目标.csv") -> AppTest:
    at.get("file_uploader")[0].set_value((name, content, "text/csv"))
    return run(at)


def test_without_targets_the_page_says_figures_show_no_status(page):
    prompt = page.info[0].value
    assert "还没有设定目标" in prompt and "不显示达标状态" in prompt
    assert any("python -m analytics targets" in c.value for c in page.main.caption)
    assert not page.dataframe  # no targets, no history yet
    assert "还没有修改记录" in page.caption[-1].value


def test_a_district_target_set_through_the_form_is_stored_shown_and_audited(page, admin_file):
    at = submit(page, "on_time_rate", 95.0, amber=90.0)
    assert at.success[0].value == "已保存:按时办结率(全区)≥ 95.0%(预警 90.0%)。"
    assert not at.info  # the prompt is gone
    stored = target_store.load(admin_file)
    row = stored.iloc[0]
    assert len(stored) == 1 and row["metric"] == "on_time_rate" and row["unit_id"] is None
    assert (row["op"], row["amber"]) == (">=", pytest.approx(0.90))
    assert row["target"] == pytest.approx(0.95) and row["updated_by"] == "本机"
    shown = table(at, "指标")
    assert shown.drop(columns="修改时间").values.tolist() == [
        ["按时办结率", "全区", "不低于", "95.0%", "90.0%", "本机"]
    ]
    entry = audited(admin_file, "target_set")
    assert len(entry) == 1 and entry["page"][0] == "targets"
    assert "on_time_rate" in entry["detail"][0] and "≥ 95.0%" in entry["detail"][0]


def test_a_street_target_in_hours_takes_the_metrics_own_direction(page, admin_file):
    at = submit(page, "response_median", 2.0, amber=4.0, unit="S01")
    assert at.success[0].value == "已保存:响应时长中位数(甲街道)≤ 2.0小时(预警 4.0小时)。"
    row = target_store.load(admin_file).iloc[0]
    assert (row["unit_id"], row["op"], row["target"], row["amber"]) == ("S01", "<=", 2.0, 4.0)
    assert table(at, "指标")["单位"].tolist() == ["甲街道"]
    at = submit(at, "satisfaction_rate", 90.0, op="<=")  # an explicit direction is kept
    assert target_store.book(admin_file).own("satisfaction_rate", None).op == "<="


@pytest.mark.parametrize(
    ("value", "amber", "message"),
    [
        (95.0, 97.0, "按时办结率的预警线须低于目标值(目标 ≥ 95.0%)。"),
        (120.0, None, "按时办结率的目标值须在 0%–100% 之间,不是 120.0%。"),
        (None, None, "请填写目标值。"),
    ],
)
def test_invalid_input_is_refused_with_its_reason_and_nothing_stored(
    page, admin_file, value, amber, message
):
    at = submit(page, "on_time_rate", value, amber=amber)
    assert [e.value for e in at.error] == [fmt.plain(message)]  # shown as typed, not Markdown
    assert not at.success
    assert not target_store.has_any(admin_file)
    assert target_store.history(admin_file).empty
    assert audited(admin_file, "target_set").empty


def test_removing_a_target_leaves_the_others_and_is_recorded(tiny_db, monkeypatch, admin_file):
    target_store.put(admin_file, targets.Target("on_time_rate", 0.95, amber=0.9), by="甲")
    target_store.put(admin_file, targets.Target("overdue", 5, unit_id="S02"), by="甲", units=UNITS)
    at = open_page(tiny_db, monkeypatch, PAGE)
    remove = at.selectbox(key="tg_remove")
    assert remove.options == ["选择目标", "按时办结率 · 全区 · ≥ 95.0%(预警 90.0%)",
                              "超期 · 乙街道 · ≤ 5"]  # fmt: skip
    remove.set_value("overdue@S02")
    at = click(run(at), "删除")
    assert at.success[0].value == "已删除目标:超期 · 乙街道 · ≤ 5。"
    assert target_store.load(admin_file)["metric"].tolist() == ["on_time_rate"]
    history = table(at, "时间")
    assert history.iloc[0][["账号", "操作", "指标", "单位", "修改前", "修改后"]].tolist() == [
        "本机", "删除", "超期", "乙街道", "≤ 5", ""
    ]  # fmt: skip
    assert "overdue" in audited(admin_file, "target_remove")["detail"][0]


def test_the_history_says_who_changed_what_from_what(page, admin_file):
    at = submit(page, "on_time_rate", 95.0, amber=90.0)
    at = submit(at, "on_time_rate", 92.0)
    history = table(at, "时间")
    assert history[["账号", "操作", "指标", "单位", "修改前", "修改后"]].values.tolist() == [
        ["本机", "设定", "按时办结率", "全区", "≥ 95.0%(预警 90.0%)", "≥ 92.0%"],
        ["本机", "设定", "按时办结率", "全区", "", "≥ 95.0%(预警 90.0%)"],
    ]


def test_a_file_with_a_bad_row_is_refused_whole_with_the_reason(page, admin_file):
    content = f"{HEADER}\non_time_rate,,,,>=,95,90\n,满意率,S09,,,90,\n".encode()
    at = upload(page, content)
    assert "1 行无法使用,未导入任何目标" in at.error[0].value
    rejected = table(at, "行号")
    assert len(rejected) == 1 and "S09" in rejected["原因"][0]
    assert not [b for b in at.button if b.label == "确认导入"]
    assert not target_store.has_any(admin_file)


def test_a_good_file_is_shown_then_imported_on_confirmation(tiny_db, monkeypatch, admin_file):
    target_store.put(admin_file, targets.Target("overdue", 5), by="甲")
    at = open_page(tiny_db, monkeypatch, PAGE)
    content = f"{HEADER}\non_time_rate,,,全区,,95%,90\n,满意率,,甲街道,>=,90,85\n".encode()
    at = upload(at, content)
    preview = next(  # the file's rows, before anything is written
        d.value for d in at.dataframe if "目标" in d.value.columns
    )
    assert preview.values.tolist() == [
        ["按时办结率", "全区", "≥ 95.0%(预警 90.0%)"],
        ["满意率", "甲街道", "≥ 90.0%(预警 85.0%)"],
    ]
    assert target_store.load(admin_file)["metric"].tolist() == ["overdue"]
    at.checkbox(key="tg_replace").check()
    at = click(run(at), "确认导入")
    assert at.success[0].value == "已导入 2 项目标(已替换现有目标)。"
    book = target_store.book(admin_file)
    assert book.own("on_time_rate", None) == targets.Target("on_time_rate", 0.95, ">=", 0.9)
    assert book.own("satisfaction_rate", "S01").amber == pytest.approx(0.85)
    assert book.own("overdue", None) is None  # replaced: not in the file
    assert at.get("file_uploader")[0].value is None  # a fresh uploader for the next file
    entry = audited(admin_file, "target_import")
    assert len(entry) == 1 and "目标.csv" in entry["detail"][0]


def test_the_export_reads_back_as_the_same_targets(tiny_db, monkeypatch, admin_file):
    target_store.put(admin_file, targets.Target("on_time_rate", 0.95, amber=0.9), by="甲")
    target_store.put(admin_file, targets.Target("response_median", 2, unit_id="S01"), by="甲",
                     units=UNITS)  # fmt: skip
    at = open_page(tiny_db, monkeypatch, PAGE)
    [button] = at.get("download_button")
    assert button.proto.label == "导出目标(CSV)"
    exported = page_names(PAGE, "exported")["exported"]
    content, rows = exported(target_store.load(admin_file), NAMES)
    parsed = target_store.parse_csv(content, UNITS, NAMES)
    assert rows == 2 and parsed.rejected.empty
    assert sorted(parsed.targets, key=lambda t: t.metric) == [
        targets.Target("on_time_rate", 0.95, ">=", 0.9),
        targets.Target("response_median", 2.0, "<=", None, "S01"),
    ]


def test_targets_can_be_set_before_any_data_exists(tmp_path, monkeypatch, admin_file):
    monkeypatch.setenv("GOV_DB", str(tmp_path / "new.duckdb"))
    at = app_test()
    run(at)
    at.switch_page(PAGE)
    run(at)
    assert at.selectbox(key="tg_unit").options == ["全区"]  # no streets to offer yet
    at = submit(at, "overdue", 3.0)
    assert at.success[0].value == "已保存:超期(全区)≤ 3。"
    assert target_store.book(admin_file).own("overdue", None).target == 3.0
