"""Drill-down: the events behind a figure (a category's bar, a grid's alert row, a metric card),
as a masked list.

A selection narrows the sidebar's ``Filters`` (already inside the viewer's scope: the backend
is scoped too) by a category, a unit, a month and a metric's condition, each as a bound
expression. The conditions are the metrics' own predicates (``analytics.metrics``): the
events "behind" 办结率 are those it does not count as closed, so the list and the card agree.
Personal data is masked here (``analytics.masking``) before the rows leave ``analytics/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import pandas as pd
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from analytics import labels, metrics
from analytics.filters import Filters, add_months, apply_scope, in_period
from analytics.masking import mask_frame
from analytics.queries import DataRange, unit_names

LIMIT = 200  # rows listed on the page; the count says how many there are
EXPORT_LIMIT = 50_000  # rows in a download: a list to work through, not a data dump


@dataclass(frozen=True)
class Condition:
    """Which events of a selection are listed, and how they are ordered."""

    label: str  # 未办结, 超期 …: said in the list's title
    where: Callable[[Table], object] | None  # None: every event
    order: tuple[str, ...] = ("reported_at",)
    newest_first: bool = True


def _late(t: Table):
    """Not on time by 按时办结率's rule: due (or closed) with a deadline, and not closed by it."""
    return metrics.on_time_eligible(t) & ~metrics.on_time(t)


def _slow(t: Table):
    """Not accepted within the response threshold (or not accepted at all)."""
    fast = metrics.responded_within(t, metrics.RESPONSE_THRESHOLD_HOURS)
    return ~fast.fill_null(False)


def _dissatisfied(t: Table):
    return t.satisfaction.notnull() & metrics.known(t) & (t.satisfaction == "dissatisfied")


def _above_grid(t: Table):
    """Closed with a recorded level other than the grid: what 网格内解决率 counts against."""
    return metrics.closed(t) & t.resolved_level.notnull() & (t.resolved_level != "grid")


CONDITIONS: dict[str, Condition] = {
    "all": Condition("全部受理", None),
    "not_closed": Condition("未办结", lambda t: ~metrics.closed(t)),
    "open": Condition("积压(未办结)", metrics.open_at_as_of),
    "overdue": Condition(
        "超期未办结", metrics.overdue_at_as_of, ("deadline_at",), newest_first=False
    ),
    "late": Condition("未按时办结", _late, ("deadline_at",), newest_first=False),
    "slow_response": Condition(
        f"{metrics.RESPONSE_THRESHOLD_HOURS:g}小时内未受理", _slow, ("reported_at",)
    ),
    "dissatisfied": Condition("不满意", _dissatisfied),
    "above_grid": Condition("未在网格内解决", _above_grid),
}
# What a metric card's 明细 lists: the events that hold the figure back (or make it up).
METRIC_CONDITION = {
    "intake": "all",
    "closure_rate": "not_closed",
    "on_time_rate": "late",
    "response_median": "slow_response",
    "response_rate": "slow_response",
    "satisfaction_rate": "dissatisfied",
    "grid_level_rate": "above_grid",
    "backlog": "open",
    "overdue": "overdue",
}

COLUMNS = (
    "event_id", "reported_at", "category", "event_type", "channel", "street_id",
    "community_id", "grid_id", "deadline_at", "closed_at", "as_of", "reporter_name",
    "reporter_phone", "address", "description",
)  # fmt: skip


