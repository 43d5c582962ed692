"""问题清单: what missed its target in the selected period, each line with its figure, target,
gap and the unit accountable for it.

Three kinds of line, in this order:

- 未达标 (``target``): the scope itself and every street, community and grid below it whose
  figure on a metric with a target is 未达标 or 预警 against its own resolved target
  (``targets.Book.for_unit``: a unit's own target, else its parent's, else the district's;
  a count's target only on the unit it is set on).
  A unit with fewer than ``min_events`` events in the period (受理量) is not judged: a rate
  over a handful of events says more about chance than about the unit (the ranking's rule,
  ``settings.ranking_min_events``). A grid's 超期 is left to the 超期积压 lines, not listed
  twice.
- 超期积压 (``overdue``): the grids holding overdue (超期) events of the period now, most
  first (``queries.overdue_grids``), beyond their 超期 target if one is set, else beyond 0.
- 上升类别 (``rising``): the categories rising against the same period a year earlier by the
  trends page's rule (``trends.rising_categories``), each owned by the street (within a
  street, the community) whose count of it rose most.

Only unit names and figures: no personal data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
from ibis.backends import BaseBackend

from analytics import formats as fmt
from analytics import labels, metrics, queries, targets, trends
from analytics.filters import Filters
from analytics.queries import DataRange

KINDS = {"target": "未达标", "overdue": "超期积压", "rising": "上升类别"}
COLUMNS = [
    "kind",
    "kind_label",
    "metric",
    "metric_label",
    "level",
    "unit_id",
    "unit",
    "owner",
    "figure",
    "figure_text",
    "target_text",
    "gap",
    "gap_text",
    "status",
]
TABLE_COLUMNS = {
    "kind_label": "类型",
    "metric_label": "指标",
    "unit": "单位",
    "owner": "责任单位",
    "figure_text": "实际值",
    "target_text": "目标",
    "gap_text": "差距",
    "status_label": "状态",
}
UNIT_LEVELS = ("street", "community", "grid")
MAX_OVERDUE = 20
MAX_RISING = 10  # as many as the trends page lists
DISTRICT_NAME = "全区"  # when the data names no district
_STATUS_ORDER = {"red": 0, "amber": 1}


def scope_level(f: Filters) -> str:
    """The level of ``f``'s selected unit: grid, community, street or district."""
    if f.grid_id:
        return "grid"
    if f.community_id:
        return "community"
    if f.street_id:
        return "street"
    return "district"


def unit_levels_below(f: Filters) -> tuple[str, ...]:
    """The unit levels inside ``f``'s scope: streets, communities and grids of the district,
    communities and grids of a street, the grids of a community, none below a grid."""
    level = scope_level(f)
    return UNIT_LEVELS[UNIT_LEVELS.index(level) + 1 :] if level != "district" else UNIT_LEVELS


def unit_titles(con: BaseBackend, f: Filters) -> dict[str | None, str]:
    """What a unit is called in a list: a street by its name, a community with its street's
    (communities' names repeat across streets), a grid by its full title (街道 社区 网格,
    ``labels.grid_title``), the district (key None) by its name."""
    units = queries.org_units(con)
    names: dict[str | None, str] = dict(zip(units["unit_id"], units["name"], strict=True))
    for unit, parent, level in zip(
        units["unit_id"], units["parent_id"], units["level"], strict=True
    ):
        if level == "community" and parent in names:  # 龙湾街道 紫荆社区: names repeat
            names[unit] = f"{names[parent]} {names[unit]}"
    district = units.loc[units["level"] == "district", "name"]
    names[None] = district.iloc[0] if len(district) else DISTRICT_NAME
    grids = queries.grid_reference(con, f)
    rows = zip(
        grids["grid_id"], grids["street_name"], grids["community_name"], grids["name"], strict=True
    )
    for grid, street, community, name in rows:
        names[grid] = labels.grid_title(street, community, name)
    return names


