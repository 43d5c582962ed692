"""投诉信访趋势: intake over time by event type and category, the categories rising fastest
on last year, spikes and their drivers, and units side by side per 1,000 households."""

from __future__ import annotations

from functools import partial

import pandas as pd

from analytics import formats as fmt
from analytics import labels, metrics, queries, trends
from ui import charts, data, memo
from ui.context import Context
from ui.panel import Download, KeyFigure, Panel, Section, Table, kpi_figures, with_change
from ui.sidebar import scope_label

TITLE = "投诉信访趋势"
FREQS = {"day": "日", "week": "周", "month": "月"}
MODES = {"stacked": "堆叠", "split": "分列"}
FREQ = "week"  # 时间粒度 when the page opens
COMPARED_STREETS = 2  # the unit comparison starts with the first two streets
MAX_UNITS = 4  # units compared at once
SPANS = {"day": "天", "week": "周", "month": "个月"}  # "近 4 周"
MOVING_HELP = (
    "、".join(f"按{FREQS[freq]}为近 {trends.MOVING_WINDOW[freq]} {SPANS[freq]}" for freq in FREQS)
    + "的平均"
)

UNITS_WITHOUT_EVENTS = "所选单位在统计期内没有事件。"
PARTIAL_NOTE = (
    "灰底为不完整周期:统计期或数据只覆盖其中部分日期,件数偏少不代表回落;"
    "移动平均和异常峰值判断都不使用它们。"
)
DATES_NOTE = "竖线与浅紫色带为日期标注(春节假期、区里登记的改革等),悬停标签可看详情。"
UNITS_WITHOUT_HOUSEHOLDS = (
    "所选单位没有户数数据(网格表未填户数),无法计算每千户事件数,图中改为受理量。"
)


def caption(ctx: Context) -> str:
    """The page's line under its title: period, how intake is dated, data as-of."""
    f, coverage = ctx.filters, data.data_range(ctx.src)
    return (
        f"统计期:{fmt.period(f.start, f.end)} · 受理量按上报时间计 · "
        f"数据截至 {fmt.moment(coverage.as_of)}"
    )


def no_comparison(ctx: Context) -> str | None:
    """Why last year cannot be laid over this one, or None when it can."""
    return _no_comparison(ctx.src, ctx.filters)


def _no_comparison(src, f) -> str | None:
    coverage = data.data_range(src)
    if queries.comparable(f, "yoy", coverage):
        return None
    return queries.comparison_problem(f, "yoy", coverage) or "没有上年同期数据。"


def unit_options(src) -> dict[str, str]:
    """Every street, community and grid to compare, by id: 龙湾街道(街道)."""
    names = data.unit_names(src)
    units = data.org_units(src)
    grid_ids = data.grid_reference(src)["grid_id"]
    return {
        unit: f"{names[unit]}({labels.UNIT_LEVEL[level]})"
        for level, ids in (
            ("street", units.loc[units.level == "street", "unit_id"]),
            ("community", units.loc[units.level == "community", "unit_id"]),
            ("grid", grid_ids),
        )
        for unit in ids
    }


def default_units(src) -> tuple[str, ...]:
    """The units compared when the page opens: the first streets."""
    units = data.org_units(src)
    return tuple(units.loc[units.level == "street", "unit_id"])[:COMPARED_STREETS]


def drivers(items: list, names: dict | None = None) -> str:
    """A spike's drivers as text: 名称(+增加件数)、…"""
    return "、".join(f"{(names or {}).get(k, k)}(+{v:,.0f})" for k, v in items) or "—"


def with_partial(df: pd.DataFrame, freq: str, f, coverage) -> pd.DataFrame:
    """``df`` (by bucket) with ``partial`` (``trends.partial_buckets``)."""
    if df is None or df.empty:
        return df
    return df.assign(partial=trends.partial_buckets(df["bucket"], freq, f, coverage).to_numpy())


