"""Chart builders: pure functions DataFrame -> plotly Figure, Chinese labels, one colour scheme.

The same builders serve the page and any export, so a chart looks the same everywhere.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from analytics import formats as fmt
from analytics import labels, metrics, scales
from analytics.trends import OTHER, bucket_end
from ui import auth, maps, presentation
from ui.figspec import merge

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"

# Colour policy: red and orange only ever mean worse (overdue, a rise in complaints, a
# spike), green only better (on time). Series that are merely different things (event
# types, categories, units) take cool, colour-blind-safe hues (blues, teals, purples,
# greys), alternating dark and light so that neighbours in a stack stay apart.
WORSE = "#c0392b"
BETTER = "#27ae60"
SERIES = (
    "#1f5f99",  # dark blue
    "#5aa9d6",  # sky blue
    "#1b8a7a",  # dark teal
    "#b39ddb",  # light purple
    "#5b3f99",  # dark purple
    "#7fcdbb",  # light teal
    "#3d4f5c",  # slate
    "#9ecae1",  # pale blue
)
EVENT_TYPE_COLORS = {
    "complaint": "#1f5f99",
    "petition": "#5b3f99",
    "request": "#5aa9d6",
    "hazard": "#1b8a7a",
    "consultation": "#a7b1b8",
}
NEUTRAL = "#7f8c8d"
BAR = "#2c6fbb"
WARN = WORSE
PARTIAL = "不完整周期"  # a bucket the period or the data covers only in part
PARTIAL_FILL = "rgba(127,140,141,0.14)"
HOLIDAY_FILL = "rgba(91,63,153,0.08)"
NOTE_LINE = "#5f6b73"
# A month as two short lines (3月 over 2026年): one long line would slant on a narrow chart.
FREQ_TICK = {"day": "%m月%d日", "week": "%m月%d日", "month": "%-m月<br>%Y年"}
FREQ_HOVER = {"day": "%Y年%m月%d日", "week": "%Y年%m月%d日当周", "month": "%Y年%m月"}
DAY_MS = 86_400_000
XPERIOD = {"day": DAY_MS, "week": 7 * DAY_MS, "month": "M1"}


PNG_OPTIONS = {"format": "png", "width": 1600, "height": 900, "scale": 2}  # 3200×1800 pixels


# plotly.js's own texts in Chinese (its zh-CN locale: the mode bar's tooltips, the messages
# while saving a picture, statistics in hover labels) and Chinese month and day names.
LOCALE = "zh-CN"
LOCALE_DEFINITION = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "矩形框选",
        "Click to enter Colorscale title": "点击输入色阶标题",
        "Click to enter Plot title": "点击输入图表标题",
        "Click to enter X axis title": "点击输入 X 轴标题",
        "Click to enter Y axis title": "点击输入 Y 轴标题",
        "Compare data on hover": "悬停时比较数据",
        "Double-click on legend to isolate one trace": "双击图例可只显示该项",
        "Double-click to zoom back out": "双击恢复原始大小",
        "Download plot as a png": "下载为 PNG 图片",
        "Download plot as a PNG": "下载为 PNG 图片",
        "Download plot": "下载图表",
        "Edit in Chart Studio": "在 Chart Studio 中编辑",
        "IE only supports svg.  Changing format to svg.": "IE 仅支持 SVG,已改为 SVG 格式。",
        "Lasso Select": "套索选择",
        "Orbital rotation": "轨道旋转",
        "Pan": "平移",
        "Produced with Plotly.js": "由 Plotly.js 生成",
        "Reset": "重置",
        "Reset axes": "重置坐标轴",
        "Reset camera to default": "重置视角",
        "Reset camera to last save": "恢复上次保存的视角",
        "Reset view": "重置视图",
        "Reset views": "重置视图",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Snapshot succeeded": "图片已生成",
        "Sorry, there was a problem downloading your snapshot!": "抱歉,下载图片时出现问题!",
        "Taking snapshot - this may take a few seconds": "正在生成图片,请稍候",
        "Toggle Spike Lines": "显示或隐藏参考线",
        "Toggle show closest data on hover": "切换悬停时显示最近数据",
        "Turntable rotation": "转盘旋转",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "close:": "收盘:",
        "high:": "最高:",
        "incoming flow count:": "流入数:",
        "kde:": "核密度:",
        "lat:": "纬度:",
        "lon:": "经度:",
        "low:": "最低:",
        "lower fence:": "下边界:",
        "max:": "最大值:",
        "mean ± σ:": "平均值 ± σ:",
        "mean:": "平均值:",
        "median:": "中位数:",
        "min:": "最小值:",
        "new text": "新文本",
        "open:": "开盘:",
        "outgoing flow count:": "流出数:",
        "q1:": "下四分位数:",
        "q3:": "上四分位数:",
        "source:": "来源:",
        "target:": "目标:",
        "trace": "数据系列",
        "upper fence:": "上边界:",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d",
        "decimal": ".",
        "thousands": ",",
    },
}


def config(name: str) -> dict:
    """``st.plotly_chart``'s config for every chart: plotly's own texts in Chinese, no plotly
    logo, and the camera button saves a high-resolution PNG named ``name`` (e.g.
    流转漏斗_龙湾街道.png), for viewers whose role may export; the others get no camera (an
    image is an export too). In presentation mode there is no mode bar at all."""
    spec = {
        "locale": LOCALE,
        "locales": {LOCALE: LOCALE_DEFINITION},
        "displaylogo": False,
        "toImageButtonOptions": {**PNG_OPTIONS, "filename": fmt.file_name(name, "图表")},
    }
    if not auth.can_export():
        spec["modeBarButtonsToRemove"] = ["toImage"]
    if presentation.active():
        spec["displayModeBar"] = False
    return spec


# Figures are written as plain dicts (traces and layout, as plotly.js reads them) and become
# a ``go.Figure`` in one step, without plotly's validation of every property: building a
# figure through ``add_*``/``update_*`` calls cost more than a page's cached queries
# (tests/ui/test_charts.py checks every builder's figure against its validated twin).


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def _trace(kind: str, **props) -> dict:
    """A trace of type ``kind``; a property given as None is left unset, as plotly does."""
    return {"type": kind, **{k: v for k, v in props.items() if v is not None}}


def _title(text: str | None) -> dict:
    return {} if text is None else {"text": text}


def _layout(height: int, **kw) -> dict:
    """Every chart's layout: its height, the CJK font, a legend above the plot on the
    right, full numbers with thousands separators (no SI suffixes like "10k" on a Chinese
    axis), grid lines across only; ``kw`` more layout properties."""
    layout = {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 36, "b": 8},
        "font": {"family": FONT, "size": 13},
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {
            "orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0,
            "title": {},
        },
        "plot_bgcolor": "white",
        "separators": ".,",
        "xaxis": {"showgrid": False, "exponentformat": "none", "separatethousands": True},
        "yaxis": {
            "gridcolor": "#eceff1", "rangemode": "tozero", "exponentformat": "none",
            "separatethousands": True,
        },
    }  # fmt: skip
    return merge(layout, kw)


def _time_axis(traces: list[dict], layout: dict, freq: str) -> None:
    """Chinese date ticks, never more than one per bucket: on a short range plotly would
    repeat a month's label (2019年09月, 2019年09月, …) or mark hours between days. Each
    bucket (named by its first day) is drawn over the days it covers, so a week's bar sits
    on its own seven days and a marked date falls inside the bucket that holds it."""
    for trace in traces:
        if trace["type"] in ("bar", "scatter") and trace.get("x") is not None:
            trace.update(xperiod=XPERIOD[freq], xperiodalignment="middle")
    spec: dict = {"tickformat": FREQ_TICK[freq]}
    ends = [_time_span(t["x"]) for t in traces if t.get("x") is not None]
    ends = [span for span in ends if span is not None]
    if ends:
        first, last = min(span[0] for span in ends), max(span[1] for span in ends)
        end = bucket_end(pd.Series([last]), freq).iloc[0] + pd.Timedelta(days=1)
        spec["range"] = [first, end]  # the buckets' own days, first to last, no more
        days = (last - first).days
        if freq == "month":
            step = next((s for s, most in ((1, 400), (2, 760), (3, 1130)) if days <= most), None)
            if step:
                spec |= {"dtick": f"M{step}", "tick0": first}
            if step == 1:  # each month's name under the middle of its month, like its point
                spec |= {"ticklabelmode": "period"}
        elif days <= (14 if freq == "day" else 84):
            spec |= {"dtick": DAY_MS * (1 if freq == "day" else 7), "tick0": first}
    merge(layout, {"xaxis": spec})


def _time_span(x) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last time of a trace's ``x`` (what is not a time ignored); None when
    it has none. A column of times is read as it is, where making a Series of it and
    converting it cost ~0.2 ms a trace."""
    if not (isinstance(x, pd.Series) and pd.api.types.is_datetime64_dtype(x.dtype)):
        x = pd.to_datetime(pd.Series(x), errors="coerce")
    first, last = x.min(), x.max()
    return None if pd.isna(first) else (first, last)


