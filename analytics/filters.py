"""The one typed filter object, the period presets and their comparison periods.

``Filters`` is frozen and hashable, so the UI can key caches by it. Its values reach SQL only
as Ibis literals inside filter expressions, never by string concatenation.
"""

from __future__ import annotations

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

    def comparison(self, kind: str = "yoy") -> Filters:
        """同比: the same span one year earlier; 环比: the preceding span of equal length."""
        if kind == "yoy":
            return self.with_period(shift_years(self.start, -1), shift_years(self.end, -1))
        if kind == "mom":
            return self.with_period(
                self.start - timedelta(days=self.days), self.start - timedelta(days=1)
            )
        raise ValueError(f"unknown comparison: {kind}")

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