def build(
    ctx: Context,
    freq: str = FREQ,
    mode: str = "stacked",
    previous: bool = True,
    moving: bool = False,
    units: tuple[str, ...] | None = None,
) -> Panel:
    """The view at the page's choices: 时间粒度, 显示方式, 叠加上年同期 (only where last year
    is in the data), 移动平均 and the units compared (None: the first streets).

    Only intake by type depends on 显示方式, 叠加上年同期 and 移动平均: the other sections
    are built once per data, filters, 时间粒度 and units (``_sections``), so switching those
    three redraws the page without rebuilding its other charts."""
    src, f = ctx.src, ctx.filters
    problem = no_comparison(ctx)
    previous = previous and problem is None
    units = default_units(src) if units is None else tuple(units)
    place = fmt.plain(scope_label(f, src))
    types = partial(data.type_trend, src, f, freq, "yoy" if previous else None)
    counts = partial(data.category_counts, src, f, "yoy")  # the intake card's, and ranked
    notes = partial(data.calendar_notes, src, f)
    calls = [types, counts, notes]
    if not _sections.has(src, f, freq, units):
        calls += _section_calls(src, f, freq, units).values()
    data.prefetch(*(call for call in calls if call is not None))
    kpis = data.intake_card(src, f, "yoy")
    by_type = _types(types(), kpis, freq, mode, previous, moving, place, notes())
    return Panel(TITLE, (by_type, *_sections(src, f, freq, units)))


def _section_calls(src, f, freq: str, units: tuple[str, ...]) -> dict:
    """The cached queries behind every section but intake by type."""
    spike_freq = "week" if freq == "month" else freq  # a month is too coarse to see a spike
    return {
        "categories": partial(data.category_trend, src, f, freq),
        "spikes": partial(data.spikes, src, f, spike_freq),
        "placement": partial(data.placement, src, f),
        "units": partial(data.unit_comparison, src, f, units, freq) if units else None,
        "notes": partial(data.calendar_notes, src, f),
    }


@memo.cached(max_entries=32, shared=True)
def _sections(src, f, freq: str, units: tuple[str, ...]) -> tuple[Section, ...]:
    """Every section but intake by type, for the data, filters, 时间粒度 and units."""
    coverage = data.data_range(src)
    problem = _no_comparison(src, f)
    place = fmt.plain(scope_label(f, src))
    spike_freq = "week" if freq == "month" else freq
    calls = _section_calls(src, f, freq, units)
    placement = calls["placement"]()
    names = data.unit_names(src)
    notes = calls["notes"]()
    judged, found = calls["spikes"]()
    categories = with_partial(calls["categories"](), freq, f, coverage)
    compared = with_partial(calls["units"](), freq, f, coverage) if units else None
    top, rising = data.category_changes(src, f, "yoy")  # top 8, rising: from build's counts
    options = unit_options(src)
    sections = [
        _categories(categories, top, freq, place, notes),
        _rising(rising if problem is None else pd.DataFrame(), problem, place),
        _spikes(judged, found, spike_freq, coverage.first_day, place, notes),
    ]
    if not judged.empty:
        sections.append(_spike_list(found, data.unit_titles(src), spike_freq, placement, place))
    sections.append(
        _units(
            compared,
            {u: options.get(u, names.get(u, u)) for u in units},
            bool(options),
            freq,
            placement,
            place,
            notes,
        )
    )
    return tuple(sections)


def _types(by_type, kpis, freq, mode, previous, moving, place, notes) -> Section:
    stacked = mode == "stacked"
    window = f"近 {trends.MOVING_WINDOW[freq]} {SPANS[freq]}"
    if stacked:
        about = "按事件类型堆叠"
        about += ",虚线为上年同期合计" if previous else ""
        about += f",实线为合计的移动平均({window})" if moving else ""
    else:
        about = "每种事件类型一条线"
        about += ",虚线为各自的上年同期" if previous else ""
        about += f",粗淡线为移动平均({window})" if moving else ""
    name = f"受理量按事件类型_{place}"
    table = by_type.assign(
        时间=by_type["bucket"].dt.date,
        时期=by_type["period"].map(labels.PERIOD_TAG),
        事件类型=by_type["group"].map(lambda g: labels.EVENT_TYPE.get(g, g)),
        移动平均=by_type["moving_avg"].round().astype("Int64"),
        不完整周期=by_type["partial"].map({True: "是", False: ""}),
    ).rename(columns={"intake": "受理量"})
    partial_any = bool(by_type["partial"].any()) if not by_type.empty else False
    chart = None
    if not by_type.empty:
        chart = charts.mark_dates(
            charts.intake_by_type(by_type, freq, stacked, previous, moving), notes, 1300
        )
    return Section(
        "trend_types",
        f"受理量 · 按事件类型(件/{FREQS[freq]})",
        about,
        chart=chart,
        figures=kpi_figures(kpis, "同比", ["intake"]),
        notes=tuple(
            n for n, shown in ((PARTIAL_NOTE, partial_any), (DATES_NOTE, not notes.empty)) if shown
        ),
        name=name,
        download=(
            Download(table[["时期", "时间", "事件类型", "受理量", "移动平均", "不完整周期"]], name)
            if not by_type.empty
            else None
        ),
    )