def _count_axis(layout: dict, top: float, axis: str = "yaxis") -> None:
    """An axis of event counts: whole numbers with thousands separators (no "2.5 件" tick),
    one tick per event when there are only a few."""
    spec: dict = {"tickformat": ",d", "rangemode": "tozero"}
    if top <= 5:
        spec |= {"dtick": 1, "tick0": 0}
    merge(layout, {axis: spec})


def _partial(df: pd.DataFrame) -> pd.Series:
    """Whether each row's bucket is partial (the ``partial`` column, else none is)."""
    if "partial" in df:
        return df["partial"].fillna(False).astype(bool)
    return pd.Series(False, index=df.index)


def _line(
    traces: list[dict],
    x: pd.Series,
    y: pd.Series,
    partial: pd.Series,
    name: str,
    line: dict,
    hovertemplate: str,
    **kw,
) -> None:
    """A line whose partial buckets are drawn apart: the solid line joins whole buckets
    only; a faint dashed stub with a hollow marker leads to each partial one (its hover says
    不完整周期), so a half week at either end is not read as a fall."""
    x, y, partial = (
        x.reset_index(drop=True),
        y.reset_index(drop=True),
        partial.reset_index(drop=True),
    )
    traces.append(
        _trace(
            "scatter",
            x=x, y=y.where(~partial), name=name, line=line, hovertemplate=hovertemplate, **kw,
        )
    )  # fmt: skip
    if not partial.any():
        return
    near = partial | partial.shift(1, fill_value=False) | partial.shift(-1, fill_value=False)
    tag = f"<br>({PARTIAL}:只含其中部分日期)"
    traces.append(
        _trace(
            "scatter",
            x=x,
            y=y.where(near),
            name=f"{name}({PARTIAL})",
            mode="lines+markers",
            line=line | {"dash": "dash", "width": 1.5},
            marker={"symbol": "circle-open", "size": [8 if p else 0 for p in partial]},
            opacity=0.55,
            showlegend=False,
            legendgroup=kw.get("legendgroup"),
            hovertemplate=hovertemplate.replace("<extra>", tag + "<extra>"),
        )
    )


def _band(x0, x1, fillcolor: str) -> dict:
    """A band from ``x0`` to ``x1`` over the plot's full height, behind the data."""
    return {
        "type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
        "fillcolor": fillcolor, "layer": "below", "line": {"width": 0},
    }  # fmt: skip


def _shade_partial(traces: list[dict], layout: dict, buckets: pd.Series, freq: str) -> None:
    """Grey bands over partial buckets, and 不完整周期 in the legend."""
    buckets = pd.to_datetime(pd.Series(buckets)).drop_duplicates().sort_values()
    if buckets.empty:
        return
    ends = bucket_end(buckets, freq) + pd.Timedelta(days=1)
    layout.setdefault("shapes", []).extend(
        _band(first, after, PARTIAL_FILL) for first, after in zip(buckets, ends, strict=True)
    )
    traces.append(
        _trace(
            "scatter",
            x=[None],
            y=[None],
            name=PARTIAL,
            mode="markers",
            marker={
                "symbol": "square", "size": 12, "color": PARTIAL_FILL,
                "line": {"color": NEUTRAL, "width": 1},
            },
            hoverinfo="skip",
        )
    )  # fmt: skip


