"""一屏统览: the headline figures with the monthly intake trend, the map of grids (or of
hexagons of events, for data without grid outlines), the hot categories, the two grid alerts
and the backlog's ageing."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd

from analytics import formats as fmt
from analytics import labels, metrics, queries, scales, targets, trends
from analytics.filters import Filters
from ui import cards, charts, data, findings, maps
from ui.context import Context
from ui.panel import AreaMap, KeyFigure, Panel, Section, Table, kpi_figures, with_change
from ui.panels import targets as targets_panel
from ui.sidebar import scope_label

TITLE = "一屏统览"
# The map's metrics (colour darker where higher is worse): grids, or hexagons of events.
MAP_METRICS = {k: metrics.higher_is_worse(k) for k in ("density", "closure_rate", "overdue")}
HEX_MAP_METRICS = {k: metrics.higher_is_worse(k) for k in ("intake", "closure_rate", "overdue")}
TOP_CATEGORIES = 8
NO_TARGETS = "尚未设定目标值,卡片只显示数值(管理员可在「目标管理」页设定)"
NO_GRIDS = "所选范围内没有网格(数据只到街道、社区一级),无法按网格预警。"
PER = {"density": " 件/千户", "overdue": " 件"}  # after a grid's value in the map's figures


def kpis(ctx: Context) -> pd.DataFrame:
    """The headline figures (``data.counted_kpis``): the page's metric cards, the slides' key
    figures."""
    return data.counted_kpis(ctx.src, ctx.filters, ctx.compare)


# Figures that wait for events to be closed (办结率, 积压 …) are measured at the data's last
# day: a month that ended less than SETTLING_DAYS before it has had no time to close its events
# and always looks like a collapse (办结率 98 % falling to 80 % in the last month). Their trend
# lines stop before such months; intake and response times are final within hours.
SETTLING = frozenset({"closure_rate", "on_time_rate", "satisfaction_rate", "grid_level_rate",
                      "backlog"})  # fmt: skip
SETTLING_DAYS = cards.SETTLING_DAYS  # the cards' help says it


def months(ctx: Context) -> pd.DataFrame:
    """The headline figures by month (``data.counted_months``), the cards' trend lines, with
    ``complete``: False for a month the period or the data covers only in part, by the rule
    that marks the trend chart's partial months (``trends.partial_buckets``); and
    ``settled``: False for a month that ended less than ``SETTLING_DAYS`` before the data's
    last moment (too recent for the ``SETTLING`` figures)."""
    df = data.counted_months(ctx.src, ctx.filters, ctx.compare)
    coverage = data.data_range(ctx.src)
    partial = trends.partial_buckets(df["month"], "month", ctx.filters, coverage)
    settled = trends.settled_months(df["month"], coverage, SETTLING_DAYS)
    return df.assign(complete=~partial.to_numpy(), settled=settled.to_numpy())


def trend_line(months: pd.DataFrame, metric: str) -> list[float]:
    """A card's trend line: the metric by whole month, without months too recent for it."""
    keep = months["complete"] & (months["settled"] if metric in SETTLING else True)
    return months.loc[keep, metric].tolist()


def hexagons(ctx: Context) -> bool:
    """Whether the map draws hexagons of the events: the scope has no grid outlines (e.g. a
    311 export). The map's metrics are then ``HEX_MAP_METRICS``."""
    return data.grid_shapes(ctx.src, ctx.filters).empty


PLACE = ("street_id", "community_id", "grid_id")


def _with_places(shown: pd.DataFrame, grids: pd.DataFrame) -> pd.DataFrame:
    """``shown`` carrying each row's grid in ``attrs["places"]`` (street, community and grid
    ids), so that a selected row can list its events (``drilldown.events``)."""
    shown.attrs["places"] = grids[list(PLACE)].to_dict("records") if len(grids) else []
    return shown


def row_place(table: pd.DataFrame, row: int) -> dict | None:
    """The street, community and grid ids of row ``row`` of an alert table (None when the
    table has no such row)."""
    places = table.attrs.get("places", [])
    return places[row] if 0 <= row < len(places) else None