def _categories(cats, top, freq, place, notes) -> Section:
    name = f"业务类别构成_{place}"
    table = cats.assign(时间=cats["bucket"].dt.date).rename(
        columns={"group": "业务类别", "intake": "受理量"}
    )
    return Section(
        "trend_categories",
        f"业务类别构成(前 8 类,件/{FREQS[freq]})",
        "受理量最多的 8 类,其余合为“其他”",
        chart=charts.mark_dates(charts.category_area(cats, freq), notes, 700)
        if not cats.empty
        else None,
        figures=tuple(
            KeyFigure(
                f"第{i}大类别",
                row.category,
                f"{fmt.count(row.intake)} 件" + with_change("同比", "intake", row.change),
            )
            for i, row in enumerate(top.head(3).itertuples(index=False), start=1)
        ),
        name=name,
        download=(
            Download(table[["时间", "业务类别", "受理量"]], name) if not cats.empty else None
        ),
    )


def _rising(rising, problem, place) -> Section:
    least = f"两期均需至少 {metrics.MIN_EVENTS_TO_COMPARE} 件才比较"
    name = f"同比上升类别_{place}"
    table = rising.rename(
        columns={"category": "业务类别", "intake": "本期", "intake_prev": "上年同期"}
    )
    if not rising.empty:
        table = table.assign(同比=rising["change"].map(lambda c: fmt.change("intake", c)))
    return Section(
        "trend_rising",
        "同比上升最快的类别",
        least if not rising.empty else "",
        chart=charts.rising_bars(rising) if not rising.empty else None,
        figures=tuple(
            KeyFigure(
                row.category,
                fmt.change("intake", row.change) or fmt.MISSING,
                f"本期 {fmt.count(row.intake)} 件 · 上年同期 {fmt.count(row.intake_prev)} 件",
                "bad",
            )
            for row in rising.head(3).itertuples(index=False)
        ),
        empty=problem or f"没有同比上升的类别({least})。",
        name=name,
        download=(
            Download(table[["业务类别", "本期", "上年同期", "同比"]], name)
            if not rising.empty
            else None
        ),
    )


def _when(bucket, freq: str) -> str:
    """The bucket a figure is of: 2026年3月2日当周, 2026年3月2日, 2026年3月."""
    if freq == "month":
        return f"{bucket:%Y}年{bucket.month}月"
    return fmt.day(bucket) + ("当周" if freq == "week" else "")


def _spikes(judged, found, freq, first_day, place, notes) -> Section:
    per, window = FREQS[freq], trends.SPIKE_WINDOW[freq]
    biggest = found.sort_values(["excess", "bucket"], ascending=[False, True]).head(3)
    figures = ()
    if not judged.empty:
        figures = (KeyFigure("异常峰值", f"{len(found)} {SPANS[freq]}", "统计期内"),) + tuple(
            KeyFigure(
                _when(row.bucket, freq),
                f"{fmt.count(row.intake)} 件",
                f"比基线多 {fmt.count(row.excess)} 件({_rise(row.rise)});"
                f"主要类别 {drivers(row.categories[:1])}",
                "bad",
            )
            for row in biggest.itertuples(index=False)
        )
    return Section(
        "trend_spikes",
        f"异常峰值(按{per})",
        f"某{per}受理量高于其前 {window} {per}的中位数 + {trends.SPIKE_K:g} 倍稳健标准差"
        f"(1.4826 × 中位数绝对偏差),且比中位数至少多 {trends.SPIKE_MIN_RISE:.0%}、"
        f"至少多 {trends.SPIKE_MIN_EXCESS} 件,即标为异常(红圈);不完整的{per}不参与判断",
        chart=charts.mark_dates(charts.spike_chart(judged, found, freq), notes, 700)
        if not judged.empty
        else None,
        figures=figures,
        empty=(
            f"无法判断异常:每{per}须与其前 {window} {per}比较,数据从 {fmt.day(first_day)} 开始,"
            f"统计期内还没有哪一{per}之前有这么长的数据。"
        ),
        name=f"异常峰值_{place}",
    )


