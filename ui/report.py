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

import io
import logging
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from analytics import closure as cl
from analytics import formats as fmt
from analytics import labels
from analytics import metrics as m
from analytics import queries as q
from analytics import rankings as rk
from analytics import response as rs
from analytics import trends as tr
from ui import auth, charts, data, findings, images
from ui.context import Context
from ui.sidebar import scope_label

TITLE = "网格治理一屏统览 汇报材料"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
FONT = "Microsoft YaHei"  # 微软雅黑: on every Windows PowerPoint and in WPS
NO_EVENTS = "所选范围内没有事件。"

_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- what the slides say


@dataclass(frozen=True, eq=False)
class KeyFigure:
    """A figure as an editable text card: label, value and a note (e.g. the change)."""

    label: str
    value: str
    note: str = ""
    tone: str = ""  # "good" or "bad" colours the note; "" leaves it grey


@dataclass(frozen=True, eq=False)
class Slide:
    """One content slide: a chart (or ``empty``'s words when there is nothing to draw) or
    tables, with key figures and lines of notes."""

    title: str
    subtitle: str = ""
    chart: go.Figure | None = None
    figures: tuple[KeyFigure, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    notes: tuple[str, ...] = ()
    empty: str = ""


@dataclass(frozen=True, eq=False)
class Section:
    title: str
    slides: tuple[Slide, ...]


def _tone(metric: str, change) -> str:
    better = m.better(metric)
    shown = fmt.change(metric, change)
    if not shown or shown == fmt.FLAT or better == "neutral":
        return ""
    return "good" if (change > 0) == (better == "higher") else "bad"


def kpi_figures(
    kpis: pd.DataFrame, comparison: str, metrics: Iterable[str] | None = None
) -> tuple[KeyFigure, ...]:
    """The metric cards of ``data.kpis`` as on the page: value, change and last period."""
    rows = kpis.set_index("metric")
    cards = []
    for metric in metrics or rows.index:
        row = rows.loc[metric]
        shown = fmt.change(metric, row["change"])
        previous = fmt.value(metric, row["previous"])
        previous = f"上期 {previous}" if previous != fmt.MISSING else ""
        note = f"{comparison} {shown}({previous})" if shown and comparison else previous
        value = fmt.value(metric, row["value"])
        cards.append(KeyFigure(m.label(metric), value, note, _tone(metric, row["change"])))
    return tuple(cards)


def _change(comparison: str, metric: str, change) -> str:
    """· 同比 +5.5%, or nothing without a comparison."""
    shown = fmt.change(metric, change)
    return f" · {comparison} {shown}" if shown and comparison else ""


def _comparison_note(rng, f, compare: str | None) -> str:
    if q.comparable(f, compare, rng):
        c = f.comparison(compare)
        return f"{labels.COMPARISON.get(compare, '')}(对比期 {fmt.period(c.start, c.end)})"
    return q.comparison_problem(f, compare, rng) or ""


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
            kpi_figures(kpis, comparison),
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
                    f"{fmt.count(row.intake)} 件" + _change(comparison, "intake", row.change),
                    "bad" if row.change > 0.1 else "",
                )
                for i, row in enumerate(top.head(3).itertuples(index=False), start=1)
            ),
            empty=NO_EVENTS,
        )
    )

    ageing = data.backlog_ageing(src, f)
    cards = list(kpi_figures(kpis, comparison, ["backlog"]))
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
            kpi_figures(kpis, "同比", ["intake"]),
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
                    f"{fmt.count(row.intake)} 件" + _change("同比", "intake", row.change),
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


