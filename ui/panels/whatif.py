"""网格调整推演: a street's or community's grids re-drawn (by households per grid, number of
grids, a ceiling on events per worker, or by hand) beside today's: both maps, the figures
before and after, households per grid, and how well the response model forecasts.

The page's widgets need the scope before the plan (their ranges depend on it), and its hand
edits live in the session: the page calls :func:`scope`, then :func:`result` and
:func:`panel`; :func:`build` does the same at the page's defaults for the deck, and says why
on a slide when the scenario cannot be computed (too few grids to calibrate, no buildings).
"""

from __future__ import annotations

import json

import pandas as pd

from analytics import access, labels, scales
from analytics import formats as fmt
from analytics.planning import partition, queueing, scenario, whatif
from ui import charts, data, maps
from ui.context import Context
from ui.panel import AreaMap, KeyFigure, Panel, Section, Table

TITLE = "网格调整推演"
MODES = {
    "households": "按每格户数",
    "grids": "按网格总数",
    "ceiling": "按人均事件上限",
    "edit": "手工拆分合并",
}
DEFAULT_MODE = "households"
HOUSEHOLDS = (100, 1500)  # the households-per-grid slider's range
DEFAULT_CEILING = 150  # events a month per full-time worker
Edits = tuple[tuple[str, ...], ...]

# The comparison's rows: label, key of ``whatif.Outcome.totals``, format.
ROWS = [
    ("网格数", "grids", fmt.count),
    ("专职网格员", "full_time_workers", fmt.count),
    ("每格户数中位数", "households_median", fmt.count),
    ("户数变异系数", "households_cv", fmt.rate),
    ("最大/最小户数比", "households_max_min_ratio", lambda x: fmt.number(x, 2)),
    ("人均月事件数", "events_per_worker_month", fmt.number),
    ("人均月事件数(最忙网格)", "events_per_worker_month_max", fmt.number),
    ("预计响应时长中位数", "median_hours", fmt.predicted_hours),
    ("预计响应时长P90", "p90_hours", fmt.predicted_hours),
    ("预计按时办结率", "on_time_rate", fmt.rate),
    ("超负荷网格", "overloaded_grids", fmt.count),
    ("年度人力成本(元)", "annual_staff_cost", fmt.count),
]
HEADLINE = ("grids", "full_time_workers", "median_hours", "on_time_rate", "annual_staff_cost")
SPREAD = ("households_median", "households_cv", "households_max_min_ratio")


# ---------------------------------------------------------------- the scenario


def units(ctx: Context) -> dict[str, str]:
    """The units the viewer may re-draw, widest first (a scoped viewer plans inside their
    unit only), each with its label: 龙湾街道(街道)."""
    rows = data.org_units(ctx.src)
    names = dict(zip(rows["unit_id"], rows["name"], strict=True))
    levels = dict(zip(rows["unit_id"], rows["level"], strict=True))
    return {
        u: f"{names[u]}({labels.UNIT_LEVEL[levels[u]]})" for u in access.within(rows, ctx.src.scope)
    }


def default_unit(ctx: Context) -> str:
    """The sidebar's community or street, else the first street (else the district)."""
    choices = list(units(ctx))
    f = ctx.filters
    default = f.community_id or f.street_id or (choices[1] if len(choices) > 1 else choices[0])
    return default if default in choices else choices[0]


def unit_name(ctx: Context, unit_id: str) -> str:
    names = data.org_units(ctx.src).set_index("unit_id")["name"]
    return str(names.get(unit_id, unit_id))


def scope(ctx: Context, unit_id: str) -> whatif.Scope:
    """The unit's buildings and grids, with the response model calibrated (both cached);
    ValueError in Chinese when there are no buildings or too few grids to calibrate."""
    found = data.whatif_scope(ctx.src, unit_id)
    data.whatif_model(ctx.src, data.settings()[0].worker_hours_per_month)
    return found


