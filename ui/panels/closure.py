"""办结率: closure and on-time closure by unit (drilling down with the sidebar) and category,
the lifecycle funnel, where events get solved, backlog ageing and the overdue list."""

from __future__ import annotations

from functools import partial

import pandas as pd

from analytics import closure, labels, metrics
from analytics import formats as fmt
from ui import charts, data, findings
from ui.context import Context
from ui.panel import NO_EVENTS, Download, KeyFigure, Panel, Section, Table, kpi_figures
from ui.panels.trends import DATES_NOTE
from ui.sidebar import scope_label

TITLE = "办结率"
RANKED_UNITS = 30  # units in the rate ranking chart; all of them in its download
OVERDUE_HEIGHT = 420  # the overdue list's rows on the page: beside the ranking, on one screen


def rate_table(df: pd.DataFrame, label: str, title: str, comparison: str) -> pd.DataFrame:
    """A rate ranking as shown and downloaded: rank, name, intake, both rates and changes."""
    return pd.DataFrame(
        {
            "排名": df["rank"],
            title: df[label],
            "受理量": df["intake"],
            "办结率": df["closure_rate"].map(fmt.rate),
            f"办结率{comparison}": df["closure_rate_change"].map(
                lambda c: fmt.change("closure_rate", c) or fmt.MISSING
            ),
            "按时办结率": df["on_time_rate"].map(fmt.rate),
            f"按时办结率{comparison}": df["on_time_rate_change"].map(
                lambda c: fmt.change("on_time_rate", c) or fmt.MISSING
            ),
        }
    )


