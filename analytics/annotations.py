"""Dates worth marking on a trend chart: the Spring Festival holiday (a calendar fact, built
in) and the notes a district records (a reform, a flood, a campaign).

A dip in the week of 春节 or a step on the day of a reform is then read as what it is, not
as a change in how the grids work. Note text is typed by users: callers show it as plain
text only (``formats.chart_text`` in charts, never Markdown).

Notes live in two places. Those added from the dashboard (页面“日期标注”) or the CLI are in
the admin SQLite database (``analytics.admin_db``), for the reason targets are there: an
edit must not rewrite the event store or republish it to Spark. Notes already in the DuckDB
table ``calendar_notes`` (the demo, older deployments) keep showing beside them. Analysts and
admins may add and remove notes (:func:`refusal`); each change leaves a ``note_history`` row
and, from the page or the CLI, an audit entry.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound

from analytics import access, admin_db
from analytics.accounts import User
from analytics.filters import Filters

TABLE = "calendar_notes"
# 正月初一 of each year: the Spring Festival moves with the lunar calendar.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
HOLIDAY_DAYS = 7  # 除夕 to 初六, the customary seven-day break
COLUMNS = ["day", "end", "title", "detail", "unit_id", "kind"]
TITLE_MAX = 40  # characters of a note's title: a label on a chart, not a paragraph
DETAIL_MAX = 500
# Where a note lives, as the list on the page and the CLI say it.
SOURCES = {"admin": "看板录入", "store": "数据库"}
LIST_COLUMNS = ["id", "day", "title", "detail", "unit_id", "created_at", "created_by", "source"]
ADMIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day        TEXT NOT NULL,
    title      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    unit_id    TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_day ON notes (day);
CREATE TABLE IF NOT EXISTS note_history (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    login   TEXT NOT NULL,
    action  TEXT NOT NULL,
    note_id INTEGER NOT NULL,
    day     TEXT NOT NULL,
    title   TEXT NOT NULL,
    unit_id TEXT
);
CREATE TRIGGER IF NOT EXISTS note_history_no_update BEFORE UPDATE ON note_history
BEGIN SELECT RAISE(ABORT, 'note_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS note_history_no_delete BEFORE DELETE ON note_history
BEGIN SELECT RAISE(ABORT, 'note_history is append-only'); END;
"""


