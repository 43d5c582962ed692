"""Colour scales for maps: what a colour means, fixed before any grid is coloured.

A map read in a meeting must say the same thing whichever street is selected, so a scale
never depends on the areas drawn. Rates (办结率, 满意率 …) sit on fixed percentage breaks
where green means good and only the bad end turns orange and red (the direction from
``metrics.higher_is_worse``); durations on fixed hour breaks the same way. Volumes (受理量,
每千户事件数, 积压 …) are neither good nor bad by themselves: a sequential blue scale on
round breaks derived from the whole district's distribution. A target (``for_metric(...,
target=..., band=...)``) centres a directional scale on it: within ``band`` of the target is
amber on the bad side and light green on the good side. ``deviation`` colours how far each
area is from a target size (the what-if maps). ``for_status`` colours each area by its status
against its own target (达标 / 预警 / 未达标, ``targets.STATUS_COLOURS``), grey without one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from analytics import metrics, targets

RGB = tuple[int, int, int]
NO_DATA: RGB = (210, 214, 220)
NO_DATA_LABEL = "无数据"

# Good to bad (ColorBrewer RdYlGn, 5 classes, reversed): red only ever at the bad end.
GOOD_TO_BAD: tuple[RGB, ...] = (
    (26, 152, 80),
    (166, 217, 106),
    (254, 224, 139),
    (252, 141, 89),
    (215, 48, 39),
)
# Little to much, neither good nor bad (ColorBrewer Blues, 5 classes).
LITTLE_TO_MUCH: tuple[RGB, ...] = (
    (239, 243, 255),
    (189, 215, 231),
    (107, 174, 214),
    (49, 130, 189),
    (8, 81, 156),
)
# Below, on and above a target (ColorBrewer PuOr around a pale green "on target").
BELOW_ON_ABOVE: tuple[RGB, ...] = (
    (94, 60, 153),
    (178, 171, 210),
    (229, 245, 224),
    (253, 184, 99),
    (230, 97, 1),
)

# Inner breaks of directional rates, worst to best for "higher is better" and best to worst
# for "lower is better" (ascending either way). What a district calls good: 办结率 under 80 %
# is a problem anywhere; 98 % and above is as good as it gets.
RATE_BREAKS: dict[str, tuple[float, ...]] = {
    "closure_rate": (0.80, 0.90, 0.95, 0.98),
    "on_time_rate": (0.80, 0.90, 0.95, 0.98),
    "satisfaction_rate": (0.80, 0.90, 0.95, 0.98),
    "resolution_rate": (0.80, 0.90, 0.95, 0.98),
    "response_rate": (0.60, 0.75, 0.90, 0.95),
    "grid_level_rate": (0.30, 0.50, 0.70, 0.85),
    "community_level_rate": (0.50, 0.70, 0.85, 0.95),
    "street_level_rate": (0.70, 0.85, 0.95, 0.98),
    "repeat_rate": (0.02, 0.05, 0.10, 0.20),
}
HIGHER_BETTER_RATE = (0.60, 0.80, 0.90, 0.95)  # a rate without its own breaks
LOWER_BETTER_RATE = (0.05, 0.10, 0.20, 0.40)
# Durations in hours, best to worst: 响应 within the 2-hour rule is good.
HOUR_BREAKS: dict[str, tuple[float, ...]] = {
    "response_median": (0.5, 1.0, 2.0, 4.0),
    "response_p90": (1.0, 2.0, 4.0, 8.0),
    "stage_accept": (0.5, 1.0, 2.0, 4.0),
    "handling_median": (24.0, 72.0, 168.0, 336.0),
    "handling_p90": (72.0, 168.0, 336.0, 720.0),
}
DEFAULT_HOURS = (4.0, 24.0, 72.0, 168.0)
DEVIATION_BREAKS = (-0.30, -0.10, 0.10, 0.30)
UNIT_SUFFIX = {"density": "件/千户", "workload": "件/人·月"}  # after a volume's breaks
MEANING = {  # what the colours of each kind of scale say, for the legend
    "good_bad": "绿色为好,橙色、红色需关注",
    "volume": "颜色越深数量越多(不代表好坏)",
    "deviation": "紫色为偏少,橙色为偏多,浅绿为接近目标",
    "status": "绿色达标,橙色预警,红色未达标,灰色无目标或无数据",
}
# A status as a number a class-break scale reads (达标 0, 预警 1, 未达标 2); no status is NaN.
STATUS_CODES = {status: float(i) for i, status in enumerate(targets.STATUSES)}
NO_STATUS_LABEL = "无目标或无数据"


@dataclass(frozen=True)
class Scale:
    """``len(colours) == len(breaks) + 1`` classes; class i holds values in
    [breaks[i-1], breaks[i]). ``labels`` say each class in Chinese with its unit, ``title``
    what is coloured and ``meaning`` what the colours say."""

    breaks: tuple[float, ...]
    colours: tuple[RGB, ...]
    labels: tuple[str, ...]
    title: str = ""
    meaning: str = ""
    missing: RGB = NO_DATA  # the colour of a missing value, and its legend's label
    missing_label: str = NO_DATA_LABEL
    lists_missing: bool = False  # the legend names the missing class even when none is

    def index(self, value) -> int | None:
        """The class of ``value``; None for a missing value."""
        if value is None:
            return None
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None
        if math.isnan(x):
            return None
        return int(np.searchsorted(self.breaks, x, side="right"))

    def colour(self, value) -> RGB:
        i = self.index(value)
        return self.missing if i is None else self.colours[i]

    def legend(self, values=None) -> list[tuple[RGB, str]]:
        """(colour, label) per class, then 无数据 when any of ``values`` is missing (always,
        for a scale that ``lists_missing``)."""
        items = list(zip(self.colours, self.labels, strict=True))
        missing = values is not None and any(self.index(v) is None for v in values)
        if missing or self.lists_missing:
            items.append((self.missing, self.missing_label))
        return items


def is_volume(key: str) -> bool:
    """Whether ``key`` is a volume (受理量, 积压 …: neither good nor bad by itself), whose
    breaks come from the district's values."""
    return metrics.better(key) == "neutral" or metrics.unit(key) == "count"