def categories_shown(ctx: Context) -> pd.DataFrame:
    """The hot categories' bars (``data.top_categories``), for telling which one was clicked."""
    return data.top_categories(ctx.src, ctx.filters, TOP_CATEGORIES, ctx.compare)


def clicked_category(top: pd.DataFrame, points) -> str | None:
    """The category of the first clicked bar: its label as drawn (``fmt.chart_text``) mapped
    back to the category."""
    drawn = {fmt.chart_text(c): c for c in top["category"]}
    for point in points or ():
        category = drawn.get(point.get("y"))
        if category is not None:
            return category
    return None


def narrowed(f: Filters, category: str | None) -> Filters:
    """``f`` narrowed to one ``category`` (the page's cross-filter), or ``f`` itself."""
    return replace(f, categories=(category,)) if category else f


def worsening_table(worse: pd.DataFrame, comparison: str) -> pd.DataFrame:
    """The grids whose intake rose most (``queries.worsening_grids``) as shown."""
    shown = pd.DataFrame(
        {
            "网格": maps.grid_titles(worse),
            "每千户事件": worse["density"].map(fmt.number),
            comparison: worse["intake_change"].map(lambda x: fmt.change("intake", x)),
            "办结率": worse["closure_rate"].map(fmt.rate),
            "办结率变化": worse["closure_change"].map(
                lambda x: fmt.change("closure_rate", x) or fmt.MISSING
            ),
        }
    )
    return _with_places(shown, worse)


def overdue_table(late: pd.DataFrame) -> pd.DataFrame:
    """The grids with the most overdue backlog (``queries.overdue_grids``) as shown."""
    shown = pd.DataFrame(
        {
            "网格": maps.grid_titles(late),
            "超期": late["overdue"].map(fmt.count),
            "积压": late["backlog"].map(fmt.count),
            "按时办结率": late["on_time_rate"].map(fmt.rate),
        }
    )
    return _with_places(shown, late)


def build(
    ctx: Context,
    map_metric: str | None = None,
    category: str | None = None,
    book: targets.Book | None = None,
) -> Panel:
    """``map_metric``: what colours the map, one of ``MAP_METRICS`` (or ``HEX_MAP_METRICS``
    when the map draws hexagons); None is the first of them. ``category``: the hot category
    clicked on the page (cross-filtering): the trend, the map, the alerts and the ageing show
    only its events; the headline figures and the bars keep the whole selection. ``book``:
    the targets the page has read already (None: read them)."""
    src, whole, compare = ctx.src, ctx.filters, ctx.compare
    f = narrowed(whole, category)
    coverage = data.data_range(src)
    comparison = labels.COMPARISON.get(compare, "")
    place = fmt.plain(scope_label(whole, src) + (f" · {category}" if category else ""))
    # The cards, their trend lines, the map, the alerts and the placement note all come from
    # one scan's counts (``data.event_counts``; one for ``whole``, one more for ``f`` when a
    # category is clicked); the cards and their lines add a median each.
    calls = {
        "counts": partial(data.event_counts, src, f, compare),
        "whole": partial(data.event_counts, src, whole, compare),
        "kpis": partial(data.counted_kpis, src, whole, compare),
        "months": partial(data.counted_months, src, whole, compare),  # the page's cards
        # Monthly lines read best against the same months a year earlier, whatever the cards use.
        "trend": partial(data.intake_trend, src, f, "event_type", "month", "yoy"),
        "grids": partial(data.grid_metrics, src, f, compare),
        "shapes": partial(data.grid_shapes, src, f),
        "placement": partial(data.counted_placement, src, f, compare),
        "categories": partial(data.top_categories, src, whole, TOP_CATEGORIES, compare),
        "ageing": partial(data.backlog_ageing, src, f),
        "notes": partial(data.calendar_notes, src, f),
        "outlines": partial(data.unit_outlines, src, f.street_id, f.community_id),
        # a volume's colour breaks come from the whole district's grids (hexagons: see _hex_map)
        "district": partial(data.grid_metrics, src, maps.district(f), compare),
    }
    if not category:
        del calls["whole"]  # the same as "counts"
    if not scales.is_volume(map_metric or next(iter(MAP_METRICS))):
        del calls["district"]  # a rate's breaks are fixed: the district is not needed
    book = data.target_book() if book is None else book
    score = targets_panel.score_calls(ctx, book)  # the header's 综合指数
    data.prefetch(*calls.values(), *score)
    kpis, grids, placement = calls["kpis"](), calls["grids"](), calls["placement"]()
    shapes = calls["shapes"]()
    style_url = data.settings()[0].map_style_url  # the heatmap page explains an unusable file
    if shapes.empty:  # no grid outlines: hexagons of the events' coordinates
        hexes = data.hex_metrics(src, f, compare)
        metric = map_metric or next(iter(HEX_MAP_METRICS))
        area = _hex_map(hexes, metric, placement, style_url, (src, f, compare))
    else:
        metric = map_metric or next(iter(MAP_METRICS))
        district, outlines = calls.get("district"), calls["outlines"]()
        area = _grid_map(grids, shapes, metric, placement, style_url, district, outlines)
    comparable = queries.comparable(f, compare, coverage)
    return Panel(
        TITLE,
        (
            _trend(
                calls["trend"](),
                kpis,
                comparison,
                place,
                calls["notes"](),
                f,
                coverage,
                partial(book.for_unit, unit_id=whole.unit_id, parents=data.parents(src)),
            ),  # fmt: skip
            area,
            _categories(calls["categories"](), comparison, place),
            _worsening(
                grids,
                data.worsening_grids(src, f, compare) if comparable else pd.DataFrame(),
                comparison,
                queries.comparison_problem(f, compare, coverage),
            ),
            _overdue(grids, data.overdue_grids(src, f, compare), placement),
            _ageing(calls["ageing"](), kpis, comparison, place),
        ),
    )


