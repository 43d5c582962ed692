"""Reading files: JSON records, and every hostile or malformed input refused in one Chinese
sentence (or, for a stray non-UTF-8 row, quarantined) before anything is expanded."""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely

from analytics.ingest import reading, reference
from analytics.ingest.events import import_events, preview_file
from analytics.ingest.reading import MAX_COLUMNS, NOT_UTF8, ImportFileError, read_sheet
from analytics.ingest.reference import import_reference
from tests.analytics.ingest.test_import import HEADER, hotline_rows
from tests.conftest import REPO, query

ROOT = REPO


def cells(data: bytes, name: str = "x.json") -> tuple[list[str], list[list[str]]]:
    """The header and the body rows read_sheet gives (as an import reads them)."""
    sheet = read_sheet(data, name)
    header = sheet.head[0]
    body = sheet.body(1, len(header))
    return header, body.iloc[:, : len(header)].to_numpy().tolist()


def refused(data: bytes, db, tmp_path, name: str = "bad.csv", preset: str = "hotline") -> str:
    """The one-line message an events import gives; the database unchanged."""
    src = tmp_path / name
    src.write_bytes(data)
    before = db.read_bytes()
    with pytest.raises(ImportFileError) as caught:
        import_events(src, preset=preset, db=db)
    assert db.read_bytes() == before
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------- JSON events


OPEN311 = [
    {
        "service_request_id": "638344",
        "status": "closed",
        "service_name": "Sidewalk and Curb Issues",
        "requested_datetime": "2010-04-19T06:37:38-08:00",
        "updated_datetime": "2010-04-19T06:37:38-08:00",
        "address": "8TH AVE and JUDAH ST, SAN FRANCISCO, CA, 94122",
        "lat": 37.762221815,
        "long": -122.4651145,
        "media_url": None,
    },
    {
        "service_request_id": "638349",
        "status": "open",
        "service_name": "Abandoned Vehicle",
        "requested_datetime": "2010-04-19T06:38:02-08:00",
        "address": "",
        "lat": 37.7,
        "long": -122.41,
        "expected_datetime": "2010-04-21T06:38:02-08:00",
        "priority": 2,
        "public": True,
    },
]


def test_an_open311_georeport_array_is_a_table_of_strings():
    header, rows = cells(json.dumps(OPEN311).encode())
    assert header == [
        "service_request_id", "status", "service_name", "requested_datetime",
        "updated_datetime", "address", "lat", "long", "media_url", "expected_datetime",
        "priority", "public",
    ]  # fmt: skip
    assert rows[0] == [
        "638344", "closed", "Sidewalk and Curb Issues", "2010-04-19T06:37:38-08:00",
        "2010-04-19T06:37:38-08:00", "8TH AVE and JUDAH ST, SAN FRANCISCO, CA, 94122",
        "37.762221815", "-122.4651145", "", "", "", "",
    ]  # fmt: skip
    assert rows[1][4:] == ["", "", "37.7", "-122.41", "", "2010-04-21T06:38:02-08:00", "2", "true"]


def test_wrapped_arrays_json_lines_and_socrata_nested_objects():
    wrapped = json.dumps({"meta": {"count": 2}, "service_requests": OPEN311}, indent=2).encode()
    assert cells(wrapped) == cells(json.dumps(OPEN311).encode())
    assert cells(json.dumps({"data": OPEN311}).encode()) == cells(json.dumps(OPEN311).encode())

    socrata = [  # SODA: strings, null keys left out, nested location, a list
        {"unique_key": "59893920", "created_date": "2024-01-15T09:30:00.000",
         "complaint_type": "Noise - Residential",
         "location": {"latitude": "40.69", "longitude": "-73.99",
                      "human_address": '{"address": "", "city": "", "state": ""}'},
         "tags": ["a", 1]},
        {"unique_key": "59893921", "created_date": "2024-01-15T10:00:00.000",
         "closed_date": "2024-01-16T14:00:00.000", "complaint_type": "噪音"},
    ]  # fmt: skip
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in socrata) + "\n\n"
    header, rows = cells(lines.encode(), "x.jsonl")
    assert header == [
        "unique_key", "created_date", "complaint_type", "location.latitude",
        "location.longitude", "location.human_address", "tags", "closed_date",
    ]  # fmt: skip
    assert rows[0][3:7] == ["40.69", "-73.99", '{"address": "", "city": "", "state": ""}',
                            '["a", 1]']  # fmt: skip
    assert rows[1] == ["59893921", "2024-01-15T10:00:00.000", "噪音", "", "", "", "",
                       "2024-01-16T14:00:00.000"]  # fmt: skip
    assert cells(json.dumps(socrata, indent=1, ensure_ascii=False).encode()) == (header, rows)