def overdue_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The overdue list as shown and exported (names and phones arrive masked): where and
    how late first, so both stay in view on a narrow column; the grid named in full."""
    return pd.DataFrame(
        {
            "网格": rows["place"],
            "已超期(天)": rows["overdue_days"].round(1),
            "业务类别": rows["category"],
            "办理类型": rows["handling_type"].map(
                lambda h: labels.HANDLING_TYPE.get(h, h) if h else fmt.MISSING
            ),
            "办结时限": fmt.moments(rows["deadline_at"]),
            "上报时间": fmt.moments(rows["reported_at"]),
            "事件编号": rows["event_id"],
            "反映人": rows["reporter_name"],
            "联系电话": rows["reporter_phone"],
        }
    )


def build(ctx: Context) -> Panel:
    src, f, compare = ctx.src, ctx.filters, ctx.compare
    comparison = labels.COMPARISON.get(compare, "")
    place = fmt.plain(scope_label(f, src))
    calls = {
        "counts": partial(data.closure_counts, src, f, compare),  # the cards' and rankings'
        "funnel": partial(data.funnel, src, f),
        "levels": partial(data.resolution_levels, src, f, "month"),
        "ageing": partial(data.backlog_ageing, src, f),
        "overdue": partial(data.overdue_list, src, f),
        "notes": partial(data.calendar_notes, src, f),
    }
    data.prefetch(*calls.values())
    kpis = data.closure_cards(src, f, compare)
    unit_title = labels.UNIT_LEVEL[closure.drill_level(f).removesuffix("_id")]
    return Panel(
        TITLE,
        (
            _units(data.closure_by_unit(src, f, compare), kpis, comparison, unit_title, place),
            _categories(data.closure_by_category(src, f, compare), comparison, place),
            _funnel(calls["funnel"](), place),
            _levels(calls["levels"](), kpis, comparison, place, calls["notes"]()),
            _ageing(calls["ageing"](), place),
            _overdue(calls["overdue"](), place, lambda: data.overdue_export(src, f)),
        ),
        f"口径:{metrics.METRICS['closure_rate'].description};"
        f"{metrics.METRICS['on_time_rate'].description}。",
    )


def _units(units, kpis, comparison, unit_title, place) -> Section:
    figures = list(kpi_figures(kpis, comparison, ["closure_rate", "on_time_rate"]))
    ranked = units.dropna(subset=["rank"])  # best first
    if len(ranked) > 1:
        for heading, row in (("办结率第一", ranked.iloc[0]), ("办结率末位", ranked.iloc[-1])):
            figures.append(
                KeyFigure(heading, row["name"], f"办结率 {fmt.rate(row['closure_rate'])}")
            )
    unplaced = units.attrs.get("unplaced")
    notes = []
    if len(units) > RANKED_UNITS:
        notes.append(f"图中为前 {RANKED_UNITS} 个{unit_title},全部 {len(units)} 个见下载。")
    if unplaced and not units.empty:
        note = findings.unplaced_units(unplaced, unit_title)
        notes.append(f"{note}它们列在下载表格末行,计入{place}的合计。")
    rows = pd.concat([units, pd.DataFrame([unplaced])]) if unplaced else units
    name = f"办结率_各{unit_title}_{place}"
    return Section(
        "closure_units",
        f"各{unit_title}办结率与按时办结率",
        "排名按办结率",
        chart=(
            charts.rate_ranking(units.head(RANKED_UNITS), "name", comparison)
            if not units.empty
            else None
        ),
        figures=tuple(figures),
        notes=tuple(notes),
        empty=findings.all_unplaced(unplaced, unit_title) if unplaced else NO_EVENTS,
        hint="在左侧选择街道可看其各社区,选择社区可看其各网格。",
        name=name,
        download=(
            Download(rate_table(rows, "name", unit_title, comparison), name)
            if not rows.empty
            else None
        ),
    )


def _categories(cats, comparison, place) -> Section:
    table = rate_table(cats, "category", "业务类别", comparison)
    name = f"办结率_各类别_{place}"
    return Section(
        "categories",
        "各业务类别办结率",
        tables=(Table(table, height=420, formats={"受理量": "localized"}),)
        if not cats.empty
        else (),
        name=name,
        download=Download(table, name) if not cats.empty else None,
    )


def _funnel(funnel, place) -> Section:
    figures = []
    reached = funnel["reached"].iloc[0] > 0
    if reached:
        last = funnel.iloc[-1]
        figures = [
            KeyFigure("上报", f"{fmt.count(funnel['reached'].iloc[0])} 件"),
            KeyFigure(
                last["name"],
                f"{fmt.count(last['reached'])} 件",
                f"占上报 {fmt.rate(last['share'])}",
            ),
        ]
        stuck = funnel.iloc[1:].sort_values(["dropped", "stage"], ascending=[False, True]).iloc[0]
        figures.append(
            KeyFigure("止步最多的环节", f"{stuck['name']}前", f"{fmt.count(stuck['dropped'])} 件")
        )
    table = funnel.rename(
        columns={"name": "环节", "reached": "到达(件)", "dropped": "止步于上一环节(件)"}
    ).assign(占上报=funnel["share"].map(fmt.rate))
    name = f"流转漏斗_{place}"
    return Section(
        "closure_funnel",
        "流转漏斗 · 上报 → 受理 → 转办 → 处置 → 反馈",
        "到达某环节 = 截至数据时点已走到该环节或其后环节(即办件当场处置,不经转办)",
        chart=charts.lifecycle_funnel(funnel) if reached else None,
        figures=tuple(figures),
        name=name,
        download=(
            Download(table[["环节", "到达(件)", "止步于上一环节(件)", "占上报"]], name)
            if reached
            else None
        ),
    )


def _levels(levels, kpis, comparison, place, notes) -> Section:
    name = f"解决层级_{place}"
    table = pd.DataFrame(
        {
            "月份": levels["bucket"].dt.strftime("%Y年%m月"),
            "解决层级": levels["level"].map(labels.RESOLVED_LEVEL),
            "办结(件)": levels["closed"],
            "占比": levels["share"].map(fmt.rate),
        }
    )
    return Section(
        "closure_levels",
        "在哪一级解决 · 办结事件按解决层级(按上报月份)",
        "小事不出网格、大事不出社区、难事不出街道:最深的蓝色越多,越多事情在网格内解决",
        chart=(
            charts.mark_dates(charts.level_shares(levels, "month"), notes, 700)
            if not levels.empty
            else None
        ),
        figures=kpi_figures(kpis, comparison, ["grid_level_rate"]),
        notes=(DATES_NOTE,) if not levels.empty and not notes.empty else (),
        empty="所选范围内没有记录了解决层级的办结事件。",
        name=name,
        download=Download(table, name) if not levels.empty else None,
    )


def _ageing(ageing, place) -> Section:
    backlog = ageing["backlog"].sum() > 0
    return Section(
        "closure_ageing",
        "积压账龄(件)",
        "未办结事件按账龄,红色为已超期",
        chart=charts.backlog_bars(ageing, height=340) if backlog else None,
        empty=findings.NO_BACKLOG,
        settled=True,
        name=f"积压账龄_{place}",
    )


def _overdue(overdue, place, everything) -> Section:
    total = overdue.attrs.get("total", len(overdue))
    table = overdue_table(overdue)
    notes = []
    if total > len(overdue):
        notes.append(f"清单列出超期最久的 {fmt.count(len(overdue))} 件,下载为全部。")
    if not overdue.empty:
        notes.append("反映人和联系电话已脱敏;汇报材料中不含这两列。")
    name = f"超期清单_{place}"
    return Section(
        "overdue",
        f"超期未办结清单(共 {fmt.count(total)} 件,按超期时长排列)",
        tables=(
            Table(
                table,
                height=min(OVERDUE_HEIGHT, 35 * len(table) + 38),
                private=("反映人", "联系电话"),
                formats={"已超期(天)": "%.1f"},
                help={"已超期(天)": "截至数据时点超过办结时限的天数"},
            ),
        )
        if not overdue.empty
        else (),
        notes=tuple(notes),
        empty="所选范围内没有超期未办结事件。",
        settled=True,
        name=name,
        download=(
            Download(table, name, full=lambda: overdue_table(everything()))
            if not overdue.empty
            else None
        ),
    )
