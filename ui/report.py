"""导出汇报材料: the analysis pages and the rankings as a 16:9 PowerPoint deck for the current
filters.

A title slide (unit, period, comparison, data as-of, export time), then one section per page
in ``SECTIONS``: a section slide, and a slide per chart with the page's key figures beside it
as editable text. Sections call the same cached queries (``ui.data``), chart builders
(``ui.charts``) and words (``ui.findings``) as their pages, with each page's default
settings, so a slide shows what the page shows. Charts become 3× images drawn by kaleido in
the machine's chromium (``ui.images``); every text run names its East Asian font, so
PowerPoint and WPS show Chinese without depending on the theme.

A page joins the deck by appending its section builder (``Context -> Section | None``) to
``SECTIONS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from analytics import queries as q
from analytics import rankings as rk
from analytics import response as rs
from analytics import trends as tr
from ui import auth, charts, data, deck, findings, images, panel
from ui.context import Context
from ui.panel import NO_EVENTS, KeyFigure
from ui.panels import closure
from ui.sidebar import scope_label

TITLE = deck.TITLE
FONT = deck.FONT
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- what the slides say


def Slide(  # noqa: N802 - the views not yet defined as panels build their slides here
    title: str,
    subtitle: str = "",
    chart: go.Figure | None = None,
    figures: tuple[KeyFigure, ...] = (),
    tables: tuple[tuple[str, pd.DataFrame], ...] = (),
    notes: tuple[str, ...] = (),
    empty: str = "",
) -> panel.Section:
    return panel.Section(
        title,
        title,
        subtitle,
        chart=chart,
        figures=figures,
        tables=tuple(panel.Table(df, t, slide_rows=len(df)) for t, df in tables),
        notes=notes,
        empty=empty or NO_EVENTS,
    )


def Section(title: str, slides: tuple[panel.Section, ...]) -> panel.Panel:  # noqa: N802
    return panel.Panel(title, slides)


def overview_section(ctx: Context) -> Section:
    """一屏统览: the seven cards with the monthly trend, the grid map, hot categories,
    backlog ageing and the two alert lists."""
    src, f, compare = ctx.src, ctx.filters, ctx.compare
    rng = data.data_range(src)
    comparison = labels.COMPARISON.get(compare, "")
    kpis = data.kpis(src, f, compare)
    slides = []

    trend = data.intake_trend(src, f, "event_type", "month", "yoy")
    heading, shown = charts.overview_trend_groups(trend)
    dotted = "(虚线为上年同期)" if q.comparable(f, "yoy", rng) else ""
    slides.append(
        Slide(
            "核心指标与受理趋势",
            heading + dotted,
            charts.intake_trend(trend, groups=shown, freq="month") if shown else None,
            panel.kpi_figures(kpis, comparison),
            empty=NO_EVENTS,
        )
    )

    grids = data.grid_metrics(src, f, compare)
    shapes = data.grid_shapes(src, f)
    worse = q.worsening_grids(grids) if q.comparable(f, compare, rng) else pd.DataFrame()
    map_note = findings.map_note(data.placement(src, f), hexagons=shapes.empty)
    notes = (map_note,) if map_note else ()
    if shapes.empty:
        hexes = data.hex_metrics(src, f, compare)
        chart = None
        if not hexes.empty:
            rings = [[polygon] for polygon in hexes["polygon"]]
            chart = charts.area_map(rings, hexes["intake"], "intake", True, "蜂窝格")
        slides.append(
            Slide(
                "事件分布",
                "没有网格边界:按蜂窝格汇总事件坐标,颜色越深受理量越大",
                chart,
                notes=notes,
                empty="没有网格边界,事件也没有坐标,无法绘制地图。",
            )
        )
    else:
        drawn = grids.merge(shapes, on="grid_id", how="inner")
        chart = None
        if not drawn.empty:
            chart = charts.area_map(
                list(drawn["polygons"]), drawn["density"], "density", m.higher_is_worse("density")
            )
        cards = [KeyFigure("网格数", fmt.count(len(grids)), "所选范围内")]
        densest = grids.dropna(subset=["density"]).sort_values(["density", "grid_id"])
        if not densest.empty:
            top = densest.iloc[-1]
            cards.append(
                KeyFigure(
                    "每千户事件数最高",
                    f"{top['community_name']} {top['name']}",
                    f"{fmt.value('density', top['density'])} 件/千户",
                    "bad",
                )
            )
        if not worse.empty:
            top = worse.iloc[0]
            cards.append(
                KeyFigure(
                    f"受理量{comparison}上升最快",
                    f"{top['community_name']} {top['name']}",
                    f"{comparison} {fmt.change('intake', top['intake_change'])}",
                    "bad",
                )
            )
        slides.append(
            Slide(
                "网格地图 · 每千户事件数",
                "颜色按分位数分为五级,越深越需要关注",
                chart,
                tuple(cards),
                notes=notes,
                empty="所选范围内没有网格边界数据。",
            )
        )

    top = data.top_categories(src, f, 8, compare)
    slides.append(
        Slide(
            "热点类别 · 受理量前8",
            f"标签为{comparison}变化,红色为上升超过 10%" if comparison else "",
            charts.category_bars(top, change_name=comparison) if not top.empty else None,
            tuple(
                KeyFigure(
                    f"第{i}大类别",
                    row.category,
                    f"{fmt.count(row.intake)} 件"
                    + panel.with_change(comparison, "intake", row.change),
                    "bad" if row.change > 0.1 else "",
                )
                for i, row in enumerate(top.head(3).itertuples(index=False), start=1)
            ),
            empty=NO_EVENTS,
        )
    )

    ageing = data.backlog_ageing(src, f)
    cards = list(panel.kpi_figures(kpis, comparison, ["backlog"]))
    oldest = ageing.loc[ageing["bucket"] == "gt_30d"]
    if not oldest.empty:
        cards.append(
            KeyFigure(
                f"账龄{labels.BACKLOG_BUCKET['gt_30d']}",
                f"{fmt.count(oldest['backlog'].iloc[0])} 件",
                f"其中已超期 {fmt.count(oldest['overdue'].iloc[0])} 件",
            )
        )
    late = q.overdue_grids(grids)
    if not late.empty:
        top = late.iloc[0]
        cards.append(
            KeyFigure(
                "超期积压最多的网格",
                f"{top['community_name']} {top['name']}",
                f"超期 {fmt.count(top['overdue'])} 件 · 积压 {fmt.count(top['backlog'])} 件",
                "bad",
            )
        )
    slides.append(
        Slide(
            "积压账龄",
            "未办结事件按账龄,红色为已超期(件)",
            charts.backlog_bars(ageing) if ageing["backlog"].sum() else None,
            tuple(cards),
            empty=findings.NO_BACKLOG,
        )
    )

    if not grids.empty:
        tables = []
        if not worse.empty:
            tables.append(
                (f"受理量{comparison}上升最快的网格", findings.worsening_table(worse, comparison))
            )
        if not late.empty:
            tables.append(("超期积压最多的网格", findings.overdue_table(late)))
        if tables:
            slides.append(
                Slide(
                    "预警网格",
                    f"上升最快:两期各至少 {m.MIN_EVENTS_TO_COMPARE} 件才比较",
                    tables=tuple(tables),
                )
            )
    return Section("一屏统览", tuple(slides))


def trends_section(ctx: Context) -> Section:
    """投诉信访趋势 at the page's defaults: weekly, stacked, with last year's total."""
    src, f = ctx.src, ctx.filters
    rng = data.data_range(src)
    freq, per = findings.TREND_FREQ, "件/周"
    has_yoy = q.comparable(f, "yoy", rng)
    no_yoy = q.comparison_problem(f, "yoy", rng) or "没有上年同期数据。"
    slides = []

    by_type = data.type_trend(src, f, freq, "yoy" if has_yoy else None)
    kpis = data.kpis(src, f, "yoy")
    slides.append(
        Slide(
            f"受理量 · 按事件类型({per})",
            "按事件类型堆叠" + (",虚线为上年同期合计" if has_yoy else ""),
            charts.intake_by_type(by_type, freq, True, has_yoy, False)
            if not by_type.empty
            else None,
            panel.kpi_figures(kpis, "同比", ["intake"]),
            empty=NO_EVENTS,
        )
    )

    cats = data.category_trend(src, f, freq)
    top = data.top_categories(src, f, 8, "yoy")
    slides.append(
        Slide(
            f"业务类别构成(前 8 类,{per})",
            "",
            charts.category_area(cats, freq) if not cats.empty else None,
            tuple(
                KeyFigure(
                    f"第{i}大类别",
                    row.category,
                    f"{fmt.count(row.intake)} 件" + panel.with_change("同比", "intake", row.change),
                )
                for i, row in enumerate(top.head(3).itertuples(index=False), start=1)
            ),
            empty=NO_EVENTS,
        )
    )

    rising = data.rising_categories(src, f, "yoy") if has_yoy else pd.DataFrame()
    slides.append(
        Slide(
            "同比上升最快的类别",
            f"两期均需至少 {m.MIN_EVENTS_TO_COMPARE} 件才比较",
            charts.rising_bars(rising) if not rising.empty else None,
            tuple(
                KeyFigure(
                    row.category,
                    fmt.change("intake", row.change) or fmt.MISSING,
                    f"本期 {fmt.count(row.intake)} 件 · 上年同期 {fmt.count(row.intake_prev)} 件",
                    "bad",
                )
                for row in rising.head(3).itertuples(index=False)
            ),
            empty=(
                no_yoy
                if not has_yoy
                else f"没有同比上升的类别(两期均需至少 {m.MIN_EVENTS_TO_COMPARE} 件才比较)。"
            ),
        )
    )

    judged, found = data.spikes(src, f, freq)
    names = data.unit_names(src)
    biggest = found.sort_values(["excess", "bucket"], ascending=[False, True]).head(3)
    slides.append(
        Slide(
            "异常峰值(按周)",
            f"红圈:某周受理量高于前 {tr.SPIKE_WINDOW[freq]} 周中位数 + {tr.SPIKE_K:g} 倍稳健标准差,"
            f"且至少多出 {tr.SPIKE_MIN_EXCESS} 件",
            charts.spike_chart(judged, found, freq) if not judged.empty else None,
            (KeyFigure("异常峰值", f"{len(found)} 周", "统计期内"),)
            + tuple(
                KeyFigure(
                    f"{fmt.day(row.bucket)}当周",
                    f"{fmt.count(row.intake)} 件",
                    f"比基线多 {fmt.number(row.excess)} 件;"
                    f"主要类别 {findings.drivers(row.categories)};"
                    f"主要网格 {findings.drivers(row.grids, names)}",
                    "bad",
                )
                for row in biggest.itertuples(index=False)
            ),
            empty="统计期太短或缺少前期数据,无法判断异常。",
        )
    )

    units = data.org_units(src)
    streets = list(units.loc[units["level"] == "street", "unit_id"])[: findings.COMPARED_STREETS]
    if streets:
        chosen = {u: f"{names[u]}({labels.UNIT_LEVEL['street']})" for u in streets}
        compared = data.unit_comparison(src, f, tuple(streets), freq)
        peaks = []
        for unit, part in compared.groupby("unit_id", sort=False):
            part = part.dropna(subset=["density"])
            if not part.empty:
                peak = part.loc[part["density"].idxmax()]
                peaks.append(
                    KeyFigure(
                        chosen[unit],
                        f"最高 {fmt.number(peak['density'])} 件/千户",
                        f"{fmt.day(peak['bucket'])}当周",
                    )
                )
        per_households = bool(compared["density"].notna().any())
        has_events = bool(compared["intake"].sum())
        subtitle = "页面默认对比的两个街道"
        if has_events and not per_households:
            subtitle += ";" + findings.UNITS_WITHOUT_HOUSEHOLDS
        chart = None
        if has_events:
            chart = charts.unit_lines(compared, chosen, freq, per_households=per_households)
        slides.append(
            Slide(
                f"单位对比 · 每千户事件数({per})",
                subtitle,
                chart,
                tuple(peaks),
                empty=findings.UNITS_WITHOUT_EVENTS,
            )
        )
    return Section("投诉信访趋势", tuple(slides))


def response_section(ctx: Context) -> Section:
    """响应时效 at the page's defaults: response time by unit, stages, deadlines, and the
    before/after comparison around the default pivot with a one-year window."""
    src, f, compare = ctx.src, ctx.filters, ctx.compare
    rng = data.data_range(src)
    comparison = labels.COMPARISON.get(compare, "")
    kpis = data.kpis(src, f, compare)
    measure, by = "response", "unit"
    title = findings.RESPONSE_MEASURES[measure]
    slides = []

    dist = data.distribution(src, f, measure, by)
    cards = list(panel.kpi_figures(kpis, comparison, ["response_median"]))
    if len(dist) > 1:
        for name, row in (("最慢", dist.iloc[0]), ("最快", dist.iloc[-1])):
            cards.append(
                KeyFigure(
                    f"中位数{name}",
                    row["label"],
                    f"中位数 {fmt.hours(row['p50'])} · P90 {fmt.hours(row['p90'])}",
                )
            )
    slides.append(
        Slide(
            f"{title} · 按{findings.RESPONSE_GROUPS[by]}",
            "箱体 25%–75%,须至 P10 与 P90;对数坐标,单位小时",
            charts.hours_boxes(dist.head(findings.RESPONSE_ROWS), title, True)
            if not dist.empty
            else None,
            tuple(cards),
            empty=findings.NO_DURATIONS[measure],
        )
    )

    stages = data.stage_breakdown(src, f, by)
    cards = []
    for metric in rs.STAGE_METRICS:
        known = stages.dropna(subset=[metric])
        if not known.empty:
            row = known.loc[known[metric].idxmax()]
            cards.append(KeyFigure(f"{m.label(metric)}最长", row["label"], fmt.hours(row[metric])))
    slides.append(
        Slide(
            f"各环节时长中位数 · 按{findings.RESPONSE_GROUPS[by]}",
            "单位小时",
            charts.stage_bars(stages.head(findings.RESPONSE_ROWS)) if not stages.empty else None,
            tuple(cards),
            empty=NO_EVENTS,
        )
    )

    compliance = data.sla(src, f)
    cards = list(panel.kpi_figures(kpis, comparison, ["on_time_rate"]))
    if not compliance.empty:
        row = compliance.iloc[0]
        cards.append(
            KeyFigure(
                "按时办结率最低的办理类型",
                labels.of("handling_type", row["handling_type"]),
                f"按时办结率 {fmt.rate(row['on_time_rate'])}",
                "bad",
            )
        )
    slides.append(
        Slide(
            "承诺时限达成 · 按办理类型",
            "括号内为按时办结率",
            charts.sla_bars(compliance) if not compliance.empty else None,
            tuple(cards),
            empty="所选范围内没有设定办结时限的事件。",
        )
    )

    pivot = rs.default_pivot(rng)
    sides = data.sides(src, f, pivot, findings.BEFORE_AFTER_DAYS)
    if sides is not None:
        figures = data.before_after(src, sides)
        tests = data.rank_tests(src, sides)
        slides.append(
            Slide(
                "前后对比 · 改进是否真实",
                f"分界日期 {fmt.day(pivot)}(含当天算作“之后”),前后各 1 年。"
                f"之前:{fmt.period(sides.before.start, sides.before.end)};"
                f"之后:{fmt.period(sides.after.start, sides.after.end)}",
                tables=(("", findings.before_after_table(figures)),),
                notes=tuple(
                    f"{findings.measure_name(key)}:{findings.rank_test_finding(key, test)}"
                    for key, test in tests.items()
                ),
            )
        )
    return Section("响应时效", tuple(slides))


RANKING_TABLE_ROWS = 10


def rankings_section(ctx: Context) -> Section:
    """赛马比拼 at the page's defaults: the first level it offers (streets for the district),
    the default weights and the deployment's minimum events."""
    src, f = ctx.src, ctx.filters
    level = rk.levels_below(f, ctx.src.scope)[0]
    workers = level == rk.WORKERS
    weights = rk.WORKER_WEIGHTS if workers else rk.UNIT_WEIGHTS
    key = tuple((part, float(w)) for part, w in weights.items())
    min_events = int(data.settings()[0].ranking_min_events)
    if workers:
        ranking = data.worker_ranking(src, f, key, min_events)
    else:
        ranking = data.unit_ranking(src, f, level, key, min_events)
    ranked, apart = ranking.ranked, ranking.apart
    unit_title = labels.RANKING_LEVEL[level]
    size_label = "经手事件" if workers else "受理量"
    size = ranked["events"] if workers else ranked["intake"]
    names = findings.ranking_names(ranked, workers)
    bars = findings.ranking_bars(ranked, workers)
    ends = findings.RANKING_CHART_ENDS
    used = findings.weights_formula(rk.shares(weights), rk.PART_LABELS)
    cards = [
        KeyFigure(
            f"第{row.rank}名",
            name,
            f"得分 {row.score:.2f} · {rk.tier_name(row.tier)}"
            + (
                f" · 名次变化 {rk.change_text(row.rank_change, row.is_new)}"
                if ranking.previous
                else ""
            ),
        )
        for row, name in zip(ranked.head(3).itertuples(index=False), names, strict=False)
    ]
    cards.append(
        KeyFigure(
            "不参与排名",
            f"{len(apart)} 个",
            f"事件数少于 {fmt.count(ranking.min_events)} 件或缺少计分指标",
        )
    )
    table = pd.DataFrame(
        {
            "名次": ranked["rank"].astype(str),
            "档次": ranked["tier"].map(rk.tier_name),
            unit_title: names,
            "得分": ranked["score"].map(lambda s: f"{s:.2f}"),
        }
        | (
            {
                "名次变化": [
                    rk.change_text(c, n)
                    for c, n in zip(ranked["rank_change"], ranked["is_new"], strict=True)
                ]
            }
            if ranking.previous
            else {}
        )
        | {size_label: size.map(fmt.count)}
    ).head(RANKING_TABLE_ROWS)
    return Section(
        "赛马比拼",
        (
            Slide(
                f"{unit_title}得分与档次",
                f"得分 = {used}(百分制);按名次四等分为一档至四档"
                + (f";图中为前 {ends} 名和后 {ends} 名" if len(bars) < len(ranked) else ""),
                charts.score_bars(bars, size_label) if not ranked.empty else None,
                tuple(cards),
                notes=tuple(n for n in [findings.unplaced_ranking(ranking.notes, unit_title)] if n),
                empty=f"所选范围和统计期内没有可参与排名的{unit_title}。",
            ),
            Slide(
                f"{unit_title}排名",
                (f"前 {RANKING_TABLE_ROWS} 名;" if len(ranked) > RANKING_TABLE_ROWS else "")
                + (
                    f"名次变化对比:{fmt.period(*ranking.previous)}"
                    if ranking.previous
                    else f"名次变化:{ranking.previous_problem}"
                ),
                tables=(("", table),) if not table.empty else (),
                empty=f"所选范围和统计期内没有可参与排名的{unit_title}。",
            ),
        ),
    )