def selected(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    *,
    condition: str = "all",
    category: str | None = None,
    street_id: str | None = None,
    community_id: str | None = None,
    grid_id: str | None = None,
    month: date | None = None,
) -> Table:
    """The events of the period (``f``, in scope) that the selection names, with ``as_of``.
    ``month`` (its first day) keeps the part of the period in that month."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition: {condition}")
    t = apply_scope(con.table("events"), f)
    start, end = f.start, f.end
    if month is not None:
        first = month.replace(day=1)
        start, end = max(start, first), min(end, add_months(first, 1) - timedelta(days=1))
    t = t.filter(in_period(t, start, end) if start <= end else ibis.literal(False))
    for column, value in (
        ("category", category),
        ("street_id", street_id),
        ("community_id", community_id),
        ("grid_id", grid_id),
    ):
        if value is not None:
            t = t.filter(t[column] == ibis.literal(value, type="string"))
    t = t.mutate(as_of=ibis.literal(coverage.as_of))
    where = CONDITIONS[condition].where
    return t.filter(where(t)) if where is not None else t


def events(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    limit: int | None = LIMIT,
    **selection,
) -> pd.DataFrame:
    """The events behind a selection (see ``selected``), at most ``limit`` (None: all),
    ``attrs["total"]`` saying how many there are. Columns: event_id, reported_at, category,
    event_type and channel (Chinese), grid (named fully), status (已办结 / 未办结 / 超期),
    deadline_at, closed_at, and the reporter's name, phone, address and the description
    masked (张*, 138****1234, 某路**号)."""
    t = selected(con, f, coverage, **selection)
    condition = CONDITIONS[selection.get("condition", "all")]
    total = int(t.count().execute())
    keys = [ibis.desc(c) if condition.newest_first else ibis.asc(c) for c in condition.order] + [
        "event_id"
    ]
    rows = t.select(*COLUMNS).order_by(keys)
    if limit is not None:
        rows = rows.limit(limit)
    df = mask_frame(rows.execute())
    df.attrs["total"] = total
    return shown(con, df)


def _status(row) -> str:
    if pd.notna(row.closed_at) and row.closed_at <= row.as_of:
        return "已办结"
    if pd.notna(row.deadline_at) and row.deadline_at < row.as_of:
        return "超期未办结"
    return "未办结"


def shown(con: BaseBackend, df: pd.DataFrame) -> pd.DataFrame:
    """Masked event rows as a list shows them: the place named in full, the status in words
    (``analytics.hotspots`` lists an issue's events the same way)."""
    names = unit_names(con)
    grids = con.table("grids").select("grid_id", "name").to_pandas()
    grid_name = dict(zip(grids["grid_id"], grids["name"], strict=True))
    place = [
        labels.grid_title(
            labels.unit(names, "street_id", s),
            names.get(c) if isinstance(c, str) else None,
            grid_name.get(g, g) if isinstance(g, str) else labels.UNPLACED["grid_id"],
        )
        for s, c, g in zip(df["street_id"], df["community_id"], df["grid_id"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "event_id": df["event_id"],
            "reported_at": pd.to_datetime(df["reported_at"]),
            "category": df["category"],
            "event_type": df["event_type"].map(lambda c: labels.of("event_type", c)),
            "channel": df["channel"].map(lambda c: labels.of("channel", c)),
            "place": place,
            "status": [_status(r) for r in df.itertuples(index=False)],
            "deadline_at": pd.to_datetime(df["deadline_at"]),
            "closed_at": pd.to_datetime(df["closed_at"]),
            "reporter_name": df["reporter_name"],
            "reporter_phone": df["reporter_phone"],
            "address": df["address"],
            "description": df["description"],
        }
    )
    out.attrs["total"] = df.attrs["total"]
    return out


def describe(
    names: dict[str, str],
    *,
    condition: str = "all",
    category: str | None = None,
    street_id: str | None = None,
    community_id: str | None = None,
    grid_id: str | None = None,
    month: date | None = None,
) -> str:
    """What was selected, in Chinese: 物业管理 · 甲街道 甲一社区 第1网格 · 2026年3月 · 超期未办结.
    ``names`` as ``queries.unit_names`` gives them (a grid as "<community> <grid>")."""
    parts = [category] if category else []
    unit = grid_id or community_id
    if unit:  # a grid is named "<community> <grid>" in names; its street goes before it
        parts.append(labels.grid_title(names.get(street_id or ""), names.get(unit, unit), None))
    elif street_id:
        parts.append(names.get(street_id, street_id))
    if month is not None:
        parts.append(f"{month.year}年{month.month}月")
    parts.append(CONDITIONS[condition].label)
    return " · ".join(parts)
