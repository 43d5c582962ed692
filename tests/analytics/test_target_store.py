"""Target storage: the admin database's targets and their history, CSV files, the demo's
targets and the ``targets`` command."""

from __future__ import annotations

import re
import sqlite3

import pytest

from analytics import target_store, targets
from analytics.__main__ import main
from analytics.targets import Target, TargetError

UNITS = ["S01", "S02", "S01C01", "S02C01"]  # the tiny district's streets and communities
NAMES = {
    "D": "测试区",
    "S01": "甲街道",
    "S02": "乙街道",
    "S01C01": "甲一社区",
    "S02C01": "乙一社区",
}
PARENTS = {"S01": "D", "S02": "D", "S01C01": "S01", "S02C01": "S02", "D": None}


@pytest.fixture
def admin(tmp_path):
    return tmp_path / "gov.admin.sqlite"


def test_put_load_book_round_trip(admin):
    assert not target_store.has_any(admin)
    assert target_store.load(admin).empty
    target_store.put(admin, Target(metric="repeat_rate", target=0.05, amber=0.08), by="甲")
    target_store.put(admin, Target(metric="on_time_rate", target=0.95, amber=0.9), by="甲")
    target_store.put(
        admin, Target(metric="on_time_rate", target=0.92, unit_id="S01"), by="乙", units=UNITS
    )
    frame = target_store.load(admin)
    assert list(frame.columns) == [*targets.FRAME_COLUMNS, "updated_at", "updated_by"]
    # TARGETABLE order (on_time_rate before repeat_rate), the district first.
    assert list(frame["metric"]) == ["on_time_rate", "on_time_rate", "repeat_rate"]
    assert list(frame["unit_id"]) == [None, "S01", None]
    assert list(frame["op"]) == [">=", ">=", "<="]  # the metric's own direction
    assert list(frame["target"]) == [0.95, 0.92, 0.05]
    assert frame["amber"].iloc[0] == 0.9 and frame["amber"].isna().iloc[1]
    assert list(frame["updated_by"]) == ["甲", "乙", "甲"]
    assert target_store.has_any(admin)
    book = target_store.book(admin)
    assert len(book) == 3
    # S01C01 inherits its street's override; S02C01 the district's.
    assert book.for_unit("on_time_rate", "S01C01", PARENTS).target == 0.92
    assert book.for_unit("on_time_rate", "S02C01", PARENTS).target == 0.95
    assert book.for_unit("on_time_rate", "S02C01", PARENTS).amber == 0.9


def test_put_replaces_the_same_metric_and_unit(admin):
    target_store.put(admin, Target(metric="satisfaction_rate", target=0.9), by="甲")
    target_store.put(admin, Target(metric="satisfaction_rate", target=0.93, amber=0.9), by="乙")
    frame = target_store.load(admin)
    assert len(frame) == 1
    assert (frame["target"].iloc[0], frame["amber"].iloc[0]) == (0.93, 0.9)
    assert frame["updated_by"].iloc[0] == "乙"


def test_history_says_who_changed_what_and_when(admin, monkeypatch):
    times = iter(
        ["2026-03-01 09:00:00", "2026-03-02 10:30:00", "2026-03-03 08:00:00", "2026-03-04 08:00:00"]
    )
    monkeypatch.setattr(target_store.admin_db, "now", lambda zone="": next(times))
    target_store.put(admin, Target(metric="on_time_rate", target=0.95, amber=0.9), by="张三")
    target_store.put(
        admin, Target(metric="response_median", target=2.0, unit_id="S02"), by="李四", units=UNITS
    )
    target_store.put(admin, Target(metric="on_time_rate", target=0.97), by="王五")
    # Setting what is already set is no change: no row, no new time.
    target_store.put(admin, Target(metric="on_time_rate", target=0.97), by="王五")
    log = target_store.history(admin)
    assert list(log.columns) == ["at", "login", "action", "metric", "unit_id", "before", "after"]
    assert log.to_dict("records") == [
        {
            "at": "2026-03-03 08:00:00",
            "login": "王五",
            "action": "set",
            "metric": "on_time_rate",
            "unit_id": None,
            "before": "≥ 95.0%(预警 90.0%)",
            "after": "≥ 97.0%",
        },
        {
            "at": "2026-03-02 10:30:00",
            "login": "李四",
            "action": "set",
            "metric": "response_median",
            "unit_id": "S02",
            "before": "",
            "after": "≤ 2.0小时",
        },
        {
            "at": "2026-03-01 09:00:00",
            "login": "张三",
            "action": "set",
            "metric": "on_time_rate",
            "unit_id": None,
            "before": "",
            "after": "≥ 95.0%(预警 90.0%)",
        },
    ]
    assert len(target_store.history(admin, limit=1)) == 1
    assert target_store.load(admin)["updated_at"].iloc[0] == "2026-03-03 08:00:00"


