"""Dates worth marking on a trend chart: the Spring Festival holiday (a calendar fact, built
in) and the notes a district records (``calendar_notes``: a reform, a flood, a campaign).

A dip in the week of 春节 or a step on the day of a reform is then read as what it is, not
as a change in how the grids work. Note text is typed by users: callers show it as plain
text only (``formats.chart_text`` in charts, never Markdown).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound

from analytics import access
from analytics.filters import Filters
from analytics.settings import load as load_settings
from analytics.settings import local_now

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


def notes(con: BaseBackend, f: Filters) -> pd.DataFrame:
    """The dates to mark on ``f``'s trend charts: the district's notes in the period and its
    scope, and the built-in holidays; columns day, end, title, detail, unit_id, kind
    ("note" or "holiday"), by day. A note of a unit shows where that unit or one it lies in
    or contains is selected; a note without a unit shows everywhere."""
    recorded = _recorded(con, f)
    frames = [df for df in (recorded, holidays(f.start, f.end)) if not df.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["day", "kind", "title"]).reset_index(drop=True)


def _recorded(con: BaseBackend, f: Filters) -> pd.DataFrame:
    try:
        t = access.unscoped(con).table(TABLE)
    except TableNotFound:  # a file written before notes existed
        return pd.DataFrame(columns=COLUMNS)
    t = t.filter((t.day >= f.start) & (t.day <= f.end))
    df = t.select("day", "title", "detail", "unit_id").order_by("day").execute()
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    related = _related_units(con, f)
    df = df[df["unit_id"].isna() | df["unit_id"].isin(related)]
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df["end"] = df["day"]
    df["kind"] = "note"
    df["detail"] = df["detail"].fillna("")
    return df[COLUMNS].reset_index(drop=True)


def _related_units(con: BaseBackend, f: Filters) -> set[str]:
    """Units whose notes belong on ``f``'s charts: those the viewer may see (``con`` is
    scoped) on the line from the district to the selected unit, and every unit inside it."""
    units = con.table("org_units").select("unit_id", "parent_id").to_pandas()
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


def add(con, day: date, title: str, detail: str = "", unit_id: str | None = None) -> None:
    """Record a note on a DuckDB connection (the CLI writes through ``analytics.store``)."""
    title, detail = check(title, detail)
    if unit_id is not None:
        known = con.execute(
            "SELECT count(*) FROM (SELECT unit_id FROM org_units UNION ALL "
            "SELECT grid_id FROM grids) WHERE unit_id = ?",
            [unit_id],
        ).fetchone()[0]
        if not known:
            raise ValueError(f"没有编码为 {unit_id} 的街道、社区或网格。")
    con.execute(
        f"INSERT INTO {TABLE} (day, title, detail, unit_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [day, title, detail, unit_id, local_now(load_settings().timezone)],
    )


def listed(con) -> pd.DataFrame:
    """Every recorded note, by day: day, title, detail, unit_id, created_at."""
    return con.execute(
        f"SELECT day, title, detail, unit_id, created_at FROM {TABLE} ORDER BY day, title"
    ).df()


def remove(con, day: date, title: str | None = None) -> int:
    """Delete the notes of ``day`` (only the one titled ``title`` when given); how many."""
    where, params = "day = ?", [day]
    if title is not None:
        where, params = "day = ? AND title = ?", [day, title.strip()]
    n = con.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params).fetchone()[0]
    con.execute(f"DELETE FROM {TABLE} WHERE {where}", params)
    return int(n)