SECTIONS: list[Callable[[Context], panel.Panel | None]] = [
    overview_section,
    trends_section,
    closure.build,
    response_section,
    rankings_section,
]


def sections(ctx: Context) -> list[Section]:
    return [s for build in SECTIONS if (s := build(ctx)) is not None]


def _filters_line(f) -> str:
    parts = [
        ("事件类型", [labels.EVENT_TYPE.get(x, x) for x in f.event_types]),
        ("业务类别", list(f.categories)),
        ("来源渠道", [labels.CHANNEL.get(x, x) for x in f.channels]),
        ("四板块", [labels.BOARD.get(x, x) for x in f.boards]),
    ]
    shown = [f"{name} {'、'.join(values)}" for name, values in parts if values]
    return "筛选:" + ";".join(shown) if shown else ""


def title_lines(ctx: Context, now: datetime) -> list[str]:
    """The title slide's lines: unit, period, comparison, filters, data as-of, export time."""
    src, f = ctx.src, ctx.filters
    rng = data.data_range(src)
    lines = [
        scope_label(f, src),
        f"统计期:{fmt.period(f.start, f.end)}",
        f"对比:{panel.comparison_note(rng, f, ctx.compare)}",
        _filters_line(f),
        f"数据截至 {fmt.moment(rng.as_of)} · 导出于 {fmt.moment(now)}",
    ]
    return [line for line in lines if line]


