"""Targets (目标值): what each figure should be, and how far it is from that.

A target is set per metric for the district and, optionally, per street or community; a
unit's own target overrides the one above it (grid → community → street → district), except
that a count's target (积压, 超期) holds only for the unit it is set on. It has
a direction (``>=``: the figure should be at least the target, ``<=``: at most) and, where it
fits, an amber band: for ``按时办结率 ≥ 95 %, 预警 90 %`` a figure of 92 % is amber.

The status (达标 / 预警 / 未达标) means the same on every page, map, table and slide, and its
colours are defined here once. Storing and editing targets is ``analytics.target_store``;
this module is pure: it judges figures against targets that the caller passes in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analytics import formats as fmt
from analytics import metrics

OPS = {">=": "不低于", "<=": "不高于"}
OP_SIGNS = {">=": "≥", "<=": "≤"}
STATUSES = ("green", "amber", "red")
STATUS_LABELS = {"green": "达标", "amber": "预警", "red": "未达标"}
STATUS_OF_LABEL = {label: status for status, label in STATUS_LABELS.items()}  # 预警 → amber
# Colour-blind-safe enough to tell apart on a projector, and printable in grey.
STATUS_COLOURS = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828"}
STATUS_TINTS = {"green": "#e8f5e9", "amber": "#fff3e0", "red": "#ffebee"}
NO_STATUS_COLOUR = "#9e9e9e"
# Metrics a target can be set for: those with a better direction (受理量 is neither good nor
# bad: a target for it would reward not hearing citizens).
TARGETABLE = tuple(name for name, m in metrics.METRICS.items() if m.better != "neutral")
FRAME_COLUMNS = ["metric", "unit_id", "op", "target", "amber"]


class TargetError(ValueError):
    """A target cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class Target:
    """``metric``'s target for ``unit_id`` (None: the district), in the metric's own unit:
    rates as fractions (0.95), durations in hours, counts as counts. ``amber`` is the far
    edge of the amber band (below the target for ``>=``, above it for ``<=``), or None."""

    metric: str
    target: float
    op: str = ""  # "" → the metric's own better direction
    amber: float | None = None
    unit_id: str | None = None

    def __post_init__(self) -> None:
        if not self.op:
            object.__setattr__(self, "op", default_op(self.metric))
        if self.unit_id == "":
            object.__setattr__(self, "unit_id", None)


def default_op(metric: str) -> str:
    """``>=`` for a metric that is better higher, ``<=`` for one better lower."""
    return "<=" if metrics.better(metric) == "lower" else ">="


def validate(t: Target, units: Sequence[str] | None = None) -> Target:
    """``t`` checked: a known metric, a direction, a finite target in the metric's range, an
    amber edge on the right side, a known street or community (when ``units`` is given)."""
    if t.metric not in TARGETABLE:
        known = metrics.label(t.metric) if t.metric in metrics.METRICS else t.metric
        raise TargetError(f"不能为“{known}”设目标:只能为有好坏方向的指标设目标。")
    name = metrics.label(t.metric)
    if t.op not in OPS:
        raise TargetError(f"{name}的方向须为 >= 或 <=,不是 {t.op}。")
    value = _number(t.target, f"{name}的目标值")
    amber = None if t.amber is None else _number(t.amber, f"{name}的预警线")
    unit = metrics.unit(t.metric)
    for x, what in ((value, "目标值"), (amber, "预警线")):
        if x is None:
            continue
        if unit == "rate" and not 0 <= x <= 1:
            raise TargetError(f"{name}的{what}须在 0%–100% 之间,不是 {fmt.rate(x)}。")
        if x < 0:
            raise TargetError(f"{name}的{what}不能为负数。")
    if amber is not None:
        if t.op == ">=" and amber >= value:
            raise TargetError(f"{name}的预警线须低于目标值(目标 ≥ {show(t.metric, value)})。")
        if t.op == "<=" and amber <= value:
            raise TargetError(f"{name}的预警线须高于目标值(目标 ≤ {show(t.metric, value)})。")
    if t.unit_id is not None and units is not None and t.unit_id not in set(units):
        raise TargetError(f"没有编码为 {t.unit_id} 的街道或社区。")
    return Target(metric=t.metric, target=value, op=t.op, amber=amber, unit_id=t.unit_id)