def _trend(trend, kpis, comparison, place, notes, f, coverage, target_of) -> Section:
    """The monthly lines, the partial months (the period's or the data's ends) marked as such
    and the calendar's notes (``analytics.annotations``) drawn on them; the slide's key
    figures are the cards, with their targets (``target_of``: metric → target)."""
    heading, shown = charts.overview_trend_groups(trend)
    trend = trend.assign(
        partial=trends.partial_buckets(trend["bucket"], "month", f, coverage).to_numpy()
    )
    chart = None
    if shown:
        chart = charts.mark_dates(
            charts.intake_trend(trend, groups=shown, freq="month"), notes, 500
        )
    return Section(
        "trend",
        heading,
        chart=chart,
        figures=kpi_figures(kpis, comparison, target_of=target_of),
        name=f"受理趋势_{place}",
    )


def _map_scale(metric: str, values: pd.Series, district) -> scales.Scale:
    """The map's colour scale of ``metric``: a volume's breaks from ``district()``'s values
    (the whole district's, so they do not change with the selected street)."""
    return scales.for_metric(metric, district()[metric] if scales.is_volume(metric) else values)


def _grid_map(grids, shapes, metric, placement, style_url, district, outlines) -> Section:
    """``district()``: the whole district's grid figures, for a volume's colour breaks (None
    for a rate, whose breaks are fixed)."""
    worse_high = MAP_METRICS[metric]
    figures = [KeyFigure("网格数", fmt.count(len(grids)))]
    ranked = grids.dropna(subset=[metric]).sort_values([metric, "grid_id"])
    if not ranked.empty:
        top = ranked.iloc[[-1 if worse_high else 0]]
        figures.append(
            KeyFigure(
                f"{metrics.label(metric)}{'最高' if worse_high else '最低'}",
                maps.grid_titles(top).iloc[0],
                fmt.value(metric, top[metric].iloc[0]) + PER.get(metric, ""),
                "bad",
            )
        )
    drawn = grids.merge(shapes, on="grid_id", how="inner")
    note = findings.map_note(placement)
    scale = _map_scale(metric, grids[metric], district)
    return Section(
        "map",
        "网格地图",
        map=AreaMap(
            deck=lambda height_px=None: maps.grid_deck(
                grids, shapes, metric, scale, outlines, style_url, height_px
            ),
            figure=lambda: charts.area_map(list(drawn["polygons"]), drawn[metric], scale, outlines),
            legend=maps.scale_legend(scale, drawn[metric]),
        )
        if not grids.empty
        else None,
        figures=tuple(figures),
        notes=(note,) if note else (),
        empty="所选范围内没有网格边界数据。",
    )