def mark_dates(fig: go.Figure, notes: pd.DataFrame, width_px: int = 900) -> go.Figure:
    """Vertical markers for ``notes`` (``analytics.annotations.notes``): a band over a
    holiday, a dashed line on a recorded date, each with a short label at the top (stepped
    down a row when it would overlap the previous one) whose hover gives the date and the
    detail. Note text is users' text: escaped, never markup."""
    if notes is None or notes.empty:
        return fig
    shown = fig.layout.xaxis.range  # the buckets' own days (``_time_axis``), last one whole
    first, after = (pd.Timestamp(shown[0]), pd.Timestamp(shown[1])) if shown else (None, None)
    span_days = max((after - first).days, 1) if shown else 365
    days_per_px = span_days / max(width_px, 200)
    row_ends: list[pd.Timestamp] = []  # where each label row is free again
    shapes: list[dict] = []
    texts: list[dict] = []
    for note in notes.sort_values("day").itertuples(index=False):
        day, end = pd.Timestamp(note.day), pd.Timestamp(note.end)
        if shown and (end < first - pd.Timedelta(days=31) or day >= after):
            continue
        title = str(note.title)
        short = title if len(title) <= 8 else title[:7] + "…"
        if note.kind == "holiday":
            shapes.append(_band(day, end + pd.Timedelta(days=1), HOLIDAY_FILL))
        else:
            shapes.append(
                {
                    "type": "line", "x0": day, "x1": day, "xref": "x", "y0": 0, "y1": 1,
                    "yref": "y domain", "line": {"color": NOTE_LINE, "width": 1, "dash": "dash"},
                }
            )  # fmt: skip
        label_days = pd.Timedelta(days=(len(short) * 13 + 12) * days_per_px)
        row = next((i for i, free in enumerate(row_ends) if free <= day), len(row_ends))
        if row == len(row_ends):
            row_ends.append(day)
        row_ends[row] = day + label_days
        when = fmt.day(day) if day == end else f"{fmt.day(day)}至{end.month}月{end.day}日"
        detail = note.detail if isinstance(note.detail, str) else ""
        detail = "<br>".join(fmt.chart_text(detail[i : i + 30]) for i in range(0, len(detail), 30))
        texts.append(
            {
                "x": day,
                "xanchor": "left",
                "y": 1 - 0.08 * (row % 4),
                "yref": "paper",
                "yanchor": "top",
                "text": fmt.chart_text(short),
                "showarrow": False,
                "font": {"size": 11, "color": "#3d4f5c"},
                "bgcolor": "rgba(255,255,255,0.8)",
                "hovertext": f"{when} {fmt.chart_text(title)}"
                + (f"<br>{detail}" if detail else ""),
            }
        )
    # One assignment each (plotly's add_vline and add_annotation cost milliseconds apiece).
    if shapes:
        fig.layout.shapes = [*fig.layout.shapes, *shapes]
    if texts:
        fig.layout.annotations = [*fig.layout.annotations, *texts]
    return fig


def intake_trend(
    df: pd.DataFrame,
    groups: tuple[str, ...] | None = None,
    freq: str = "month",
    height: int = 300,
    title: str | None = None,
) -> go.Figure:
    """Lines per event type: solid this period, dotted the comparison period on the same
    dates; partial buckets (a ``partial`` column) shaded and reached by a dashed stub."""
    traces: list[dict] = []
    groups = groups or tuple(sorted(df["group"].unique()))
    for period, dash, opacity in (("current", "solid", 1.0), ("previous", "dot", 0.55)):
        for group in groups:
            part = df[(df["group"] == group) & (df["period"] == period)].sort_values("bucket")
            if part.empty:
                continue
            name = labels.EVENT_TYPE.get(group, group)
            tag = labels.PERIOD_TAG[period]
            _line(
                traces,
                part["bucket"],
                part["intake"],
                _partial(part) if period == "current" else pd.Series(False, index=part.index),
                name if period == "current" else f"{name}({tag})",
                dict(color=EVENT_TYPE_COLORS.get(group, NEUTRAL), dash=dash, width=2),
                f"{name} · {tag}<br>%{{x|{FREQ_HOVER[freq]}}}<br>受理量 %{{y:,.0f}} 件"
                "<extra></extra>",
                mode="lines+markers" if period == "current" else "lines",
                opacity=opacity,
            )
    layout = _layout(height, title=_title(title))
    current = df[df["period"] == "current"]
    _shade_partial(traces, layout, current.loc[_partial(current), "bucket"], freq)
    _time_axis(traces, layout, freq)
    layout["yaxis"][
        "title"
    ] = {}  # the unit (件) is in the heading: a rotated CJK title reads badly
    _count_axis(layout, float(df["intake"].max()) if len(df) else 0)
    return _figure(traces, layout)


def overview_trend_groups(df: pd.DataFrame) -> tuple[str, tuple[str, ...]]:
    """The overview's trend: complaints and petitions, or for data without them (e.g. a
    hotline export of demands only) its three largest event types; and its heading."""
    present = df.loc[df["period"] == "current"].groupby("group")["intake"].sum()
    shown = tuple(t for t in ("complaint", "petition") if t in present.index)
    if shown:
        return "受理趋势 · 投诉与信访(件/月)", shown
    return "受理趋势 · 按事件类型(件/月)", tuple(present.sort_values(ascending=False).index[:3])


def category_bars(
    df: pd.DataFrame, height: int = 300, title: str | None = None, change_name: str = "同比"
) -> go.Figure:
    """Horizontal bars of intake by category, largest on top, the change in the label
    (red when it rose by more than 10%: more events is worse; a fall stays neutral)."""
    df = df.sort_values("intake")
    change = df["change"].map(lambda c: "" if pd.isna(c) else f"{c * 100:+.0f}%")
    bars = _trace(
        "bar",
        x=df["intake"],
        y=df["category"].map(fmt.chart_text),
        orientation="h",
        marker={"color": [WARN if c > 0.1 else BAR for c in df["change"].fillna(0)]},
        text=change,
        textposition="outside",
        cliponaxis=False,
        customdata=change,
        hovertemplate="%{y}<br>受理量 %{x:,.0f} 件<br>"
        + change_name
        + " %{customdata}<extra></extra>",
    )
    layout = _layout(height, title=_title(title))
    # Room on the right for the outside labels of the longest bar.
    top = float(df["intake"].max()) if len(df) else 1.0
    merge(
        layout["xaxis"],
        {
            "title": {"text": "件"},
            "showgrid": True,
            "gridcolor": "#eceff1",
            "range": [0, top * 1.18],
        },
    )
    _count_axis(layout, top, "xaxis")
    layout["yaxis"]["title"] = {}
    return _figure([bars], layout)


