"""Importing event exports: messy files, bad files, counts, updates, atomicity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import geo
from analytics.__main__ import main
from analytics.ingest.events import import_events
from analytics.ingest.reading import ImportFileError
from analytics.ingest.values import parse_timestamps
from analytics.store import StoreBusy, writing
from tests.conftest import query

HEADER = (
    "工单编号,来电时间,受理时间,派单时间,办结时间,诉求类型,问题分类,所属街道,所属社区,所属网格,"
    "满意度,是否解决,来电人,联系电话,地址,诉求内容"
)


def hotline_rows() -> list[str]:
    ok = "甲街道,甲一社区,第1网格"
    return [
        f"H1,2026-03-04 08:15,2026/3/4 8:40,,2026年3月5日 10:00,投诉,物业管理,{ok},满意,是,"
        f'王五,13812345678,某路1号,"楼道堆物,无人清理"',
        f"H2,2026/3/4 9:15,2026/3/4 9:20,2026/3/4 9:30,46086.5,求助,噪音扰民,{ok},基本满意,否,"
        ",,,晚上施工",
        "",
        f"H1,2026-03-04 08:15,2026/3/4 8:40,,2026年3月5日 10:00,投诉,物业管理,{ok},满意,是,"
        f'王五,13812345678,某路1号,"楼道堆物,无人清理"',
        f"H3,2026-13-04 08:15,,,,投诉,物业管理,{ok},,,,,,坏日期",
        f"H4,2026-03-04 08:15,2026-03-04 07:00,,,投诉,物业管理,{ok},,,,,,受理早于来电",
        "H5,2026-03-04 08:15,,,,投诉,物业管理,甲街道,不存在社区,第1网格,,,,,,未知社区",
        f"H6,2026-03-04 08:15,,,,吐槽,物业管理,{ok},,,,,,未知类型",
        f"H2,2026/3/4 9:15,2026/3/4 9:20,2026/3/4 9:30,46086.5,求助,噪音扰民,{ok},不满意,否,"
        ",,,晚上施工",
        f"H7,2026-03-04 08:15,,,,投诉,物业管理,{ok},很好,,,,,坏满意度",
    ]


def write(path, lines: list[str], encoding: str = "gb18030", title: bool = True) -> None:
    text = ("12345热线工单导出(2026年3月)\n" if title else "") + "\n".join(lines) + "\n\n"
    path.write_bytes(text.encode(encoding))


def test_messy_gb18030_hotline_export(db, tmp_path):
    src = tmp_path / "工单.csv"
    write(src, [HEADER, *hotline_rows()])
    before = query(db, "SELECT count(*) AS n FROM events")["n"][0]
    r = import_events(src, preset="hotline", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_updated, r.rows_unchanged) == (9, 4, 0, 1)
    assert r.rows_quarantined == 4 and r.blank_rows == 2
    assert query(db, "SELECT count(*) AS n FROM events")["n"][0] == before + 4
    ev = query(db, "SELECT * FROM events WHERE event_id IN ('H1', 'H2') ORDER BY event_id")
    assert list(ev["street_id"]) == ["S01", "S01"] and list(ev["grid_id"]) == ["S01C01G01"] * 2
    assert list(ev["channel"]) == ["hotline", "hotline"]
    assert list(ev["event_type"]) == ["complaint", "request"]
    assert ev["closed_at"][1] == pd.Timestamp("2026-03-05 12:00")  # Excel serial 46086.5
    assert ev["description"][0] == "楼道堆物,无人清理"
    assert list(ev["board"]) == ["livelihood", "economy"]  # from the category catalogue
    odd = query(db, "SELECT event_type, satisfaction FROM events WHERE event_id IN ('H6', 'H7') "
                    "ORDER BY event_id")  # fmt: skip
    assert list(odd["event_type"]) == ["other", "complaint"]  # 吐槽: unknown, kept as other
    assert odd["satisfaction"].isna().all()  # 很好: unknown rating, kept as not rated
    assert r.other_values == {"event_type": 1, "satisfaction": 1}
    assert any("「吐槽」" in note and "其他类型" in note for note in r.notes)
    q = query(db, "SELECT * FROM quarantine WHERE import_id = ? ORDER BY source_row", [r.import_id])
    assert list(q["source_row"]) == [5, 6, 7, 9]
    reasons = list(q["reason"])
    assert reasons[0] == "上报时间「2026-13-04 08:15」不是可识别的日期时间"
    assert reasons[1] == "受理时间早于上报时间:环节时间必须依次不早于前一环节"
    assert reasons[2] == "社区「不存在社区」不在所属街道之下"
    assert reasons[3] == "事件编号「H2」在本文件中重复且内容不同,以第一次出现的行为准"
    assert q["raw"][0].startswith("H3,2026-13-04 08:15")
    log = query(db, "SELECT * FROM imports WHERE import_id = ?", [r.import_id]).iloc[0]
    assert log["rows_read"] == sum(
        log[c] for c in ("rows_accepted", "rows_updated", "rows_unchanged", "rows_quarantined")
    )
    assert log["kind"] == "events" and log["file_name"] == "工单.csv"


def test_reimport_changes_nothing_and_a_newer_export_updates(db, tmp_path):
    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()[:2]], encoding="utf-8-sig")
    import_events(src, preset="hotline", db=db)
    events = query(db, "SELECT * FROM events ORDER BY event_id")
    again = import_events(src, preset="hotline", db=db)
    assert (again.rows_accepted, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    pd.testing.assert_frame_equal(query(db, "SELECT * FROM events ORDER BY event_id"), events)
    newer = hotline_rows()[1].replace("基本满意", "满意")
    write(src, [HEADER, hotline_rows()[0], newer], encoding="utf-8")
    r = import_events(src, preset="hotline", db=db)
    assert (r.rows_accepted, r.rows_updated, r.rows_unchanged) == (0, 1, 1)
    h2 = query(db, "SELECT satisfaction FROM events WHERE event_id = 'H2'")
    assert list(h2["satisfaction"]) == ["satisfied"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "是空文件"),
        (b"PK\x03\x04\x14\x00\x00\x00", "不是可读取的 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "旧版 Excel"),
        ("工单编号,来电时间\n".encode("utf-16"), "不是文本表格"),
        (b"\xff\xfe\xfa\xfb\xfc\x81\x30\xff\n", "编码无法识别"),
        (HEADER.encode("gb18030") + b"\n\n\n", "只有表头,没有数据行"),
        ("编号,时间,内容\n1,2,3\n".encode(), "找不到12345热线/网格平台工单导出的表头"),
        ("工单编号,来电时间,所属街道\nH1,2026-01-01,甲街道\n".encode(), "缺少必需列:业务类别"),
    ],
    ids=[
        "empty",
        "zip",
        "xls",
        "utf16",
        "garbage",
        "header-only",
        "not-hotline",
        "missing-category",
    ],
)
def test_bad_files_get_one_clear_error_and_change_nothing(db, tmp_path, content, message):
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    before = db.read_bytes()
    with pytest.raises(ImportFileError, match=message):
        import_events(src, preset="hotline", db=db)
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("*.writing*"))


def test_missing_files_and_presets_are_explained(db, tmp_path):
    with pytest.raises(ImportFileError, match="找不到文件"):
        import_events(tmp_path / "nope.csv", db=db)
    csv_file = tmp_path / "x.csv"
    csv_file.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="没有名为 nope 的预设"):
        import_events(csv_file, preset="nope", db=db)


def hotline_workbook(path, rows: list[list]) -> None:
    """An .xlsx export: a merged title row, a two-row header with merged cells, typed cells."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "工单"
    names = HEADER.split(",")
    sheet.append(["12345热线工单导出"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(names))
    # Row 2 groups the four times under 时间节点; the other headers span rows 2-3.
    sheet.append([n if not n.endswith("时间") else "时间节点" for n in names])
    sheet.append([n if n.endswith("时间") else None for n in names])
    for column, header in enumerate(names, 1):
        if not header.endswith("时间"):
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    sheet.merge_cells(start_row=2, start_column=2, end_row=2, end_column=5)
    for row in rows:
        sheet.append(row)
    sheet.append([])
    book.save(path)


def test_excel_export_with_merged_headers_and_typed_cells(db, tmp_path):
    from datetime import datetime

    place = ["甲街道", "甲一社区", "第1网格"]
    rows = [
        ["XL1", datetime(2026, 3, 4, 8, 15), "2026/3/4 8:40", None, 46086.5, "投诉", "物业管理",
         *place, "满意", True, "王五", 13812345678, "某路1号", "楼道堆物"],
        ["XL2", datetime(2026, 3, 4, 9, 0), None, None, None, "求助", "噪音扰民",
         *place, None, None, None, None, None, "晚上施工"],
        [None] * 16,
        ["XL3", "2026年3月4日 9时", datetime(2026, 3, 4, 8, 0), None, None, "投诉", "物业管理",
         *place, None, None, None, None, None, "受理早于上报"],
    ]  # fmt: skip
    src = tmp_path / "工单.xlsx"
    hotline_workbook(src, rows)
    r = import_events(src, preset="hotline", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined, r.blank_rows) == (3, 2, 1, 1)
    events = query(db, "SELECT * FROM events WHERE event_id LIKE 'XL%' ORDER BY event_id")
    x1 = events.iloc[0]
    assert x1["reported_at"] == pd.Timestamp("2026-03-04 08:15")
    assert x1["closed_at"] == pd.Timestamp("2026-03-05 12:00")  # Excel serial 46086.5
    assert (x1["reporter_phone"], x1["resolved"]) == ("13812345678", True)
    q = query(db, "SELECT source_row, raw, reason FROM quarantine")
    assert list(q["source_row"]) == [4]
    assert q["reason"][0].startswith("受理时间早于上报时间"), q["reason"][0]
    assert q["raw"][0].startswith("XL3\t2026年3月4日 9时\t2026-03-04 08:00:00")


def test_a_dry_run_counts_like_the_import_and_changes_nothing(db, tmp_path):
    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()])
    before = db.read_bytes()
    dry = import_events(src, preset="hotline", db=db, dry_run=True, name="上传.csv")
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("*.writing*"))
    real = import_events(src, preset="hotline", db=db)
    assert (dry.rows_read, dry.rows_accepted, dry.rows_quarantined, dry.reasons) == (
        real.rows_read, real.rows_accepted, real.rows_quarantined, real.reasons
    )  # fmt: skip
    assert dry.file_name == "上传.csv"