def problem_list(
    con: BaseBackend,
    f: Filters,
    coverage: DataRange,
    book: targets.Book,
    parents: Mapping[str, str | None],
    *,
    min_events: int = 30,
    max_rows: int = 500,
) -> pd.DataFrame:
    """The 问题清单 of ``f`` (``COLUMNS``): at most ``max_rows`` 未达标 lines (未达标 before
    预警, each by its gap relative to the target, largest first), then the 超期积压 and
    上升类别 lines (at most ``MAX_OVERDUE`` and ``MAX_RISING``; see the module's docstring).
    Units with fewer than ``min_events`` events in the period are not judged against
    targets."""
    names = unit_titles(con, f)
    rows = _target_lines(con, f, coverage, book, parents, names, min_events)
    rows.sort(key=_target_order)
    rows = rows[:max_rows]
    rows += _overdue_lines(con, f, coverage, book, parents, names)
    rows += _rising_lines(con, f, coverage, names)
    out = pd.DataFrame([{c: row[c] for c in COLUMNS} for row in rows], columns=COLUMNS)
    out["figure"] = pd.to_numeric(out["figure"]).astype("float64")
    out["gap"] = pd.to_numeric(out["gap"]).astype("float64")
    return out


def table(problems: pd.DataFrame) -> pd.DataFrame:
    """The list as users download and print it: 类型, 指标, 单位, 责任单位, 实际值, 目标,
    差距, 状态 (未达标 / 预警; — for lines not judged against a target)."""
    status = [targets.STATUS_LABELS.get(s, fmt.MISSING) for s in problems["status"]]
    shown = problems.assign(status_label=status)[list(TABLE_COLUMNS)]
    return shown.rename(columns=TABLE_COLUMNS).reset_index(drop=True)


def _count_text(n) -> str:
    return f"{fmt.count(n)} 件"


def figure_text(metric: str, value) -> str:
    """A figure as the list shows it: 93.1%, 2.5小时, 12 件."""
    if metrics.unit(metric) == "count" and metric not in metrics.DERIVED:
        return _count_text(value)
    return fmt.value(metric, value)


def _line(
    kind: str, metric: str, metric_label: str, level: str, unit_id, names, owner_id=None
) -> dict:
    """A line's identity; the accountable unit is ``owner_id`` when given (a grid's
    community), else the unit itself."""
    owner = unit_id if owner_id is None else owner_id
    return {
        "kind": kind,
        "kind_label": KINDS[kind],
        "metric": metric,
        "metric_label": metric_label,
        "level": level,
        "unit_id": unit_id,
        "unit": names.get(unit_id, unit_id),
        "owner": names.get(owner, owner),
    }


def _target_lines(con, f, coverage, book, parents, names, min_events) -> list[dict]:
    """The scope and each unit below it missing a target: one ``metric_table`` per level."""
    if not book:
        return []
    keys = list(dict.fromkeys(["intake", *book.metrics]))
    scope = queries.metric_table(con, f, coverage, keys, compare=None)
    rows = _misses(
        scope.assign(unit_id=f.unit_id), scope_level(f), book, parents, names, min_events
    )
    for level in unit_levels_below(f):
        by = f"{level}_id"
        values = queries.metric_table(con, f, coverage, keys, by=(by,), compare=None)
        values = values[values[by].notna()].rename(columns={by: "unit_id"})
        rows += _misses(values, level, book, parents, names, min_events)
    return rows


def _misses(values: pd.DataFrame, level: str, book, parents, names, min_events) -> list[dict]:
    """The lines of ``values`` (one row per unit: unit_id, intake and the book's metrics)
    that are 未达标 or 预警 against the unit's own resolved target."""
    judged = [m for m in book.metrics if not (level == "grid" and m == "overdue")]
    rows = []
    for row in values.to_dict("records"):
        if row["intake"] < min_events:
            continue
        unit = row["unit_id"]
        for metric in judged:
            t = book.for_unit(metric, unit, parents)
            s = targets.status(row[metric], t)
            if s not in _STATUS_ORDER:
                continue
            g = targets.gap(row[metric], t)
            rows.append(
                _line(
                    "target",
                    metric,
                    metrics.label(metric),
                    level,
                    unit,
                    names,
                    parents.get(unit) if level == "grid" else None,
                )  # fmt: skip
                | {
                    "figure": float(row[metric]),
                    "figure_text": figure_text(metric, row[metric]),
                    "target_text": targets.describe(t),
                    "gap": g,
                    "gap_text": targets.gap_text(metric, g),
                    "status": s,
                    "relative_gap": g / abs(t.target) if t.target else math.inf,
                }
            )
    return rows