def backlog_bars(df: pd.DataFrame, height: int = 260, title: str | None = None) -> go.Figure:
    """Open events by age bucket, with the overdue part highlighted."""
    names = [labels.BACKLOG_BUCKET[b] for b in df["bucket"]]
    traces = [
        _trace(
            "bar",
            x=names,
            y=df["backlog"] - df["overdue"],
            name="未超期",
            marker={"color": BAR},
            hovertemplate="账龄 %{x}<br>未超期 %{y:,.0f} 件<extra></extra>",
        ),
        _trace(
            "bar",
            x=names,
            y=df["overdue"],
            name="已超期",
            marker={"color": WARN},
            hovertemplate="账龄 %{x}<br>已超期 %{y:,.0f} 件<extra></extra>",
        ),
    ]
    layout = _layout(height, title=_title(title), barmode="stack")
    layout["yaxis"]["title"] = {}
    _count_axis(layout, float(df["backlog"].max()) if len(df) else 0)
    return _figure(traces, layout)


CATEGORY_COLORS = list(SERIES)
OTHER_COLOR = "#c5cbd0"  # 其他: the rest, quietly grey
UNIT_COLORS = ["#1f5f99", "#1b8a7a", "#5b3f99", "#3d4f5c"]


def _group_name(group: str) -> str:
    return fmt.chart_text(labels.EVENT_TYPE.get(group, group))


def intake_by_type(
    df: pd.DataFrame,
    freq: str,
    stacked: bool,
    previous: bool,
    moving: bool,
    height: int = 360,
    comparison: str = "上年同期",
) -> go.Figure:
    """Intake per bucket and event type: stacked bars (with the total's comparison and
    moving average as lines) or one line per type (each with its own). ``df`` has bucket,
    group, period, intake, moving_avg and partial (``analytics.trends.type_trend``): partial
    buckets are shaded, their bars hatched and pale, their lines dashed stubs."""
    traces: list[dict] = []
    df = df.assign(partial=_partial(df))
    current = df[df["period"] == "current"]
    before = df[df["period"] == "previous"]
    hover_x = f"%{{x|{FREQ_HOVER[freq]}}}"
    partial_tag = f"<br>({PARTIAL}:只含其中部分日期)"
    if stacked:
        for group, part in current.groupby("group", sort=False):
            cut = _partial(part)
            colour = EVENT_TYPE_COLORS.get(group, NEUTRAL)
            for rows, partial_part in ((part[~cut], False), (part[cut], True)):
                if rows.empty:
                    continue
                traces.append(  # partial buckets: a second, pale and hatched, trace
                    _trace(
                        "bar",
                        x=rows["bucket"],
                        y=rows["intake"],
                        name=_group_name(group),
                        legendgroup=group,
                        showlegend=not partial_part or not (~cut).any(),
                        marker={
                            "color": colour,
                            "opacity": 0.45 if partial_part else 1.0,
                            "pattern": {"shape": "/" if partial_part else "", "solidity": 0.3},
                        },
                        hovertemplate=f"{_group_name(group)}<br>{hover_x}<br>受理量 %{{y:,.0f}} 件"
                        + (partial_tag if partial_part else "")
                        + "<extra></extra>",
                    )
                )
        lines = {"合计": current, f"合计({comparison})": before} if previous else {"合计": current}
        for name, part in lines.items():
            by_bucket = part.groupby("bucket")
            total = pd.DataFrame(
                {
                    "intake": by_bucket["intake"].sum(),
                    "moving_avg": by_bucket["moving_avg"].sum(min_count=1),
                    "partial": by_bucket["partial"].any(),
                }
            ).reset_index()
            if name != "合计":
                traces.append(
                    _trace(
                        "scatter",
                        x=total["bucket"],
                        y=total["intake"],
                        name=name,
                        mode="lines",
                        line={"color": "#34495e", "dash": "dot", "width": 2},
                        hovertemplate=f"{name}<br>{hover_x}<br>%{{y:,.0f}} 件<extra></extra>",
                    )
                )
            elif moving:
                traces.append(
                    _trace(
                        "scatter",
                        x=total["bucket"],
                        y=total["moving_avg"],
                        name="合计(移动平均)",
                        mode="lines",
                        line={"color": "#34495e", "width": 2},
                        hovertemplate=f"移动平均<br>{hover_x}<br>%{{y:,.0f}} 件<extra></extra>",
                    )
                )
        layout = _layout(height, barmode="stack")
        top = float(current.groupby("bucket")["intake"].sum().max()) if len(current) else 0
    else:
        for group, part in current.groupby("group", sort=False):
            color = EVENT_TYPE_COLORS.get(group, NEUTRAL)
            name = _group_name(group)
            _line(
                traces,
                part["bucket"],
                part["intake"],
                _partial(part),
                name,
                dict(color=color, width=2),
                f"{name}<br>{hover_x}<br>受理量 %{{y:,.0f}} 件<extra></extra>",
                mode="lines+markers",
                marker=dict(size=4),
                legendgroup=group,
            )
            if moving:
                traces.append(
                    _trace(
                        "scatter",
                        x=part["bucket"],
                        y=part["moving_avg"],
                        name=f"{name}(移动平均)",
                        mode="lines",
                        line={"color": color, "width": 3},
                        opacity=0.45,
                        hovertemplate=f"{name} 移动平均<br>{hover_x}<br>%{{y:,.0f}} 件"
                        "<extra></extra>",
                    )
                )
            prev = before[before["group"] == group]
            if previous and not prev.empty:
                traces.append(
                    _trace(
                        "scatter",
                        x=prev["bucket"],
                        y=prev["intake"],
                        name=f"{name}({comparison})",
                        mode="lines",
                        line={"color": color, "dash": "dot", "width": 1.5},
                        opacity=0.6,
                        hovertemplate=f"{name} · {comparison}<br>{hover_x}<br>%{{y:,.0f}} 件"
                        "<extra></extra>",
                    )
                )
        layout = _layout(height)
        top = float(df["intake"].max()) if len(df) else 0
    _shade_partial(traces, layout, current.loc[_partial(current), "bucket"], freq)
    _time_axis(traces, layout, freq)
    layout["yaxis"]["title"] = {}
    _count_axis(layout, top)
    return _figure(traces, layout)


