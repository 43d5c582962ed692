"""Chart builders: pure functions DataFrame -> plotly Figure, Chinese labels, one colour scheme.

The same builders serve the page and any export, so a chart looks the same everywhere.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import formats as fmt
from analytics import labels

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
EVENT_TYPE_COLORS = {
    "complaint": "#c0392b",
    "petition": "#2c6fbb",
    "request": "#27ae60",
    "hazard": "#e67e22",
    "consultation": "#8e44ad",
}
NEUTRAL = "#7f8c8d"
BAR = "#2c6fbb"
WARN = "#c0392b"
FREQ_TICK = {"day": "%m月%d日", "week": "%m月%d日", "month": "%Y年%m月"}
FREQ_HOVER = {"day": "%Y年%m月%d日", "week": "%Y年%m月%d日当周", "month": "%Y年%m月"}


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=36, b=8),
        font=dict(family=FONT, size=13),
        hoverlabel=dict(font_family=FONT),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, title=None),
        plot_bgcolor="white",
        separators=".,",
        **kw,
    )
    fig.update_xaxes(showgrid=False)
    # Full numbers with thousands separators: no SI suffixes like "10k" on a Chinese axis.
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    fig.update_yaxes(
        gridcolor="#eceff1", rangemode="tozero", exponentformat="none", separatethousands=True
    )
    return fig


def intake_trend(
    df: pd.DataFrame,
    groups: tuple[str, ...] | None = None,
    freq: str = "month",
    height: int = 300,
    title: str | None = None,
) -> go.Figure:
    """Lines per event type: solid this period, dotted the comparison period on the same dates."""
    fig = go.Figure()
    groups = groups or tuple(sorted(df["group"].unique()))
    for period, dash, opacity in (("current", "solid", 1.0), ("previous", "dot", 0.55)):
        for group in groups:
            part = df[(df["group"] == group) & (df["period"] == period)].sort_values("bucket")
            if part.empty:
                continue
            name = labels.EVENT_TYPE.get(group, group)
            tag = labels.PERIOD_TAG[period]
            fig.add_scatter(
                x=part["bucket"],
                y=part["intake"],
                mode="lines+markers" if period == "current" else "lines",
                name=name if period == "current" else f"{name}({tag})",
                line=dict(color=EVENT_TYPE_COLORS.get(group, NEUTRAL), dash=dash, width=2),
                opacity=opacity,
                hovertemplate=f"{name} · {tag}<br>%{{x|{FREQ_HOVER[freq]}}}"
                "<br>受理量 %{y:,} 件<extra></extra>",
            )
    _layout(fig, height, title=title)
    fig.update_xaxes(tickformat=FREQ_TICK[freq])
    fig.update_yaxes(title=None)  # the unit (件) is in the heading: a rotated CJK title reads badly
    return fig


def category_bars(
    df: pd.DataFrame, height: int = 300, title: str | None = None, change_name: str = "同比"
) -> go.Figure:
    """Horizontal bars of intake by category, largest on top, the change in the label
    (red when it rose by more than 10%)."""
    df = df.sort_values("intake")
    change = df["change"].map(lambda c: "" if pd.isna(c) else f"{c * 100:+.0f}%")
    fig = go.Figure(
        go.Bar(
            x=df["intake"],
            y=df["category"].map(fmt.chart_text),
            orientation="h",
            marker_color=[WARN if c > 0.1 else BAR for c in df["change"].fillna(0)],
            text=change,
            textposition="outside",
            cliponaxis=False,
            customdata=change,
            hovertemplate="%{y}<br>受理量 %{x:,} 件<br>"
            + change_name
            + " %{customdata}<extra></extra>",
        )
    )
    _layout(fig, height, title=title)
    # Room on the right for the outside labels of the longest bar.
    top = float(df["intake"].max()) if len(df) else 1.0
    fig.update_xaxes(title="件", showgrid=True, gridcolor="#eceff1", range=[0, top * 1.18])
    fig.update_yaxes(title=None)
    return fig


def backlog_bars(df: pd.DataFrame, height: int = 260, title: str | None = None) -> go.Figure:
    """Open events by age bucket, with the overdue part highlighted."""
    names = [labels.BACKLOG_BUCKET[b] for b in df["bucket"]]
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=df["backlog"] - df["overdue"],
        name="未超期",
        marker_color=BAR,
        hovertemplate="账龄 %{x}<br>未超期 %{y:,} 件<extra></extra>",
    )
    fig.add_bar(
        x=names,
        y=df["overdue"],
        name="已超期",
        marker_color=WARN,
        hovertemplate="账龄 %{x}<br>已超期 %{y:,} 件<extra></extra>",
    )
    _layout(fig, height, title=title, barmode="stack")
    fig.update_yaxes(title=None)
    return fig
