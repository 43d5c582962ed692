"""Metric cards: a figure, its change against the comparison period, its definition and, where
the page has one, a small trend line by month."""

from __future__ import annotations

from collections.abc import Sequence

from analytics import formats as fmt
from analytics import metrics

# A label breaks only between words (at a space), never inside one: Chinese text has no
# spaces, so "每千户事件数" stays whole; a card too narrow for it cuts it off with "…" rather
# than leaving "每千户事" over "件数". The trend line is a sparkline, not a chart: low enough
# that seven cards with it still leave the page one screen. Style-only HTML takes no room.
SPARKLINE_PX = 34  # Streamlit draws it 56 px high; it is scaled down
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
) -> None:
    """One bordered ``st.metric`` in ``container``: value, coloured change (better/worse as
    the metric defines it), and the definition with last period's value on hover. Without
    ``comparison_name`` the change stands alone (where a caption names the comparison).

    ``trend``: the metric by whole month (``queries.monthly_kpis``), drawn as a sparkline in
    the change's colour when there are at least two months; ``partial`` says in the help that
    months the period covers only in part were left out."""
    shown = fmt.change(metric, change)
    points = [float(v) for v in trend or () if v == v]  # NaN (a month without events) left out
    about = [f"{metrics.description(metric)}。上期:{fmt.value(metric, previous)}"]
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