def closure_section(ctx: Context) -> Section:
    """办结率: units ranked, the lifecycle funnel and where events get solved."""
    src, f, compare = ctx.src, ctx.filters, ctx.compare
    comparison = labels.COMPARISON.get(compare, "")
    kpis = data.kpis(src, f, compare)
    unit_title = labels.UNIT_LEVEL[cl.drill_level(f).removesuffix("_id")]
    slides = []

    units = data.closure_by_unit(src, f, compare)
    cards = list(kpi_figures(kpis, comparison, ["closure_rate", "on_time_rate"]))
    ranked = units.dropna(subset=["rank"])  # best first
    if len(ranked) > 1:
        for title, row in (("办结率第一", ranked.iloc[0]), ("办结率末位", ranked.iloc[-1])):
            cards.append(KeyFigure(title, row["name"], f"办结率 {fmt.rate(row['closure_rate'])}"))
    rows = findings.RATE_RANKING_ROWS
    shown = units.head(rows)
    unplaced = units.attrs.get("unplaced")
    note = findings.unplaced_units(unplaced, unit_title)
    slides.append(
        Slide(
            f"各{unit_title}办结率与按时办结率",
            "排名按办结率" + (f";图中为前 {rows} 个{unit_title}" if len(units) > rows else ""),
            charts.rate_ranking(shown, "name", comparison) if not units.empty else None,
            tuple(cards),
            notes=(note,) if note and not units.empty else (),
            empty=findings.all_unplaced(unplaced, unit_title) if unplaced else NO_EVENTS,
        )
    )

    funnel = data.funnel(src, f)
    overdue = data.overdue_list(src, f)
    cards = []
    if funnel["reached"].iloc[0] > 0:
        last = funnel.iloc[-1]
        cards = [
            KeyFigure("上报", f"{fmt.count(funnel['reached'].iloc[0])} 件"),
            KeyFigure(
                last["name"],
                f"{fmt.count(last['reached'])} 件",
                f"占上报 {fmt.rate(last['share'])}",
            ),
        ]
        stuck = funnel.iloc[1:].sort_values(["dropped", "stage"], ascending=[False, True]).iloc[0]
        cards.append(
            KeyFigure("止步最多的环节", f"{stuck['name']}前", f"{fmt.count(stuck['dropped'])} 件")
        )
    total = overdue.attrs.get("total", len(overdue))
    cards.append(
        KeyFigure(
            "超期未办结", f"{fmt.count(total)} 件", "清单见页面,可下载", "bad" if total else ""
        )
    )
    slides.append(
        Slide(
            "流转漏斗 · 上报 → 受理 → 转办 → 处置 → 反馈",
            "到达某环节 = 截至数据时点已走到该环节或其后环节",
            charts.lifecycle_funnel(funnel) if funnel["reached"].iloc[0] > 0 else None,
            tuple(cards),
            empty=NO_EVENTS,
        )
    )

    levels = data.resolution_levels(src, f, "month")
    slides.append(
        Slide(
            "在哪一级解决 · 办结事件按解决层级",
            "按上报月份;绿色越多,越多事情在网格内解决",
            charts.level_shares(levels, "month") if not levels.empty else None,
            kpi_figures(kpis, comparison, ["grid_level_rate"]),
            empty="所选范围内没有记录了解决层级的办结事件。",
        )
    )
    return Section("办结率", tuple(slides))


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
    cards = list(kpi_figures(kpis, comparison, ["response_median"]))
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
    cards = list(kpi_figures(kpis, comparison, ["on_time_rate"]))
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


SECTIONS: list[Callable[[Context], Section | None]] = [
    overview_section,
    trends_section,
    closure_section,
    response_section,
    rankings_section,
]


def sections(ctx: Context) -> list[Section]:
    return [s for build in SECTIONS if (s := build(ctx)) is not None]


# ---------------------------------------------------------------- the deck

SLIDE_W, SLIDE_H = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 in: 16:9
MARGIN = Inches(0.45)
TITLE_TOP, TITLE_HEIGHT = Inches(0.28), Inches(0.62)
BODY_TOP, BODY_BOTTOM, NOTES_HEIGHT = Inches(1.5), Inches(6.95), Inches(0.62)
GAP = Inches(0.2)
SIDE_WIDTH = Inches(3.2)  # the key figures' column
MAX_SIDE_FIGURES = 4  # more go in a row above the chart
CSS_PX_PER_INCH = 120  # the chart is laid out at this size, so its 16 px text is ~10 pt
IMAGE_SCALE = 3
IMAGE_FONT_SIZE = 16

INK = RGBColor(0x1F, 0x2D, 0x3D)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
ACCENT = RGBColor(0x2C, 0x6F, 0xBB)
CARD = RGBColor(0xF3, 0xF6, 0xFA)
TONES = {"good": RGBColor(0x1E, 0x84, 0x49), "bad": RGBColor(0xC0, 0x39, 0x2B), "": GREY}


