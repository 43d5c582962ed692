"""Metric cards: a figure, its change against the comparison period, its definition and, where
the page has one, a small trend line by month."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from analytics import formats as fmt
from analytics import metrics, score, targets

# A label breaks only between words (at a space), never inside one: Chinese text has no
# spaces, so "每千户事件数" stays whole; a card too narrow for it cuts it off with "…" rather
# than leaving "每千户事" over "件数". The trend line is a sparkline, not a chart: low enough
# that seven cards with it still leave the page one screen. Style-only HTML takes no room.
SPARKLINE_PX = 34  # Streamlit draws it 56 px high; it is scaled down
# A card with a target: a stripe along its top and its status word in the status colour.
STATUS_STYLE = "".join(
    f'[data-testid="stColumn"]:has(.gov-target-{status}) [data-testid="stMetric"] '
    f"{{border-color: {colour}; box-shadow: inset 0 4px 0 {colour};}}"
    f".gov-target-{status} b {{color: {colour};}}"
    for status, colour in targets.STATUS_COLOURS.items()
) + "".join(
    f".gov-score-{status} {{color: {colour};}}" for status, colour in targets.STATUS_COLOURS.items()
)
STYLE = f"""<style>
[data-testid="stMetricLabel"] * {{word-break: keep-all !important;
  overflow-wrap: normal !important;}}
[data-testid="stMetricLabel"] p {{white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}}
[data-testid="stMetric"] > div:has(> [data-testid="stMetricChart"]),
[data-testid="stMetricChart"] {{height: {SPARKLINE_PX}px !important; overflow: hidden;}}
[data-testid="stMetric"] > div:has(> [data-testid="stMetricChart"]) {{margin-top: -0.6rem;}}
[data-testid="stMetric"]:has([data-testid="stMetricChart"]) > div:first-child {{
  padding-top: 0.2rem;}}
[data-testid="stMetricChart"] svg {{transform: scaleY({SPARKLINE_PX / 56:.2f});
  transform-origin: top left;}}
[data-testid="stColumn"]:has(.gov-target) {{position: relative;}}
.stElementContainer:has(.gov-target) {{position: absolute; top: 2.45rem; right: 0.6rem;
  width: auto !important; z-index: 2; pointer-events: none;}}
.gov-target {{text-align: right; font-size: 0.72rem; line-height: 1.2; color: #546e7a;
  white-space: nowrap;}}
