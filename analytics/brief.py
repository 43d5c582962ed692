"""会前简报: what changed since the last meeting, as a few plain Chinese sentences built from
the figures by templates (no model), for the overview's opening and the deck's first slide.

It compares the state THEN with the state NOW. A state is the figures over the 30 days
ending on the day (NOW: the data's last day; THEN: the meeting's day ``since``), measured as
of that moment: THEN is measured at the end of ``since`` (``DataRange.as_of`` moved there),
so an event closed after the meeting counts as open then, as ``metrics`` measures "as of".
The sidebar's scope and dimension filters apply; its period does not (the windows replace
it). Backlog is over everything reported up to each moment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import pandas as pd
from ibis.backends import BaseBackend

from analytics import formats as fmt
from analytics import metrics, problems, queries, score, targets
from analytics.filters import Filters, add_months
from analytics.queries import DataRange

WINDOW_DAYS = 30
HOT_GRIDS = 10  # a hot grid is one of the ten with most intake in the window
MOVERS = 2  # units named as improving most, and as declining most
TITLE = "会前简报"


@dataclass(frozen=True)
class Brief:
    """The brief of ``since`` to ``as_of``: one plain-text sentence per line (no Markdown:
    callers show it with ``st.text`` or ``formats.plain``)."""

    since: date
    as_of: datetime
    lines: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{TITLE}:{fmt.day(self.since)}以来的变化(数据截至{fmt.moment(self.as_of)})"

    @property
    def text(self) -> str:
        """The title line and the numbered sentences, for copying into a message."""
        numbered = [f"{i}. {line}" for i, line in enumerate(self.lines, start=1)]
        return "\n".join([self.title, *numbered])


def default_since(as_of: datetime) -> date:
    """A month before ``as_of``'s day: the usual interval between two meetings."""
    return add_months(as_of.date(), -1)


@dataclass(frozen=True)
class _Moment:
    """One side of the comparison: the window's filters and the coverage measured at its end."""

    day: date
    filters: Filters
    coverage: DataRange


def _moment(f: Filters, coverage: DataRange, day: date) -> _Moment:
    end = min(datetime.combine(day, time.max), coverage.as_of)
    window = f.with_period(day - timedelta(days=WINDOW_DAYS - 1), day)
    return _Moment(day, window, replace(coverage, as_of=end))


def brief(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    since: date,
    *,
    notes: pd.DataFrame | None = None,
    min_events: int = 30,
    weights: score.Weights = (),
    cap: float = score.DEFAULT_CAP,
) -> Brief:
    """What changed in ``f``'s scope between ``since`` (a day before the data's last) and the
    data's last moment: the targets' status now, targets newly met or missed, the units that
    moved most, new hot grids, the backlog's change and the notes of the interval (``notes``:
    ``annotations.notes``' columns day, title, kind). Units (and the scope) with fewer than
    ``min_events`` events in a window are not judged."""
    since = min(since, coverage.last_day)
    now, then = _moment(f, coverage, coverage.last_day), _moment(f, coverage, since)
    names = problems.unit_titles(con, f)
    keys = list(dict.fromkeys(["intake", "closure_rate", *book.metrics]))
    scope_now = _figures(con, now, keys)
    scope_then = _figures(con, then, keys)
    scope = names.get(f.unit_id, f.unit_id)
    lines = [_opening(since, coverage.as_of, scope, scope_now, book, f, parents, min_events)]
    if then.filters.start < coverage.first_day:
        lines.append(
            f"{fmt.day(since)}之前的数据不足{WINDOW_DAYS}天,不比较达标变化、进退和热点网格。"
        )
    else:
        if scope_now["intake"] >= min_events and scope_then["intake"] >= min_events:
            lines.append(_status_changes(scope_then, scope_now, book, f.unit_id, parents))
        lines.append(_movers(con, now, then, book, parents, names, min_events, weights, cap))
        lines.append(_hot_grids(con, now, then, names))
    lines.append(_backlog(con, now, then))
    lines.append(_notes(notes, since, coverage.as_of.date()))
    return Brief(since=since, as_of=coverage.as_of, lines=tuple(line for line in lines if line))


def _figures(con, m: _Moment, keys) -> dict:
    """The scope's figures of one window (one row of ``metric_table``)."""
    return queries.metric_table(con, m.filters, m.coverage, keys, compare=None).iloc[0].to_dict()


def _opening(since, as_of, scope: str, figures: dict, book, f, parents, min_events) -> str:
    head = (
        f"自{fmt.day(since)}以来(数据截至{fmt.moment(as_of)}),{scope}近{WINDOW_DAYS}天"
        f"受理 {fmt.count(figures['intake'])} 件"
    )
    if not book:
        return f"{head};尚未设定目标,请在目标管理页设定后查看达标情况。"
    if figures["intake"] < min_events:
        return f"{head},不足 {min_events} 件,不评判达标情况。"
    found = [targets.status(figures[m], book.for_unit(m, f.unit_id, parents)) for m in book.metrics]
    counts = [
        f"{found.count(s)} 项{label}"
        for s, label in (("green", "指标达标"), ("amber", "预警"), ("red", "未达标"))
    ]
    text = f"{head};{'、'.join(counts)}"
    unjudged = sum(1 for s in found if s is None)
    if unjudged:
        text += f",{unjudged} 项无目标或无数据"
    return text + "。"


def _status_changes(then: dict, now: dict, book, unit_id, parents) -> str:
    """Targets newly met or missed by the scope: 按时办结率由未达标转为达标(93.1% → 95.4%)."""
    changes = []
    for metric in book.metrics:
        t = book.for_unit(metric, unit_id, parents)
        before, after = targets.status(then[metric], t), targets.status(now[metric], t)
        if before is None or after is None or before == after:
            continue
        changes.append(
            f"{metrics.label(metric)}由{targets.STATUS_LABELS[before]}转为"
            f"{targets.STATUS_LABELS[after]}"
            f"({fmt.value(metric, then[metric])} → {fmt.value(metric, now[metric])})"
        )
    return f"达标变化:{';'.join(changes)}。" if changes else ""


