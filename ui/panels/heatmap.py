"""网格热力图: the grids coloured by a metric's value or by its status against each grid's
target (with event density over them, the worst raised in 3-D) and the grids most in need;
for one grid, its figures, trend, categories and staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

import pandas as pd

from analytics import formats as fmt
from analytics import heatmap, labels, metrics, queries, scales, targets
from analytics.filters import Filters
from ui import charts, data, findings, maps
from ui.context import Context
from ui.panel import AreaMap, KeyFigure, Panel, Section, Table
from ui.sidebar import scope_label

TITLE = "网格热力图"
MOST_IN_NEED = 12  # the grids listed beside the map (and on its slide)
ON_THE_MAP_SLIDE = 3  # of them, as key figures beside the map
CARD_METRICS = ("intake", *heatmap.MAP_METRICS)  # one grid's cards: intake, then the map's
Months = tuple[date, date] | None  # the page's month slider: first and last month, or all
COLOURINGS = {"value": "按数值", "status": "按目标状态"}  # what the map's colours show
NO_TARGET = "未设目标"


def period(ctx: Context, months: Months = None) -> Filters:
    """The sidebar's filters, narrowed to ``months`` when the slider chose some."""
    return heatmap.months_within(ctx.filters, *months) if months else ctx.filters


def grids(ctx: Context, months: Months = None) -> pd.DataFrame:
    """Every grid of the scope with its figures (``data.grid_figures``)."""
    return data.grid_figures(ctx.src, period(ctx, months), ctx.compare)


def grid_names(grids: pd.DataFrame) -> dict[str, str]:
    """Grid id → 龙湾街道 桂花社区 第1网格, as the grid dropdown lists them."""
    return dict(zip(grids["grid_id"], maps.grid_titles(grids), strict=True))


def mappable(ctx: Context, grids: pd.DataFrame) -> bool:
    """Whether there is a map to draw: grids, and their outlines."""
    return not grids.empty and not data.grid_shapes(ctx.src, ctx.filters).empty