.gov-target b {{font-weight: 600;}}
.gov-score {{display: flex; align-items: center; gap: 0.9rem; justify-content: flex-end;
  white-space: nowrap; font-size: 0.9rem; color: #546e7a; cursor: help;}}
.gov-score b {{font-size: 1.55rem; font-weight: 700; font-variant-numeric: tabular-nums;}}
.gov-score .gov-score-window b {{font-size: 1.05rem; font-weight: 600;}}
.gov-score-name {{font-weight: 600; color: #37474f;}}
{STATUS_STYLE}
</style>"""
# Each month is measured at the data's last day, like the card; figures that wait for events
# to be closed leave out the latest month (ui.panels.overview.SETTLING), which the note says.
SETTLING_DAYS = 30
TREND_NOTE = (
    "小图为各整月的走势(按上报月份,截至数据日计算;办结率、积压等需要办理时间的指标"
    f"不画结束不满 {SETTLING_DAYS} 天的月份)"
)
PARTIAL_NOTE = "首尾不满一个月的月份不画,免得看似下降"


def metric_card(
    container,
    metric: str,
    value,
    previous,
    change,
    comparison_name: str,
    trend: Sequence[float] | None = None,
    partial: bool = False,
    target: targets.Target | None = None,
) -> None:
    """One bordered ``st.metric`` in ``container``: value, coloured change (better/worse as
    the metric defines it), and the definition with last period's value on hover. Without
    ``comparison_name`` the change stands alone (where a caption names the comparison).

    ``trend``: the metric by whole month (``queries.monthly_kpis``), drawn as a sparkline in
    the change's colour when there are at least two months; ``partial`` says in the help that
    months the period covers only in part were left out.

    ``target`` (the one resolved for the card's unit): the card shows it beside the value,
    with its status word, and takes the status colour along its top; the help adds the ratio
    to it. Without one the card is as before: a figure without a target has no colour."""
    shown = fmt.change(metric, change)
    points = [float(v) for v in trend or () if v == v]  # NaN (a month without events) left out
    about = [f"{metrics.description(metric)}。上期:{fmt.value(metric, previous)}"]
    if target is not None:
        about.append(target_help(metric, value, target))
    if len(points) >= 2:
        about.append(TREND_NOTE + (f";{PARTIAL_NOTE}" if partial else "") + "。")
    container.metric(
        metrics.label(metric),
        fmt.value(metric, value),
        delta=(f"{shown}({comparison_name})" if comparison_name else shown) if shown else None,
        delta_color="off" if shown == fmt.FLAT else fmt.delta_color(metric),
        delta_arrow="off" if shown == fmt.FLAT else "auto",
        help="\n\n".join(about),
        border=True,
        height="stretch",
        chart_data=points if len(points) >= 2 else None,
        chart_type="line",
    )
    if target is not None:
        container.html(target_badge(value, target))


def status_cell_css(value) -> str:
    """A table cell reading 达标/预警/未达标 in its status colours (CSS declarations, our
    constants only), the same on the page, the projector and the print file; "" for any
    other value."""
    status = targets.STATUS_OF_LABEL.get(value)
    if status is None:
        return ""
    return (
        f"color: {targets.STATUS_COLOURS[status]}; "
        f"background-color: {targets.STATUS_TINTS[status]}; font-weight: 600"
    )


def target_badge(value, target: targets.Target) -> str:
    """The target and the status word, as the card shows them (our own figures only: no user
    text reaches this HTML)."""
    status = targets.status(value, target)
    word = targets.STATUS_LABELS.get(status, "无数据")
    return (
        f'<div class="gov-target gov-target-{status or "none"}">'
        f"目标{targets.OP_SIGNS[target.op]}{targets.show(target.metric, target.target)}"
        f"<br><b>{word}</b></div>"
    )


def target_help(metric: str, value, target: targets.Target) -> str:
    """The card's help line on its target: the target, the status, how far off, the ratio."""
    status = targets.status(value, target)
    if status is None:
        return f"目标:{targets.describe(target)};本期没有可判断的数据。"
    ratio = targets.ratio(value, target)
    shown = "—" if ratio != ratio else ("∞" if ratio == float("inf") else f"{ratio:.2f}")
    verdict = targets.STATUS_LABELS[status]
    if status != "green":
        verdict += f",{targets.gap_text(metric, targets.gap(value, target))}"
    return f"目标:{targets.describe(target)};{verdict},完成比 {shown}(1.00 为恰好达标)。"


def sparkline_svg(
    points: Sequence[float], width: int = 72, height: int = 22, least_span: float = 0.1
) -> str:
    """A small trend line as an SVG picture (numbers only; ``st.html`` drops inline SVG, so
    it is an image of a data URI), empty for fewer than two points. The height spans at
    least ``least_span``, so that a score moving by 0.005 draws flat, not as a cliff."""
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = max(high - low, least_span)
    low -= (span - (high - low)) / 2
    step = width / (len(points) - 1)
    xy = " ".join(
        f"{i * step:.1f},{height - 2 - (p - low) / span * (height - 4):.1f}"
        for i, p in enumerate(points)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><polyline points="{xy}" fill="none" '
        f'stroke="#546e7a" stroke-width="1.6"/></svg>'
    )
    data = base64.b64encode(svg.encode()).decode()
    return f'<img alt="" width="{width}" height="{height}" src="data:image/svg+xml;base64,{data}">'


def score_strip(view, about: str) -> str:
    """The overview's 综合指数 line, CityScore-style: the period's score in its status
    colour with its monthly trend, then the last day, week, month and quarter side by side.
    ``view`` is ``ui.panels.targets.ScoreView``; ``about`` its tooltip (plain text, escaped
    here). Our own figures only."""

    def value(x) -> str:
        status = score.status(x) or "none"
        return f'<b class="gov-score-{status}">{score.score_text(x)}</b>'

    windows = "".join(
        f'<span class="gov-score-window">{row.label} {value(row.score)}</span>'
        for row in view.windows.itertuples(index=False)
    )
    return (
        f'<div class="gov-score" title="{html.escape(about)}">'
        f'<span class="gov-score-name">综合指数</span>{value(view.period.value)}'
        f"{sparkline_svg(view.trend)}{windows}</div>"
    )