def category_area(df: pd.DataFrame, freq: str, height: int = 320) -> go.Figure:
    """Stacked areas: intake per bucket of the largest categories and 其他 (grey); partial
    buckets (a ``partial`` column) shaded."""
    traces: list[dict] = []
    shown = [g for g in df["group"].unique() if g != OTHER]
    for group, part in df.groupby("group", sort=False):
        name = fmt.chart_text(group)
        i = shown.index(group) if group in shown else -1
        colour = CATEGORY_COLORS[i % len(CATEGORY_COLORS)] if i >= 0 else OTHER_COLOR
        traces.append(
            _trace(
                "scatter",
                x=part["bucket"],
                y=part["intake"],
                name=name,
                mode="lines",
                stackgroup="one",
                line={"width": 0.5, "color": colour},
                hovertemplate=f"{name}<br>%{{x|{FREQ_HOVER[freq]}}}<br>%{{y:,.0f}} 件"
                "<extra></extra>",
            )
        )
    layout = _layout(height)
    _shade_partial(traces, layout, df.loc[_partial(df), "bucket"], freq)
    _time_axis(traces, layout, freq)
    layout["yaxis"]["title"] = {}
    _count_axis(layout, float(df.groupby("bucket")["intake"].sum().max()) if len(df) else 0)
    return _figure(traces, layout)


def rising_bars(df: pd.DataFrame, height: int = 320, change_name: str = "同比") -> go.Figure:
    """Categories rising fastest: horizontal bars of the change, largest on top; a rise in
    intake is worse (red), a fall is not (neutral)."""
    df = df.sort_values("change")
    text = df["change"].map(lambda c: f"{c * 100:+.1f}%")
    bars = _trace(
        "bar",
        x=df["change"] * 100,
        y=df["category"].map(fmt.chart_text),
        orientation="h",
        marker={"color": [WORSE if c > 0 else BAR for c in df["change"]]},
        text=text,
        textposition="outside",
        cliponaxis=False,
        customdata=df[["intake", "intake_prev"]].to_numpy(),
        hovertemplate="%{y}<br>" + change_name + " %{text}<br>本期 %{customdata[0]:,.0f} 件"
        "<br>上期 %{customdata[1]:,.0f} 件<extra></extra>",
    )
    layout = _layout(height)
    top = max(float((df["change"] * 100).max()) if len(df) else 1.0, 0.0) or 1.0
    low = min(float((df["change"] * 100).min()) if len(df) else 0.0, 0.0)
    merge(
        layout["xaxis"],
        {
            "title": {"text": "%"}, "showgrid": True, "gridcolor": "#eceff1",
            "range": [low * 1.25, top * 1.25],
        },
    )  # fmt: skip
    layout["yaxis"]["title"] = {}
    return _figure([bars], layout)


def spike_chart(judged: pd.DataFrame, found: pd.DataFrame, freq: str, height: int = 300):
    """Intake against its trailing baseline and alarm threshold, spikes marked in red (a
    spike is worse: more events than usual); the hover gives the rise on the baseline."""
    hover_x = f"%{{x|{FREQ_HOVER[freq]}}}"
    traces = [
        _trace(
            "scatter",
            x=judged["bucket"],
            y=judged["threshold"],
            name="异常阈值",
            mode="lines",
            line={"color": "#e6b0aa", "dash": "dash", "width": 1},
            hovertemplate=f"异常阈值<br>{hover_x}<br>%{{y:,.0f}} 件<extra></extra>",
        ),
        _trace(
            "scatter",
            x=judged["bucket"],
            y=judged["baseline"],
            name="基线(前期中位数)",
            mode="lines",
            line={"color": NEUTRAL, "dash": "dot", "width": 1.5},
            hovertemplate=f"基线<br>{hover_x}<br>%{{y:,.0f}} 件<extra></extra>",
        ),
        _trace(
            "scatter",
            x=judged["bucket"],
            y=judged["intake"],
            name="受理量",
            mode="lines+markers",
            line={"color": BAR, "width": 2},
            marker={"size": 4},
            hovertemplate=f"受理量<br>{hover_x}<br>%{{y:,.0f}} 件<extra></extra>",
        ),
    ]
    if not found.empty:
        rise = found["rise"] if "rise" in found else pd.Series(float("nan"), index=found.index)
        traces.append(
            _trace(
                "scatter",
                x=found["bucket"],
                y=found["intake"],
                name="异常峰值",
                mode="markers",
                marker={"color": WORSE, "size": 12, "symbol": "circle-open", "line": {"width": 3}},
                customdata=rise.map(lambda r: "" if pd.isna(r) else f",比基线 {r * 100:+.0f}%"),
                hovertemplate=f"异常峰值<br>{hover_x}<br>%{{y:,.0f}} 件%{{customdata}}"
                "<extra></extra>",
            )
        )
    layout = _layout(height)
    _time_axis(traces, layout, freq)
    layout["yaxis"]["title"] = {}
    _count_axis(layout, float(judged[["intake", "threshold"]].max().max()) if len(judged) else 0)
    return _figure(traces, layout)


def unit_lines(
    df: pd.DataFrame,
    names: dict[str, str],
    freq: str,
    height: int = 320,
    per_households: bool = True,
):
    """每千户事件数 per bucket, one line per unit; the plain 受理量 when ``per_households``
    is off (units without household figures). Partial buckets (``partial``) shaded, their
    points reached by dashed stubs."""
    traces: list[dict] = []
    value = "density" if per_households else "intake"
    shown = "受理量 %{y:,.0f} 件"
    if per_households:
        shown = "每千户 %{y:,.1f} 件<br>受理量 %{customdata:,.0f} 件"
    for i, (unit, part) in enumerate(df.groupby("unit_id", sort=False)):
        name = fmt.chart_text(names.get(unit, unit))
        _line(
            traces,
            part["bucket"],
            part[value],
            _partial(part),
            name,
            dict(color=UNIT_COLORS[i % len(UNIT_COLORS)], width=2),
            f"{name}<br>%{{x|{FREQ_HOVER[freq]}}}<br>{shown}<extra></extra>",
            mode="lines+markers",
            marker=dict(size=5),
            customdata=part["intake"],
        )
    layout = _layout(height)
    _shade_partial(traces, layout, df.loc[_partial(df), "bucket"], freq)
    _time_axis(traces, layout, freq)
    layout["yaxis"]["title"] = {}
    if not per_households:
        _count_axis(layout, float(df["intake"].max()) if len(df) else 0)
    return _figure(traces, layout)


LEVEL_COLORS = {  # where an event was solved: an order (grid → district), not good or bad
    "grid": "#08519c",
    "community": "#3182bd",
    "street": "#6baed6",
    "district": "#bdd7e7",
}