def _unit_values(
    con, m: _Moment, level: str, keys, book, parents, min_events, weights, cap
) -> pd.Series:
    """Each unit's score (closure rate without targets) in one window, units with at least
    ``min_events`` events only."""
    by = f"{level}_id"
    df = queries.metric_table(con, m.filters, m.coverage, keys, by=(by,), compare=None)
    df = df[df[by].notna() & (df["intake"] >= min_events)]
    if not book:
        return pd.Series(df["closure_rate"].to_numpy(), index=df[by], dtype="float64")
    scores = [
        score.score_of({k: row[k] for k in keys}, book, row[by], parents, weights, cap)[0]
        for row in df.to_dict("records")
    ]
    return pd.Series(scores, index=df[by], dtype="float64")


def _movers(
    con, now: _Moment, then: _Moment, book, parents, names, min_events, weights, cap
) -> str:
    """The units one level down that improved and declined most (score change, or closure
    rate change in points without targets)."""
    below = problems.unit_levels_below(now.filters)
    if not below:
        return ""
    level = below[0]
    keys = list(dict.fromkeys(["intake", "closure_rate", *book.metrics]))
    after = _unit_values(con, now, level, keys, book, parents, min_events, weights, cap)
    before = _unit_values(con, then, level, keys, book, parents, min_events, weights, cap)
    if book:  # as the scores are shown: 0.62 → 1.20 reads +0.58
        after, before = after.round(score.SCORE_DIGITS), before.round(score.SCORE_DIGITS)
    change = (after - before).dropna() * (1 if book else 100)
    if change.empty:
        return ""
    what, unit, digits = ("综合指数", "", 2) if book else ("办结率", "个百分点", 1)
    frame = pd.DataFrame({"unit": change.index, "change": change.to_numpy()})
    up = frame[frame["change"] > 0].sort_values(["change", "unit"], ascending=[False, True])
    down = frame[frame["change"] < 0].sort_values(["change", "unit"], ascending=[True, True])
    parts = []
    for title, rows in (("进步最大", up), ("退步最大", down)):
        named = [
            f"{names.get(u, u)}({c:+.{digits}f}{unit})"
            for u, c in zip(rows["unit"].head(MOVERS), rows["change"].head(MOVERS), strict=True)
        ]
        if named:
            parts.append(f"{title}:{'、'.join(named)}")
    if not parts:
        return ""
    level_label = {"street": "街道", "community": "社区", "grid": "网格"}[level]
    head = f"各{level_label}{what}(近{WINDOW_DAYS}天与{fmt.day(then.day)}前{WINDOW_DAYS}天相比)"
    return f"{head}{';'.join(parts)}。"


def _top_grids(con, m: _Moment) -> pd.DataFrame:
    df = queries.metric_table(con, m.filters, m.coverage, ["intake"], by=("grid_id",), compare=None)
    df = df[df["grid_id"].notna() & (df["intake"] > 0)]
    return df.sort_values(["intake", "grid_id"], ascending=[False, True]).head(HOT_GRIDS)


def _hot_grids(con, now: _Moment, then: _Moment, names) -> str:
    """Grids among the ten with most intake now that were not among them then."""
    if now.filters.grid_id:
        return ""
    current, before = _top_grids(con, now), _top_grids(con, then)
    new = current[~current["grid_id"].isin(before["grid_id"])]
    if new.empty:
        return ""
    named = [
        f"{names.get(g, g)}({fmt.count(n)} 件)"
        for g, n in zip(new["grid_id"], new["intake"], strict=True)
    ]
    return f"新进入受理量前{HOT_GRIDS}的网格(近{WINDOW_DAYS}天):{'、'.join(named)}。"


def _open(con, m: _Moment) -> tuple[int, int]:
    """Backlog and overdue at the moment over everything reported up to it."""
    first = m.coverage.first_day
    if m.day < first:
        return 0, 0
    everything = m.filters.with_period(first, m.day)
    row = _figures(con, replace(m, filters=everything), ["backlog", "overdue"])
    return int(row["backlog"]), int(row["overdue"])


def _backlog(con, now: _Moment, then: _Moment) -> str:
    (backlog, overdue), (backlog_then, overdue_then) = _open(con, now), _open(con, then)
    diff = backlog - backlog_then
    moved = "持平" if diff == 0 else f"{'增加' if diff > 0 else '减少'} {fmt.count(abs(diff))} 件"
    return (
        f"积压(未办结)由 {fmt.count(backlog_then)} 件变为 {fmt.count(backlog)} 件,{moved};"
        f"其中超期由 {fmt.count(overdue_then)} 件变为 {fmt.count(overdue)} 件。"
    )


_SPACE = re.compile(r"\s+")


def _notes(notes: pd.DataFrame | None, since: date, last: date) -> str:
    """The notes dated from ``since`` to ``last``: 期间标注:1月1日 某某改革. Titles are user
    text, kept as typed on one line."""
    if notes is None or notes.empty:
        return ""
    days = pd.to_datetime(notes["day"]).dt.date
    shown = notes[(days >= since) & (days <= last)].assign(day=days).sort_values("day")
    items = [
        f"{d.month}月{d.day}日 {_SPACE.sub(' ', str(title)).strip()}"
        for d, title in zip(shown["day"], shown["title"], strict=True)
    ]
    return f"期间标注:{';'.join(items)}。" if items else ""