def for_metric(
    key: str, values=None, target: float | None = None, band: float | None = None
) -> Scale:
    """The scale of metric ``key``. Rates and durations have fixed breaks (or, given a
    ``target``, breaks centred on it, ``band`` wide); volumes take round breaks from
    ``values``, which should be the whole district's (the same period, any street)."""
    unit = metrics.unit(key)
    label = metrics.label(key)
    if is_volume(key):
        breaks = nice_breaks(values if values is not None else [])
        suffix = UNIT_SUFFIX.get(key, "件")
        return Scale(
            breaks,
            LITTLE_TO_MUCH[: len(breaks) + 1],
            _range_labels(breaks, _count),
            title=f"{label}({suffix})",
            meaning=MEANING["volume"],
        )
    worse_high = metrics.higher_is_worse(key)
    if target is not None:
        step = band if band else (0.02 if unit == "rate" else max(abs(target) * 0.25, 0.5))
        breaks = tuple(target + step * k for k in ((-1, 0, 1, 2) if worse_high else (-2, -1, 0, 1)))
    elif unit == "rate":
        breaks = RATE_BREAKS.get(key, LOWER_BETTER_RATE if worse_high else HIGHER_BETTER_RATE)
    else:
        breaks = HOUR_BREAKS.get(key, DEFAULT_HOURS)
    colours = GOOD_TO_BAD if worse_high else GOOD_TO_BAD[::-1]
    show = _percent if unit == "rate" else _hours
    return Scale(
        tuple(breaks),
        colours,
        _range_labels(tuple(breaks), show),
        title=label,
        meaning=MEANING["good_bad"],
    )