def _number(x, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise TargetError(f"{what}不是数字:{x}。") from None
    if not math.isfinite(value):
        raise TargetError(f"{what}不是有限的数字。")
    return value


def show(metric: str, x) -> str:
    """A target's value in the metric's unit (95.0%, 2.0小时, 120)."""
    return fmt.value(metric, x)


def describe(t: Target | None) -> str:
    """``≥ 95.0%(预警 90.0%)``; "未设目标" for None."""
    if t is None:
        return "未设目标"
    text = f"{OP_SIGNS[t.op]} {show(t.metric, t.target)}"
    if t.amber is not None:
        text += f"(预警 {show(t.metric, t.amber)})"
    return text


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def status(value, t: Target | None) -> str | None:
    """ "green" on target, "amber" within the band, "red" beyond it; None without a target or
    a figure (a period with no events judged says nothing)."""
    if t is None or _missing(value):
        return None
    value = float(value)
    meets = value >= t.target if t.op == ">=" else value <= t.target
    if meets:
        return "green"
    if t.amber is not None and (value >= t.amber if t.op == ">=" else value <= t.amber):
        return "amber"
    return "red"


def ratio(value, t: Target | None) -> float:
    """The figure against its target, 1 on target and more when better (CityScore): value /
    target for ``>=``, target / value for ``<=``. A ``<=`` figure of 0 with a positive
    target is infinitely good (the score caps it); NaN without a target or a figure."""
    if t is None or _missing(value):
        return math.nan
    value = float(value)
    top, bottom = (value, t.target) if t.op == ">=" else (t.target, value)
    if bottom == 0:
        return math.inf if top > 0 else 1.0
    return top / bottom


def gap(value, t: Target | None) -> float:
    """How far the figure is from its target in the metric's unit, positive when it falls
    short (2 个百分点 below a ≥ target, 1.5 小时 over a ≤ one), negative when it beats it."""
    if t is None or _missing(value):
        return math.nan
    short = t.target - float(value)
    return short if t.op == ">=" else -short


def gap_text(metric: str, g: float) -> str:
    """A shortfall as users read it: 差 2.3 个百分点, 超出 1.5小时, 差 12 件; 达标 when none."""
    if _missing(g):
        return fmt.MISSING
    if g <= 0:
        return "达标"
    unit = metrics.unit(metric)
    if unit == "rate":
        return f"差 {g * 100:.1f} 个百分点" if g >= 0.0005 else "差不到 0.1 个百分点"
    if unit == "hours":
        return f"超出 {fmt.hours(g)}"
    return f"超出 {fmt.count(g)}"


def frame(targets: Sequence[Target]) -> pd.DataFrame:
    """Targets as a table (``FRAME_COLUMNS``), the shape :func:`resolve` reads."""
    rows = [
        {"metric": t.metric, "unit_id": t.unit_id, "op": t.op, "target": t.target, "amber": t.amber}
        for t in targets
    ]
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def chain(unit_id: str | None, parents: Mapping[str, str | None]) -> tuple[str | None, ...]:
    """``unit_id`` and every unit above it, ending with None (the district): where a target
    for the unit is looked for, nearest first. ``parents`` is ``access.parents``."""
    out: list[str | None] = []
    unit = unit_id
    while unit is not None and unit not in out:
        out.append(unit)
        unit = parents.get(unit)
    return (*out, None)


class Book:
    """Every target of a district, looked up by metric and unit (nearest unit first)."""

    def __init__(self, targets: pd.DataFrame | Sequence[Target]) -> None:
        table = targets if isinstance(targets, pd.DataFrame) else frame(targets)
        self._by: dict[tuple[str, str | None], Target] = {}
        for row in table.itertuples(index=False):
            unit = None if _missing(row.unit_id) or row.unit_id == "" else str(row.unit_id)
            amber = None if _missing(row.amber) else float(row.amber)
            t = Target(
                metric=row.metric, target=float(row.target), op=row.op, amber=amber, unit_id=unit
            )
            self._by[(t.metric, unit)] = t

    def __bool__(self) -> bool:
        return bool(self._by)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Book) and self._by == other._by

    def __hash__(self) -> int:
        """Hashable by content: figures judged against a book are cached under it, and an
        edited target makes a new key."""
        return hash(frozenset(self._by.items()))

    def __len__(self) -> int:
        return len(self._by)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics with a target anywhere, in ``TARGETABLE`` order."""
        set_for = {metric for metric, _ in self._by}
        return tuple(m for m in TARGETABLE if m in set_for)

    def own(self, metric: str, unit_id: str | None) -> Target | None:
        """The target set for exactly this unit (None: the district's), if any."""
        return self._by.get((metric, unit_id))

    def resolve(self, metric: str, units: Sequence[str | None]) -> Target | None:
        """The target of ``metric`` for the first of ``units`` (a :func:`chain`) having one.
        A count's target (积压 ≤ 3,000) is for the unit it is set on only: a district's
        backlog target says nothing about a grid's, while a rate or a duration holds at every
        level."""
        if metrics.unit(metric) == "count":
            units = units[:1]
        for unit in units:
            t = self._by.get((metric, unit))
            if t is not None:
                return t
        return None

    def for_unit(
        self, metric: str, unit_id: str | None, parents: Mapping[str, str | None]
    ) -> Target | None:
        """:meth:`resolve` along ``unit_id``'s chain."""
        return self.resolve(metric, chain(unit_id, parents))


def judged(
    figures: pd.DataFrame, book: Book, unit_id: str | None, parents: Mapping[str, str | None]
) -> pd.DataFrame:
    """``figures`` (a ``metric`` and a ``value`` column, like ``queries.kpis``) with each
    metric's target for ``unit_id``: columns ``target`` (the Target or None), ``target_text``,
    ``status``, ``ratio`` and ``gap``."""
    units = chain(unit_id, parents)
    found = [book.resolve(m, units) if m in TARGETABLE else None for m in figures["metric"]]
    values = list(figures["value"])
    return figures.assign(
        target=found,
        target_text=[describe(t) if t is not None else "" for t in found],
        status=[status(v, t) for v, t in zip(values, found, strict=True)],
        ratio=[ratio(v, t) for v, t in zip(values, found, strict=True)],
        gap=[gap(v, t) for v, t in zip(values, found, strict=True)],
    )


def statuses(
    values: pd.Series, unit_ids: pd.Series, metric: str, book: Book, parents: Mapping
) -> pd.Series:
    """Each unit's status on ``metric`` against its own resolved target (None where it has
    none): what a map or table colours by instead of rank."""
    out = [
        status(v, book.for_unit(metric, u, parents)) for v, u in zip(values, unit_ids, strict=True)
    ]
    return pd.Series(out, index=values.index, dtype="object")