def rate_ranking(df: pd.DataFrame, label: str, change_name: str = "同比") -> go.Figure:
    """办结率 and 按时办结率 per unit or category, rank 1 on top, on a 0–100 % axis (an axis
    from 80 % would make a gap of two points look like half the bar); the value at the end
    of each bar, the change in the hover."""
    df = df.sort_values("rank", ascending=False)
    names = df[label].map(fmt.chart_text)
    traces = []
    for rate, colour in (("closure_rate", BAR), ("on_time_rate", "#7fb3e0")):
        change = df[f"{rate}_change"].map(lambda c, r=rate: fmt.change(r, c) or fmt.MISSING)
        traces.append(
            _trace(
                "bar",
                x=df[rate] * 100,
                y=names,
                orientation="h",
                name=metrics.label(rate),
                marker={"color": colour},
                text=df[rate].map(fmt.rate),
                textposition="inside",
                insidetextanchor="end",
                customdata=list(zip(df["rank"], change, df["intake"], strict=True)),
                hovertemplate="%{y}<br>"
                + metrics.label(rate)
                + " %{x:.1f}%<br>"
                + change_name
                + " %{customdata[1]}<br>办结率排名 第%{customdata[0]}名"
                "<br>受理量 %{customdata[2]:,.0f} 件<extra></extra>",
            )
        )
    layout = _layout(max(260, 40 * len(df) + 90), barmode="group")
    merge(
        layout["xaxis"],
        {"title": {"text": "%"}, "range": [0, 100.5], "showgrid": True, "gridcolor": "#eceff1"},
    )
    layout["yaxis"]["title"] = {}
    return _figure(traces, layout)


def lifecycle_funnel(df: pd.DataFrame, height: int = 320) -> go.Figure:
    """上报 → 受理 → 转办 → 处置 → 反馈: events reaching each stage, drop-off in the hover."""
    funnel = _trace(
        "funnel",
        y=df["name"],
        x=df["reached"],
        texttemplate="%{value:,.0f} 件<br>%{percentInitial:.1%}",
        marker={"color": [BAR, "#3d7fc4", "#5591cc", "#6fa3d6", "#88b5df"][: len(df)]},
        customdata=df["dropped"],
        hovertemplate="%{y}<br>到达 %{x:,.0f} 件<br>止步于上一环节 %{customdata:,.0f} 件"
        "<extra></extra>",
    )
    layout = _layout(height)
    layout["yaxis"]["title"] = {}
    return _figure([funnel], layout)


def level_shares(df: pd.DataFrame, freq: str, height: int = 320) -> go.Figure:
    """Where closed events were solved, as shares of each bucket (stacked to 100%)."""
    traces = []
    for level in ("grid", "community", "street", "district"):
        part = df[df["level"] == level]
        if part.empty:
            continue
        name = labels.RESOLVED_LEVEL[level]
        traces.append(
            _trace(
                "bar",
                x=part["bucket"],
                y=part["share"] * 100,
                name=name,
                marker={"color": LEVEL_COLORS[level]},
                customdata=part["closed"],
                hovertemplate=f"{name}解决<br>%{{x|{FREQ_HOVER[freq]}}}<br>%{{y:.1f}}%"
                "(%{customdata:,.0f} 件)<extra></extra>",
            )
        )
    layout = _layout(height, barmode="stack")
    _time_axis(traces, layout, freq)
    merge(layout["yaxis"], {"title": {}, "range": [0, 100], "ticksuffix": "%"})
    return _figure(traces, layout)


STAGE_COLORS = {  # lifecycle stages: different things, none better or worse
    "stage_accept": "#1f5f99",
    "stage_dispatch": "#5aa9d6",
    "stage_handle": "#5b3f99",
    "stage_feedback": "#1b8a7a",
}
SLA_COLORS = {
    "on_time": "#27ae60",
    "late": "#e67e22",
    "open_overdue": "#c0392b",
    "open_due": "#bdc3c7",
}
SLA_NAMES = {
    "on_time": "按时办结",
    "late": "超时办结",
    "open_overdue": "未办结已超期",
    "open_due": "未办结未到期",
}


def hours_boxes(df: pd.DataFrame, title: str, log: bool = True) -> go.Figure:
    """One box per group from its percentiles: box 25–75 %, line at the median, whiskers to
    P10 and P90 (marked), slowest median on top."""
    df = df.iloc[::-1]
    names = df["label"].map(fmt.chart_text)
    traces = [
        _trace(
            "box",
            y=names,
            q1=df["p25"],
            median=df["p50"],
            q3=df["p75"],
            lowerfence=df["p10"],
            upperfence=df["p90"],
            orientation="h",
            name=title,
            marker={"color": BAR},
            fillcolor="rgba(44,111,187,0.25)",
            hoverinfo="skip",
        ),
        _trace(
            "scatter",
            x=df["p90"],
            y=names,
            mode="markers",
            name="P90",
            marker={"color": "#5b3f99", "symbol": "diamond"},
            customdata=df[["p50", "n"]].to_numpy(),
            hovertemplate="%{y}<br>中位数 %{customdata[0]:.1f} 小时<br>P90 %{x:.1f} 小时"
            "<br>%{customdata[1]:,.0f} 件<extra></extra>",
        ),
        _trace(
            "scatter",
            x=df["p50"],
            y=names,
            mode="markers",
            name="中位数",
            marker={"color": "#2c3e50", "size": 7},
            hovertemplate="%{y}<br>中位数 %{x:.1f} 小时<extra></extra>",
        ),
    ]
    layout = _layout(max(260, 34 * len(df) + 90))
    merge(
        layout["xaxis"],
        {
            "title": {"text": "小时"}, "type": "log" if log else "linear", "showgrid": True,
            "gridcolor": "#eceff1",
        },
    )  # fmt: skip
    layout["yaxis"]["title"] = {}
    return _figure(traces, layout)


def stage_bars(df: pd.DataFrame) -> go.Figure:
    """Median hours of each lifecycle stage per group, stacked."""
    names = df["label"].map(fmt.chart_text)
    traces = []
    for metric, colour in STAGE_COLORS.items():
        title = metrics.label(metric).replace("时长中位数", "")
        traces.append(
            _trace(
                "bar",
                x=df[metric],
                y=names,
                orientation="h",
                name=title,
                marker={"color": colour},
                hovertemplate="%{y}<br>" + title + "中位数 %{x:.1f} 小时<extra></extra>",
            )
        )
    layout = _layout(max(240, 34 * len(df) + 90), barmode="stack")
    merge(
        layout["xaxis"],
        {"title": {"text": "小时(各环节中位数)"}, "showgrid": True, "gridcolor": "#eceff1"},
    )
    layout["yaxis"]["title"] = {}
    return _figure(traces, layout)