def test_a_crash_during_the_import_leaves_the_database_as_it_was(db, tmp_path, monkeypatch):
    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()])
    before = db.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("analytics.ingest.rows._reason_counts", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        import_events(src, preset="hotline", db=db)
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("*.writing*"))


def test_one_writer_at_a_time(db, tmp_path):
    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()[:1]])
    with writing(db), pytest.raises(StoreBusy, match="另一个导入或生成任务正在写入"):
        import_events(src, preset="hotline", db=db)


def test_units_are_created_when_the_database_knows_none_of_them(tmp_path):
    db = tmp_path / "new.duckdb"
    src = tmp_path / "a.csv"
    lines = [
        "event_id,reported_at,event_type,channel,category,street,community,grid",
        "E1,2026-01-02 10:00,complaint,app,环境卫生,东街道,东一社区,第1网格",
        "E2,2026-01-03 10:00,petition,visit,矛盾纠纷,东街道,东二社区,",
        "E3,2026-01-04 10:00,hazard,patrol,消防安全,西街道,西一社区,第2网格",
    ]
    write(src, lines, encoding="utf-8", title=False)
    r = import_events(src, db=db)
    assert (r.rows_accepted, r.rows_quarantined, r.created_units) == (3, 0, 1 + 2 + 3 + 2)
    ev = query(db, "SELECT event_id, street_id, community_id, grid_id FROM events ORDER BY 1")
    assert ev.fillna("").values.tolist() == [
        ["E1", "S01", "S01C01", "S01C01G01"],
        ["E2", "S01", "S01C02", ""],
        ["E3", "S02", "S02C01", "S02C01G01"],
    ]
    # Now that the hierarchy exists, an unknown community is quarantined, not created.
    write(
        src, [lines[0], "E4,2026-01-05 10:00,complaint,app,环境卫生,东街道,北社区,"], "utf-8", False
    )
    r = import_events(src, db=db)
    assert r.rows_quarantined == 1
    assert r.reasons == {"社区不在所属街道之下": 1}


