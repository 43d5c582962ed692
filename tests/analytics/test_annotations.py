"""Dates marked on trend charts: the built-in Spring Festival, the district's own notes (in
the period and the scope), the CLI that records them, and notes surviving an import."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics import annotations, audit
from analytics.__main__ import main
from analytics.access import Scope, scoped
from analytics.connection import connect
from analytics.filters import Filters
from analytics.store import writing
from tests.conftest import insert, query


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


def _store_notes(con, *notes: tuple) -> None:
    """Notes in the store's own ``calendar_notes`` (as the demo and older deployments have
    them): (day, title, detail, unit_id) each."""
    rows = [
        {"day": d, "title": t, "detail": x, "unit_id": u, "created_at": datetime(2026, 1, 1)}
        for d, t, x, u in notes
    ]
    insert(con, annotations.TABLE, rows)


def _with_notes(db) -> None:
    with writing(db) as con:
        _store_notes(
            con,
            (date(2026, 3, 10), "防汛演练", "全区", None),
            (date(2026, 4, 2), "甲街道整治", "只在甲街道", "S01"),
            (date(2026, 4, 3), "乙一社区活动", "", "S02C01"),
            (date(2025, 6, 1), "去年的备注", "", None),
        )


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


def test_notes_from_the_units_the_app_holds_are_the_same(db):
    """The app hands ``notes`` the units and grids it has cached (``ui.data``); the notes are
    those it would find reading them itself, for every selection and scope."""
    from analytics import queries

    _with_notes(db)
    con = connect(db, read_only=True)
    try:
        for scope in (Scope(), Scope(street_id="S02")):
            viewer = scoped(con, scope)
            units, grids = queries.org_units(viewer), queries.grid_reference(viewer)
            for selection in ({}, {"street_id": "S01"}, {"community_id": "S02C01"},
                              {"grid_id": "S01C01G01"}):  # fmt: skip
                f = Filters(date(2026, 1, 1), date(2026, 12, 31), **selection)
                read = annotations.notes(viewer, f)
                assert len(read) > 1  # the holiday and at least one note
                held = annotations.notes(viewer, f, None, units, grids)
                assert held.equals(read), (scope, selection)
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


def test_notes_cli_add_list_remove(db, tmp_path, monkeypatch, capsys):
    admin = tmp_path / "admin.sqlite"
    monkeypatch.setenv("GOV_ADMIN_DB", str(admin))
    with writing(db) as con:  # an older note of the store itself
        _store_notes(con, (date(2026, 5, 2), "旧备注", "", None))
    stamp = db.stat().st_mtime_ns
    assert (
        main(["notes", "add", "2026-05-01", "<b>暴雨</b>", "--detail", "a&b", "--db", str(db)]) == 0
    )
    assert (
        main(["notes", "add", "2026-05-02", "社区活动", "--unit", "S01C01", "--db", str(db)]) == 0
    )
    assert db.stat().st_mtime_ns == stamp  # the event store is not rewritten
    stored = annotations.load(admin)
    assert list(zip(stored["day"], stored["title"], stored["unit_id"], strict=True)) == [
        (date(2026, 5, 1), "<b>暴雨</b>", None),
        (date(2026, 5, 2), "社区活动", "S01C01"),
    ]
    assert stored["created_by"].str.startswith("命令行").all()
    capsys.readouterr()
    assert main(["notes", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2026-05-01 <b>暴雨</b>:a&b\t(看板录入 命令行" in out  # stored as typed
    assert "2026-05-02 [S01C01] 社区活动\t(看板录入" in out
    assert "2026-05-02 旧备注\t(数据库)" in out
    assert main(["notes", "add", "2026-05-03", "x", "--unit", "NOPE", "--db", str(db)]) == 2
    assert main(["notes", "add", "2026-05-03", "  ", "--db", str(db)]) == 2
    assert main(["notes", "add", "05/03", "x", "--db", str(db)]) == 2
    assert len(annotations.load(admin)) == 2  # nothing stored by the refused ones
    assert main(["notes", "remove", "2026-05-01", "--db", str(db)]) == 0
    assert list(annotations.load(admin)["title"]) == ["社区活动"]
    assert db.stat().st_mtime_ns == stamp  # nothing of the store's on that day
    assert main(["notes", "remove", "2026-05-02", "--title", "旧备注", "--db", str(db)]) == 0
    assert query(db, "SELECT count(*) AS n FROM calendar_notes")["n"][0] == 0
    assert list(annotations.load(admin)["title"]) == ["社区活动"]  # another title: kept
    logged = audit.query(admin)
    assert sorted(logged["action"]) == ["note_add", "note_add", "note_remove"]


def test_admin_notes_round_trip_with_history(tmp_path):
    path = tmp_path / "admin.sqlite"
    assert annotations.version(path) == 0 and not path.exists()  # reading creates nothing
    units = ["S01", "S01C01", "S01C01G01"]
    first = annotations.put(path, date(2026, 3, 1), " 改革 ", "详情", None, by="ana", units=units)
    second = annotations.put(path, date(2026, 2, 1), "整治", "", "S01C01", by="ana", units=units)
    df = annotations.load(path)
    assert list(df["id"]) == [second, first]  # by day
    assert list(df["title"]) == ["整治", "改革"] and list(df["unit_id"]) == ["S01C01", None]
    assert list(df["source"]) == ["admin", "admin"] and set(df["created_by"]) == {"ana"}
    assert list(annotations.load(path, date(2026, 2, 15), date(2026, 3, 1))["id"]) == [first]
    assert annotations.version(path) == 2
    with pytest.raises(ValueError, match="没有编码为 S09"):
        annotations.put(path, date(2026, 3, 1), "x", unit_id="S09", by="ana", units=units)
    with pytest.raises(ValueError, match="不能为空"):
        annotations.put(path, date(2026, 3, 1), " ", by="ana")
    removed = annotations.delete(path, first, by="adm")
    assert removed == {"id": first, "day": "2026-03-01", "title": "改革", "detail": "详情",
                       "unit_id": None}  # fmt: skip
    assert annotations.delete(path, first, by="adm") is None
    assert annotations.version(path) == 3
    changes = annotations.history(path)
    assert list(zip(changes["login"], changes["action"], changes["title"], strict=True)) == [
        ("adm", "remove", "改革"),
        ("ana", "add", "整治"),
        ("ana", "add", "改革"),
    ]


def test_both_places_merge_on_the_charts_and_in_the_list(db, tmp_path):
    _with_notes(db)  # the store: 防汛演练 (全区), 甲街道整治 (S01), 乙一社区活动 (S02C01), 2025
    admin = tmp_path / "admin.sqlite"
    annotations.put(admin, date(2026, 4, 1), "看板全区", by="ana")
    annotations.put(admin, date(2026, 5, 1), "看板甲一", unit_id="S01C01", by="ana")
    con = connect(db, read_only=True)
    try:
        year = Filters(date(2026, 1, 1), date(2026, 12, 31))
        assert list(annotations.notes(con, year)["title"]) == [
            "春节",
            "防汛演练",
            "甲街道整治",
            "乙一社区活动",
        ]  # fmt: skip  (no admin database given: the store's only)
        both = annotations.notes(con, year, admin)
        assert list(both["title"]) == [
            "春节", "防汛演练", "看板全区", "甲街道整治", "乙一社区活动", "看板甲一"
        ]  # fmt: skip
        assert set(both.loc[both["kind"] == "note", "end"]) == set(
            both.loc[both["kind"] == "note", "day"]
        )
        s02 = scoped(con, Scope(street_id="S02"))
        seen = list(annotations.notes(s02, year, admin)["title"])
        assert seen == ["春节", "防汛演练", "看板全区", "乙一社区活动"]  # not S01's
        listed = annotations.listing(s02, admin)
        assert list(zip(listed["title"], listed["source"], strict=True)) == [
            ("去年的备注", "store"),
            ("防汛演练", "store"),
            ("看板全区", "admin"),
            ("乙一社区活动", "store"),
        ]
        assert listed["id"].isna().tolist() == [True, True, False, True]
    finally:
        con.disconnect()


PARENT = {"S01": "D", "S02": "D", "S01C01": "S01", "S02C01": "S02", "S01C01G01": "S01C01"}


def test_analysts_and_admins_note_a_scoped_analyst_only_inside_the_scope():
    from analytics.accounts import User

    district, s01 = Scope(), Scope(street_id="S01")
    admin = User(login="a", role="admin")
    analyst = User(login="b", role="analyst")
    street_analyst = User(login="c", role="analyst", unit_id="S01")
    assert admin.can_annotate and analyst.can_annotate and not street_analyst.is_admin
    for user in (admin, analyst):
        assert annotations.refusal(user, district, None, PARENT) is None
        assert annotations.refusal(user, district, "S02C01", PARENT) is None
    for role, scope in (
        ("street", s01),
        ("community", Scope("S01", "S01C01")),
        ("leader", district),
    ):
        user = User(login="d", role=role, unit_id=scope.unit_id)
        assert not user.can_annotate
        assert "只有分析员和管理员" in annotations.refusal(user, scope, scope.unit_id, PARENT)
    assert annotations.refusal(street_analyst, s01, "S01", PARENT) is None
    assert annotations.refusal(street_analyst, s01, "S01C01G01", PARENT) is None
    assert "不在您的授权范围" in annotations.refusal(street_analyst, s01, "S02C01", PARENT)
    assert "不能为全区" in annotations.refusal(street_analyst, s01, None, PARENT)


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
