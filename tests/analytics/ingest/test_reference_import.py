"""Importing grids (GeoJSON), buildings and workers: matches, validation, counts, bad files."""

from __future__ import annotations

import json

import pytest

from analytics import geo
from analytics.__main__ import main
from analytics.ingest.events import import_events
from analytics.ingest.reading import ImportFileError
from analytics.ingest.reference import import_reference
from tests.analytics.ingest.test_import import HEADER, hotline_rows
from tests.conftest import query


def square(lon: float, lat: float, size: float = 0.01) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
             [lon, lat]]]  # fmt: skip


def feature(props: dict, coordinates, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": kind, "coordinates": coordinates}}  # fmt: skip


def geojson(path, features: list[dict]) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_grid_boundaries_update_match_and_are_checked(db, tmp_path):
    bowtie = [[[106.60, 29.60], [106.61, 29.61], [106.61, 29.60], [106.60, 29.61],
               [106.60, 29.60]]]  # fmt: skip
    features = [
        # the existing 第1网格 of 甲一社区, matched by name, with new household figures
        feature({"网格名称": "第1网格", "所属社区": "甲一社区", "户数": 260},
                square(106.50, 29.60)),
        feature({"网格名称": "第2网格", "所属社区": "甲一社区", "户数": "180", "专职网格员数": 1},
                square(106.51, 29.60)),
        feature({"网格名称": "第3网格", "所属社区": "甲一社区"},
                square(106.505, 29.605)),  # overlaps 第1网格
        feature({"网格名称": "第4网格", "所属社区": "甲一社区"}, bowtie),
        feature({"网格名称": "第5网格", "所属社区": "丙社区"}, square(106.53, 29.60)),
        feature({"网格名称": "第6网格", "所属社区": "甲一社区"}, [106.54, 29.60], "Point"),
        feature({"网格名称": "第7网格", "所属社区": "甲一社区", "户数": -5}, square(106.55, 29.60)),
    ]  # fmt: skip
    src = tmp_path / "网格.geojson"
    geojson(src, features)
    r = import_reference(src, "grids", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_updated, r.rows_quarantined) == (7, 1, 1, 5)
    assert set(r.reasons) == {
        "边界与网格重叠(网格之间不能重叠)",
        "边界无效:边界自相交,位置 106.605 29.605",
        "社区在区划中不存在",
        "边界不是面(Polygon/MultiPolygon)",
        "户数应为非负整数",
    }
    grids = query(db, "SELECT * FROM grids WHERE community_id = 'S01C01' ORDER BY grid_id")
    assert list(grids["grid_id"]) == ["S01C01G01", "S01C01G02"]
    assert list(grids["households"]) == [260, 180]
    new = grids.iloc[1]
    assert (new["name"], new["street_id"], new["full_time_workers"]) == ("第2网格", "S01", 1)
    assert new["centroid_lon"] == pytest.approx(106.515)
    assert new["area_km2"] == pytest.approx(0.01 * 0.01 * 111.32 * 0.8695 * 110.574, rel=1e-3)
    q = query(db, "SELECT source_row, raw FROM quarantine ORDER BY source_row")
    assert list(q["source_row"]) == [3, 4, 5, 6, 7]
    assert q["raw"][0].startswith('{"网格名称": "第3网格"')

    again = import_reference(src, "grids", db=db)
    assert (again.rows_accepted, again.rows_updated, again.rows_unchanged) == (0, 0, 2)


def test_gcj02_boundaries_are_converted(db, tmp_path):
    ring = square(106.60, 29.60)[0]
    lon, lat = geo.wgs84_to_gcj02([p[0] for p in ring], [p[1] for p in ring])
    src = tmp_path / "gcj.geojson"
    shifted = [[[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]]
    geojson(src, [feature({"name": "第9网格", "community": "S02C01"}, shifted)])
    r = import_reference(src, "grids", db=db, coordinates="gcj02")
    assert r.rows_accepted == 1
    g = query(db, "SELECT * FROM grids WHERE name = '第9网格'").iloc[0]
    assert (g["grid_id"], g["centroid_lon"]) == ("S02C01G02", pytest.approx(106.605, abs=1e-5))


def test_a_district_from_scratch_grids_first_then_events(tmp_path):
    db = tmp_path / "new.duckdb"
    src = tmp_path / "网格.geojson"
    geojson(src, [
        feature({"网格名称": "第1网格", "所属社区": "甲一社区", "所属街道": "甲街道", "户数": 300},
                square(106.50, 29.60)),
        feature({"网格名称": "第2网格", "所属社区": "甲一社区", "所属街道": "甲街道", "户数": 500},
                square(106.51, 29.60)),
    ])  # fmt: skip
    r = import_reference(src, "grids", db=db)
    assert (r.rows_accepted, r.created_units) == (2, 1 + 1 + 1)  # district, street, community
    events = tmp_path / "工单.csv"
    events.write_text("\n".join([HEADER, *hotline_rows()[:2]]) + "\n", encoding="utf-8")
    e = import_events(events, preset="hotline", db=db)
    assert e.rows_accepted == 2 and e.created_units == 0
    got = query(db, "SELECT DISTINCT grid_id FROM events")
    assert list(got["grid_id"]) == ["S01C01G01"]


def test_buildings_take_their_grid_from_a_column_or_their_position(db, tmp_path):
    src = tmp_path / "楼栋.csv"
    src.write_text(
        "楼栋编号,所属网格,经度,纬度,户数\n"
        "NB1,S01C01G01,106.503,29.603,90\n"
        "NB2,,106.525,29.606,40\n"  # inside 乙一社区's grid
        "NB3,,106.60,29.62,10\n"  # in the district, in no grid
        "B1,S01C01G01,106.502,29.602,125\n"  # an existing building with new figures
        "NB4,第9网格,106.503,29.603,10\n"
        "NB5,S01C01G01,106.503,,10\n",
        encoding="utf-8",
    )
    r = import_reference(src, "buildings", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_updated, r.rows_quarantined) == (6, 2, 1, 3)
    assert set(r.reasons) == {
        "找不到所属网格(未填网格,坐标也不在任何网格边界内)",
        "网格不存在",
        "经纬度为空或不是数字",
    }
    b = query(db, "SELECT * FROM buildings WHERE building_id IN ('NB1', 'NB2', 'B1') ORDER BY 1")
    assert list(b["grid_id"]) == ["S01C01G01", "S01C01G01", "S02C01G01"]
    assert list(b["community_id"]) == ["S01C01", "S01C01", "S02C01"]
    assert list(b["households"]) == [125, 90, 40]


def test_workers_roster_in_gbk(db, tmp_path):
    src = tmp_path / "网格员.csv"
    src.write_bytes(
        (
            "网格员名册\n"
            "工号,姓名,岗位,所属社区,所属网格\n"
            "W9,陈一,专职网格员,甲一社区,第1网格\n"
            "W10,林二,兼职,,S02C01G01\n"
            "W11,周三,街道工作人员,,\n"
            "W12,吴四,志愿者,,S02C01G01\n"
            "W13,郑五,专职网格员,,\n"
            "\n"
            "W1,王小明,专职网格员,,S01C01G01\n"
        ).encode("gbk")
    )
    r = import_reference(src, "workers", db=db)
    assert (r.rows_read, r.rows_accepted, r.rows_unchanged, r.rows_quarantined) == (6, 3, 1, 2)
    assert r.blank_rows == 1
    assert list(r.quarantined["source_row"]) == [4, 5]  # data rows, counted as in the file
    w = query(db, "SELECT * FROM workers WHERE worker_id IN ('W9', 'W10', 'W11') ORDER BY 1")
    assert list(w["role"]) == ["part_time", "street_staff", "full_time"]
    assert list(w["grid_id"].fillna("-")) == ["S02C01G01", "-", "S01C01G01"]


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        ("grids", "a.geojson", b"not json", "不是 GeoJSON 文件"),
        ("grids", "a.geojson", b'{"type": "FeatureCollection", "features": []}', "没有要素"),
        ("grids", "a.geojson", json.dumps({"features": [feature({"x": 1}, square(1, 1))]}).encode(),
         "找不到网格名称或编码"),
        ("buildings", "b.csv", "编号,经度\n1,2\n".encode(), "找不到楼栋清单的表头"),
        ("workers", "w.csv", "工号,岗位\n".encode(), "只有表头"),
    ],
)  # fmt: skip
def test_bad_reference_files_get_one_clear_error(db, tmp_path, kind, name, content, message):
    src = tmp_path / name
    src.write_bytes(content)
    before = db.read_bytes()
    with pytest.raises(ImportFileError, match=message):
        import_reference(src, kind, db=db)
    assert db.read_bytes() == before


