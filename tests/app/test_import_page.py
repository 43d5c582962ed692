"""The import page (数据导入) under AppTest: preview, mapping, validation, import, result."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from analytics import formats as fmt
from tests.analytics.ingest.test_import import HEADER, hotline_rows
from tests.apptest import app_test, open_page
from tests.conftest import query

PAGE = "pages/import.py"


def upload(at: AppTest, name: str, content: bytes, preset: str = "hotline") -> AppTest:
    at.file_uploader(key="imp_file_events").set_value((name, content, "text/csv"))
    at.radio(key="imp_preset").set_value(preset)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def hotline_file() -> bytes:
    return ("12345热线工单导出\n" + "\n".join([HEADER, *hotline_rows()]) + "\n").encode("gb18030")


def event_count(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM events").iloc[0, 0])


def test_preview_finds_the_header_maps_the_columns_and_masks_personal_data(db, monkeypatch):
    at = upload(open_page(db, monkeypatch, PAGE), "工单.csv", hotline_file())
    assert "第 2 行为表头,共 16 列" in at.markdown[0].value
    sample = at.dataframe[0].value
    assert list(sample["工单编号"][:2]) == ["H1", "H2"]
    assert sample["来电人"][0] == "王*"
    assert sample["联系电话"][0] == "138****5678"
    assert "13812345678" not in sample.to_csv()
    assert at.selectbox(key="imp_col_reported_at").value == "来电时间"
    assert at.selectbox(key="imp_col_street").value == "所属街道"
    assert at.selectbox(key="imp_default_channel").value == "hotline"
    assert not at.warning


def test_validate_counts_without_writing_then_import_writes_and_the_overview_shows_it(
    db, monkeypatch
):
    at = upload(open_page(db, monkeypatch, PAGE), "工单.csv", hotline_file())
    before = db.read_bytes()
    click(at, "校验(不写入)")
    assert db.read_bytes() == before
    assert at.info[-1].value.startswith("校验完成(未写入数据库):读取 9 行:新增 4")
    figures = {m.label: m.value for m in at.metric}
    assert figures == {"读取(行)": "9", "新增(行)": "4", "更新(行)": "0", "未变(行)": "1",
                       "隔离(行)": "4"}  # fmt: skip
    assert any("「吐槽」" in c.value for c in at.caption)  # unknown type kept as 其他, said so
    click(at, "导入")
    assert at.success[0].value.startswith("导入完成:读取 9 行:新增 4")
    assert event_count(db) == 12 + 4
    reasons = at.dataframe[1].value
    assert reasons["行数"].sum() == 4
    rows = at.dataframe[2].value
    assert list(rows["数据行号"]) == [5, 6, 7, 9]
    assert "不是可识别的日期时间" in " ".join(rows["原因"])
    history = at.dataframe[-1].value
    assert history["文件"][0] == "工单.csv"
    assert (history["读取"][0], history["隔离"][0]) == (9, 4)

    at.switch_page("pages/overview.py")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["受理量"] == "11"  # 7 events this year + 4


def test_manual_mapping_of_unknown_headers(db, monkeypatch):
    content = (
        "编号,时间,类别,街道名,社区名,渠道\n"
        "M1,2026-05-01 10:00,环境卫生,甲街道,甲一社区,随手拍\n"
        "M2,2026-05-02 10:00,噪音扰民,甲街道,甲一社区,随手拍\n"
    ).encode()
    at = upload(open_page(db, monkeypatch, PAGE), "自定义.csv", content, preset="manual")
    assert at.warning, "the required columns are not mapped yet"
    assert all(b.disabled for b in at.button if b.label in ("导入", "校验(不写入)"))
    for column, header in {
        "event_id": "编号",
        "reported_at": "时间",
        "category": "类别",
        "street": "街道名",
        "community": "社区名",
        "channel": "渠道",
    }.items():
        at.selectbox(key=f"imp_col_{column}").set_value(header)
    at.selectbox(key="imp_default_event_type").set_value("complaint")
    at.run()
    assert not at.warning
    click(at, "导入")
    assert at.success[0].value.startswith("导入完成:读取 2 行:新增 2")
    got = query(
        db,
        "SELECT event_id, channel, event_type, community_id FROM events "
        "WHERE event_id LIKE 'M%' ORDER BY 1",
    )
    assert got.values.tolist() == [
        ["M1", "app", "complaint", "S01C01"], ["M2", "app", "complaint", "S01C01"]
    ]  # fmt: skip


def test_a_bad_file_gets_its_message_and_nothing_else(db, monkeypatch):
    name = "坏[点此](http://example.com).csv"  # the message shows the name, never a link
    at = upload(open_page(db, monkeypatch, PAGE), name, "工单编号,来电时间\n".encode("utf-16"))
    assert "不是文本表格" in at.error[0].value
    assert fmt.plain(name) in at.error[0].value
    assert not at.button


def test_the_page_works_before_any_data_exists(tmp_path, monkeypatch):
    db = tmp_path / "new.duckdb"
    monkeypatch.setenv("GOV_DB", str(db))
    at = app_test()
    at.run()
    assert "数据导入" in at.error[0].value  # the overview points to the import page
    at.switch_page(PAGE)
    at.run()
    assert not at.exception and not at.error
    assert "还没有导入记录" in at.caption[-1].value
    upload(at, "工单.csv", hotline_file())
    click(at, "导入")
    assert at.success[0].value.startswith("导入完成")
    # district + 1 street + 2 communities (the file's unknown one too: nothing exists to
    # match against) + 2 grids
    assert "新增 5" in at.success[0].value and "新建区划/网格 6 个" in at.success[0].value
    assert event_count(db) == 5


def test_grid_boundaries_through_the_page_then_the_overview_maps_them(db, monkeypatch):
    from tests.analytics.ingest.test_reference_import import feature, square

    at = open_page(db, monkeypatch, PAGE)
    at.segmented_control(key="imp_kind").set_value("grids")
    at.run()
    assert "GeoJSON 面要素" in at.info[0].value
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature({"网格名称": "第2网格", "所属社区": "甲一社区", "户数": 150},
                    square(106.51, 29.60)),
            feature({"网格名称": "第3网格", "所属社区": "甲一社区"}, square(106.505, 29.605)),
        ],
    }  # fmt: skip
    content = json.dumps(doc, ensure_ascii=False).encode()
    at.file_uploader(key="imp_file_grids").set_value(("网格.geojson", content, "application/json"))
    at.run()
    click(at, "校验(不写入)")
    assert at.info[0].value.startswith("校验完成(未写入数据库):读取 2 行:新增 1")
    click(at, "导入")
    assert at.success[0].value.startswith("导入完成:读取 2 行:新增 1")
    assert "重叠" in " ".join(at.dataframe[0].value["原因"])
    assert at.dataframe[-1].value["类型"][0] == "网格"

    at.switch_page("pages/overview.py")
    at.run()
    assert not at.exception
    [deck] = [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]
    names = {d["name"] for d in deck["layers"][0]["data"]}
    assert "第2网格" in names


def test_a_file_with_only_a_bom_is_explained(db, monkeypatch):
    at = upload(open_page(db, monkeypatch, PAGE), "空.csv", b"\xef\xbb\xbf", preset="auto")
    assert "没有任何内容" in at.error[0].value or "空文件" in at.error[0].value
