"""导出汇报材料: the analysis pages and the rankings as a 16:9 PowerPoint deck for the current
filters.

A title slide (unit, period, comparison, data as-of, export time) and the meeting brief
(``analytics.brief``: what changed since a month ago), then one section per page
in ``SECTIONS``: a section slide, and a slide per chart with the page's key figures beside it
as editable text. Sections call the same cached queries (``ui.data``), chart builders
(``ui.charts``) and words (``ui.findings``) as their pages, with each page's default
settings, so a slide shows what the page shows. Charts become 3× images drawn by kaleido in
the machine's chromium (``ui.images``); every text run names its East Asian font, so
PowerPoint and WPS show Chinese without depending on the theme.

A view joins the deck by appending its panel's builder (``Context -> Panel``, ``ui.panels``)
to ``SECTIONS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from analytics import formats as fmt
from analytics import labels
from ui import auth, data, deck, images, panel
from ui.context import Context
from ui.panels import closure, heatmap, hotspots, overview, rankings, response, trends, whatif
from ui.panels import targets as targets_panel
from ui.sidebar import scope_label

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the views, in order


SECTIONS: list[Callable[[Context], panel.Panel | None]] = [
    overview.build,
    targets_panel.deck_build,
    trends.build,
    hotspots.build,
    closure.build,
    response.build,
    heatmap.build,
    rankings.build,
    whatif.build,
]


# Views built after the others, though shown in their place: their data take seconds of
# their own (the hot issues, in ``ui.offload``'s worker process), started at once and
# computed while the rest is queried and drawn.
LAST = (hotspots.build,)


def sections(ctx: Context) -> list[panel.Panel]:
    return [s for build in SECTIONS if (s := build(ctx)) is not None]


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
    coverage = data.data_range(src)
    lines = [
        scope_label(f, src),
        f"统计期:{fmt.period(f.start, f.end)}",
        f"对比:{panel.comparison_note(coverage, f, ctx.compare)}",
        _filters_line(f),
        f"数据截至 {fmt.moment(coverage.as_of)} · 导出于 {fmt.moment(now)}",
    ]
    return [line for line in lines if line]


def build_deck(ctx: Context, now: datetime | None = None) -> bytes:
    """The PPTX of every view in ``SECTIONS`` for ``ctx``.

    Drawing overlaps the rest: chromium starts while the first queries run, each chart is
    handed to the browser as soon as its view is built (``images.draw``, two at a time), and
    the slides are laid out while the later pictures are still being drawn."""
    started = time.perf_counter()
    data.require_current(ctx.src)
    images.open_browser()
    zone = ZoneInfo(data.settings()[0].timezone)
    now = now or datetime.now(zone).replace(tzinfo=None)  # 导出于: the district's clock
    data.in_background(partial(data.hot_issues, ctx.src, ctx.filters))
    built: dict[int, panel.Panel | None] = {}
    pictures: dict[int, Future[bytes]] = {}
    for k in sorted(range(len(SECTIONS)), key=lambda k: SECTIONS[k] in LAST):
        part = built[k] = SECTIONS[k](ctx)
        if part is None:
            continue
        for section in part.sections:
            chart = chart_of(section)
            if chart is not None:
                width, height = deck.picture_size(section)
                pictures[id(section)] = images.draw(
                    chart, width=width, height=height, scale=deck.IMAGE_SCALE,
                    font_size=deck.IMAGE_FONT_SIZE,
                )  # fmt: skip
    queried = time.perf_counter()
    parts = [part for _, part in sorted(built.items()) if part is not None]

    slides = deck.Deck()
    f = ctx.filters
    slides.footer = f"网格治理一屏统览 · {scope_label(f, ctx.src)} · {fmt.period(f.start, f.end)}"
    slides.title_slide(title_lines(ctx, now))
    meeting = targets_panel.meeting_brief(ctx, data.target_book())
    slides.text_slide(meeting.title, meeting.lines)  # what the meeting starts from
    waited = 0.0
    for part in parts:
        slides.section_slide(part)
        for section in part.sections:
            picture = pictures.get(id(section))
            if picture is not None:
                wait = time.perf_counter()
                picture = picture.result()
                waited += time.perf_counter() - wait
            slides.content_slide(section, picture)
    properties = slides.prs.core_properties
    properties.title = f"{deck.TITLE} · {slides.footer.split(' · ', 1)[1]}"
    properties.author = "网格治理一屏统览"
    properties.language = "zh-CN"
    properties.created = properties.modified = now
    content = slides.finish()
    _log.info(
        "汇报材料:%d 页,%d 张图;%.1f 秒,其中查询与作图 %.1f 秒,排版时等图 %.1f 秒",
        len(slides.prs.slides),
        len(pictures),
        time.perf_counter() - started,
        queried - started,
        waited,
    )
    return content


def chart_of(section: panel.Section) -> go.Figure | None:
    """What a slide shows as a picture: the section's chart, or its map drawn with plotly."""
    if section.chart is not None:
        return section.chart
    return section.map.figure() if section.map is not None else None


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
        or "按当前筛选生成 PPTX:会议简报,一屏统览、目标与问题清单(设了目标时)、投诉信访趋势、"
        "办结率、响应时效、网格热力图、赛马比拼和网格调整推演的图表与关键数字,文字可编辑。"
        "约需 5–15 秒,按钮转圈时正在生成。",
        width="stretch",
    )