def test_json_lines_events_import_like_the_csv(db, tmp_path):
    names = HEADER.split(",")
    records = [dict(zip(names, next(__import__("csv").reader([r])), strict=True))
               for r in hotline_rows() if r]  # fmt: skip
    src = tmp_path / "工单.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    from_json = import_events(src, preset="hotline", db=db, dry_run=True)
    csv_src = tmp_path / "工单.csv"
    csv_src.write_text("\n".join([HEADER, *(r for r in hotline_rows() if r)]), "utf-8")
    from_csv = import_events(csv_src, preset="hotline", db=db, dry_run=True)
    assert from_json.rows_read == from_csv.rows_read == 9
    assert from_json.rows_accepted == from_csv.rows_accepted
    assert from_json.reasons == from_csv.reasons
    assert preview_file(src, preset="hotline").headers == names


def test_a_preview_reads_only_the_first_records_and_rows(tmp_path):
    record = json.dumps({"工单编号": "H1", "来电时间": "2026-03-04 08:15"}, ensure_ascii=False)
    broken = (record + "\n") * 100 + '{"工单编号": "H2", "来电'  # cut off after the head
    assert preview_file(broken.encode(), name="x.jsonl").headers == ["工单编号", "来电时间"]
    with pytest.raises(ImportFileError, match="不是有效的 JSON"):
        read_sheet(broken.encode(), "x.jsonl")
    long_later = ("工单编号,来电时间\n" + "H1,2026-03-04\n" * 100).encode() + b"x" * (5 << 20)
    assert len(preview_file(long_later, name="x.csv").sample) == 10
    with pytest.raises(ImportFileError, match="第 102 行长 5.0 MB"):
        read_sheet(long_later, "x.csv").body(1, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": "FeatureCollection", "features": []}', "是 GeoJSON 地理要素文件,不是事件工单"),
        (b'[{"type": "Feature", "geometry": null, "properties": {}}]', "是 GeoJSON"),
        (b'[{"a": 1}, 2]', "第 2 条记录不是 JSON 对象(而是数字)"),
        (b'[{"a": 1}, {"a": 2}', "不是有效的 JSON(第 3 条记录附近"),
        (b'[{"a": 1} {"a": 2}]', "数组元素之间应为逗号"),
        (b'{"meta": {}, "data": [["1", "2"]]}', "数组的数组(如 Socrata 的 rows.json)"),
        (b"[]", "没有记录"),
        (b"[" * 100_000 + b"]" * 100_000, "嵌套超过 32 层"),
        (("{" + '"a": {' * 40 + "}" * 41).encode(), "嵌套超过 32 层"),
        (b'[{"a": ' + b"[" * 40 + b"]" * 40 + b"}]", "嵌套超过 32 层"),
        (json.dumps([{f"c{i}": i for i in range(MAX_COLUMNS + 1)}]).encode(), "1,001 列"),
    ],
    ids=[
        "geojson",
        "features",
        "not-object",
        "cut",
        "no-comma",
        "rows-json",
        "empty",
        "deep-brackets",
        "deep-objects",
        "deep-lists",
        "columns",
    ],  # fmt: skip
)
def test_bad_json_gets_one_clear_error(db, tmp_path, content, message):
    assert message in refused(content, db, tmp_path, "bad.json")


# ---------------------------------------------------------------- hostile files