def sla_bars(df: pd.DataFrame) -> go.Figure:
    """Events with a deadline per handling type: on time, late, open overdue, open not due."""
    names = df["handling_type"].map(lambda h: labels.of("handling_type", h))
    names = names + "(" + df["on_time_rate"].map(fmt.rate) + ")"
    traces = []
    for state, colour in SLA_COLORS.items():
        traces.append(
            _trace(
                "bar",
                x=df[state] / df["total"] * 100,
                y=names,
                orientation="h",
                name=SLA_NAMES[state],
                marker={"color": colour},
                customdata=df[state],
                hovertemplate="%{y}<br>" + SLA_NAMES[state] + " %{customdata:,.0f} 件(%{x:.1f}%)"
                "<extra></extra>",
            )
        )
    layout = _layout(max(240, 40 * len(df) + 90), barmode="stack")
    merge(layout["xaxis"], {"range": [0, 100], "ticksuffix": "%"})
    layout["yaxis"]["title"] = {}
    return _figure(traces, layout)


def households_histogram(before: pd.Series, after: pd.Series, height: int = 260) -> go.Figure:
    """Households per grid before and after, overlaid on the same bins."""
    top = max(float(before.max()), float(after.max()), 1.0)
    size = max(25.0, round(top / 20 / 25) * 25)
    traces = [
        _trace(
            "histogram",
            x=values,
            name=name,
            marker={"color": colour},
            opacity=0.65,
            xbins={"start": 0, "end": top + size, "size": size},
            hovertemplate="%{x} 户:%{y} 个网格<extra>" + name + "</extra>",
        )
        for values, name, colour in ((before, "调整前", "#9e9e9e"), (after, "调整后", BAR))
    ]
    layout = _layout(height, barmode="overlay")
    merge(
        layout,
        {"xaxis": {"title": {"text": "每个网格的户数"}}, "yaxis": {"title": {"text": "网格数"}}},
    )
    return _figure(traces, layout)


def backtest_scatter(predictions: pd.DataFrame, height: int = 260) -> go.Figure:
    """Predicted against actual median response per current grid (each predicted by a model
    fitted without it); the diagonal is a perfect forecast."""
    actual = predictions["median_hours"] * 60
    predicted = predictions["predicted_median_hours"] * 60
    top = float(max(actual.max(), predicted[predicted < float("inf")].max()))
    traces = [
        _trace(
            "scatter", x=[0, top], y=[0, top], mode="lines",
            line={"color": "#bdbdbd", "dash": "dot"}, name="完全准确", hoverinfo="skip",
        ),
        _trace(
            "scatter",
            x=actual,
            y=predicted,
            mode="markers",
            marker={"color": "#2166ac", "size": 6, "opacity": 0.7},
            name="现有网格",
            customdata=predictions["grid_id"],
            hovertemplate="%{customdata}<br>实际 %{x:.0f} 分钟<br>预测 %{y:.0f} 分钟"
            "<extra></extra>",
        ),
    ]  # fmt: skip
    layout = _layout(height)
    merge(
        layout,
        {
            "xaxis": {"title": {"text": "实际响应时长中位数(分钟)"}},
            "yaxis": {"title": {"text": "预测(分钟)"}},
        },
    )
    return _figure(traces, layout)


def area_map(
    rings: list[list],
    values: pd.Series,
    scale: scales.Scale,
    outlines: pd.DataFrame | None = None,
    height: int = 560,
) -> go.Figure:
    """A still map of areas (grids, or hexagons of events) coloured as on the page's map: the
    same scale and legend, the units' ``outlines`` and names (``maps.outline_layers``), on
    plain axes at the true aspect ratio. For images and slides, where the page's WebGL map
    cannot go. ``rings[i]`` are the outer rings of area i, ``values[i]`` what colours it."""
    values = pd.Series(values, dtype="float64").reset_index(drop=True)
    xs: dict[tuple, list] = {}
    ys: dict[tuple, list] = {}
    for outline, value in zip(rings, values, strict=True):
        rgb = scale.colour(value)
        for ring in outline:
            xs.setdefault(rgb, []).extend([*(p[0] for p in ring), None])
            ys.setdefault(rgb, []).extend([*(p[1] for p in ring), None])
    lats = [y for part in ys.values() for y in part if y is not None]
    drawn = [v for outline, v in zip(rings, values, strict=True) if outline]
    traces = [
        _trace(
            "scatter",
            x=xs.get(rgb, [None]),
            y=ys.get(rgb, [None]),
            name=text,
            mode="lines",
            fill="toself",
            fillcolor=maps.css(rgb),
            line={"color": "white", "width": 0.6},
            hoverinfo="skip",
        )
        for rgb, text in scale.legend(drawn)  # every class, so the legend reads as a scale
    ]
    layout = _layout(height)
    _unit_outlines(traces, layout, outlines)
    title = scale.title + (f"<br><sup>{scale.meaning}</sup>" if scale.meaning else "")
    _true_aspect(layout, lats)
    merge(
        layout,
        {
            "legend": {
                "orientation": "v", "x": 1.0, "xanchor": "left", "y": 0.5, "yanchor": "middle",
                "title": {"text": title}, "traceorder": "normal",
            },
        },
    )  # fmt: skip
    return _figure(traces, layout)


def _true_aspect(layout: dict, lats: list) -> None:
    """Plain hidden axes at the map's true aspect ratio: a degree of latitude is
    1/cos(latitude) times as long as a degree of longitude."""
    mid = math.radians((min(lats) + max(lats)) / 2) if lats else 0.0
    merge(
        layout,
        {
            "xaxis": {"visible": False},
            "yaxis": {
                "visible": False, "rangemode": "normal", "scaleanchor": "x",
                "scaleratio": 1 / math.cos(mid),
            },
        },
    )  # fmt: skip