def east_asian(rPr) -> None:
    """Name the font of a run for Latin, East Asian and complex scripts alike (python-pptx
    sets only Latin): PowerPoint and WPS then draw the Chinese in it whatever the theme."""
    rPr.set("lang", "zh-CN")
    rPr.set("altLang", "en-US")
    for tag in ("a:latin", "a:ea", "a:cs"):
        for old in rPr.findall(qn(tag)):
            rPr.remove(old)
    latin = rPr.get_or_add_latin()
    latin.set("typeface", FONT)
    previous = latin
    for tag in ("a:ea", "a:cs"):
        el = OxmlElement(tag)
        el.set("typeface", FONT)
        previous.addnext(el)
        previous = el


def _theme_fonts(prs) -> None:
    """The theme's East Asian fonts (for text typed later in PowerPoint or WPS) too."""
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    for scheme in ("a:majorFont", "a:minorFont"):
        font = root.find(f".//{qn('a:fontScheme')}/{qn(scheme)}")
        font.find(qn("a:ea")).set("typeface", FONT)
        for script in font.findall(qn("a:font")):
            if script.get("script") in ("Hans", "Hant"):
                script.set("typeface", FONT)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _text(
    frame,
    lines: Iterable[tuple[str, float, bool, RGBColor]],
    align=PP_ALIGN.LEFT,
    anchor=MSO_ANCHOR.TOP,
) -> None:
    """Fill a text frame with paragraphs of (text, size in pt, bold, colour)."""
    frame.clear()
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for i, (text, size, bold, colour) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = colour


def _width(text) -> int:
    """Roughly how wide ``text`` is, in half-width characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def _box(slide, left, top, width, height, lines, **kw):
    shape = slide.shapes.add_textbox(left, top, width, height)
    _text(shape.text_frame, lines, **kw)
    return shape


def _rect(slide, left, top, width, height, colour: RGBColor, shape=MSO_SHAPE.RECTANGLE):
    rect = slide.shapes.add_shape(shape, left, top, width, height)
    rect.fill.solid()
    rect.fill.fore_color.rgb = colour
    rect.line.fill.background()
    rect.shadow.inherit = False
    return rect


@dataclass(frozen=True)
class _Layout:
    chart: tuple[int, int, int, int]  # left, top, width, height in EMU
    cards: tuple[tuple[int, int, int, int], ...]


def layout(slide: Slide) -> _Layout:
    """Where the chart and the key figure cards go: figures in a column on the right, or in
    a row above the chart when there are more than ``MAX_SIDE_FIGURES``."""
    bottom = BODY_BOTTOM - (NOTES_HEIGHT if slide.notes else 0)
    width = SLIDE_W - 2 * MARGIN
    n = len(slide.figures)
    if n == 0:
        return _Layout((MARGIN, BODY_TOP, width, bottom - BODY_TOP), ())
    if n > MAX_SIDE_FIGURES:
        card_w = int((width - GAP * (n - 1)) / n)
        card_h = Inches(1.15)
        cards = tuple((MARGIN + i * (card_w + GAP), BODY_TOP, card_w, card_h) for i in range(n))
        top = BODY_TOP + card_h + GAP
        return _Layout((MARGIN, top, width, bottom - top), cards)
    chart_w = width - SIDE_WIDTH - GAP
    card_h = min(Inches(1.3), int((bottom - BODY_TOP - GAP * (n - 1)) / n))
    left = MARGIN + chart_w + GAP
    cards = tuple((left, BODY_TOP + i * (card_h + GAP), SIDE_WIDTH, card_h) for i in range(n))
    return _Layout((MARGIN, BODY_TOP, chart_w, bottom - BODY_TOP), cards)


def chart_png(slide: Slide) -> bytes:
    """The slide's chart drawn for its place on the slide, at ``IMAGE_SCALE``×."""
    _, _, width, height = layout(slide).chart
    return images.png(
        slide.chart,
        width=round(Emu(width).inches * CSS_PX_PER_INCH),
        height=round(Emu(height).inches * CSS_PX_PER_INCH),
        scale=IMAGE_SCALE,
        font_size=IMAGE_FONT_SIZE,
    )