def _hex_map(hexes, metric, placement, style_url, where) -> Section:
    src, f, compare = where
    note = findings.map_note(placement, hexagons=True)
    scale = _map_scale(
        metric, hexes[metric], partial(data.hex_metrics, src, maps.district(f), compare)
    )
    return Section(
        "map",
        "事件分布(无网格边界,按蜂窝格汇总)",
        map=AreaMap(
            deck=lambda height_px=None: maps.hex_deck(hexes, metric, scale, style_url, height_px),
            figure=lambda: charts.area_map(
                [[polygon] for polygon in hexes["polygon"]], hexes[metric], scale
            ),
            legend=maps.scale_legend(scale, hexes[metric]),
        )
        if not hexes.empty
        else None,
        notes=(note,) if note else (),
        empty="没有网格边界,事件也没有坐标,无法绘制地图。",
    )


def _categories(top, comparison, place) -> Section:
    return Section(
        "categories",
        f"热点类别 · 受理量前{TOP_CATEGORIES}",
        f"标签为{comparison}变化,红色为上升超过 10%" if comparison else "",
        chart=charts.category_bars(top, change_name=comparison) if not top.empty else None,
        figures=tuple(
            KeyFigure(
                f"第{i}大类别",
                row.category,
                f"{fmt.count(row.intake)} 件" + with_change(comparison, "intake", row.change),
                "bad" if row.change > 0.1 else "",
            )
            for i, row in enumerate(top.head(3).itertuples(index=False), start=1)
        ),
        name=f"热点类别_{place}",
    )


def _worsening(grids, worse, comparison, problem) -> Section:
    """``worse``: ``data.worsening_grids`` (empty when the periods cannot be compared,
    ``problem`` says why)."""
    if grids.empty:
        empty = NO_GRIDS
    elif problem:
        empty = f"无法比较网格受理量的变化:{problem}。"
    else:
        empty = f"没有受理量上升的网格(两期各需至少 {metrics.MIN_EVENTS_TO_COMPARE} 件才比较)。"
    return Section(
        "worsening",
        f"预警 · 受理量{comparison}上升最快的网格",
        tables=(Table(worsening_table(worse, comparison)),) if not worse.empty else (),
        empty=empty,
    )


def _overdue(grids, late, placement) -> Section:
    if grids.empty:
        empty = NO_GRIDS
    elif placement["no_grid"]:
        empty = "所选范围内落到网格的事件没有超期积压(未落到网格的不在网格预警中)。"
    else:
        empty = "所选范围内没有超期积压。"
    return Section(
        "overdue",
        "预警 · 超期积压最多的网格",
        tables=(Table(overdue_table(late)),) if not late.empty else (),
        empty=empty,
        settled=not grids.empty,
    )


def _ageing(ageing, kpis, comparison, place) -> Section:
    figures = list(kpi_figures(kpis, comparison, ["backlog"]))
    oldest = ageing.loc[ageing["bucket"] == "gt_30d"]
    if not oldest.empty:
        figures.append(
            KeyFigure(
                f"账龄{labels.BACKLOG_BUCKET['gt_30d']}",
                f"{fmt.count(oldest['backlog'].iloc[0])} 件",
                f"其中已超期 {fmt.count(oldest['overdue'].iloc[0])} 件",
            )
        )
    return Section(
        "ageing",
        "积压账龄(件)",
        chart=charts.backlog_bars(ageing) if ageing["backlog"].sum() else None,
        figures=tuple(figures),
        empty=findings.NO_BACKLOG,
        settled=True,
        name=f"积压账龄_{place}",
    )
