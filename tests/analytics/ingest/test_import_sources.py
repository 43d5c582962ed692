"""Exports as people have them: header spellings, recognition, places, values, zones."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.__main__ import main
from analytics.ingest.events import import_events
from analytics.ingest.presets import PRESETS, fold, match_headers
from analytics.ingest.reading import ImportFileError
from tests.conftest import query


def csv(tmp_path, name: str, lines: list[str], encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return str(path)


def test_headers_match_whatever_their_case_separators_width_or_bom():
    assert fold("\ufeff Created Date ") == fold("created_date") == fold("CreatedDate")
    assert fold("ＵＮＩＱＵＥ－ＫＥＹ") == fold("unique-key") == fold("Unique Key")
    assert fold("*工单编号") == fold("工单编号")
    header = ["", "UNIQUE_KEY", "created-date", "Ｃｏｍｐｌａｉｎｔ Ｔｙｐｅ", "borough"]
    found = match_headers(header, PRESETS["open311"])
    assert found == {"event_id": 1, "reported_at": 2, "category": 3, "street": 4}


def test_auto_recognises_the_export_and_says_why(db, tmp_path):
    path = csv(tmp_path, "311.csv", [
        ",unique_key,created_date,closed_date,complaint_type,borough,status",
        "0,1,2026-04-01T09:00:00.000,2026-04-01T12:00:00.000,Noise,BROOKLYN,Closed",
        "1,2,2026-04-02T09:00:00.000,,Heat,QUEENS,Open",
    ])  # fmt: skip
    r = import_events(path, db=db, create_units=True)
    assert r.preset == "open311" and "自动识别为「Open311" in r.preset_reason
    assert r.rows_accepted == 2
    got = query(db, "SELECT e.event_id, u.name, e.channel, e.event_type FROM events e "
                   "JOIN org_units u ON u.unit_id = e.street_id WHERE event_id IN ('1', '2') "
                   "ORDER BY 1")  # fmt: skip
    assert got.values.tolist() == [["1", "BROOKLYN", "hotline", "request"],
                                   ["2", "QUEENS", "hotline", "request"]]  # fmt: skip


def test_a_file_that_fits_two_presets_equally_asks_which(db, tmp_path):
    path = csv(tmp_path, "x.csv", ["event_id,reported_at,category,工单编号,来电时间,问题分类",
                                   "1,2026-01-01,a,1,2026-01-01,a"])  # fmt: skip
    with pytest.raises(ImportFileError, match="同样符合几种格式.*--preset"):
        import_events(path, db=db)


def test_unknown_streets_stop_the_import_and_name_them(db, tmp_path):
    path = csv(tmp_path, "new.csv", [
        "event_id,reported_at,category,street,community",
        "N1,2026-04-01 09:00,物业管理,丙街道,丙一社区",
        "N2,2026-04-01 10:00,物业管理,丁街道,",
        "N3,2026-04-01 11:00,物业管理,甲街道,甲一社区",
    ])  # fmt: skip
    before = db.read_bytes()
    with pytest.raises(ImportFileError, match="「丁街道」、「丙街道」.*--create-units"):
        import_events(path, db=db)
    r = import_events(path, db=db, create_units=True, dry_run=True)
    assert r.rows_accepted == 3 and r.created_units == 3
    assert db.read_bytes() == before  # neither the failure nor the dry run created a unit
    r = import_events(path, db=db, create_units=True)
    assert r.created_units == 3  # 丙街道, 丙一社区, 丁街道: ids after the existing ones
    units = query(db, "SELECT unit_id, parent_id, name FROM org_units ORDER BY unit_id")
    ids = dict(zip(units["name"], units["unit_id"], strict=True))
    assert (ids["丁街道"], ids["丙街道"], ids["丙一社区"]) == ("S03", "S04", "S04C01")
    placed = query(db, "SELECT event_id, street_id, community_id FROM events "
                      "WHERE event_id LIKE 'N%' ORDER BY 1")  # fmt: skip
    assert placed.fillna("-").values.tolist() == [
        ["N1", "S04", "S04C01"], ["N2", "S03", "-"], ["N3", "S01", "S01C01"]
    ]  # fmt: skip


def test_events_without_a_place_are_kept_at_district_level(db, tmp_path):
    path = csv(tmp_path, "wz.csv", [
        "留言编号,留言用户,留言主题,留言时间,留言详情,一级分类",
        "W1,A00012,噪音,2019/1/8 15:26:33,晚上施工噪音大,城乡建设",
        "W2,A00013,路灯,2019-01-09 08:00:00,路灯不亮,城乡建设",
        "W3,A00014,收费,2019-01-10 08:00:00,停车收费不合理,",
    ], encoding="utf-8-sig")  # fmt: skip
    r = import_events(path, db=db)
    assert r.preset == "wenzheng" and r.rows_accepted == 3 and r.rows_quarantined == 0
    got = query(db, "SELECT * FROM events WHERE event_id LIKE 'W%' ORDER BY event_id")
    assert got[["street_id", "community_id", "grid_id"]].isna().all().all()
    assert list(got["channel"]) == ["online"] * 3
    assert list(got["category"]) == ["城乡建设", "城乡建设", "未分类"]
    assert any("未落格" in note for note in r.notes)


def test_defaults_fill_any_column_and_unit_names_are_normalised(db, tmp_path):
    path = csv(tmp_path, "d.csv", ["编号,时间,社区", "D1,2026-04-01 09:00,甲一 社区",
                                   "D2,2026-04-01 10:00,ＳＯＣ"])  # fmt: skip
    mapping = {
        "columns": {"event_id": "编号", "reported_at": "时间", "community": "社区"},
        "defaults": {"street": " 甲街道 ", "category": "环境卫生", "channel": "巡查"},
    }
    r = import_events(path, mapping=mapping, db=db)
    assert r.rows_accepted == 1 and r.rows_quarantined == 1  # ＳＯＣ is no community of 甲街道
    got = query(db, "SELECT street_id, community_id, category, channel FROM events "
                   "WHERE event_id = 'D1'")  # fmt: skip
    assert got.values.tolist() == [["S01", "S01C01", "环境卫生", "patrol"]]


def test_a_closed_status_without_a_close_time_uses_the_status_time(db, tmp_path):
    path = csv(tmp_path, "s.csv", [
        "service_request_id,requested_datetime,updated_datetime,service_name,status",
        "R1,2026-04-01T09:00:00+08:00,2026-04-02T09:00:00+08:00,Pothole,closed",
        "R2,2026-04-01T09:00:00+08:00,,Pothole,closed",
        "R3,2026-04-01T01:00:00Z,2026-04-03T09:00:00+08:00,Pothole,open",
    ])  # fmt: skip
    r = import_events(path, db=db)
    assert r.preset == "open311" and r.rows_accepted == 3
    got = query(db, "SELECT event_id, reported_at, closed_at FROM events "
                   "WHERE event_id LIKE 'R%' ORDER BY 1")  # fmt: skip
    assert got["closed_at"][0] == pd.Timestamp("2026-04-02 09:00")
    assert pd.isna(got["closed_at"][1]) and pd.isna(got["closed_at"][2])
    assert got["reported_at"][2] == pd.Timestamp("2026-04-01 09:00")  # 01:00Z in Shanghai
    assert any("按未办结计" in note for note in r.notes)


def test_reimporting_does_not_quarantine_the_same_rows_twice(db, tmp_path):
    path = csv(tmp_path, "q.csv", ["event_id,reported_at,category,street",
                                   "Q1,not a date,物业管理,甲街道",
                                   "Q2,2026-04-01 09:00,物业管理,甲街道"])  # fmt: skip
    first = import_events(path, db=db)
    again = import_events(path, db=db)
    assert first.rows_quarantined == again.rows_quarantined == 1
    assert (first.quarantine_new, again.quarantine_new) == (1, 0)
    assert (
        query(db, "SELECT count(*) AS n FROM quarantine WHERE source_file = 'q.csv'")["n"][0] == 1
    )


def test_cli_dry_run_reports_and_writes_nothing(db, tmp_path, capsys):
    path = csv(tmp_path, "c.csv", ["event_id,reported_at,category,street",
                                   "C1,2026-04-01 09:00,物业管理,甲街道"])  # fmt: skip
    before = db.read_bytes()
    assert main(["import", path, "--dry-run", "--db", str(db)]) == 0
    assert "校验完成(未写入数据库):读取 1 行:新增 1" in capsys.readouterr().out
    assert db.read_bytes() == before
    assert main(["import", str(tmp_path / "missing.csv"), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "找不到文件" in err and "Traceback" not in err


def test_the_preview_masks_personal_data_however_it_is_headed_or_written(tmp_path):
    from analytics.ingest.events import preview_file

    path = csv(tmp_path, "p.csv", [
        "工单编号,来电时间,问题分类,联系人,手机号码,诉求内容",
        "P1,2026-04-01 09:00,物业管理,张三丰,+86 138 1234 5678,"
        "住滨江路88号3栋,电话8613812345678或138-1234-5678,身份证110101199003071234",
    ])  # fmt: skip
    shown = preview_file(path).sample.to_csv()
    for secret in ("张三丰", "1234 5678", "12345678", "1234-5678", "88号", "19900307"):
        assert secret not in shown, secret
    assert "张**" in shown and "138****5678" in shown


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"columns": {"event_id": "编号"}, "timezone": "Foo/Bar"}, "不是时区名称"),
        ({"columns": {"event_id": "编号"}, "coordinates": "xyz"}, "coordinates「xyz」"),
        ({"columns": {"event_id": None}}, "表头应为列名文字"),
        ({"columns": {"event_id": "编号"}, "defaults": "x"}, "defaults 应为"),
        ({"columns": {"event_id": "编号"}, "defaults": {"channel": None}}, "应为一个值"),
    ],
)
def test_a_bad_mapping_is_explained(db, tmp_path, mapping, message):
    path = csv(tmp_path, "m.csv", ["编号,时间", "1,2026-01-01"])
    with pytest.raises(ImportFileError, match=message):
        import_events(path, mapping=mapping, db=db)


def test_zones_from_the_cli_the_mapping_and_the_settings(db, tmp_path, monkeypatch, capsys):
    path = csv(tmp_path, "z.csv", ["event_id,reported_at,category,street",
                                   "Z1,2019-11-03 01:30:00,Noise,甲街道",
                                   "Z2,2019-10-06 00:05:55 UTC,Noise,甲街道"])  # fmt: skip
    assert main(["import", path, "--timezone", "America/New_York", "--db", str(db)]) == 0
    got = query(db, "SELECT reported_at FROM events WHERE event_id LIKE 'Z%' ORDER BY 1")
    # a zone-less time is the district's own; '… UTC' is converted (EDT is UTC-4)
    assert list(got["reported_at"]) == [pd.Timestamp("2019-10-05 20:05:55"),
                                        pd.Timestamp("2019-11-03 01:30:00")]  # fmt: skip
    settings = tmp_path / "settings.toml"
    settings.write_text('[district]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    monkeypatch.setenv("GOV_SETTINGS", str(settings))
    mapping = {"columns": {"event_id": "event_id", "reported_at": "reported_at",
                           "category": "category", "street": "street"},
               "timezone": "America/New_York"}  # fmt: skip
    import_events(path, mapping=mapping, db=db)  # written in New York, stored in Tokyo time
    got = query(db, "SELECT reported_at FROM events WHERE event_id LIKE 'Z%' ORDER BY 1")
    # 01:30 on the night clocks go back is read as its first (summer-time) pass, not lost
    assert list(got["reported_at"]) == [pd.Timestamp("2019-10-06 09:05:55"),
                                        pd.Timestamp("2019-11-03 14:30:00")]  # fmt: skip


def test_a_closed_status_never_closes_before_an_earlier_stage(db, tmp_path):
    path = csv(tmp_path, "h.csv", [
        "工单编号,来电时间,处置时间,问题分类,所属街道,工单状态,更新时间",
        "H1,2025-03-05 08:00,2025-03-05 10:00,物业管理,甲街道,已办结,2025-03-05 09:00",
        "H2,2025-03-05 08:00,2025-03-05 10:00,物业管理,甲街道,已办结,2025-03-05 11:00",
    ])  # fmt: skip
    r = import_events(path, db=db)
    assert r.rows_accepted == 2 and r.rows_quarantined == 0
    got = query(db, "SELECT event_id, closed_at FROM events WHERE event_id IN ('H1', 'H2') "
                    "ORDER BY 1")  # fmt: skip
    assert pd.isna(got["closed_at"][0]) and got["closed_at"][1] == pd.Timestamp("2025-03-05 11:00")


def test_placeholder_places_create_no_units(tmp_path):
    path = csv(tmp_path, "u.csv", ["event_id,reported_at,category,street",
                                   "U1,2026-01-01 08:00,Noise,#N/A", "U2,2026-01-01 09:00,Noise,/",
                                   "U3,2026-01-01 10:00,Noise,(blank)",
                                   "U4,2026-01-01 11:00,Noise,Unspecified"])  # fmt: skip
    db = tmp_path / "new.duckdb"
    r = import_events(path, db=db)
    assert r.rows_accepted == 4
    assert query(db, "SELECT count(*) AS n FROM org_units WHERE level = 'street'")["n"][0] == 0


def test_a_title_cell_with_a_line_break_above_the_header(db, tmp_path):
    path = csv(tmp_path, "t.csv", [
        '"某区12345', '工单明细",,', "工单编号,来电时间,问题分类,所属街道",
        "T1,2026-04-01 09:00,物业管理,甲街道", "T2,2026-04-01 10:00,物业管理,甲街道",
    ])  # fmt: skip
    r = import_events(path, db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (2, 2, 0)


def test_a_repeated_or_blank_header_can_still_be_mapped(db, tmp_path):
    from analytics.ingest.events import preview_file

    path = csv(tmp_path, "r.csv", [
        "编号,时间,时间,,街道", "R1,2026-04-01 09:00,2026-04-02 09:00,物业管理,甲街道",
    ])  # fmt: skip
    mapping = {"columns": {"event_id": "编号", "reported_at": "时间", "closed_at": "时间(2)",
                           "category": "第4列", "street": "街道"}}  # fmt: skip
    shown = preview_file(path, mapping=mapping)
    assert shown.headers == ["编号", "时间", "时间(2)", "第4列", "街道"]
    assert import_events(path, mapping=mapping, db=db).rows_accepted == 1
    got = query(db, "SELECT closed_at, category FROM events WHERE event_id = 'R1'")
    assert got.values.tolist() == [[pd.Timestamp("2026-04-02 09:00"), "物业管理"]]