def test_history_is_append_only(admin):
    target_store.put(admin, Target(metric="closure_rate", target=0.98), by="甲")
    con = sqlite3.connect(admin)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE target_history SET login = '乙'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM target_history")
    finally:
        con.close()
    assert list(target_store.history(admin)["login"]) == ["甲"]


def test_remove(admin):
    target_store.put(admin, Target(metric="closure_rate", target=0.98), by="甲")
    target_store.put(
        admin, Target(metric="closure_rate", target=0.97, unit_id="S01"), by="甲", units=UNITS
    )
    assert target_store.remove(admin, "closure_rate", "S01", by="乙")
    assert not target_store.remove(admin, "closure_rate", "S01", by="乙")
    assert not target_store.remove(admin, "on_time_rate", None, by="乙")
    frame = target_store.load(admin)
    assert list(frame["unit_id"]) == [None]
    latest = target_store.history(admin).iloc[0]
    assert (latest["action"], latest["login"], latest["unit_id"]) == ("remove", "乙", "S01")
    assert (latest["before"], latest["after"]) == ("≥ 97.0%", "")
    # S01 now follows the district's target.
    assert target_store.book(admin).for_unit("closure_rate", "S01", PARENTS).target == 0.98


@pytest.mark.parametrize(
    ("t", "message"),
    [
        (Target(metric="intake", target=100), "不能为“受理量”设目标"),
        (
            Target(metric="on_time_rate", target=1.2),
            "按时办结率的目标值须在 0%–100% 之间,不是 120.0%",
        ),
        (
            Target(metric="on_time_rate", target=0.9, amber=0.95),
            "按时办结率的预警线须低于目标值(目标 ≥ 90.0%)",
        ),
        (Target(metric="closure_rate", target=0.98, unit_id="S09"), "没有编码为 S09 的街道或社区"),
        (Target(metric="backlog", target=-1), "积压的目标值不能为负数"),
    ],
)
def test_put_refuses_invalid_targets(admin, t, message):
    with pytest.raises(TargetError, match=re.escape(message)):
        target_store.put(admin, t, by="甲", units=UNITS)
    assert not target_store.has_any(admin)
    assert target_store.history(admin).empty


def test_csv_round_trip_in_display_units(admin):
    stored = [
        Target(metric="on_time_rate", target=0.95, amber=0.9),
        Target(metric="on_time_rate", target=0.925, unit_id="S01C01"),
        Target(metric="response_median", target=2.0, amber=4.0, unit_id="S02"),
        Target(metric="overdue", target=30),
    ]
    target_store.import_targets(admin, stored, by="甲")
    content = target_store.to_csv(target_store.load(admin), NAMES)
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    lines = content.decode("utf-8-sig").splitlines()
    assert lines == [
        "指标代码,指标,单位编码,单位,方向,目标值,预警线",
        "on_time_rate,按时办结率,,全区,>=,95,90",
        "on_time_rate,按时办结率,S01C01,甲一社区,>=,92.5,",
        "response_median,响应时长中位数,S02,乙街道,<=,2,4",
        "overdue,超期,,全区,<=,30,",
    ]
    parsed = target_store.parse_csv(content, UNITS, NAMES)
    assert parsed.rejected.empty
    assert parsed.targets == [targets.validate(t) for t in stored[:2]] + [
        Target(metric="response_median", target=2.0, amber=4.0, unit_id="S02"),
        Target(metric="overdue", target=30.0),
    ]


def test_parse_reads_labels_names_percent_signs_and_gbk():
    text = (
        "指标,单位,方向,目标值,预警线\r\n"
        "按时办结率,甲街道,≥,95%,90%\r\n"
        "满意率,全区,,90,85\r\n"
        "响应时长中位数,,≤,2,4\r\n"
        "重复诉求率,乙一社区,<=,0.5%,\r\n"
    )
    parsed = target_store.parse_csv(text.encode("gbk"), UNITS, NAMES)
    assert parsed.rejected.empty
    assert parsed.targets == [
        Target(metric="on_time_rate", target=0.95, op=">=", amber=0.9, unit_id="S01"),
        Target(metric="satisfaction_rate", target=0.9, amber=0.85),
        Target(metric="response_median", target=2.0, op="<=", amber=4.0),
        Target(metric="repeat_rate", target=0.005, op="<=", unit_id="S02C01"),
    ]