def default_value(found: whatif.Scope, mode: str) -> float | None:
    """What the page's value widget starts at for ``mode``: today's median households per grid
    (within the slider's range), today's number of grids, or ``DEFAULT_CEILING``."""
    if mode == "households":
        low, high = HOUSEHOLDS
        return int(min(max(found.grids["households"].median(), low), high))
    if mode == "grids":
        return len(found.grids)
    if mode == "ceiling":
        return DEFAULT_CEILING
    return None


def choice(
    unit_id: str, mode: str, value: float | None, least_change: bool, edits: Edits = ()
) -> scenario.Scenario:
    """The scenario the widgets describe: ``value`` is the target of ``mode``; the hand
    ``edits`` count only in the "edit" mode, where least change does not apply."""
    return scenario.Scenario(
        unit_id,
        households_per_grid=float(value) if mode == "households" and value else None,
        n_grids=int(value) if mode == "grids" and value else None,
        events_ceiling=float(value) if mode == "ceiling" and value else None,
        least_change=least_change and mode != "edit",
        edits=tuple(edits) if mode == "edit" else (),
    )


def result(ctx: Context, chosen: scenario.Scenario) -> scenario.Result:
    """The plan beside today's grids (ValueError in Chinese for a target or an edit the
    partitioner refuses)."""
    return data.whatif_result(ctx.src, chosen, data.settings()[0])


def edits_line(edits: Edits) -> str:
    """拆分 G1;合并 G2 与 G3"""
    return ";".join(f"拆分 {e[1]}" if e[0] == "split" else f"合并 {e[1]} 与 {e[2]}" for e in edits)


def describe(chosen: scenario.Scenario) -> str:
    """The scenario in words: 按每格户数 430 户重新划分,尽量少改动."""
    if chosen.households_per_grid:
        text = f"按每格 {fmt.count(chosen.households_per_grid)} 户重新划分"
    elif chosen.n_grids:
        text = f"按网格总数 {fmt.count(chosen.n_grids)} 个重新划分"
    elif chosen.events_ceiling:
        text = f"按每名专职网格员每月不超过 {fmt.count(chosen.events_ceiling)} 件事件重新划分"
    elif chosen.edits:
        text = f"手工调整:{edits_line(chosen.edits)}"
    else:
        text = "未做调整"
    return text + (",尽量少改动" if chosen.least_change else "")


def assignment_table(plan: partition.Plan) -> pd.DataFrame:
    """Which grid each building goes to, as downloaded."""
    return plan.assignment[["building_id", "old_grid_id", "new_grid_id"]].rename(
        columns={"building_id": "楼栋编号", "old_grid_id": "原网格", "new_grid_id": "新网格"}
    )


def plan_geojson(done: scenario.Result) -> str:
    return json.dumps(whatif.plan_geojson(done.plan), ensure_ascii=False)


def summary_json(done: scenario.Result) -> str:
    return json.dumps(done.summary(), ensure_ascii=False, indent=2, allow_nan=False)


# ---------------------------------------------------------------- the panel


def build(
    ctx: Context,
    unit_id: str | None = None,
    mode: str = DEFAULT_MODE,
    value: float | None = None,
    least_change: bool = False,
    edits: Edits = (),
) -> Panel:
    """The plan for ``unit_id`` (the page's default unit) re-drawn by ``mode`` to ``value``
    (the page's default for the mode), or by the hand ``edits``, beside today's grids; or,
    when that cannot be computed, one section saying why."""
    unit_id = unit_id or default_unit(ctx)
    try:
        found = scope(ctx, unit_id)
        value = default_value(found, mode) if value is None else value
        done = result(ctx, choice(unit_id, mode, value, least_change, edits))
    except ValueError as exc:
        return unavailable(ctx, unit_id, str(exc))
    return panel(ctx, done)