def _rise(rise) -> str:
    """A spike's rise on its baseline: +24%, or 基线为 0."""
    return "基线为 0" if pd.isna(rise) else f"{rise * 100:+.0f}%"


def _spike_list(found, grids, freq, placement, place) -> Section:
    """The spikes, the answer first: when, how many and how much above the baseline, where
    (the grid that rose most, named in full) and what; the full driver lists in the
    download. The figures come before the long names, so that on a half-width column the
    names, not the figures, run past its edge."""
    per = FREQS[freq]
    when = found["bucket"].map(lambda b: _when(b, freq))
    table = pd.DataFrame(
        {
            "时间": when,
            "受理量": found["intake"].round().astype(int),
            "比基线": found["rise"].map(_rise),
            "主要网格": found["grids"].map(lambda g: drivers(g[:1], grids)),
            "主要类别": found["categories"].map(lambda c: drivers(c[:2])),
        }
    )  # the baseline and the full lists of drivers are in the download
    full = pd.DataFrame(
        {
            "时间": found["bucket"].dt.date,
            "受理量": found["intake"].round().astype(int),
            "基线": found["baseline"].round().astype(int),
            "多出": found["excess"].round().astype(int),
            "比基线": found["rise"].map(_rise),
            "主要类别": found["categories"].map(drivers),
            "主要网格": found["grids"].map(lambda g: drivers(g, grids)),
        }
    )
    name = f"异常峰值_{place}"
    notes = ()
    if placement["no_grid"] and not found.empty:
        notes = ("未落到网格的事件计入受理量和主要类别,不计入主要网格。",)
    return Section(
        "trend_spike_list",
        f"异常峰值清单(按{per})",
        f"主要网格/类别:当{per}比各自前期中位数增加最多的网格和类别(下载含前三名)"
        if not found.empty
        else "",
        tables=(
            Table(
                table,
                height=min(260, 38 + 35 * len(table)),
                formats={"受理量": "localized"},
            ),
        )
        if not found.empty
        else (),
        notes=notes,
        empty="统计期内没有异常峰值。",
        settled=True,
        name=name,
        download=Download(full, name) if not found.empty else None,
    )


def _units(compared, chosen, any_units, freq, placement, place, dates) -> Section:
    per = FREQS[freq]
    has_events = compared is not None and compared["intake"].sum() > 0
    per_households = has_events and bool(compared["density"].notna().any())
    figures = []
    if per_households:
        for unit, part in compared.groupby("unit_id", sort=False):
            part = part.dropna(subset=["density"])
            if not part.empty:
                peak = part.loc[part["density"].idxmax()]
                figures.append(
                    KeyFigure(
                        chosen[unit],
                        f"最高 {fmt.number(peak['density'])} 件/千户",
                        _when(peak["bucket"], freq),
                    )
                )
    unplaced = [
        f"{fmt.count(placement[key])} 件{what}"
        for key, what in (("no_street", "未指定街道"), ("no_grid", "未落到网格"))
        if placement[key]
    ]
    notes = ()
    if unplaced:
        notes = (f"统计期内 {'、'.join(unplaced)}:计入全区数字,不在相应单位的对比中。",)
    if compared is None:
        empty = "请选择要对比的单位。" if any_units else "数据中没有街道、社区或网格,无法对比。"
    else:
        empty = UNITS_WITHOUT_EVENTS
    name = f"单位对比_{place}"
    table = None
    if has_events:
        table = pd.DataFrame(
            {
                "单位": compared["unit_id"].map(chosen),
                "时间": compared["bucket"].dt.date,
                "受理量": compared["intake"],
                "户数": compared["households"],
                "每千户事件数": compared["density"].round(2),
            }
        )
    return Section(
        "trend_units_chart",
        f"单位对比 · 每千户事件数(件/{per})",
        UNITS_WITHOUT_HOUSEHOLDS if has_events and not per_households else "",
        chart=(
            charts.mark_dates(
                charts.unit_lines(compared, chosen, freq, per_households=per_households),
                dates,
                1300,
            )
            if has_events
            else None
        ),
        figures=tuple(figures),
        notes=notes,
        empty=empty,
        name=name,
        download=Download(table, name) if table is not None else None,
    )