def judged(ctx: Context, grids: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``grids`` with each grid's ``target`` on ``metric`` (its own, else its community's,
    street's or the district's; a count's only its own), its ``status`` and the status map's
    columns (``maps.STATUS_CODE``, ``maps.STATUS_NOTE``). A grid with fewer events than the
    settings' ``ranking_min_events`` keeps its status; its note says it is uncertain."""
    label = metrics.label(metric)
    goals = grid_targets(ctx, grids, metric, data.target_book())
    status = [targets.status(v, t) for v, t in zip(grids[metric], goals, strict=True)]
    few = few_events(grids)
    notes = [
        f"{label}{NO_TARGET}"
        if t is None
        else f"{label}目标 {targets.describe(t)} · "
        + (targets.STATUS_LABELS[s] if s else scales.NO_DATA_LABEL)
        + ("(事件较少,仅供参考)" if s and small else "")
        for t, s, small in zip(goals, status, few, strict=True)
    ]
    return grids.assign(
        target=pd.Series(goals, index=grids.index, dtype=object),
        status=pd.Series(status, index=grids.index, dtype=object),
        **{maps.STATUS_CODE: scales.status_codes(status), maps.STATUS_NOTE: notes},
    )


def grid_targets(
    ctx: Context, grids: pd.DataFrame, metric: str, book: targets.Book
) -> list[targets.Target | None]:
    """Each grid's target on ``metric`` in ``book`` (its own, else its community's, street's
    or the district's; a count's only its own), None where it has none."""
    if metric not in targets.TARGETABLE or grids.empty or not book:
        return [None] * len(grids)
    parents = data.parents(ctx.src)
    return [book.for_unit(metric, g, parents) for g in grids["grid_id"]]


def few_events(grids: pd.DataFrame) -> pd.Series:
    """Grids with fewer events in the period than the settings' ``ranking_min_events``: a
    status there turns on one or two events."""
    return grids["intake"].fillna(0) < data.settings()[0].ranking_min_events


def status_reason(ctx: Context, metric: str, grids: pd.DataFrame) -> str:
    """Why the grids cannot be coloured by their status on ``metric`` (the page says it by the
    disabled choice); "" when at least one grid has a target."""
    label = metrics.label(metric)
    if metric not in targets.TARGETABLE:
        return f"{label}没有好坏之分,不设目标,只能按数值着色。"
    if grids.empty:
        return "所选范围内没有网格。"
    book = data.target_book()
    if any(t is not None for t in grid_targets(ctx, grids, metric, book)):
        return ""
    if not book:
        return "尚未设定目标值:管理员可在「目标管理」页设定后按目标状态着色。"
    if metrics.unit(metric) == "count":
        return f"{label}的目标只适用于设定它的单位(全区、街道或社区),网格没有{label}目标。"
    return f"尚未为{label}设定目标:管理员可在「目标管理」页为全区、街道或社区设定。"


def build(
    ctx: Context,
    metric: str = "density",
    months: Months = None,
    density: bool = False,
    worst: int = 0,
    grid: str | None = None,
    colour: str = "value",
) -> Panel:
    """The map coloured by ``metric`` over ``months`` (None: the sidebar's whole period), with
    the event density over it if ``density``, the ``worst`` grids raised in 3-D and ``grid``
    outlined; and the grids most in need on ``metric``. ``colour`` "status" colours each grid
    by its status against its target (``COLOURINGS``) when any grid has one."""
    src, f = ctx.src, period(ctx, months)
    calls = {
        "grids": partial(data.grid_figures, src, f, ctx.compare),
        "shapes": partial(data.grid_shapes, src, ctx.filters),  # outlines: whatever the months
        "placement": partial(data.placement, src, f),
        "outlines": partial(data.unit_outlines, src, f.street_id, f.community_id),
    }
    if scales.is_volume(metric):  # its breaks: the district's, whichever street is shown
        calls["district"] = partial(data.grid_figures, src, maps.district(f), ctx.compare)
    if density:
        calls["hexes"] = partial(data.density_hexes, src, f)
        calls["district_hexes"] = partial(data.density_hexes, src, maps.district(f))
    data.prefetch(*calls.values())
    every, shapes, placement = calls["grids"](), calls["shapes"](), calls["placement"]()
    whole = calls["district"]() if "district" in calls else every
    scale = scales.for_metric(metric, whole[metric])
    every = judged(ctx, every, metric)
    by_status = colour == "status" and every["target"].notna().any()
    hexes = calls["hexes"]() if density else None
    density_scale = (
        scales.for_metric("intake", calls["district_hexes"]()["intake"]) if density else None
    )
    style_url = data.settings()[0].map_style_url  # the page explains an unusable file
    place = fmt.plain(scope_label(ctx.filters, src))
    layers = Layers(scale, calls["outlines"](), hexes, density_scale, by_status)
    return Panel(
        TITLE,
        (
            _map(every, shapes, metric, layers, worst, grid, placement, style_url, place),
            _most_in_need(every, metric),
        ),
    )


@dataclass(frozen=True, eq=False)
class Layers:
    """What the map draws besides the grids: their colour scale (of their values; replaced by
    ``scales.for_status`` when ``by_status``), the units' outlines, and the event density
    (hexagons, on their own scale) when asked for."""

    scale: scales.Scale
    outlines: pd.DataFrame
    hexes: pd.DataFrame | None = None
    density: scales.Scale | None = None
    by_status: bool = False


def _map(grids, shapes, metric, layers, worst, grid, placement, style_url, place) -> Section:
    label = metrics.label(metric)
    if grids.empty or shapes.empty:
        return Section(
            "heat_map",
            f"各网格{label}",
            empty="所选范围内没有网格(数据只到街道、社区一级),无法绘制网格热力图。"
            if grids.empty
            else "所选范围内没有网格边界数据:请在「数据导入」页导入网格边界(GeoJSON)。",
        )
    ranked = heatmap.worst(grids, metric, ON_THE_MAP_SLIDE)
    figures = tuple(
        KeyFigure(
            f"最需要关注 · 第{i}",
            title,
            f"{label} {fmt.value(metric, value)}"
            + (f" · {targets.STATUS_LABELS[status]}" if status else ""),
            "bad",
        )
        for i, (title, value, status) in enumerate(
            zip(maps.grid_titles(ranked), ranked[metric], ranked["status"], strict=True), start=1
        )
    )
    drawn = grids.merge(shapes, on="grid_id", how="inner")
    caption, notes = "", []
    if layers.by_status:
        scale = scales.for_status(drawn["status"], label, counted="个网格")
        colours = drawn[maps.STATUS_CODE]
        caption = status_caption(drawn, label)
        notes += few_events_note(drawn)
    else:
        scale, colours = layers.scale, drawn[metric]
    legend = maps.scale_legend(scale, colours)
    hexes = layers.hexes
    if hexes is not None and not hexes.empty:
        legend += [("", "事件密度(件/蜂窝格):"), *maps.scale_legend(layers.density)[1:-1]]
    if hexes is not None and hexes.empty and not hexes.attrs.get("hidden_cells"):
        notes.append("所选范围内的事件没有坐标,无法叠加事件密度。")
    if hexes is not None and hexes.attrs.get("hidden_cells"):
        notes.append(
            f"少于 {hexes.attrs['min_events']} 件的蜂窝格不显示(共 "
            f"{fmt.count(hexes.attrs['hidden_cells'])} 格、"
            f"{fmt.count(hexes.attrs['hidden_events'])} 件),以免指向具体住户。"
        )
    note = findings.map_note(placement)
    if note:
        notes.append(note)
    extrude = tuple(heatmap.worst(grids, metric, worst)["grid_id"]) if worst else ()
    return Section(
        "heat_map",
        f"各网格{label}" + ("目标状态" if layers.by_status else ""),
        caption,
        map=AreaMap(
            deck=lambda height_px=None: maps.heat_deck(
                grids,
                shapes,
                metric,
                scale,
                outlines=layers.outlines,
                hexes=hexes,
                density=layers.density,
                extrude=extrude,
                selected=grid,
                style_url=style_url,
                height_px=height_px,
                by_status=layers.by_status,
            ),
            figure=lambda: charts.area_map(
                list(drawn["polygons"]), colours, scale, layers.outlines
            ),
            legend=legend,
        ),
        figures=figures,
        notes=tuple(notes),
        hint="点击网格查看详情,点击网格外空白处关闭",
        name=f"网格热力图_{label}_{place}",
    )


def status_caption(drawn: pd.DataFrame, label: str) -> str:
    """What the status colours were judged against: the one target all grids share, or that
    each grid has its own unit's."""
    goals = set(drawn["target"].dropna())
    if len(goals) == 1:
        return f"按目标状态着色:{label}目标 {targets.describe(goals.pop())}"
    return f"按目标状态着色:各网格按其所在社区、街道或全区的{label}目标判定"


def few_events_note(drawn: pd.DataFrame) -> list[str]:
    """The note on grids judged on fewer events than the settings' ``ranking_min_events``:
    they keep their colour (a grid that missed its target did miss it), but their status
    turns on one or two events."""
    few = int((few_events(drawn) & drawn["status"].notna()).sum())
    if not few:
        return []
    least = data.settings()[0].ranking_min_events
    return [
        f"有 {fmt.count(few)} 个网格统计期内事件少于 {fmt.count(least)} 件,其状态只凭少数事件"
        "判定,仅供参考。"
    ]


def _status_cell(target: targets.Target | None, status: str | None) -> str:
    if target is None:
        return NO_TARGET
    return targets.STATUS_LABELS[status] if status else scales.NO_DATA_LABEL


def _most_in_need(grids, metric) -> Section:
    label = metrics.label(metric)
    ranked = heatmap.worst(grids, metric, MOST_IN_NEED)
    table = pd.DataFrame(
        {
            "网格": maps.grid_titles(ranked),
            label: ranked[metric].map(lambda v: fmt.value(metric, v)),
            "受理量": ranked["intake"].map(fmt.count),
        }
    )
    if grids["target"].notna().any():  # some grid has a target: each line says its status
        table["状态"] = [
            _status_cell(t, s) for t, s in zip(ranked["target"], ranked["status"], strict=True)
        ]
    shown = Table(table, height=460, slide_rows=MOST_IN_NEED, status="状态")
    return Section(
        "heat_worst",
        f"最需要关注的网格 · {label}",
        tables=(shown,) if not ranked.empty else (),
        empty="所选范围内没有网格。"
        if grids.empty
        else f"各网格都没有{label}的数据(如缺少户数、评价、办结时限或已受理的事件)。",
    )


# ---------------------------------------------------------------- one grid, on the page only


def grid_row(grids: pd.DataFrame, grid_id: str) -> pd.Series:
    """The grid's row of ``grids`` (with its ``grid_id``)."""
    grid = grids.set_index("grid_id").loc[grid_id]
    grid["grid_id"] = grid_id
    return grid


def grid_line(ctx: Context, grid: pd.Series, months: Months = None) -> str:
    """Where the grid is, its households, people, area and staff (and what the cards'
    changes compare with)."""
    f = period(ctx, months)
    comparable = queries.comparable(f, ctx.compare, data.data_range(ctx.src))
    return (
        f"{grid['street_name']} · {grid['community_name']} · "
        f"{fmt.count(grid['households'])} 户 · {fmt.count(grid['population'])} 人 · "
        f"{fmt.number(grid['area_km2'], 2)} 平方公里 · "
        f"专职网格员 {fmt.count(grid['full_time_workers'])} 人,"
        f"兼职 {fmt.count(grid['part_time_workers'])} 人"
        + (f" · 变化为{labels.COMPARISON.get(ctx.compare, '')}" if comparable else "")
    )


def grid_cards(grid: pd.Series) -> list[tuple[str, object, object, object]]:
    """The grid's cards: (metric, value, previous, change) of each of ``CARD_METRICS``."""
    cards = []
    for key in CARD_METRICS:
        previous = grid.get(f"{key}_prev")
        cards.append((key, grid[key], previous, metrics.change(key, grid[key], previous)))
    return cards


def grid_panel(ctx: Context, grid: pd.Series, months: Months = None) -> Panel:
    """One grid (``grid_row``): its monthly intake, main categories and staff."""
    src, f, compare = ctx.src, period(ctx, months), ctx.compare
    scope = heatmap.grid_scope(f, grid)
    calls = {
        "trend": partial(data.intake_trend, src, scope, "event_type", "month", None),
        "categories": partial(data.top_categories, src, scope, 5, compare),
        "workers": partial(data.grid_workers, src, f, grid["grid_id"]),
    }
    data.prefetch(*calls.values())
    name = labels.grid_title(grid["street_name"], grid["community_name"], grid["name"])
    trend, top = calls["trend"](), calls["categories"]()
    notes = data.calendar_notes(src, scope)  # the grid's, its community's and the district's
    empty = "该网格在统计期内没有事件。"
    return Panel(
        name,
        (
            Section(
                "heat_trend",
                "受理趋势(件/月)",
                chart=charts.mark_dates(charts.intake_trend(trend, freq="month"), notes, 500)
                if not trend.empty
                else None,
                empty=empty,
                name=f"受理趋势_{name}",
            ),
            Section(
                "heat_categories",
                "主要业务类别",
                chart=charts.category_bars(top, change_name=labels.COMPARISON.get(compare, ""))
                if not top.empty
                else None,
                empty=empty,
                name=f"主要业务类别_{name}",
            ),
            _workers(calls["workers"](), grid, f),
        ),
    )


# The staff table's counts, short enough for the side column, each explained on hover.
WORKER_COLUMNS = {
    "上报": "本人巡查上报的事件",
    "承办": "派给本人承办的其他事件",
    "合计": "上报 + 承办:本人经手的事件,发生在其他网格的也计入",
    "已办结": "合计中截至数据时点已办结的",
    "本网格内": "合计中发生在本网格的",
    "件/月": "合计 ÷ 统计期月数;与网格人均事件数(网格受理量 ÷ 专职网格员 ÷ 月数)口径不同",
}


def workload_line(grid: pd.Series, f: Filters) -> str:
    """The grid's 人均事件数 and how it is made, so it is not read as a worker's own figure."""
    staff = grid["full_time_workers"]
    intake = f"本网格受理量 {fmt.count(grid['intake'])} 件"
    if pd.isna(staff) or staff <= 0:
        return f"{intake};没有专职网格员,不计算网格人均事件数"
    return (
        f"网格人均事件数 {fmt.value('workload', grid['workload'])} 件/月 = {intake} ÷ "
        f"专职网格员 {fmt.count(staff)} 人 ÷ {fmt.number(f.months)} 个月"
    )


def idle_staff(workers: pd.DataFrame) -> pd.DataFrame:
    """Staff other than full-time workers without a single event in the period: left out of
    the table (a column of zeros reads as a fault) and named by role in a note instead."""
    return workers[(workers["role"] != "full_time") & (workers["events"] == 0)]


def _workers(workers: pd.DataFrame, grid: pd.Series, f: Filters) -> Section:
    idle = idle_staff(workers)
    shown = workers.drop(index=idle.index)
    table = pd.DataFrame(
        {
            "网格员": shown["name"],
            "角色": shown["role"].map(lambda r: labels.WORKER_ROLE.get(r, r)),
            "上报": shown["reported"],
            "承办": shown["handled"],
            "合计": shown["events"],
            "已办结": shown["closed"],
            "本网格内": shown["in_grid"],
            "件/月": shown["per_month"].round(1),
        }
    )
    notes = []
    if not workers.empty:
        in_grid = int(workers["in_grid"].sum())
        notes.append(
            f"本网格受理的 {fmt.count(grid['intake'])} 件中,{fmt.count(in_grid)} 件记有本网格"
            f"人员经手;其余 {fmt.count(max(int(grid['intake']) - in_grid, 0))} 件未记录经手人"
            "(如热线直派部门)或由其他人员经手。"
        )
    if not idle.empty:
        roles = idle["role"].map(lambda r: labels.WORKER_ROLE.get(r, r)).value_counts(sort=False)
        who = "、".join(f"{role} {fmt.count(n)} 人" for role, n in roles.items())
        notes.append(
            f"{who}在统计期内没有记在其名下的事件(事件数据未记录其上报或承办),未列入表中。"
        )
    if not workers.empty:
        notes.append("网格员姓名已脱敏。")
    formats = {c: "localized" for c in WORKER_COLUMNS} | {"件/月": "%.1f"}
    return Section(
        "heat_workers",
        "网格员工作量 · 本人经手事件",
        f"{workload_line(grid, f)};下表为每人经手(本人巡查上报或承办)的事件,"
        "发生在其他网格的也计入,与网格人均事件数口径不同",
        tables=(Table(table, formats=formats, help=WORKER_COLUMNS),) if not shown.empty else (),
        notes=tuple(notes),
        empty="没有该网格的网格员名册,可在「数据导入」页导入。"
        if workers.empty
        else "该网格的人员在统计期内都没有记在其名下的事件。",
    )
