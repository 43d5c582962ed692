"""The command line (``python -m analytics``) and the formats, maps and downloads it shares
with the pages (masking is tested in ``tests/analytics/test_masking.py``)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analytics import formats as fmt
from analytics.__main__ import main
from tests.conftest import REPO

ROOT = REPO


def test_summary_prints_chinese_figures_of_the_tiny_district(tiny_db, capsys):
    assert main(["summary", "--db", str(tiny_db)]) == 0
    out = capsys.readouterr().out
    assert "统计期 2026年1月1日至10月31日" in out
    assert "受理量:7(同比 +133.3%)" in out
    assert "办结率:57.1%(同比 -9.5个百分点)" in out
    assert "积压:3" in out


def test_summary_for_a_unit_and_a_period_beyond_the_data(tiny_db, capsys):
    assert main(["summary", "--db", str(tiny_db), "--unit", "S02", "--period", "last_year"]) == 0
    out = capsys.readouterr().out
    assert "对比期超出数据范围" in out
    assert "受理量:2" in out  # 乙街道 in 2025: the events of 2025-05-01 and 2025-12-15


def test_summary_rejects_an_unknown_unit(tiny_db):
    with pytest.raises(SystemExit, match="找不到单位或网格"):
        main(["summary", "--db", str(tiny_db), "--unit", "NOPE"])


def test_demo_if_missing_leaves_an_existing_database_alone(tiny_db, capsys):
    before = tiny_db.stat().st_mtime_ns
    assert main(["demo", "--db", str(tiny_db), "--if-missing"]) == 0
    assert "跳过生成" in capsys.readouterr().out
    assert tiny_db.stat().st_mtime_ns == before


def test_demo_command_builds_a_database_in_a_new_folder(tmp_path):
    db = tmp_path / "new" / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "demo", "--events", "3000", "--seed", "3", "--db", db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert db.exists() and "完成" in done.stdout


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0"), (99_999, "99,999"), (123_456, "12.3万"), (234_000_000, "2.34亿")]
)
def test_chinese_counts(n, shown):
    assert fmt.count(n) == shown


def test_chinese_durations_and_dates():
    from datetime import date

    assert fmt.hours(0.35) == "21分钟"
    assert fmt.hours(5) == "5.0小时"
    assert fmt.hours(72) == "3.0天"
    assert fmt.period(date(2026, 1, 1), date(2026, 10, 31)) == "2026年1月1日至10月31日"
    assert fmt.change("closure_rate", -0.095) == "-9.5个百分点"
    assert fmt.change("intake", None) is None


def test_times_of_a_column_read_as_each_one_does():
    times = pd.Series(pd.to_datetime(["2026-01-05 09:07:59", "2025-12-31 23:59:00"]))
    assert list(fmt.moments(times)) == ["2026年1月5日 09:07", "2025年12月31日 23:59"]
    assert list(fmt.moments(times)) == [fmt.moment(t) for t in times]
    assert list(fmt.moments(pd.Series([times[0], pd.NaT]))) == ["2026年1月5日 09:07", fmt.MISSING]


def test_changes_that_round_to_zero_read_as_flat():
    assert fmt.change("closure_rate", -0.0004) == fmt.FLAT == "持平"
    assert fmt.change("intake", 0.0004) == "持平"
    assert fmt.change("intake", 0.0006) == "+0.1%"


def test_map_legend_for_identical_values_and_missing_data():
    from analytics import scales

    same = pd.Series([1.0, 1.0, 1.0])  # absolute breaks: identical values still read on them
    scale = scales.for_metric("closure_rate", same)
    assert scale.colour(1.0) == scales.GOOD_TO_BAD[0]
    assert len(scale.legend(same)) == 5
    mixed = pd.Series([0.9, 0.95, 1.0, float("nan")])
    texts = [text for _, text in scale.legend(mixed)]
    assert texts[-1] == "无数据" and len(texts) == 6


def test_summary_explains_bad_dates(tiny_db, capsys):
    assert main(["summary", "--db", str(tiny_db), "--start", "2027-01-01"]) == 2
    assert "没有交集" in capsys.readouterr().err
    assert main(["summary", "--db", str(tiny_db), "--start", "2026/01/01"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_downloads_carry_no_live_formula(tmp_path):
    import io

    from openpyxl import load_workbook

    from ui.downloads import csv_bytes, excel_bytes

    table = pd.DataFrame(
        {
            "业务类别": ['=HYPERLINK("http://x","点我")', "-2+3+cmd|' /C calc'!A0", "@SUM(1)",
                       "\tTAB", "物业管理"],
            "变化": ["-7.2%", "+0.3个百分点", "-1,234", "持平", "+12%"],
            "受理量": [1, -2, 3, 4, 5],
        }
    )  # fmt: skip
    text = csv_bytes(table).decode("utf-8-sig")
    for cell in ("'=HYPERLINK", "'-2+3+cmd", "'@SUM(1)", "'\tTAB"):
        assert cell in text, cell
    for figure in (",-7.2%,", ",+0.3个百分点,", '"-1,234"', ",-2\n"):
        assert figure in text, figure  # our own signed figures and numbers stay as they are
    sheet = load_workbook(io.BytesIO(excel_bytes(table))).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert sheet["A2"].value == '\'=HYPERLINK("http://x","点我")'


def test_file_names_from_unit_names_are_safe_and_unescaped():
    from analytics import formats as fmt

    shown = fmt.plain("坏[点此](http://x.com)街道")
    assert fmt.file_name(f"办结率_{shown}") == "办结率_坏[点此](http_x.com)街道"
    assert fmt.file_name('a/b\\c:d*e?f"g<h>i|j\tk') == "a_b_c_d_e_f_g_h_i_j_k"
    assert fmt.file_name("...") == "下载" and len(fmt.file_name("长" * 500)) == 120


def test_addresses_in_unit_names_are_not_made_links():
    from analytics import formats as fmt

    shown = fmt.plain("龙湾 http://x.com 街道 www.example.com a@b.com")
    assert "http://" not in shown.replace("\\", "") and "www." not in shown.replace("\\", "")
    assert "a@b" not in shown
    assert shown.replace("\u200b", "").replace("\\", "") == (
        "龙湾 http://x.com 街道 www.example.com a@b.com"
    )