def test_parse_keeps_every_bad_row_with_its_reason():
    text = (
        "指标代码,单位编码,目标值,预警线\n"
        "on_time_rate,,95,90\n"
        "no_such,,95,\n"
        "closure_rate,S09,98,\n"
        "closure_rate,,0.98,\n"
        "satisfaction_rate,,高,\n"
        "satisfaction_rate,,90,95\n"
        "\n"
        "on_time_rate,,96,\n"
        "resolution_rate,S01,,\n"
    )
    parsed = target_store.parse_csv(text.encode(), UNITS, NAMES)
    assert parsed.targets == [Target(metric="on_time_rate", target=0.95, amber=0.9)]
    assert list(parsed.rejected.columns) == ["行号", "内容", "原因"]
    rows = parsed.rejected.to_dict("records")
    assert [r["行号"] for r in rows] == [3, 4, 5, 6, 7, 9, 10]
    assert rows[0]["内容"] == "no_such,,95,"
    reasons = [r["原因"] for r in rows]
    assert reasons[0].startswith("没有指标“no_such”")
    assert reasons[1] == "没有编码或名称为“S09”的街道或社区。"
    assert "像是小数写法" in reasons[2]
    assert reasons[3] == "满意率的目标值不是数字:高。"
    assert reasons[4] == "满意率的预警线须低于目标值(目标 ≥ 90.0%)。"
    assert reasons[5].startswith("与第 2 行重复")
    assert reasons[6] == "解决率没有填写目标值。"


def test_parse_refuses_a_file_without_the_header():
    with pytest.raises(TargetError, match="文件缺少表头"):
        target_store.parse_csv(b"metric,value\non_time_rate,95\n", UNITS)


def test_import_is_one_change_with_history_and_replace_removes_the_rest(admin):
    target_store.put(admin, Target(metric="closure_rate", target=0.98), by="甲")
    target_store.put(admin, Target(metric="on_time_rate", target=0.95), by="甲")
    items = [
        Target(metric="on_time_rate", target=0.96, amber=0.9),
        Target(metric="satisfaction_rate", target=0.9, unit_id="S01"),
    ]
    assert target_store.import_targets(admin, items, by="乙") == 2
    assert list(target_store.load(admin)["metric"]) == [
        "closure_rate",
        "on_time_rate",
        "satisfaction_rate",
    ]
    # Nothing the file sets changes again; 办结率 goes.
    assert target_store.import_targets(admin, items, by="丙", replace=True) == 1
    frame = target_store.load(admin)
    assert list(frame["metric"]) == ["on_time_rate", "satisfaction_rate"]
    log = target_store.history(admin)
    # The second import changed nothing it set, and removed 办结率.
    assert list(log["action"])[:3] == ["remove", "import", "import"]
    assert (log["login"].iloc[0], log["metric"].iloc[0]) == ("丙", "closure_rate")
    assert (log["before"].iloc[1], log["after"].iloc[1]) == ("", "≥ 90.0%")
    assert (log["before"].iloc[2], log["after"].iloc[2]) == ("≥ 95.0%", "≥ 96.0%(预警 90.0%)")


def test_import_writes_nothing_when_an_item_is_invalid(admin):
    items = [Target(metric="on_time_rate", target=0.95), Target(metric="intake", target=1)]
    with pytest.raises(TargetError):
        target_store.import_targets(admin, items, by="甲")
    assert not target_store.has_any(admin)


def test_demo_targets_are_valid_and_seeded_once(admin):
    demo = target_store.demo_targets()
    assert [targets.validate(t, ["S01", "S05"]) for t in demo] == demo
    assert target_store.seed_demo(admin) == len(demo) == 11
    assert target_store.seed_demo(admin) == 0
    assert len(target_store.load(admin)) == 11
    assert set(target_store.history(admin)["login"]) == {"演示数据"}
    # Never over a district's own targets.
    other = admin.with_name("other.sqlite")
    target_store.put(other, Target(metric="closure_rate", target=0.99), by="甲")
    assert target_store.seed_demo(other) == 0
    assert len(target_store.load(other)) == 1