def _target_order(row: dict) -> tuple:
    return (
        _STATUS_ORDER[row["status"]],
        -row["relative_gap"],
        ("district", *UNIT_LEVELS).index(row["level"]),
        str(row["unit_id"] or ""),
        targets.TARGETABLE.index(row["metric"]),
    )


def _overdue_lines(con, f, coverage, book, parents, names) -> list[dict]:
    """Grids over their 超期 target (else over 0), most overdue first, at most MAX_OVERDUE."""
    keys = ["intake", "backlog", "overdue"]
    grids = queries.metric_table(con, f, coverage, keys, by=("grid_id",), compare=None)
    grids = grids[grids["grid_id"].notna()]
    rows = []
    for row in queries.overdue_grids(grids, n=len(grids)).to_dict("records"):
        grid = row["grid_id"]
        t = book.for_unit("overdue", grid, parents)
        target = t.target if t is not None else 0.0
        g = float(row["overdue"]) - target
        if g <= 0:
            continue
        rows.append(
            _line(
                "overdue",
                "overdue",
                metrics.label("overdue"),
                "grid",
                grid,
                names,
                parents.get(grid),
            )  # fmt: skip
            | {
                "figure": float(row["overdue"]),
                "figure_text": _count_text(row["overdue"]),
                "target_text": targets.describe(t) if t is not None else _count_text(0),
                "gap": g,
                "gap_text": targets.gap_text("overdue", g),
                "status": "red",
            }
        )
        if len(rows) == MAX_OVERDUE:
            break
    return rows


def _rising_lines(con, f, coverage, names) -> list[dict]:
    """Categories rising against last year (when the data reaches back a year), each owned
    by the unit one level down whose count of it rose most."""
    if not queries.comparable(f, "yoy", coverage):
        return []
    rising = trends.rising_categories(con, f, coverage, n=MAX_RISING, compare="yoy")
    if rising.empty:
        return []
    owners = _rising_owners(con, f, coverage, tuple(rising["category"]))
    level = scope_level(f)
    rows = []
    for row in rising.to_dict("records"):
        category = str(row["category"])
        line = _line("rising", "intake", f"{category}(受理量)", level, f.unit_id, names)
        owner = owners.get(category)
        if owner is not None:
            line["owner"] = names.get(owner, owner)
        rows.append(
            line
            | {
                "figure": float(row["intake"]),
                "figure_text": _count_text(row["intake"]),
                "target_text": f"上年同期 {_count_text(row['intake_prev'])}",
                "gap": float(row["change"]),
                "gap_text": fmt.change("intake", row["change"]),
                "status": None,
            }
        )
    return rows


def _rising_owners(con, f, coverage, categories: tuple[str, ...]) -> dict[str, str]:
    """Per category, the street (within a street, the community) whose intake of it rose
    most against last year; none below a community (the scope owns it)."""
    level = {"district": "street_id", "street": "community_id"}.get(scope_level(f))
    if level is None:
        return {}
    wanted = replace(f, categories=categories)
    df = queries.metric_table(
        con, wanted, coverage, ["intake"], by=("category", level), compare="yoy"
    )
    df = df[df[level].notna()].assign(rise=df["intake"] - df["intake_prev"])
    df = df[df["rise"] > 0].sort_values(["category", "rise", level], ascending=[True, False, True])
    top = df.drop_duplicates("category")
    return dict(zip(top["category"], top[level], strict=True))