def test_cli_import_prints_counts_and_fails_cleanly(db, tmp_path, capsys):
    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()])
    assert main(["import", str(src), "--preset", "hotline", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "读取 9 行:新增 4,更新 0,未变 1,隔离 4(另跳过空行 2)" in out
    assert "说明:事件类型有 1 行为空或无法识别(如「吐槽」),记为「其他类型」" in out
    assert main(["import", str(src), "--preset", "open311", "--db", str(db)]) == 2
    assert "数据库未做任何改动" in capsys.readouterr().err
    assert main(["import", str(src), "--db", str(db)]) == 0  # auto recognises the hotline export
    assert "自动识别为「12345热线/网格平台工单导出」" in capsys.readouterr().out


def test_cli_import_with_a_yaml_mapping_and_gcj02_coordinates(db, tmp_path, capsys):
    wlon, wlat = 106.5012, 29.6034
    glon, glat = geo.wgs84_to_gcj02(wlon, wlat)
    src = tmp_path / "a.csv"
    lines = [
        "编号,时间,类别,街道名,社区名,经度,纬度",
        f"M1,2026-02-01 09:00,物业管理,乙街道,乙一社区,{glon},{glat}",
    ]
    write(src, lines, encoding="utf-8", title=False)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  event_id: 编号\n  reported_at: 时间\n  category: 类别\n"
        "  street_id: 街道名\n  community_id: 社区名\n  lon: 经度\n  lat: 纬度\n"
        "defaults:\n  channel: app\n  event_type: complaint\ncoordinates: gcj02\n",
        encoding="utf-8",
    )
    assert main(["import", str(src), "--mapping", str(mapping), "--db", str(db)]) == 0
    ev = query(db, "SELECT lon, lat, channel, street_id FROM events WHERE event_id = 'M1'")
    assert abs(ev["lon"][0] - wlon) < 1e-6 and abs(ev["lat"][0] - wlat) < 1e-6
    assert (ev["channel"][0], ev["street_id"][0]) == ("app", "S02")


def test_coordinates_outside_the_district_are_quarantined(db, tmp_path):
    src = tmp_path / "a.csv"
    lines = [
        "event_id,reported_at,event_type,channel,category,street_id,community_id,lon,lat",
        "C1,2026-02-01 09:00,complaint,app,物业管理,S01,S01C01,116.4,39.9",
    ]
    write(src, lines, encoding="utf-8", title=False)
    r = import_events(src, db=db)
    assert r.reasons == {"坐标不在本区范围内": 1}
    reason = query(db, "SELECT reason FROM quarantine WHERE import_id = ?", [r.import_id])
    assert reason["reason"][0] == "坐标「116.4, 39.9」不在本区范围内"


def test_timestamp_formats():
    values = pd.Series(
        ["2025-03-04 08:15", "2025/3/4 8:15", "2025年3月4日 8:15", "2025-03-04T08:15:30",
         "2025-03-04", "45720.34375", "", None, "2025-02-30", "昨天"]
    )  # fmt: skip
    parsed, bad = parse_timestamps(values)
    t = pd.Timestamp("2025-03-04 08:15")
    assert list(parsed[:3]) == [t, t, t]
    assert parsed[3] == pd.Timestamp("2025-03-04 08:15:30")
    assert parsed[4] == pd.Timestamp("2025-03-04")
    assert parsed[5] == pd.Timestamp("2025-03-04 08:15")
    assert list(bad) == [False] * 8 + [True, True]


def test_gcj02_and_bd09_round_trips():
    lon, lat = np.array([106.5, 106.62]), np.array([29.55, 29.7])
    g = geo.wgs84_to_gcj02(lon, lat)
    assert np.all(np.abs(np.array(g) - np.array([lon, lat])) > 1e-4)  # a real offset
    back = geo.gcj02_to_wgs84(*g)
    assert np.allclose(back, [lon, lat], atol=1e-6)
    bd = (106.5123, 29.5567)
    w = geo.convert_to_wgs84(*bd, "bd09")
    assert abs(w[0] - bd[0]) < 0.02 and abs(w[1] - bd[1]) < 0.02


def test_timestamps_after_the_import_are_quarantined(db, tmp_path):
    src = tmp_path / "a.csv"
    lines = [
        "event_id,reported_at,closed_at,deadline_at,event_type,channel,category,street_id,community_id",
        "F1,2026-02-01 09:00,2062-03-02 10:00,,complaint,app,物业管理,S01,S01C01",
        "F2,2026-02-01 09:00,,2099-01-01,complaint,app,物业管理,S01,S01C01",
    ]
    write(src, lines, encoding="utf-8", title=False)
    r = import_events(src, db=db)
    assert (r.rows_accepted, r.rows_quarantined) == (1, 1)
    assert r.reasons == {"办结时间晚于导入时间,可能是录入错误": 1}


OPEN311_HEADER = (
    "Unique Key,Created Date,Closed Date,Agency,Complaint Type,Descriptor,Incident Address,"
    "Status,Due Date,Community Board,Borough,Open Data Channel Type,Latitude,Longitude"
)


def open311_rows() -> list[str]:
    return [
        "101,01/15/2024 09:30:00 AM,01/16/2024 02:00:00 PM,NYPD,Noise - Residential,Loud Music,"
        "1 MAIN ST,Closed,,01 BROOKLYN,BROOKLYN,PHONE,40.690000,-73.990000",
        "102,01/15/2024 11:05:00 PM,,DOT,Street Condition,Pothole,,Open,02/15/2024 11:05:00 PM,"
        "05 QUEENS,QUEENS,ONLINE,40.720000,-73.800000",
        "103,02/01/2024 08:00:00 AM,02/01/2024 09:00:00 AM,HPD,HEAT/HOT WATER,,,Closed,,"
        "01 BROOKLYN,BROOKLYN,MOBILE,,",
        "101,01/15/2024 09:30:00 AM,01/16/2024 02:00:00 PM,NYPD,Noise - Residential,Loud Music,"
        "1 MAIN ST,Closed,,01 BROOKLYN,BROOKLYN,PHONE,40.690000,-73.990000",  # exact duplicate
        "",
        "104,03/01/2024 10:00:00 AM,02/28/2024 10:00:00 AM,DSNY,Dirty Condition,,,Closed,,"
        "05 QUEENS,QUEENS,PHONE,40.700000,-73.810000",  # closed before created
        "105,03/02/2024 10:00:00 AM,,DSNY,Dirty Condition,,,Open,,05 QUEENS,QUEENS,PHONE,"
        "40.700000,",  # latitude without longitude
        "106,13/02/2024 10:00:00 AM,,DSNY,Dirty Condition,,,Open,,05 QUEENS,QUEENS,PHONE,,",
    ]


def test_messy_open311_export_creates_its_units_and_needs_no_grids(tmp_path):
    db = tmp_path / "nyc.duckdb"
    src = tmp_path / "311_Service_Requests.csv"
    src.write_bytes(("\n".join([OPEN311_HEADER, *open311_rows()]) + "\n").encode("utf-8-sig"))
    r = import_events(src, preset="open311", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_unchanged, r.rows_quarantined) == (7, 3, 1, 3)
    assert r.blank_rows == 1
    assert r.created_units == 1 + 2 + 2  # district, BROOKLYN and QUEENS, two boards, no grids
    assert set(r.reasons) == {
        "办结时间早于上报时间:环节时间必须依次不早于前一环节",
        "经度和纬度要么都填,要么都不填",
        "上报时间不是可识别的日期时间",
    }
    units = query(db, "SELECT level, name FROM org_units ORDER BY unit_id")
    assert list(units["name"]) == ["本区", "BROOKLYN", "01 BROOKLYN", "QUEENS", "05 QUEENS"]
    assert query(db, "SELECT count(*) AS n FROM grids")["n"][0] == 0
    events = query(db, "SELECT * FROM events ORDER BY event_id")
    assert list(events["event_id"]) == ["101", "102", "103"]
    first = events.iloc[0]
    assert first["reported_at"] == pd.Timestamp("2024-01-15 09:30")
    assert first["closed_at"] == pd.Timestamp("2024-01-16 14:00")
    assert (first["channel"], first["event_type"], first["handler_unit"]) == (
        "hotline", "request", "NYPD"
    )  # fmt: skip
    assert (first["lon"], first["lat"]) == (-73.99, 40.69)
    assert events["grid_id"].isna().all()
    assert events.iloc[1]["deadline_at"] == pd.Timestamp("2024-02-15 23:05")


def test_the_fast_reader_reads_a_regular_file_exactly_like_the_tolerant_one():
    from analytics.ingest.reading import csv_body, regular_body

    text = '标题\na,b,c\n1,"逗号,和""引号""",3\n4,"换\n行",6\n\n,,\n7,8,9\n\n'
    utf8 = text.encode("utf-8")
    fast = regular_body(utf8, ",", 2, 3)
    tolerant = csv_body(utf8, ",", 2, 3, "x.csv")
    assert fast is not None
    pd.testing.assert_frame_equal(fast, tolerant.iloc[:, :3], check_dtype=False)
    assert list(fast[1][:2]) == ['逗号,和"引号"', "换\n行"]
    # A record with a missing or an extra cell: the fast reader cannot say where, so it declines.
    assert regular_body(utf8 + b"10,11\n", ",", 2, 3) is None
    assert regular_body(utf8 + b"10,11,12,13\n", ",", 2, 3) is None


def test_readers_keep_working_during_an_import_and_see_it_once_it_commits(db, tmp_path):
    from analytics.connection import connect
    from ui.data import _identity

    def intake(con) -> int:
        return int(con.table("events").count().execute())

    reader = connect(db, read_only=True)  # the dashboard's open connection
    before, identity = intake(reader), _identity(str(db))
    seen = []

    def progress(stage: str, fraction: float) -> None:
        seen.append((stage, intake(reader)))  # a page rerun while the import is under way

    src = tmp_path / "a.csv"
    write(src, [HEADER, *hotline_rows()[:2]])
    import_events(src, preset="hotline", db=db, progress=progress)
    assert [n for _, n in seen] == [before] * len(seen) and len(seen) >= 3
    assert intake(reader) == before  # the open connection still reads its consistent file
    reader.disconnect()
    assert _identity(str(db)) != identity  # so ui.data opens the new file on the next rerun
    fresh = connect(db, read_only=True)
    assert intake(fresh) == before + 2
    fresh.disconnect()


def test_messy_canonical_export(db, tmp_path):
    header = (
        "event_id,channel,event_type,category,street_id,community_id,grid_id,lon,lat,"
        "reported_at,accepted_at,closed_at,deadline_at,handling_type,resolved_level,satisfaction,"
        "resolved,reporter_phone"
    )
    rows = [
        "C1,hotline,complaint,物业管理,S01,S01C01,S01C01G01,106.505,29.605,"
        "2026-04-01 09:00:00,2026-04-01 09:30:00,2026-04-02 09:00:00,2026-04-05 09:00:00,"
        "promised,grid,satisfied,true,13800001111",
        "C2,随手拍,隐患,消防安全,甲街道,甲一社区,,,,"  # labels instead of codes, names for units
        "2026/4/2 10:00,,,,即办件,,,,",
        ",,,,,,,,,,,,,,,,,",  # blank (only delimiters)
        "C1,hotline,complaint,物业管理,S01,S01C01,S01C01G01,106.505,29.605,"
        "2026-04-01 09:00:00,2026-04-01 09:30:00,2026-04-02 09:00:00,2026-04-05 09:00:00,"
        "promised,grid,satisfied,true,13800001111",  # exact duplicate
        "C3,hotline,complaint,物业管理,S01,S02C01,,,,2026-04-03 10:00,,,,,,,,",  # wrong parent
        "C4,pigeon,complaint,物业管理,S01,S01C01,,,,2026-04-03 10:00,,,,,,,,",  # unknown channel
        "C5,hotline,complaint,物业管理,S01,S01C01,,200,29.6,2026-04-03 10:00,,,,,,,,",
        "C6,hotline,complaint,物业管理,S01,S01C01,,,,2026-04-03 10:00,,,,,street,,maybe,",
    ]
    src = tmp_path / "events.csv"
    src.write_bytes(("\n".join([header, *rows]) + "\n").encode("utf-8-sig"))
    r = import_events(src, db=db)  # auto: recognised as canonical
    assert r.preset == "canonical" and "标准列名" in r.preset_reason
    assert (r.rows_read, r.rows_accepted, r.rows_unchanged, r.rows_quarantined) == (7, 4, 1, 2)
    assert r.blank_rows == 1
    assert set(r.reasons) == {"社区不在所属街道之下", "坐标不在本区范围内"}
    assert r.other_values == {"channel": 1, "resolved": 1}
    odd = query(db, "SELECT channel, resolved FROM events WHERE event_id IN ('C4', 'C6') "
                    "ORDER BY event_id")  # fmt: skip
    assert odd["channel"][0] == "other" and pd.isna(odd["resolved"][1])
    c2 = query(db, "SELECT * FROM events WHERE event_id = 'C2'").iloc[0]
    assert (c2["channel"], c2["event_type"], c2["handling_type"]) == ("app", "hazard", "immediate")
    assert (c2["street_id"], c2["community_id"], c2["board"]) == ("S01", "S01C01", "safety")


def test_an_import_is_stamped_on_the_districts_clock(db, tmp_path):
    """The freshness line shows when the last import ran: on the district's clock, like every
    time in the file, not the server's (a UTC server is eight hours behind Beijing). A zone
    fourteen hours ahead of UTC tells the two apart on any server."""
    from analytics.settings import local_now

    src = tmp_path / "工单.csv"
    write(src, [HEADER, *hotline_rows()])
    zone = "Pacific/Kiritimati"
    before = local_now(zone)
    import_events(src, preset="hotline", db=db, timezone=zone)
    after = local_now(zone)
    row = query(db, "SELECT started_at, finished_at FROM imports ORDER BY started_at DESC LIMIT 1")
    started, finished = row["started_at"][0], row["finished_at"][0]
    slack = pd.Timedelta(seconds=1)  # stored to the microsecond, compared as wall-clock times
    assert before - slack <= started <= finished <= after + slack
