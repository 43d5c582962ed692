"""Dates marked on trend charts: the built-in Spring Festival, the district's own notes (in
the period and the scope), the CLI that records them, and notes surviving an import."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import annotations
from analytics.__main__ import main
from analytics.access import Scope, scoped
from analytics.connection import connect
from analytics.filters import Filters
from analytics.store import writing
from tests.conftest import query


def test_spring_festival_holiday_is_the_week_from_new_years_eve():
    df = annotations.holidays(date(2026, 1, 1), date(2026, 12, 31))
    assert list(df["day"]) == [date(2026, 2, 16)]  # 除夕; 正月初一 is 17 February 2026
    assert list(df["end"]) == [date(2026, 2, 22)]  # seven days
    assert list(df["kind"]) == ["holiday"] and list(df["title"]) == ["春节"]
    # A period that only touches the holiday's last day still marks it.
    assert len(annotations.holidays(date(2025, 2, 3), date(2025, 3, 1))) == 1  # 1月28日至2月3日
    assert annotations.holidays(date(2025, 2, 4), date(2025, 3, 1)).empty
    two_years = annotations.holidays(date(2024, 1, 1), date(2025, 12, 31))
    assert list(two_years["day"]) == [date(2024, 2, 9), date(2025, 1, 28)]


def _with_notes(db) -> None:
    with writing(db) as con:
        annotations.add(con, date(2026, 3, 10), "防汛演练", "全区", None)
        annotations.add(con, date(2026, 4, 2), "甲街道整治", "只在甲街道", "S01")
        annotations.add(con, date(2026, 4, 3), "乙一社区活动", "", "S02C01")
        annotations.add(con, date(2025, 6, 1), "去年的备注", "", None)


def test_notes_in_the_period_and_the_scope(db):
    _with_notes(db)
    con = connect(db, read_only=True)
    try:
        year = Filters(date(2026, 1, 1), date(2026, 12, 31))
        titles = list(annotations.notes(con, year)["title"])
        assert titles == ["春节", "防汛演练", "甲街道整治", "乙一社区活动"]  # by day; not 2025's
        street = Filters(date(2026, 1, 1), date(2026, 12, 31), street_id="S02")
        assert list(annotations.notes(con, street)["title"]) == ["春节", "防汛演练", "乙一社区活动"]
        grid = Filters(date(2026, 1, 1), date(2026, 12, 31), grid_id="S01C01G01")
        assert "甲街道整治" in set(annotations.notes(con, grid)["title"])  # its street's note
        # A street's account never sees another street's notes, even asking for the district.
        s02 = scoped(con, Scope(street_id="S02"))
        assert "甲街道整治" not in set(annotations.notes(s02, year)["title"])
        march = Filters(date(2026, 3, 1), date(2026, 3, 31))
        row = annotations.notes(con, march).iloc[0]
        assert (row["day"], row["end"], row["detail"], row["kind"]) == (
            date(2026, 3, 10), date(2026, 3, 10), "全区", "note"
        )  # fmt: skip
    finally:
        con.disconnect()


def test_a_file_without_the_notes_table_shows_the_holidays(tiny_db, tmp_path):
    import duckdb

    old = tmp_path / "old.duckdb"
    import shutil

    shutil.copy(tiny_db, old)
    raw = duckdb.connect(str(old))
    raw.execute("DROP TABLE calendar_notes")
    raw.close()
    con = connect(old, read_only=True)
    try:
        df = annotations.notes(con, Filters(date(2026, 1, 1), date(2026, 12, 31)))
    finally:
        con.disconnect()
    assert list(df["title"]) == ["春节"]


def test_notes_survive_an_import(db, tmp_path):
    from analytics.ingest.events import import_events
    from tests.analytics.ingest.test_import import HEADER, hotline_rows, write

    _with_notes(db)
    src = tmp_path / "工单.csv"
    write(src, [HEADER, *hotline_rows()])
    assert import_events(src, preset="hotline", db=db).rows_accepted == 4
    kept = query(db, "SELECT title FROM calendar_notes ORDER BY day")["title"]
    assert list(kept) == ["去年的备注", "防汛演练", "甲街道整治", "乙一社区活动"]


def test_notes_cli_add_list_remove(db, capsys):
    assert (
        main(["notes", "add", "2026-05-01", "<b>暴雨</b>", "--detail", "a&b", "--db", str(db)]) == 0
    )
    assert (
        main(["notes", "add", "2026-05-02", "社区活动", "--unit", "S01C01", "--db", str(db)]) == 0
    )
    capsys.readouterr()
    assert main(["notes", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2026-05-01 <b>暴雨</b>:a&b" in out  # stored as typed; charts escape it
    assert "2026-05-02 [S01C01] 社区活动" in out
    assert main(["notes", "add", "2026-05-03", "x", "--unit", "NOPE", "--db", str(db)]) == 2
    assert main(["notes", "add", "2026-05-03", "  ", "--db", str(db)]) == 2
    assert main(["notes", "add", "05/03", "x", "--db", str(db)]) == 2
    assert main(["notes", "remove", "2026-05-01", "--db", str(db)]) == 0
    left = query(db, "SELECT day, title, unit_id FROM calendar_notes")
    assert left.to_dict("records") == [
        {"day": pd.Timestamp("2026-05-02"), "title": "社区活动", "unit_id": "S01C01"}
    ]


def test_a_note_is_a_short_label():
    with pytest.raises(ValueError, match="最多"):
        annotations.check("长" * (annotations.TITLE_MAX + 1))
    assert annotations.check("  改革 ", " 详情 ") == ("改革", "详情")


def test_the_demo_records_the_reform(demo_db):
    con = connect(demo_db, read_only=True)
    try:
        df = annotations.notes(con, Filters(date(2025, 1, 1), date(2025, 1, 31)))
    finally:
        con.disconnect()
    reform = df[df["kind"] == "note"]
    assert list(zip(reform["day"], reform["title"], strict=True)) == [
        (date(2025, 1, 1), "接诉即办改革")
    ]
    assert "春节" in set(df["title"])  # 除夕 2025 is 28 January