def build_deck(
    ctx: Context,
    now: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> bytes:
    """The PPTX of every view in ``SECTIONS`` for ``ctx``. ``progress(done, total, what)``
    follows the charts being drawn (most of the time)."""
    started = time.perf_counter()
    data.require_current(ctx.src)
    now = now or datetime.now()
    parts = sections(ctx)
    queried = time.perf_counter()
    charted = [(s, chart_of(s)) for part in parts for s in part.sections]
    charted = [(s, chart) for s, chart in charted if chart is not None]
    pictures: dict[int, bytes] = {}
    for i, (section, chart) in enumerate(charted):
        if progress:
            progress(i, len(charted), section.title)
        width, height = deck.picture_size(section)
        pictures[id(section)] = images.png(
            chart, width=width, height=height, scale=deck.IMAGE_SCALE,
            font_size=deck.IMAGE_FONT_SIZE,
        )  # fmt: skip
    if progress:
        progress(len(charted), len(charted), "")
    drawn = time.perf_counter()

    slides = deck.Deck()
    f = ctx.filters
    slides.footer = f"网格治理一屏统览 · {scope_label(f, ctx.src)} · {fmt.period(f.start, f.end)}"
    slides.title_slide(title_lines(ctx, now))
    for part in parts:
        slides.section_slide(part)
        for section in part.sections:
            slides.content_slide(section, pictures.get(id(section)))
    properties = slides.prs.core_properties
    properties.title = f"{TITLE} · {slides.footer.split(' · ', 1)[1]}"
    properties.author = "网格治理一屏统览"
    properties.language = "zh-CN"
    properties.created = properties.modified = now
    content = slides.finish()
    _log.info(
        "汇报材料:%d 页,%d 张图;查询 %.1f 秒,出图 %.1f 秒(每张 %.2f 秒),排版 %.1f 秒",
        len(slides.prs.slides),
        len(charted),
        queried - started,
        drawn - queried,
        (drawn - queried) / max(len(charted), 1),
        time.perf_counter() - drawn,
    )
    return content


def chart_of(section: panel.Section) -> go.Figure | None:
    """What a slide shows as a picture: the section's chart, or its map drawn with plotly."""
    if section.chart is not None:
        return section.chart
    return section.map.figure() if section.map is not None else None


def file_name(ctx: Context) -> str:
    """汇报材料_龙湾街道_2026-01-01至2026-10-31.pptx"""
    f = ctx.filters
    place = scope_label(f, ctx.src).replace(" · ", "_")
    return fmt.file_name(f"汇报材料_{place}_{f.start:%Y-%m-%d}至{f.end:%Y-%m-%d}") + ".pptx"


def export_button(ctx: Context) -> None:
    """The sidebar's 导出汇报材料: a PPTX of the analysis pages for the current filters, made
    only when clicked (the button spins meanwhile); disabled, saying why, on a machine without
    chromium or Chinese fonts."""
    reason = images.problem()
    st.sidebar.download_button(
        "导出汇报材料",
        auth.audited("export", file_name(ctx), lambda: build_deck(ctx)),
        file_name(ctx),
        PPTX_MIME,
        key="export_report",
        icon=":material/slideshow:",
        on_click="ignore",
        disabled=reason is not None,
        help=reason
        or "按当前筛选生成 PPTX:一屏统览、投诉信访趋势、办结率、响应时效和赛马比拼的图表与关键数字,"
        "文字可编辑。约需 10–20 秒,按钮转圈时正在生成。",
        width="stretch",
    )