class _Deck:
    def __init__(self) -> None:
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        _theme_fonts(self.prs)
        self.footer = ""

    def _slide(self, layout_index: int, title: str, top=TITLE_TOP, height=TITLE_HEIGHT):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[layout_index])
        head = slide.shapes.title
        head.left, head.top, head.width, head.height = MARGIN, top, SLIDE_W - 2 * MARGIN, height
        _text(head.text_frame, [(title, 26, True, INK)], anchor=MSO_ANCHOR.MIDDLE)
        return slide

    def title_slide(self, lines: list[str]) -> None:
        slide = self._slide(0, TITLE, top=Inches(1.7), height=Inches(1.1))
        _text(slide.shapes.title.text_frame, [(TITLE, 40, True, INK)], anchor=MSO_ANCHOR.BOTTOM)
        _rect(slide, 0, 0, SLIDE_W, Inches(0.2), ACCENT)
        _rect(slide, Inches(0.8), Inches(2.95), Inches(1.4), Inches(0.07), ACCENT)
        sub = slide.placeholders[1]
        sub.left, sub.top, sub.width, sub.height = (
            Inches(0.8),
            Inches(3.25),
            SLIDE_W - Inches(1.6),
            Inches(3.4),
        )
        _text(
            sub.text_frame,
            [(lines[0], 26, True, ACCENT), *((line, 16, False, GREY) for line in lines[1:])],
        )
        head = slide.shapes.title
        head.left, head.width = Inches(0.8), SLIDE_W - Inches(1.6)

    def section_slide(self, section: Section) -> None:
        slide = self._slide(5, section.title, top=Inches(2.6), height=Inches(1.0))
        _text(slide.shapes.title.text_frame, [(section.title, 36, True, INK)])
        _rect(slide, MARGIN, Inches(2.6), Inches(0.12), Inches(2.1), ACCENT)
        slide.shapes.title.left = MARGIN + Inches(0.4)
        contents = "、".join(s.title.split(" · ")[0] for s in section.slides)
        _box(
            slide,
            MARGIN + Inches(0.4),
            Inches(3.65),
            SLIDE_W - 2 * MARGIN - Inches(0.4),
            Inches(1.0),
            [(contents, 16, False, GREY), (self.footer, 14, False, GREY)],
        )

    def content_slide(self, spec: Slide, image: bytes | None) -> None:
        slide = self._slide(5, spec.title)
        width = SLIDE_W - 2 * MARGIN
        if spec.subtitle:
            _box(
                slide, MARGIN, Inches(0.9), width, Inches(0.36), [(spec.subtitle, 13, False, GREY)]
            )
        _rect(slide, MARGIN, Inches(1.32), Inches(0.9), Inches(0.05), ACCENT)
        place = layout(spec)
        left, top, w, h = place.chart
        notes_top = BODY_BOTTOM - NOTES_HEIGHT + Inches(0.08)
        if spec.tables:
            notes_top = self._tables(slide, spec.tables, place.chart) + Inches(0.25)
        elif image is not None:
            picture = slide.shapes.add_picture(io.BytesIO(image), left, top, w, h)
            picture.name = spec.title
            picture._element.nvPicPr.cNvPr.set("descr", f"{spec.title}({spec.subtitle})")
        else:
            _box(
                slide, left, top, w, h, [(spec.empty or NO_EVENTS, 18, False, GREY)],
                align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE,
            )  # fmt: skip
        for figure, (x, y, cw, ch) in zip(spec.figures, place.cards, strict=True):
            card = _rect(slide, x, y, cw, ch, CARD, MSO_SHAPE.ROUNDED_RECTANGLE)
            card.adjustments[0] = 0.08
            frame = card.text_frame
            frame.margin_left = frame.margin_right = Inches(0.14)
            frame.margin_top = frame.margin_bottom = Inches(0.06)
            big = len(spec.figures) <= MAX_SIDE_FIGURES
            lines = [
                (figure.label, 11, False, GREY),
                (figure.value, 22 if big else 18, True, INK),
            ]
            if figure.note:
                lines.append((figure.note, 10, False, TONES[figure.tone]))
            _text(frame, lines, anchor=MSO_ANCHOR.MIDDLE)
        if spec.notes:
            _box(
                slide,
                MARGIN,
                notes_top,
                width,
                NOTES_HEIGHT,
                [(line, 11, False, INK) for line in spec.notes],
            )

    def _tables(self, slide, tables, area) -> int:
        """Tables side by side in ``area``, each under its heading; where the lowest ends."""
        left, top, width, height = area
        bottom = top
        each = min(int((width - GAP * (len(tables) - 1)) / len(tables)), Inches(9))
        for i, (heading, df) in enumerate(tables):
            x, y = left + i * (each + GAP), top
            if heading:
                _box(slide, x, y, each, Inches(0.4), [(heading, 14, True, INK)])
                y += Inches(0.45)
            rows = len(df) + 1
            row_h = Inches(0.4)
            frame = slide.shapes.add_table(rows, len(df.columns), x, y, each, row_h * rows)
            table = frame.table
            weights = [max(6, *(_width(v) for v in [name, *df[name]])) for name in df.columns]
            for j, weight in enumerate(weights):
                table.columns[j].width = int(each * weight / sum(weights))
            for r in range(rows):
                table.rows[r].height = row_h
                for j, name in enumerate(df.columns):
                    text = str(name) if r == 0 else str(df[name].iloc[r - 1])
                    cell = table.cell(r, j)
                    cell.margin_top = cell.margin_bottom = Inches(0.03)
                    colour = RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK
                    _text(cell.text_frame, [(text, 12, r == 0, colour)], anchor=MSO_ANCHOR.MIDDLE)
            bottom = max(bottom, y + row_h * rows)
        return bottom

    def finish(self) -> bytes:
        """Footers and page numbers, every run's East Asian font, and the file."""
        slides = list(self.prs.slides)
        for number, slide in enumerate(slides[1:], start=2):
            y = SLIDE_H - Inches(0.42)
            _box(slide, MARGIN, y, Inches(9), Inches(0.3), [(self.footer, 10, False, GREY)])
            _box(
                slide, SLIDE_W - MARGIN - Inches(1.5), y, Inches(1.5), Inches(0.3),
                [(f"{number} / {len(slides)}", 10, False, GREY)], align=PP_ALIGN.RIGHT,
            )  # fmt: skip
        for slide in slides:
            for run in slide.shapes._spTree.iter(qn("a:r")):
                east_asian(run.get_or_add_rPr())
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


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
        f"对比:{_comparison_note(rng, f, ctx.compare)}",
        _filters_line(f),
        f"数据截至 {fmt.moment(rng.as_of)} · 导出于 {fmt.moment(now)}",
    ]
    return [line for line in lines if line]


