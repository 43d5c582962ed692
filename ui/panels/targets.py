"""目标与问题清单: the figures against their targets, for the overview's header, the 问题清单
page and the deck: the 综合指数 (``analytics.score``) of the selected scope, for the period
and CityScore's last day, week, month and quarter; the meeting brief (``analytics.brief``);
the list of what missed its target (``analytics.problems``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

import pandas as pd

from analytics import brief, problems, score, targets, trends
from analytics import formats as fmt
from ui import cards, data
from ui.context import Context
from ui.panel import Download, KeyFigure, Panel, Section, Table
from ui.sidebar import scope_label

TITLE = "目标与问题清单"
NO_TARGETS = "尚未设定目标值:设定后这里列出未达标的单位和网格(管理员在「目标管理」页设定)。"
SCORE_ABOUT = (
    "各项指标与其目标之比(高于目标为 >1,每项最多计 {cap:g})按权重平均;"
    "1.00 为恰好达标,0.95–1.00 为预警,低于 0.95 为未达标"
)
RECENT_NOTE = (
    "近1天、近7天内上报的事件多半还在办理,办结率、按时办结率等在这两个窗口里偏低;"
    "看是否变差以近30天、近90天为准。"
)
PROBLEM_ROWS = 12  # on the slide; all of them on the page and in the download


@dataclass(frozen=True)
class ScoreView:
    """The score of the scope: ``period`` (the selected period's ``score.Score``),
    ``windows`` (``score.windows``) and ``trend`` (whole, settled months' scores)."""

    period: score.Score
    windows: pd.DataFrame
    trend: tuple[float, ...]


def _score_args(ctx: Context, book: targets.Book) -> tuple:
    settings = data.settings()[0]
    return (ctx.src, ctx.filters, book, settings.score_weights, settings.score_cap, ctx.compare)


def score_calls(ctx: Context, book: targets.Book) -> list:
    """The cached calls :func:`score_view` makes, for a page's ``data.prefetch``."""
    if not book:
        return []
    args = _score_args(ctx, book)
    return [partial(data.score_snapshot, *args), partial(data.score_trend, *args)]


def score_view(ctx: Context, book: targets.Book) -> ScoreView | None:
    """The scope's score, or None when no target is set."""
    if not book:
        return None
    args = _score_args(ctx, book)
    by_month = data.score_trend(*args)
    coverage = data.data_range(ctx.src)
    partial_month = trends.partial_buckets(by_month["month"], "month", ctx.filters, coverage)
    settled = trends.settled_months(by_month["month"], coverage, cards.SETTLING_DAYS)
    keep = ~partial_month.to_numpy() & settled.to_numpy() & by_month["score"].notna().to_numpy()
    period, windows = data.score_snapshot(*args)
    return ScoreView(
        period=period,
        windows=windows,
        trend=tuple(float(x) for x in by_month.loc[keep, "score"]),
    )


def score_help(view: ScoreView, cap: float) -> str:
    """What the score is and what it is made of, as a tooltip: plain text."""
    parts = view.period.parts
    made = ";".join(
        f"{row.label} {fmt.value(row.metric, row.value)}(目标 {row.target_text},"
        f"比 {min(row.ratio, cap):.2f})"
        for row in parts.itertuples(index=False)
    )
    return (
        f"综合指数:{SCORE_ABOUT.format(cap=cap)}。统计期内 {view.period.total} 项指标中 "
        f"{view.period.met} 项达标" + (f":{made}。" if made else "。") + RECENT_NOTE
    )


def score_section(view: ScoreView | None, cap: float, place: str) -> Section:
    """The score as a slide and a table: the period's and the four windows' scores as key
    figures, the period's metrics with their ratios as the table."""
    if view is None:
        return Section("score", "综合指数", empty=NO_TARGETS)
    figures = [
        KeyFigure(
            "统计期",
            score.score_text(view.period.value),
            f"{view.period.total} 项中 {view.period.met} 项达标",
            _tone(score.status(view.period.value)),
        )
    ]
    for row in view.windows.itertuples(index=False):
        figures.append(
            KeyFigure(
                row.label,
                score.score_text(row.score),
                f"{fmt.period(row.start, row.end)}",
                _tone(score.status(row.score)),
            )
        )
    parts = view.period.parts
    table = pd.DataFrame(
        {
            "指标": parts["label"],
            "实际值": [
                fmt.value(m, v) for m, v in zip(parts["metric"], parts["value"], strict=True)
            ],
            "目标": parts["target_text"],
            "完成比": [f"{r:.2f}" if r != float("inf") else "∞" for r in parts["ratio"]],
            "计入": [f"{c:.2f}" for c in parts["capped"]],
            "权重": [f"{w:g}" for w in parts["weight"]],
            "状态": [targets.STATUS_LABELS.get(s, fmt.MISSING) for s in parts["status"]],
        }
    )
    name = f"综合指数_{place}"
    return Section(
        "score",
        "综合指数",
        SCORE_ABOUT.format(cap=cap),
        figures=tuple(figures),
        tables=(Table(table, slide_rows=12, status="状态"),) if not table.empty else (),
        empty="统计期内没有可与目标比较的数据。",
        name=name,
        download=Download(table, name) if not table.empty else None,
    )


def _tone(status: str | None) -> str:
    return {"green": "good", "amber": "bad", "red": "bad"}.get(status or "", "")


def min_events() -> int:
    """Units with fewer events are not judged (the rankings' rule, ``[rankings] min_events``)."""
    return data.settings()[0].ranking_min_events


def problem_section(ctx: Context, book: targets.Book) -> Section:
    """问题清单: what missed its target in the period (``analytics.problems``)."""
    place = fmt.plain(scope_label(ctx.filters, ctx.src))
    name = f"问题清单_{place}"
    if not book:
        return Section("problems", "问题清单", empty=NO_TARGETS, name=name)
    found = data.problem_list(ctx.src, ctx.filters, book, min_events())
    table = problems.table(found)
    counts = found["kind"].value_counts()
    figures = tuple(
        KeyFigure(label, f"{int(counts.get(kind, 0))} 条", "", "bad" if counts.get(kind) else "")
        for kind, label in problems.KINDS.items()
    )
    return Section(
        "problems",
        "问题清单",
        f"统计期内未达到目标的单位和网格、超期积压最多的网格、同比上升的类别;"
        f"受理不足 {min_events()} 件的单位不评判",
        figures=figures,
        tables=(Table(table, slide_rows=PROBLEM_ROWS, status="状态"),) if not table.empty else (),
        empty="统计期内没有未达标的单位、超期积压或同比上升的类别。",
        settled=True,
        name=name,
        download=Download(table, name) if not table.empty else None,
    )


def since_default(ctx: Context) -> date:
    """A month before the data's last day, or its first day for data younger than that."""
    coverage = data.data_range(ctx.src)
    return max(brief.default_since(coverage.as_of), coverage.first_day)


def meeting_brief(ctx: Context, book: targets.Book, since: date | None = None) -> brief.Brief:
    """The brief since ``since`` (default: a month before the data's last day)."""
    settings = data.settings()[0]
    return data.meeting_brief(
        ctx.src,
        ctx.filters,
        book,
        since or since_default(ctx),
        settings.ranking_min_events,
        settings.score_weights,
        settings.score_cap,
    )


def deck_build(ctx: Context) -> Panel | None:
    """The deck's section: :func:`build`, left out where no target is set (the brief
    slide says so)."""
    book = data.target_book()
    return build(ctx, book) if book else None


def build(ctx: Context, book: targets.Book | None = None) -> Panel:
    """The 问题清单 page's view: the score and the 问题清单 (the deck's brief is a slide of
    its own, after the title); ``book``: the targets, when the caller has read them."""
    book = data.target_book() if book is None else book
    data.prefetch(*score_calls(ctx, book))
    view = score_view(ctx, book)
    cap = data.settings()[0].score_cap
    place = fmt.plain(scope_label(ctx.filters, ctx.src))
    return Panel(TITLE, (score_section(view, cap, place), problem_section(ctx, book)))