def test_cli_imports_each_kind(db, tmp_path, capsys):
    src = tmp_path / "网格.geojson"
    geojson(src, [feature({"网格名称": "第2网格", "所属社区": "甲一社区"}, square(106.51, 29.60))])
    assert main(["import", str(src), "--kind", "grids", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "网格边界" in out and "新增 1" in out
    bad = tmp_path / "w.csv"
    bad.write_text("工号,岗位\n", encoding="utf-8")
    assert main(["import", str(bad), "--kind", "workers", "--db", str(db)]) == 2
    assert "只有表头" in capsys.readouterr().err


def test_grids_into_an_empty_database_match_the_units_they_create(tmp_path):
    src = tmp_path / "网格.geojson"
    geojson(src, [
        feature({"街道": "龙湾街道", "社区": "桂花 社区", "网格名称": "第1网格"},
                square(106.50, 29.60)),
        feature({"街道": "龙湾街道", "社区": "ＡＢ社区", "网格名称": "第1网格"},
                square(106.52, 29.60)),
    ])  # fmt: skip
    db = tmp_path / "new.duckdb"
    r = import_reference(src, "grids", db=db)
    assert (r.rows_accepted, r.rows_quarantined) == (2, 0)
    names = query(db, "SELECT name FROM org_units WHERE level = 'community' ORDER BY name")
    assert list(names["name"]) == ["AB社区", "桂花社区"]


def test_a_new_grid_never_takes_an_existing_grid_id(db, tmp_path):
    first = tmp_path / "a.geojson"
    geojson(first, [feature({"grid_id": "S01C01G07", "网格名称": "第7网格", "所属社区": "S01C01"},
                            square(106.60, 29.60))])  # fmt: skip
    import_reference(first, "grids", db=db)
    second = tmp_path / "b.geojson"
    geojson(second, [feature({"网格名称": "新网格", "所属社区": "S01C01"}, square(106.62, 29.60))])
    r = import_reference(second, "grids", db=db)
    assert (r.rows_accepted, r.rows_updated) == (1, 0)
    grids = query(db, "SELECT grid_id, name FROM grids WHERE community_id = 'S01C01' ORDER BY 1")
    assert dict(zip(grids["grid_id"], grids["name"], strict=True)) == {
        "S01C01G01": "第1网格", "S01C01G02": "新网格", "S01C01G07": "第7网格"
    }  # fmt: skip