def unavailable(ctx: Context, unit_id: str, reason: str) -> Panel:
    """The panel of a scenario that cannot be computed: the reason, in Chinese."""
    title = f"调整前后对比 · {unit_name(ctx, unit_id)}"
    return Panel(TITLE, (Section("wi_compare", title, empty=reason),))


def panel(ctx: Context, done: scenario.Result) -> Panel:
    """The sections of a computed scenario: both maps, the comparison, households per grid
    and the model's back-test."""
    name = unit_name(ctx, done.scenario.unit_id)
    settings = data.settings()[0]  # the page explains an unusable file
    return Panel(
        TITLE,
        (
            *_maps(ctx, done, name, settings.map_style_url),
            _comparison(done, name, settings.cost_per_worker_year),
            _households(done, name),
            _backtest(done, name),
        ),
    )


def _change(done: scenario.Result, key: str) -> KeyFigure:
    """A figure after the change, with its value before as the note."""
    title, _, show = next(row for row in ROWS if row[1] == key)
    before, after = done.before.totals[key], done.after.totals[key]
    return KeyFigure(title, show(after), f"调整前 {show(before)}")


def _rings(geometry: pd.Series) -> list[list]:
    """Each GeoJSON (Multi)Polygon's outer rings; none for a grid without a shape."""
    rings = []
    for text in geometry:
        geom = json.loads(text) if text else None
        if geom is None:
            rings.append([])
            continue
        parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        rings.append([part[0] for part in parts])
    return rings


def target_households(done: scenario.Result) -> tuple[float, str]:
    """What the maps measure each grid against: the households per grid asked for, else the
    plan's average (households over its grids), with the word the legend uses for it."""
    if done.scenario.households_per_grid:
        return float(done.scenario.households_per_grid), "目标"
    households = float(done.after.grids["households"].sum())
    return float(round(households / max(len(done.after.grids), 1))), "平均"