def build_deck(
    ctx: Context,
    now: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> bytes:
    """The PPTX of ``SECTIONS`` for ``ctx``. ``progress(done, total, what)`` follows the
    charts being drawn (most of the time)."""
    started = time.perf_counter()
    data.require_current(ctx.src)
    now = now or datetime.now()
    parts = sections(ctx)
    queried = time.perf_counter()
    charted = [slide for section in parts for slide in section.slides if slide.chart is not None]
    pictures: dict[int, bytes] = {}
    for i, slide in enumerate(charted):
        if progress:
            progress(i, len(charted), slide.title)
        pictures[id(slide)] = chart_png(slide)
    if progress:
        progress(len(charted), len(charted), "")
    drawn = time.perf_counter()

    deck = _Deck()
    f = ctx.filters
    deck.footer = f"网格治理一屏统览 · {scope_label(f, ctx.src)} · {fmt.period(f.start, f.end)}"
    deck.title_slide(title_lines(ctx, now))
    for section in parts:
        deck.section_slide(section)
        for slide in section.slides:
            deck.content_slide(slide, pictures.get(id(slide)))
    deck.prs.core_properties.title = f"{TITLE} · {deck.footer.split(' · ', 1)[1]}"
    deck.prs.core_properties.author = "网格治理一屏统览"
    deck.prs.core_properties.language = "zh-CN"
    deck.prs.core_properties.created = deck.prs.core_properties.modified = now
    content = deck.finish()
    _log.info(
        "汇报材料:%d 页,%d 张图;查询 %.1f 秒,出图 %.1f 秒(每张 %.2f 秒),排版 %.1f 秒",
        len(deck.prs.slides),
        len(charted),
        queried - started,
        drawn - queried,
        (drawn - queried) / max(len(charted), 1),
        time.perf_counter() - drawn,
    )
    return content


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