def _unit_outlines(traces: list[dict], layout: dict, outlines: pd.DataFrame | None) -> None:
    """Street (thick) and community (thin) outlines and the names of the finest units drawn,
    as on the page's map; nothing without outlines."""
    if outlines is None or outlines.empty:
        return
    for level in ("community", "street"):  # streets over their communities
        rows = outlines[outlines["level"] == level]
        x = [p[0] if p else None for paths in rows["paths"] for r in paths for p in [*r, None]]
        y = [p[1] if p else None for paths in rows["paths"] for r in paths for p in [*r, None]]
        colour, width = maps.OUTLINE[level]
        traces.append(
            _trace(
                "scatter", x=x, y=y, mode="lines", line={"color": maps.css(colour), "width": width},
                hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
    layout.setdefault("annotations", []).extend(
        {
            "x": row.label_lon, "y": row.label_lat, "text": fmt.chart_text(row.name),
            "showarrow": False, "font": {"size": 15, "color": "#141414"},
            "bgcolor": "rgba(255,255,255,0.75)", "borderpad": 2,
        }
        for row in maps.named_units(outlines).itertuples(index=False)
    )  # fmt: skip


# 一档 … 四档 are quarters of a ranking: an order, not a verdict (the last quarter of units
# scoring 88–92 is not failing), so one hue from dark to light rather than green to red.
TIER_COLORS = {1: "#08519c", 2: "#3182bd", 3: "#6baed6", 4: "#bdd7e7"}


def score_bars(df: pd.DataFrame, size_label: str = "受理量", size_unit: str = "件") -> go.Figure:
    """赛马比拼 scores as horizontal bars, rank 1 on top, coloured by tier (一档 … 四档).
    ``df``: unit_id, name, score, rank, tier and ``size`` (the events counted, shown in the
    hover as ``size_label``)."""
    df = df.sort_values(["rank", "unit_id"])
    order = list(df["unit_id"])[::-1]  # plotly draws the first category at the bottom
    traces = []
    for tier, part in df.groupby("tier", sort=True):
        tier_name = labels.TIER[int(tier)]
        traces.append(
            _trace(
                "bar",
                x=part["score"],
                y=part["unit_id"],
                orientation="h",
                name=tier_name,
                marker={"color": TIER_COLORS[int(tier)]},
                text=part["score"].map(lambda s: f"{s:.2f}"),
                textposition="inside",
                insidetextanchor="end",
                customdata=list(
                    zip(part["name"].map(fmt.chart_text), part["rank"], part["size"], strict=True)
                ),
                hovertemplate="%{customdata[0]}<br>得分 %{x:.2f}<br>第%{customdata[1]}名 · "
                + tier_name
                + f"<br>{size_label} %{{customdata[2]:,.0f}} {size_unit}<extra></extra>",
            )
        )
    layout = _layout(max(260, 24 * len(df) + 90))
    names = dict(zip(df["unit_id"], df["name"].map(fmt.chart_text), strict=True))
    merge(
        layout,
        {
            "xaxis": {
                "title": {"text": "得分"}, "range": [0, 100.5], "showgrid": True,
                "gridcolor": "#eceff1",
            },
            "yaxis": {
                "title": {}, "categoryorder": "array", "categoryarray": order,
                "tickmode": "array", "tickvals": order, "ticktext": [names[u] for u in order],
            },
        },
    )  # fmt: skip
    return _figure(traces, layout)


# ---------------------------------------------------------------- 热点诉求

HEAT_COLOURS = tuple((h, maps.css(rgb)) for h, rgb in maps.HEAT_STOPS)  # light to dark: hotter


def issue_timeline(issues: pd.DataFrame, height: int | None = None) -> go.Figure:
    """The hottest issues as bars from their first to their last event (at least a day
    wide), darker the hotter, each labelled with its events; ``issues`` as
    ``analytics.hotspots`` returns them, hottest first."""
    shown = issues.iloc[::-1]  # the hottest at the top
    start = pd.to_datetime(shown["first_at"]).dt.floor("D")
    end = pd.to_datetime(shown["last_at"]).dt.floor("D") + pd.Timedelta(days=1)
    titles = [fmt.chart_text(t) for t in shown["title"]]
    hover = [
        f"{title}<br>{fmt.day(a)} 至 {fmt.day(b)}<br>{fmt.count(n)} 件 · {fmt.count(p)} 人"
        f"<br>热度 {h:.0f}"
        for title, a, b, n, p, h in zip(
            titles,
            shown["first_at"],
            shown["last_at"],
            shown["events"],
            shown["people"],
            shown["heat"],
            strict=True,
        )
    ]
    trace = _trace(
        "bar",
        orientation="h",
        y=titles,
        base=[d.isoformat() for d in start],
        x=((end - start) / pd.Timedelta(milliseconds=1)).tolist(),
        text=[f"{fmt.count(n)}件" for n in shown["events"]],
        textposition="auto",
        insidetextanchor="middle",
        marker={
            "color": shown["heat"].tolist(),
            "cmin": 0,
            "cmax": 100,
            "colorscale": [list(c) for c in HEAT_COLOURS],
            "line": {"width": 0},
        },
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
    )
    tall = height or max(220, 60 + 28 * len(shown))
    layout = _layout(tall, showlegend=False, margin={"l": 8, "r": 8, "t": 16, "b": 8})
    merge(
        layout,
        {
            "xaxis": {"type": "date", "tickformat": "%m月%d日", "showgrid": True,
                      "gridcolor": "#eceff1"},
            "yaxis": {"automargin": True, "rangemode": "normal", "showgrid": False},
            "bargap": 0.35,
        },
    )  # fmt: skip
    return _figure([trace], layout)


def issue_map(issues: pd.DataFrame, outlines: pd.DataFrame | None, height: int = 560):
    """The issues as circles (area by events, darker the hotter) over the units' outlines,
    for slides: the page's map is ``ui.maps.issue_deck``."""
    located = issues.dropna(subset=["lon", "lat"])
    size = 12 + 30 * (located["events"] / max(float(located["events"].max()), 1.0)) ** 0.5
    traces = [
        _trace(
            "scatter",
            x=located["lon"].tolist(),
            y=located["lat"].tolist(),
            mode="markers",
            marker={
                "size": size.round(1).tolist(),
                "color": located["heat"].tolist(),
                "cmin": 0,
                "cmax": 100,
                "colorscale": [list(c) for c in HEAT_COLOURS],
                "line": {"color": "white", "width": 1},
                "opacity": 0.9,
            },
            hovertext=[
                f"{fmt.chart_text(t)}<br>{fmt.count(n)} 件 · 热度 {h:.0f}"
                for t, n, h in zip(located["title"], located["events"], located["heat"],
                                   strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=False,
        )
    ]  # fmt: skip
    layout = _layout(height, showlegend=False)
    _unit_outlines(traces, layout, outlines)
    traces.append(traces.pop(0))  # the circles over the outlines
    _true_aspect(layout, located["lat"].tolist())
    return _figure(traces, layout)