def test_demo_targets_judge_the_demo_district(demo):
    """On the demo district this year every status shows, as ``demo_targets`` says."""
    from analytics import queries

    con, coverage, f = demo
    book = targets.Book(target_store.demo_targets())
    figures = queries.kpis(con, f, coverage, keys=book.metrics)
    judged = targets.judged(figures, book, None, {}).set_index("metric")["status"]
    assert judged["closure_rate"] == "green" and judged["satisfaction_rate"] == "green"
    assert judged["on_time_rate"] == "amber" and judged["repeat_rate"] == "amber"
    assert judged["resolution_rate"] == "red" and judged["grid_level_rate"] == "red"


def test_cli_set_list_export_import_history(tiny_db, tmp_path, monkeypatch, capsys):
    admin = tmp_path / "cli.admin.sqlite"
    monkeypatch.setenv("GOV_ADMIN_DB", str(admin))
    db = ["--db", str(tiny_db)]
    assert main(["targets", "set", "按时办结率", "95", "--amber", "90", "--by", "张三", *db]) == 0
    assert main(["targets", "set", "response_median", "2", "--unit", "S01", *db]) == 0
    assert main(["targets", "set", "closure_rate", "98", "--unit", "S09", *db]) == 2
    assert "没有编码为 S09 的街道或社区" in capsys.readouterr().err
    assert main(["targets", "list", *db]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("按时办结率\t全区\t≥ 95.0%(预警 90.0%)\t")
    assert listed[0].endswith("张三")
    assert listed[1].startswith("响应时长中位数\t甲街道(S01)\t≤ 2.0小时\t")
    out = tmp_path / "targets.csv"
    assert main(["targets", "export", str(out), *db]) == 0
    assert out.read_bytes().decode("utf-8-sig").splitlines()[1:] == [
        "on_time_rate,按时办结率,,全区,>=,95,90",
        "response_median,响应时长中位数,S01,甲街道,<=,2,",
    ]
    # A file with one bad row imports nothing and says why.
    bad = tmp_path / "bad.csv"
    bad.write_text("指标,单位,目标值\n满意率,乙街道,92\n解决率,丙街道,90\n", encoding="gbk")
    assert main(["targets", "import", str(bad), *db]) == 1
    err = capsys.readouterr().err
    assert "第 3 行:没有编码或名称为“丙街道”的街道或社区。" in err
    assert len(target_store.load(admin)) == 2
    good = tmp_path / "good.csv"
    good.write_text("指标,单位,目标值\n满意率,乙街道,92\n", encoding="utf-8")
    assert main(["targets", "import", str(good), "--replace", "--by", "李四", *db]) == 0
    frame = target_store.load(admin)
    assert frame[["metric", "unit_id", "target"]].values.tolist() == [
        ["satisfaction_rate", "S02", 0.92]
    ]
    capsys.readouterr()
    assert main(["targets", "history", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5  # 2 set, 1 import, 2 removed by --replace
    assert "\t李四\t导入\t满意率\tS02\t未设目标 → ≥ 92.0%" in lines[2]
    con = sqlite3.connect(admin)
    try:
        logged = con.execute("SELECT login, action, detail FROM audit_log ORDER BY id").fetchall()
    finally:
        con.close()
    assert [(login, action) for login, action, _ in logged] == [
        ("张三", "target_set"),
        (logged[1][0], "target_set"),
        ("李四", "target_import"),
    ]
    assert '"after": "≥ 95.0%(预警 90.0%)"' in logged[0][2]
    assert '"changed": 3' in logged[2][2]  # one set, two removed


def test_cli_demo_seeds_targets_once(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GOV_ADMIN_DB", raising=False)
    path = tmp_path / "demo.duckdb"
    assert main(["demo", "--events", "2000", "--seed", "3", "--db", str(path)]) == 0
    admin = tmp_path / "demo.admin.sqlite"
    assert len(target_store.load(admin)) == 11
    target_store.remove(admin, "closure_rate", None, by="甲")
    target_store.put(admin, Target(metric="closure_rate", target=0.99), by="甲")
    assert main(["demo", "--events", "2000", "--seed", "3", "--db", str(path)]) == 0
    assert "已设演示目标值" not in capsys.readouterr().out.split("==> 完成")[-1]
    assert target_store.book(admin).own("closure_rate", None).target == 0.99