def holidays(start: date, end: date) -> pd.DataFrame:
    """The Spring Festival holidays overlapping ``start``–``end`` (the ``notes`` columns)."""
    rows = []
    for new_year in SPRING_FESTIVAL.values():
        first = new_year - timedelta(days=1)  # 除夕
        last = first + timedelta(days=HOLIDAY_DAYS - 1)
        if first <= end and last >= start:
            rows.append(
                {
                    "day": first,
                    "end": last,
                    "title": "春节",
                    "detail": f"春节假期(除夕至初六,{first.month}月{first.day}日至"
                    f"{last.month}月{last.day}日);受理量通常回落,节后回升",
                    "unit_id": None,
                    "kind": "holiday",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def notes(
    con: BaseBackend,
    f: Filters,
    admin: str | os.PathLike | None = None,
    units: pd.DataFrame | None = None,
    grids: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The dates to mark on ``f``'s trend charts: the district's notes in the period and its
    scope (those of the store's ``calendar_notes`` and, given ``admin``, those of the admin
    database), and the built-in holidays; columns day, end, title, detail, unit_id, kind
    ("note" or "holiday"), by day. A note of a unit shows where that unit or one it lies in
    or contains is selected; a note without a unit shows everywhere. ``units`` and ``grids``:
    the scope's ``org_units`` and grids (grid_id, community_id) when the caller holds them,
    else read."""
    recorded = _recorded(con, f, admin, units, grids)
    frames = [df for df in (recorded, holidays(f.start, f.end)) if not df.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["day", "kind", "title"]).reset_index(drop=True)


def _in_store(con: BaseBackend, f: Filters | None) -> pd.DataFrame:
    """The store's own notes (in ``f``'s period, or all): day, title, detail, unit_id,
    created_at; empty for a file written before notes existed."""
    columns = ["day", "title", "detail", "unit_id", "created_at"]
    try:
        t = access.unscoped(con).table(TABLE)
    except TableNotFound:
        return pd.DataFrame(columns=columns)
    if f is not None:
        t = t.filter((t.day >= f.start) & (t.day <= f.end))
    df = t.select(*columns).order_by("day").execute()
    df["day"] = pd.to_datetime(df["day"]).dt.date
    return df


def _recorded(con: BaseBackend, f: Filters, admin, units, grids) -> pd.DataFrame:
    parts = [_in_store(con, f)]
    if admin is not None:
        parts.append(load(admin, f.start, f.end))
    parts = [p[["day", "title", "detail", "unit_id"]] for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(parts, ignore_index=True)
    related = _related_units(con, f, units, grids)
    df = df[df["unit_id"].isna() | df["unit_id"].isin(related)]
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["end"] = df["day"]
    df["kind"] = "note"
    df["detail"] = df["detail"].fillna("")
    return df[COLUMNS].reset_index(drop=True)


def _related_units(con: BaseBackend, f: Filters, units=None, grids=None) -> set[str]:
    """Units whose notes belong on ``f``'s charts: those the viewer may see (``con`` is
    scoped) on the line from the district to the selected unit, and every unit inside it."""
    if units is None:
        units = con.table("org_units").select("unit_id", "parent_id").to_pandas()
    if grids is None:
        grids = con.table("grids").select("grid_id", "community_id").to_pandas()
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    parent |= dict(zip(grids["grid_id"], grids["community_id"], strict=True))
    selected = f.grid_id or f.community_id or f.street_id
    if selected is None:
        return set(parent)
    above, unit = set(), selected
    while unit is not None and unit not in above:
        above.add(unit)
        unit = parent.get(unit)
    below = {u for u in parent if _inside(u, selected, parent)}
    return (above | below) & set(parent)


def _inside(unit: str, ancestor: str, parent: dict) -> bool:
    seen = set()
    while unit is not None and unit not in seen:
        if unit == ancestor:
            return True
        seen.add(unit)
        unit = parent.get(unit)
    return False


# ---------------------------------------------------------------- writing (the CLI)


def check(title: str, detail: str = "") -> tuple[str, str]:
    """A note's title and detail, trimmed; ValueError with a Chinese reason when unusable."""
    title, detail = (title or "").strip(), (detail or "").strip()
    if not title:
        raise ValueError("备注标题不能为空。")
    if len(title) > TITLE_MAX:
        raise ValueError(f"备注标题最多 {TITLE_MAX} 个字(图上只放得下短标签),详情可写在 --detail。")
    if len(detail) > DETAIL_MAX:
        raise ValueError(f"备注详情最多 {DETAIL_MAX} 个字。")
    return title, detail


def remove(con, day: date, title: str | None = None) -> int:
    """Delete the notes of ``day`` (only the one titled ``title`` when given); how many."""
    where, params = "day = ?", [day]
    if title is not None:
        where, params = "day = ? AND title = ?", [day, title.strip()]
    n = con.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params).fetchone()[0]
    con.execute(f"DELETE FROM {TABLE} WHERE {where}", params)
    return int(n)


# ---------------------------------------------------------------- the admin database


def _history(con: sqlite3.Connection, at: str, by: str, action: str, row: Mapping) -> None:
    con.execute(
        "INSERT INTO note_history (at, login, action, note_id, day, title, unit_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, by, action, row["id"], row["day"], row["title"], row["unit_id"]),
    )


def put(
    path: str | os.PathLike,
    day: date,
    title: str,
    detail: str = "",
    unit_id: str | None = None,
    *,
    by: str,
    units: Collection[str] | None = None,
    zone: str = "Asia/Shanghai",
) -> int:
    """Record a note in the admin database and return its id. ``title`` and ``detail`` as
    :func:`check` allows; ``unit_id`` (None: the district) one of ``units`` (the streets,
    communities and grids; None leaves it unchecked). ValueError, in Chinese, otherwise."""
    title, detail = check(title, detail)
    unit_id = (unit_id or "").strip() or None
    if unit_id is not None and units is not None and unit_id not in set(units):
        raise ValueError(f"没有编码为 {unit_id} 的街道、社区或网格。")
    if not isinstance(day, date):
        raise ValueError("请给出日期。")
    at = admin_db.now(zone)
    with admin_db.opened_with(path, ADMIN_SCHEMA) as con, admin_db.transaction(con):
        cur = con.execute(
            "INSERT INTO notes (day, title, detail, unit_id, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (day.isoformat(), title, detail, unit_id, at, by),
        )
        note_id = int(cur.lastrowid)
        row = {"id": note_id, "day": day.isoformat(), "title": title, "unit_id": unit_id}
        _history(con, at, by, "add", row)
    return note_id


