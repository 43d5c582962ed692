"""A view defined once, as data: a ``Panel`` of ``Section``s that a page lays out with
Streamlit (``ui.layout``) and the 汇报材料 deck draws as slides (``ui.deck``).

Each view's panel lives in ``ui/panels/<view>.py`` as ``build(ctx, **choices) -> Panel``; the
keyword arguments are the page's widgets, and their defaults are what the page first shows,
which is also what the deck shows. A section says what it shows (title, caption, chart or
map, key figures, tables, notes), what it says when there is nothing to show, and what it
offers for download; how it looks is the renderer's business. No Streamlit calls here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from analytics import formats as fmt
from analytics import labels, metrics, queries, targets

NO_EVENTS = "所选范围内没有事件。"


@dataclass(frozen=True, eq=False)
class KeyFigure:
    """A figure as a card: label, value and a note (e.g. the change)."""

    label: str
    value: str
    note: str = ""
    tone: str = ""  # "good" or "bad" colours the note; "" leaves it grey
    target: str = ""  # 目标≥95.0%, where the figure has a target
    status: str | None = None  # its status against it (targets.STATUSES), in the status colour


@dataclass(frozen=True, eq=False)
class Table:
    """A table as shown. On the page its number columns take ``formats`` (``"%.2f"``,
    ``"localized"``, …) and columns may carry ``help``. On a slide only its first
    ``slide_rows`` rows, of ``slide`` when a slide needs a shorter table (names with their
    grid, figures as text), else of ``frame`` without the ``private`` columns (masked
    personal data stays on the page and in its download)."""

    frame: pd.DataFrame
    title: str = ""
    height: int | None = None  # on the page, in px; None fits the rows
    slide_rows: int = 10
    private: tuple[str, ...] = ()
    slide: pd.DataFrame | None = None
    formats: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    status: str = ""  # a column of 达标 / 预警 / 未达标, shown in the status colours

    def on_slide(self) -> pd.DataFrame:
        shown = self.frame.drop(columns=list(self.private)) if self.slide is None else self.slide
        return shown.head(self.slide_rows)


@dataclass(frozen=True, eq=False)
class Download:
    """A table to download as CSV and Excel (``ui.downloads``), named ``name``. ``full``
    makes the whole table when ``frame`` is only what the page shows (a long list). The
    buttons' widget keys start with ``key`` (by default ``dl_<section key>``)."""

    frame: pd.DataFrame
    name: str
    full: Callable[[], pd.DataFrame] | None = None
    key: str = ""


@dataclass(frozen=True, eq=False)
class AreaMap:
    """A map of areas coloured by ``metric``: the page draws ``deck(height_px)`` (pydeck,
    framed for the height the page gives it, with ``legend`` under it), a slide draws
    ``figure()`` (plotly, for a picture). Both are made only by the renderer that needs them."""

    deck: Callable[..., object]
    figure: Callable[[], go.Figure]
    legend: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Section:
    """One part of a view: a chart or map, or tables, with key figures and notes.

    ``empty`` is said instead when there is neither chart, map nor table; ``settled`` marks
    that as good news (nothing overdue). ``hint`` tells how to use the page's widgets and is
    not put on slides. ``name`` names the chart's image and the download files."""

    key: str
    title: str
    caption: str = ""
    chart: go.Figure | None = None
    map: AreaMap | None = None
    figures: tuple[KeyFigure, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    empty: str = NO_EVENTS
    settled: bool = False
    hint: str = ""
    name: str = ""
    download: Download | None = None

    @property
    def drawn(self) -> bool:
        return self.chart is not None or self.map is not None or bool(self.tables)


@dataclass(frozen=True, eq=False)
class Panel:
    """A view: its title (the page's and the deck section's), its sections in reading
    order, and a footnote on definitions."""

    title: str
    sections: tuple[Section, ...]
    footnote: str = ""

    def __getitem__(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        return any(section.key == key for section in self.sections)


# ---------------------------------------------------------------- shared words and figures


def tone(metric: str, change) -> str:
    """ "good" or "bad" for a change of ``metric`` by its direction; "" when flat or neutral."""
    better = metrics.better(metric)
    shown = fmt.change(metric, change)
    if not shown or shown == fmt.FLAT or better == "neutral":
        return ""
    return "good" if (change > 0) == (better == "higher") else "bad"


def kpi_figures(
    kpis: pd.DataFrame,
    comparison: str,
    keys: Iterable[str] | None = None,
    target_of: Callable[[str], targets.Target | None] | None = None,
) -> tuple[KeyFigure, ...]:
    """The metric cards of ``data.kpis``: value, change and last period; with ``target_of``
    (metric → its target for the scope), the target and the status against it, as the
    page's cards show them."""
    rows = kpis.set_index("metric")
    cards = []
    for metric in keys or rows.index:
        row = rows.loc[metric]
        shown = fmt.change(metric, row["change"])
        previous = fmt.value(metric, row["previous"])
        previous = f"上期 {previous}" if previous != fmt.MISSING else ""
        note = f"{comparison} {shown}({previous})" if shown and comparison else previous
        value = fmt.value(metric, row["value"])
        goal = target_of(metric) if target_of else None
        cards.append(
            KeyFigure(
                metrics.label(metric),
                value,
                note,
                tone(metric, row["change"]),
                target=f"目标{targets.describe(goal)}" if goal else "",
                status=targets.status(row["value"], goal),
            )
        )
    return tuple(cards)


def with_change(comparison: str, metric: str, change) -> str:
    """`` · 同比 +5.5%``, or nothing without a comparison."""
    shown = fmt.change(metric, change)
    return f" · {comparison} {shown}" if shown and comparison else ""


def comparison_note(coverage, f, compare: str | None) -> str:
    """同比(对比期 …), or why there is no comparison."""
    if queries.comparable(f, compare, coverage):
        c = f.comparison(compare)
        return f"{labels.COMPARISON.get(compare, '')}(对比期 {fmt.period(c.start, c.end)})"
    return queries.comparison_problem(f, compare, coverage) or ""
