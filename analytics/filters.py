"""The one typed filter object, the period presets and their comparison periods.

``Filters`` is frozen and hashable, so the UI can key caches by it. Its values reach SQL only
as Ibis literals inside filter expressions, never by string concatenation.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import ibis
from ibis.expr.types import Table

PERIOD_PRESETS = (
    "ytd",
    "last_12m",
    "qtd",
    "mtd",
    "last_month",
    "last_30d",
    "last_90d",
    "last_year",
    "custom",
)
COMPARISONS = ("yoy", "mom")


def shift_years(d: date, years: int) -> date:
    """The same calendar day ``years`` away; 29 Feb falls back to 28 Feb."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _is_month_end(d: date) -> bool:
    return d == month_end(d.year, d.month)


def add_months(d: date, months: int) -> date:
    """The same day ``months`` away, clamped to the end of a shorter month."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def shift_back(d: date, unit: str, n: int) -> date:
    """``d`` moved ``n`` years, months or days into the past (clamped to shorter months)."""
    if unit == "years":
        return shift_years(d, -n)
    if unit == "months":
        return add_months(d, -n)
    return d - timedelta(days=n)


def preset_period(preset: str, as_of: date) -> tuple[date, date]:
    """Inclusive (start, end) of a named period ending at or before ``as_of``."""
    if preset == "ytd":
        return date(as_of.year, 1, 1), as_of
    if preset == "last_12m":
        return shift_years(as_of, -1) + timedelta(days=1), as_of
    if preset == "qtd":
        return date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of
    if preset == "mtd":
        return as_of.replace(day=1), as_of
    if preset == "last_month":
        end = as_of.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "last_30d":
        return as_of - timedelta(days=29), as_of
    if preset == "last_90d":
        return as_of - timedelta(days=89), as_of
    if preset == "last_year":
        return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)
    raise ValueError(f"unknown period preset: {preset}")


@dataclass(frozen=True)
class Filters:
    """What the user selected: a period on ``reported_at`` (inclusive dates) and a scope."""

    start: date
    end: date
    street_id: str | None = None
    community_id: str | None = None
    grid_id: str | None = None
    event_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    boards: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("结束日期早于开始日期")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length of the period in months (30.44-day months), for per-month rates."""
        return self.days / 30.4375

    def with_period(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)

    def comparison_shift(self, kind: str = "yoy") -> tuple[str, int]:
        """How far back the comparison period lies: ("years", 1), ("months", n) or ("days", n).

        同比 is one year back. 环比 of a period starting on the 1st of a month steps back by
        the whole months it touches (上月 9月 → 8月, 本月 1–15日 → 上月 1–15日); any other
        span steps back by its own length in days.
        """
        if kind == "yoy":
            return ("years", 1)
        if kind == "mom":
            if self.start.day == 1:
                months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
                return ("months", months + 1)
            return ("days", self.days)
        raise ValueError(f"unknown comparison: {kind}")

    def comparison(self, kind: str = "yoy") -> Filters:
        """The comparison period (see :meth:`comparison_shift`). A period ending on a month's
        last day compares with one ending on that month's last day, so February after a leap
        year keeps its 29th."""
        unit, n = self.comparison_shift(kind)
        start, end = shift_back(self.start, unit, n), shift_back(self.end, unit, n)
        if unit != "days" and _is_month_end(self.end):
            end = month_end(end.year, end.month)
        return self.with_period(start, end)

    @property
    def unit_id(self) -> str | None:
        """The narrowest organisation unit selected (None = the whole district)."""
        return self.grid_id or self.community_id or self.street_id


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Half-open timestamp bounds [start 00:00, end+1 00:00) of an inclusive date range."""
    return datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())


def in_period(t: Table, start: date, end: date):
    """Boolean expression: the event was reported within the inclusive date range."""
    lo, hi = period_bounds(start, end)
    return (t.reported_at >= ibis.literal(lo)) & (t.reported_at < ibis.literal(hi))


def apply_scope(t: Table, f: Filters) -> Table:
    """Restrict events to the organisation scope and dimension filters (not the period)."""
    preds = []
    if f.grid_id:
        preds.append(t.grid_id == f.grid_id)
    elif f.community_id:
        preds.append(t.community_id == f.community_id)
    elif f.street_id:
        preds.append(t.street_id == f.street_id)
    for column, values in (
        ("event_type", f.event_types),
        ("category", f.categories),
        ("channel", f.channels),
        ("board", f.boards),
    ):
        if values:
            preds.append(t[column].isin(list(values)))
    return t.filter(*preds) if preds else t


def apply_grid_scope(grids: Table, f: Filters) -> Table:
    """Restrict the grids table to the organisation scope of ``f``."""
    if f.grid_id:
        return grids.filter(grids.grid_id == f.grid_id)
    if f.community_id:
        return grids.filter(grids.community_id == f.community_id)
    if f.street_id:
        return grids.filter(grids.street_id == f.street_id)
    return grids
