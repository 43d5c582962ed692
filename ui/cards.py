"""Metric cards: a figure, its change against the comparison period and its definition."""

from __future__ import annotations

from analytics import formats as fmt
from analytics import metrics


def metric_card(container, metric: str, value, previous, change, comparison_name: str) -> None:
    """One bordered ``st.metric`` in ``container``: value, coloured change (better/worse as
    the metric defines it), and the definition with last period's value on hover. Without
    ``comparison_name`` the change stands alone (where a caption names the comparison)."""
    shown = fmt.change(metric, change)
    container.metric(
        metrics.label(metric),
        fmt.value(metric, value),
        delta=(f"{shown}({comparison_name})" if comparison_name else shown) if shown else None,
        delta_color="off" if shown == fmt.FLAT else fmt.delta_color(metric),
        delta_arrow="off" if shown == fmt.FLAT else "auto",
        help=f"{metrics.description(metric)}。上期:{fmt.value(metric, previous)}",
        border=True,
        height="stretch",
    )