def delete(
    path: str | os.PathLike, note_id: int, *, by: str, zone: str = "Asia/Shanghai"
) -> dict | None:
    """Remove the admin database's note ``note_id``; the note as it was (id, day, title,
    detail, unit_id), or None when there was none."""
    with admin_db.opened_with(path, ADMIN_SCHEMA) as con, admin_db.transaction(con):
        found = con.execute(
            "SELECT id, day, title, detail, unit_id FROM notes WHERE id = ?", (int(note_id),)
        ).fetchone()
        if found is None:
            return None
        row = dict(zip(("id", "day", "title", "detail", "unit_id"), found, strict=True))
        con.execute("DELETE FROM notes WHERE id = ?", (int(note_id),))
        _history(con, admin_db.now(zone), by, "remove", row)
    return row


def load(
    path: str | os.PathLike, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """The admin database's notes (those from ``start`` to ``end`` when given), by day:
    ``LIST_COLUMNS``, source "admin". A missing file has none (and is not created)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=LIST_COLUMNS)
    low = (start or date.min).isoformat()
    high = (end or date.max).isoformat()
    with admin_db.opened_with(path, ADMIN_SCHEMA) as con:
        rows = con.execute(
            "SELECT id, day, title, detail, unit_id, created_at, created_by FROM notes"
            " WHERE day >= ? AND day <= ? ORDER BY day, id",
            (low, high),
        ).fetchall()
    df = pd.DataFrame(rows, columns=LIST_COLUMNS[:-1])
    df["day"] = [date.fromisoformat(d) for d in df["day"]]
    units = pd.Series([row[4] or None for row in rows], index=df.index, dtype=object)
    return df.assign(unit_id=units, source="admin")


def version(path: str | os.PathLike) -> int:
    """A number that grows with every change of the admin database's notes (0 without any):
    part of a cache key, so that a note added on one page shows on the next run of every
    other."""
    if not Path(path).exists():
        return 0
    with admin_db.opened_with(path, ADMIN_SCHEMA) as con:
        return int(con.execute("SELECT coalesce(max(id), 0) FROM note_history").fetchone()[0])


def history(path: str | os.PathLike, limit: int = 500) -> pd.DataFrame:
    """The latest ``limit`` changes, newest first: at, login, action (add / remove),
    note_id, day, title, unit_id."""
    columns = ["at", "login", "action", "note_id", "day", "title", "unit_id"]
    if not Path(path).exists():
        return pd.DataFrame(columns=columns)
    with admin_db.opened_with(path, ADMIN_SCHEMA) as con:
        rows = con.execute(
            f"SELECT {', '.join(columns)} FROM note_history ORDER BY id DESC LIMIT ?",
            (int(limit),),
        ).fetchall()
    return pd.DataFrame(rows, columns=columns)


def listing(con: BaseBackend, admin: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every note ``con``'s viewer may see (district-wide ones and those of units in the
    scope), from both places, by day: ``LIST_COLUMNS``; ``id`` is the admin database's
    (None for the store's), ``source`` "admin" or "store"."""
    store = _in_store(con, None).assign(id=None, created_by="", source="store")
    if not store.empty:
        store["created_at"] = pd.to_datetime(store["created_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    parts = [p for p in (store, load(admin) if admin is not None else None) if p is not None]
    parts = [p[LIST_COLUMNS] for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=LIST_COLUMNS)
    df = pd.concat(parts, ignore_index=True)
    units = con.table("org_units").select("unit_id").to_pandas()["unit_id"]
    grids = con.table("grids").select("grid_id").to_pandas()["grid_id"]
    visible = set(units) | set(grids)
    df = df[df["unit_id"].isna() | df["unit_id"].isin(visible)]
    df = df.assign(detail=df["detail"].fillna(""), id=df["id"].astype(object))
    return df.sort_values(["day", "title"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- who may note


def refusal(
    user: User,
    scope: access.Scope,
    unit_id: str | None,
    parent: Mapping[str, str | None],
) -> str | None:
    """Why ``user`` (whose data is ``scope``) may not add or remove a note of ``unit_id``
    (None: the whole district), in Chinese; None when they may. Analysts and admins note; an
    analyst of a street or community notes only for units inside it (``parent``: unit →
    the unit it lies in, grids included), never for the whole district."""
    if not user.can_annotate:
        return "只有分析员和管理员可以添加或删除日期标注。"
    if scope.whole:
        return None
    if unit_id is None:
        return "您的账号只能为本单位及其下属单位添加或删除日期标注,不能为全区添加。"
    if not _inside(unit_id, scope.unit_id, parent):
        return f"单位 {unit_id} 不在您的授权范围内:只能为本单位及其下属单位添加或删除日期标注。"
    return None