def deviation(target: float, what: str = "户数", reference: str = "目标") -> Scale:
    """Relative deviation from ``target`` (value / target − 1), diverging around it: within
    ±10 % is on target; legend 比目标少/多 x% (``reference`` names the target: 目标, 平均)."""
    lo2, lo1, hi1, hi2 = (round(b * 100) for b in DEVIATION_BREAKS)
    labels = (
        f"比{reference}少 {-lo2}% 以上",
        f"比{reference}少 {-lo1}%–{-lo2}%",
        f"与{reference}相差 {hi1}% 以内",
        f"比{reference}多 {hi1}%–{hi2}%",
        f"比{reference}多 {hi2}% 以上",
    )
    return Scale(
        DEVIATION_BREAKS,
        BELOW_ON_ABOVE,
        labels,
        title=f"{what}与{reference}({_count(target)})之差",
        meaning=MEANING["deviation"].replace("目标", reference),
    )


def rgb(colour: str) -> RGB:
    """``#2e7d32`` → (46, 125, 50)."""
    digits = colour.lstrip("#")
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def status_codes(statuses) -> list[float]:
    """Each status (green / amber / red / None) as the number ``for_status`` colours."""
    return [STATUS_CODES.get(s, math.nan) if isinstance(s, str) else math.nan for s in statuses]


def for_status(statuses, title: str = "", counted: str = "个") -> Scale:
    """The status scale: 达标, 预警 and 未达标 in ``targets.STATUS_COLOURS``, then 无目标或无数据
    in ``targets.NO_STATUS_COLOUR``, each label with how many of ``statuses`` are in it
    (达标 3 个网格, with ``counted="个网格"``). The colours never depend on the areas drawn; only
    the counts do. It colours ``status_codes``."""
    statuses = list(statuses)
    count = {s: sum(x == s for x in statuses) for s in targets.STATUSES}
    none = len(statuses) - sum(count.values())
    return Scale(
        (0.5, 1.5),
        tuple(rgb(targets.STATUS_COLOURS[s]) for s in targets.STATUSES),
        tuple(f"{targets.STATUS_LABELS[s]} {count[s]} {counted}" for s in targets.STATUSES),
        title=f"{title} · 目标状态" if title else "目标状态",
        meaning=MEANING["status"],
        missing=rgb(targets.NO_STATUS_COLOUR),
        missing_label=f"{NO_STATUS_LABEL} {none} {counted}",
        lists_missing=True,
    )


def nice_breaks(values, classes: int = 5) -> tuple[float, ...]:
    """``classes − 1`` round, evenly spaced breaks from about the 10th to the 90th percentile
    of ``values`` (NaN ignored): 200, 250, 300, 350. Empty when there are no values."""
    x = np.asarray([v for v in values if v is not None], dtype="float64")
    x = x[np.isfinite(x)]
    if x.size == 0:
        return ()
    low, high = np.percentile(x, [10, 90])
    if high <= low:  # (nearly) one value: round steps up to it
        low, high = 0.0, max(float(x.max()), 1.0)
    step = _nice(float(high - low) / (classes - 2))
    first = max(round(low / step) * step, step)  # a first class below zero would stay empty
    return tuple(float(first + step * k) for k in range(classes - 1))


def _nice(x: float) -> float:
    """The round step (1, 2, 2.5 or 5 × 10^n, whole numbers only) at or above ``x``; at least
    1 (counts are whole)."""
    if x <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if x <= step * (1 + 1e-9) and float(step).is_integer():
            return float(step)
    return float(10 * power)


def _range_labels(breaks: tuple[float, ...], show) -> tuple[str, ...]:
    """低于 b1 · b1–b2 · … · bn 及以上 (a lone class: 全部); the unit is in the title."""
    if not breaks:
        return ("全部",)
    middle = [f"{show(a)}–{show(b)}" for a, b in itertools.pairwise(breaks)]
    return (f"低于 {show(breaks[0])}", *middle, f"{show(breaks[-1])} 及以上")


def _percent(x: float) -> str:
    return f"{round(x * 100, 1):g}%"


def _hours(h: float) -> str:
    if h < 1:
        return f"{round(h * 60):g}分钟"
    if h < 48:
        return f"{round(h, 1):g}小时"
    return f"{round(h / 24, 1):g}天"


def _count(x: float) -> str:
    if abs(x) >= 1e5:
        return f"{x / 1e4:,.4g}万"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