def grid_titles(ctx: Context, figures: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Each grid of ``figures`` named in full (street community grid); a new grid of the plan
    by its number: 龙湾街道 桂花社区 新网格 S01C01-N1."""
    units = data.org_units(ctx.src).set_index("unit_id")
    unit_name, parent = units["name"].to_dict(), units["parent_id"].to_dict()
    return [
        labels.grid_title(
            unit_name.get(parent.get(c)), unit_name.get(c), names.get(g, f"新网格 {g}")
        )
        for g, c in zip(figures["grid_id"], figures["community_id"], strict=True)
    ]


def outlines(ctx: Context, found: whatif.Scope) -> pd.DataFrame:
    """The outlines of the unit re-drawn and its parts (``data.unit_outlines``)."""
    if found.level == "street":
        return data.unit_outlines(ctx.src, found.unit_id, None)
    if found.level == "community":
        return data.unit_outlines(ctx.src, None, found.unit_id)
    return data.unit_outlines(ctx.src, None, None)


def _maps(
    ctx: Context, done: scenario.Result, name: str, style_url: str
) -> tuple[Section, Section]:
    """Today's grids and the plan, coloured by how far each grid's households are from the
    target on one diverging scale (so before and after read alike, and a plan that evens
    the grids out looks calmer), with the unit's outlines and names."""
    before, after = done.before.grids, done.after.grids
    target, reference = target_households(done)
    scale = scales.deviation(target, "每格户数", reference)
    units = outlines(ctx, done.scope)
    names = dict(zip(done.scope.grids["grid_id"], done.scope.grids["name"], strict=True))

    def area_map(figures: pd.DataFrame, plan: partition.Plan) -> AreaMap:
        gaps = figures["households"] / target - 1
        return AreaMap(
            deck=lambda height_px=None: maps.plan_deck(
                figures,
                plan.grids["geometry"],
                grid_titles(ctx, figures, names),
                target,
                scale,
                units,
                style_url,
                reference,
                height_px,
            ),
            figure=lambda: charts.area_map(_rings(plan.grids["geometry"]), gaps, scale, units),
            legend=maps.scale_legend(scale, gaps),
        )

    share = {
        side: float(((outcome.grids["households"] / target - 1).abs() <= 0.10).mean())
        for side, outcome in (("before", done.before), ("after", done.after))
    }
    on_target = f"{fmt.rate(share['before'], 0)} 的网格与{reference}相差 10% 以内"
    return (
        Section(
            "wi_map_before",
            f"调整前 · {fmt.count(done.before.totals['grids'])} 个网格",
            f"{name}现有网格:{on_target}",
            map=area_map(before, done.today),
            name=f"调整前网格_{name}",
        ),
        Section(
            "wi_map_after",
            f"调整后 · {fmt.count(done.after.totals['grids'])} 个网格",
            f"{describe(done.scenario)}:{fmt.rate(share['after'], 0)} 的网格与{reference}"
            "相差 10% 以内,与调整前同一色阶",
            map=area_map(after, done.plan),
            figures=tuple(_change(done, key) for key in HEADLINE),
            name=f"调整后网格_{name}",
        ),
    )


def _comparison(done, name, cost_per_worker_year) -> Section:
    b, a = done.before.totals, done.after.totals
    table = pd.DataFrame(
        {
            "指标": [title for title, _, _ in ROWS],
            "调整前": [show(b[key]) for _, key, show in ROWS],
            "调整后": [show(a[key]) for _, key, show in ROWS],
        }
    )
    stats = done.plan.stats
    note = (
        f"保持原网格的楼栋 {fmt.rate(stats['kept_share'])};"
        + ("新网格全部连成一片;" if stats["all_contiguous"] else "有新网格不连片(社区分成几块);")
        + f"平均紧凑度 {fmt.number(stats['mean_compactness'], 2)}(圆为 1)。"
        f"人力成本按每人每年 {fmt.count(cost_per_worker_year)} 元。"
    )
    return Section(
        "wi_compare",
        f"调整前后对比 · {name}",
        tables=(Table(table, height=460, slide_rows=len(ROWS)),),
        notes=(note,),
    )


def _households(done, name) -> Section:
    cap = fmt.count(done.staff_cap)
    return Section(
        "wi_hist",
        "每格户数分布",
        chart=charts.households_histogram(
            done.before.grids["households"], done.after.grids["households"]
        ),
        figures=tuple(_change(done, key) for key in SPREAD),
        notes=(
            "每栋楼带着原网格每户的事件量进入新网格。每个新网格配一名专职网格员,每月事件超过 "
            f"{cap} 件的按每 {cap} 件增配一名;调整前为现有人员。",
        ),
        name=f"每格户数分布_{name}",
    )


def _backtest(done, name) -> Section:
    model, tests = done.model, done.tests
    chosen = tests[model.kind]
    others = ";".join(
        f"{queueing.KINDS[k]}误差 {fmt.rate(t.median_mape)}"
        for k, t in tests.items()
        if k != model.kind
    )
    return Section(
        "wi_backtest",
        f"模型可信度 · {queueing.KINDS[model.kind]}",
        chart=charts.backtest_scatter(chosen.predictions),
        figures=(
            KeyFigure("响应时长中位数平均误差", fmt.rate(chosen.median_mape)),
            KeyFigure("相关系数", fmt.number(chosen.median_r, 2)),
            KeyFigure("校准网格", f"{fmt.count(len(done.calibration))} 个"),
        ),
        notes=(
            f"用现有 {fmt.count(len(done.calibration))} 个网格近一年的数据校准,五折交叉验证:"
            f"每个网格由未用它拟合的模型预测。响应时长中位数平均误差 "
            f"{fmt.rate(chosen.median_mape)},相关系数 {fmt.number(chosen.median_r, 2)};"
            f"{others}。",
        ),
        name=f"模型回测_{name}",
    )