def far_cell_workbook(path: Path, cell: str | None) -> None:
    """A tiny .xlsx whose sheet declares A1:XFD1048576, with one cell at ``cell`` (or none)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in hotline_rows()[:2]:
        sheet.append(next(__import__("csv").reader([row])))
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>',
                              data.decode())  # fmt: skip
                if cell:
                    row = re.sub(r"\D", "", cell)
                    far = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
                    text = text.replace("</sheetData>", far + "</sheetData>")
                data = text.encode()
            dst.writestr(item, data)
    path.write_bytes(out.getvalue())


def test_an_xlsx_with_a_lone_cell_at_xfd1048576_is_refused_in_bounded_memory(db, tmp_path):
    far_cell_workbook(tmp_path / "far.xlsx", "XFD1048576")
    assert len((tmp_path / "far.xlsx").read_bytes()) < 20_000
    before = db.read_bytes()
    with pytest.raises(
        ImportFileError, match=re.escape("在 XFD1048576 单元格(第 16,384 列)有内容")
    ):
        import_events(tmp_path / "far.xlsx", preset="hotline", db=db)
    assert db.read_bytes() == before
    # declared A1:XFD1048576 but no far cell: read as the cells it has, nothing padded
    far_cell_workbook(tmp_path / "declared.xlsx", None)
    sheet = read_sheet((tmp_path / "declared.xlsx").read_bytes(), "declared.xlsx")
    assert len(sheet.head) == 3 and len(sheet.head[0]) == len(HEADER.split(","))
    assert sheet.body(1, len(sheet.head[0])).shape == (2, len(HEADER.split(",")) + 16)


def test_a_far_cell_within_the_column_bound_reads_as_blank_rows(tmp_path):
    far_cell_workbook(tmp_path / "far.xlsx", "B1048576")
    sheet = read_sheet((tmp_path / "far.xlsx").read_bytes(), "far.xlsx")
    body = sheet.body(1, len(sheet.head[0]))
    assert len(body) == 1_048_575
    assert body.iloc[-1, 1] == "x" and (body.iloc[2:-1] == "").all().all()


def test_an_xlsx_that_unpacks_beyond_the_bound_is_refused(db, tmp_path, monkeypatch):
    far_cell_workbook(tmp_path / "book.xlsx", None)
    monkeypatch.setattr(reading, "MAX_UNZIPPED_BYTES", 10_000)
    message = refused((tmp_path / "book.xlsx").read_bytes(), db, tmp_path, "b.xlsx")
    assert "解压后有" in message and "超过 0.0 MB 的上限" in message


def test_hostile_csv_files_get_one_clear_error(db, tmp_path):
    head = (HEADER + "\n" + hotline_rows()[0] + "\n").encode()
    field = head + b'H9,2026-03-04 08:15,,,,,,,,,,,,,,"' + b"x" * (10 << 20) + b'"\n'
    assert "第 3 行长 10.0 MB,超过每行 4.0 MB 的上限" in refused(field, db, tmp_path)
    line = b"x" * (50 << 20)
    assert "第 1 行长 50.0 MB" in refused(line, db, tmp_path)
    nul = head * 200 + b"H9,\x00\x00,x\n"
    assert "第 401 行含空字符(NUL" in refused(nul, db, tmp_path)
    wide = (",".join(f"列{i}" for i in range(20_000)) + "\n" + "1," * 19_999 + "1\n").encode()
    assert "有 20,000 列,超过 1,000 列的上限" in refused(wide, db, tmp_path)


def test_files_above_the_size_bound_are_refused_before_they_are_read(db, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)
    message = refused(b"x" * 1001, db, tmp_path)
    assert "超过单个文件 0.0 MB 的上限" in message
    with pytest.raises(ImportFileError, match="超过单个文件"):
        preview_file(b"x" * 1001, name="x.csv")


def test_the_upload_limit_is_the_file_size_bound():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] << 20 == reading.MAX_FILE_BYTES


def test_a_utf8_file_with_one_gbk_cell_quarantines_that_row_and_imports_the_rest(db, tmp_path):
    rows = hotline_rows()  # the last, H7, is accepted: its description is made GBK
    good = ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")
    mixed = good.replace("坏满意度".encode(), "满意度很差".encode("gbk"))
    assert not reading._is_utf8(mixed)
    (tmp_path / "good.csv").write_bytes(good)
    (tmp_path / "mixed.csv").write_bytes(mixed)
    clean = import_events(tmp_path / "good.csv", preset="hotline", db=db, dry_run=True)
    result = import_events(tmp_path / "mixed.csv", preset="hotline", db=db)
    assert result.rows_read == clean.rows_read
    assert result.rows_accepted == clean.rows_accepted - 1
    assert result.rows_quarantined == clean.rows_quarantined + 1
    assert result.reasons[NOT_UTF8] == 1
    q = query(db, f"SELECT source_row, raw FROM quarantine WHERE reason = '{NOT_UTF8}'")
    assert list(q["source_row"]) == [10]
    assert q["raw"][0].startswith("H7,") and q["raw"][0].endswith(",满意度很差")  # read as GBK
    assert "H7" not in set(query(db, "SELECT event_id FROM events")["event_id"])
    sample = preview_file(mixed, name="mixed.csv", preset="hotline", rows=20).sample
    assert sample.iloc[-1, -1] == "满意度很差"  # the preview shows the row readably too


def test_a_gbk_file_is_still_read_as_gbk_and_garbage_is_refused(db, tmp_path):
    rows = hotline_rows()
    gbk = ("\n".join([HEADER, *rows]) + "\n").encode("gb18030")
    header, body = cells(gbk, "x.csv")
    assert header == HEADER.split(",") and body[0][-1] == "楼道堆物,无人清理"
    ascii_head = ("a,b\n" * 50).encode() + "1,中文\n".encode("gb18030")
    assert cells(ascii_head, "x.csv")[1][-1] == ["1", "中文"]
    assert "编码无法识别" in refused(b"\xff\xfe\xfa\xfb\xfc\x81\x30\xff\n", db, tmp_path)


def test_a_json_file_with_one_gbk_string_marks_that_record():
    text = json.dumps([{"id": "1", "内容": "好"}, {"id": "2", "内容": "X"}], ensure_ascii=False)
    data = text.encode().replace(b'"X"', b'"' + "坏".encode("gbk") + b'"')
    sheet = read_sheet(data, "x.json")
    body = sheet.body(1, 2)
    assert body.iloc[:, :2].to_numpy().tolist() == [["1", "好"], ["2", "坏"]]
    assert sheet.problems == {1: NOT_UTF8}


def test_a_ragged_file_reads_through_the_chunked_tolerant_path(monkeypatch):
    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    rows = [f"{i},{'x' * (i % 3)}" + ("," if i % 4 == 0 else "") for i in range(10)]
    sheet = read_sheet(("a,b\n" + "\n".join(rows) + "\n").encode(), "x.csv")
    body = sheet.body(1, 2)
    assert body.shape == (10, 18) and body[0].tolist() == [str(i) for i in range(10)]
    assert body[1].tolist()[:3] == ["", "x", "xx"] and body[2].tolist() == [""] * 10


# ---------------------------------------------------------------- GeoJSON grids


def grid_file(path: Path, features: list) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")


def wiggly_square(lon: float, lat: float, vertices: int) -> list:
    """A 0.01° square whose edges wiggle by ~1 m, with ``vertices`` vertices."""
    t = np.linspace(0, 4, vertices, endpoint=False)
    side, along = np.floor(t), t % 1
    x = np.select([side == 0, side == 1, side == 2], [along, 1, 1 - along], 0)
    y = np.select([side == 0, side == 1, side == 2], [0, along, 1], 1 - along)
    wiggle = 1e-5 * np.sin(t * 2000) * np.sin(np.pi * along)  # none at the corners
    ring = np.c_[
        lon + 0.01 * x + wiggle * (side % 2 == 1), lat + 0.01 * y + wiggle * (side % 2 == 0)
    ]
    return [np.vstack([ring, ring[:1]]).round(8).tolist()]


def feature(name: str, coordinates, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": {"网格名称": name, "所属社区": "甲一社区"},
            "geometry": {"type": kind, "coordinates": coordinates}}  # fmt: skip


def test_a_grid_file_above_the_vertex_bound_is_simplified_to_it(db, tmp_path):
    src = tmp_path / "网格.geojson"
    grid_file(src, [feature("第2网格", wiggly_square(106.51, 29.60, 400_000))])
    result = import_reference(src, "grids", db=db)
    assert result.rows_accepted == 1
    assert any("共 400,001 个顶点" in note and "已简化为" in note for note in result.notes)
    stored = query(db, "SELECT geometry, area_km2 FROM grids WHERE name = '第2网格'")
    geom = shapely.from_geojson(stored["geometry"][0])
    assert 1000 < shapely.get_num_coordinates(geom) <= reference.GRID_VERTICES
    assert geom.is_valid
    assert stored["area_km2"][0] == pytest.approx(0.01 * 0.01 * 111.32 * 0.8695 * 110.574, rel=0.01)


def test_grid_files_beyond_the_hard_vertex_bound_or_without_feature_objects_are_refused(
    db, tmp_path, monkeypatch
):
    def message(features) -> str:
        src = tmp_path / "网格.geojson"
        grid_file(src, features)
        with pytest.raises(ImportFileError) as caught:
            import_reference(src, "grids", db=db)
        return str(caught.value)

    million = [feature("第2网格", wiggly_square(106.51, 29.60, 1_000_000))]
    assert "有约 1,000,0" in message(million)  # from the bracket count, before parsing
    monkeypatch.setattr(reference, "GRID_VERTICES", 1_000)
    monkeypatch.setattr(reference, "GRID_VERTICES_REFUSED", 5_000)
    big = [feature("第2网格", wiggly_square(106.51, 29.60, 5_500))]  # counted when parsed
    assert "有 5,501 个顶点,超过 5,000 个的上限" in message(big)
    assert "第 2 个要素不是 JSON 对象(而是 list)" in message([feature("a", []), [1, 2]])
    assert "第 1 个要素不是 JSON 对象(而是 str)" in message(["Feature"])
    src = tmp_path / "events.json"
    src.write_text(json.dumps(OPEN311), "utf-8")
    with pytest.raises(ImportFileError, match="像是记录数据.*--kind events"):
        import_reference(src, "grids", db=db)
    src.write_bytes(b'{"features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    monkeypatch.undo()
    with pytest.raises(ImportFileError, match="嵌套过深"):
        import_reference(src, "grids", db=db)
