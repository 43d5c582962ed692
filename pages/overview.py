"""一屏统览: the overview panel (``ui.panels.overview``) on one screen: the headline figures as
metric cards with their monthly trend lines, then the trend, the map and the hot categories,
then the grid alerts and the backlog's ageing.

Clicking a category's bar narrows the trend, the map and the alerts to it (a chip clears it);
a card's 明细, an alert row or the chip's 明细 lists the events behind the figure
(``ui.drill``)."""

from dataclasses import replace
from functools import partial

import streamlit as st

from analytics import drilldown, labels, metrics
from analytics import formats as fmt
from ui import cards, data, drill, layout, presentation
from ui.cards import metric_card
from ui.context import current
from ui.panel import Section
from ui.panels import hotspots as hotspots_panel
from ui.panels import overview
from ui.panels import targets as targets_panel
from ui.sidebar import period_caption, scope_label

CATEGORY = "overview_category"  # session state: the clicked category (cross-filter)
ROUND = "overview_round"  # session state: bumped to clear a click (new widget keys)
ALERTS = {"worsening": "all", "overdue": "overdue"}  # an alert row lists these events
HOT_ICON = ":material/local_fire_department:"  # 热点诉求 beside the title, a link to its page
# A card's 明细 sits in the card's top right corner, taking no height of its own.
DRILL_STYLE = """<style>
[data-testid="stColumn"]:has([class*="st-key-overview_drill_"]) {position: relative;}
[class*="st-key-overview_drill_"] {position: absolute; top: 0.15rem; right: 0.35rem;
  width: auto !important; z-index: 3;}
[class*="st-key-overview_drill_"] button {min-height: 1.6rem; padding: 0 0.2rem;}
[class*="st-key-overview_drill_"] button p {font-size: 0.75rem; color: #1565c0;}
</style>"""
# The chip is as low as the title line beside it.
CHIP_STYLE = """<style>
[class*="st-key-overview_chip_"] button {min-height: 1.7rem; padding: 0 0.6rem;}
[class*="st-key-overview_chip_"] button p {font-size: 0.85rem;}
</style>"""


class Heights:
    """The page's heights in px, so that the bottom row ends at the screen's foot at 1920×1080
    (sidebar open) and in presentation mode (no sidebar or header, larger text). The map's
    column (its legend under it) is the tallest of the middle row: the charts beside it match
    it; in the bottom row the tables show their eight rows and the ageing chart matches them."""

    def __init__(self, present: bool) -> None:
        self.map = 206 if present else 212
        self.chart = 286 if present else 326
        self.caption = 44 if present else 38  # what a chart gives up for its caption line
        # header and eight rows: a projector's HTML rows are presentation.ROW_PX high
        self.table = 9 * presentation.ROW_PX + 6 if present else 320
        self.ageing = self.table - (12 if present else 0)


def legend_line(section: Section) -> Section:
    """What the map leaves out and its key figures follow the legend in its small print, not
    in caption lines of their own: the page stays one screen. (A slide has them as notes
    and cards.)"""
    if section.map is None:
        return section
    extra = [*section.notes, *(layout.figure_line((f,)) for f in section.figures)]
    legend = [*section.map.legend, *(("", text) for text in extra)]
    return replace(section, map=replace(section.map, legend=legend), notes=(), figures=())


def keyed(section: Section) -> Section:
    """``section`` under this round's widget key: a new round forgets a click."""
    return replace(section, key=f"{section.key}_{st.session_state.get(ROUND, 0)}")


def next_round() -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1


def picked_category(key: str) -> None:
    """A bar was clicked (or the click cleared): narrow the page to its category."""
    points = (st.session_state.get(key) or {}).get("selection", {}).get("points", [])
    st.session_state[CATEGORY] = overview.clicked_category(overview.categories_shown(ctx), points)


def clear_category() -> None:
    st.session_state[CATEGORY] = None
    next_round()


def picked_row(key: str, table, condition: str, category: str | None) -> None:
    """An alert row was selected: list its grid's events (the overdue ones for 超期)."""
    rows = (st.session_state.get(key) or {}).get("selection", {}).get("rows", [])
    place = overview.row_place(table, rows[0]) if rows else None
    if place is not None:
        drill.ask({"condition": condition, "category": category, **place})
        next_round()  # the row is unselected for the next click


def titled(section: Section, category: str | None) -> Section:
    """A section narrowed to ``category`` says so in its title."""
    return replace(section, title=f"{section.title}({category})") if category else section


@st.fragment(run_every=3)
def hot_issues_pending() -> None:
    """热点诉求 beside the title while its issues are computed aside: the page reruns once
    they are."""
    if hotspots_panel.alert(ctx, wait=False) != hotspots_panel.PENDING:
        st.rerun()
    st.caption(f"热点诉求:{hotspots_panel.PENDING}")


def meeting_brief(book) -> None:
    """The brief since a chosen day (a month ago unless changed), as plain text to copy."""
    coverage = data.data_range(ctx.src)
    since = st.date_input(
        "自哪天以来(上次会议)",
        value=targets_panel.since_default(ctx),
        min_value=coverage.first_day,
        max_value=coverage.last_day,
        key="overview_brief_since",
        format="YYYY/MM/DD",
    )
    text = targets_panel.meeting_brief(ctx, book, since).text
    st.code(text, language=None, wrap_lines=True, height=320)
    st.caption("右上角按钮可复制全文;简报由数据按模板生成,会前请核对。")


ctx = current()
present = presentation.active()
interactive = not present  # no controls on a projector
size = Heights(present)
category = st.session_state.get(CATEGORY) if interactive else None
if category and ctx.filters.categories and category not in ctx.filters.categories:
    category = st.session_state[CATEGORY] = None  # the sidebar's categories left it out
top = st.container()  # the title and the cards, once the panel is built
left, middle, right = st.columns([1.25, 1.0, 1.0], gap="medium")
with middle:
    head, pick = st.columns([1.2, 1.0])
    hexagons = overview.hexagons(ctx)
    choices = overview.HEX_MAP_METRICS if hexagons else overview.MAP_METRICS
    metric = pick.selectbox(
        "地图指标",
        list(choices),
        format_func=metrics.label,
        key="overview_hex_metric" if hexagons else "overview_map_metric",
        label_visibility="collapsed",
    )
book = data.target_book()
panel = overview.build(ctx, map_metric=metric, category=category, book=book)

with top:
    head_title, head_score = st.columns([1.0, 1.6], vertical_alignment="center")
    with head_title:
        layout.title(panel, scope_label(ctx.filters, ctx.src))
    score_view = targets_panel.score_view(ctx, book)
    hot = hotspots_panel.alert(ctx, wait=False)  # started aside when not computed yet
    with (
        head_score,
        st.container(
            horizontal=True, horizontal_alignment="right", vertical_alignment="center", gap="medium"
        ),
    ):
        if score_view is not None:
            cap = data.settings()[0].score_cap
            st.html(cards.score_strip(score_view, targets_panel.score_help(score_view, cap)))
        if interactive and hot == hotspots_panel.PENDING:
            hot_issues_pending()
        elif interactive and hot:  # in the title row: the screen's height is spoken for
            st.page_link(
                "pages/hotspots.py",
                label=hotspots_panel.alert_label(ctx),
                icon=HOT_ICON,
                help=fmt.plain(hot),
            )
        if interactive:  # the brief is made only once the popover is opened
            brief_box = st.popover(
                "会议简报", icon=":material/summarize:", key="overview_brief", on_change="rerun"
            )
            if brief_box.open:
                with brief_box:
                    meeting_brief(book)
    caption = period_caption(ctx.filters, ctx.compare, data.data_range(ctx.src))
    if present and hot and hot != hotspots_panel.PENDING:
        caption += f" · {fmt.plain(hot)}"  # a projector: in the line already there
    st.caption(caption if book else f"{caption} · {overview.NO_TARGETS}")
    kpis, months = overview.kpis(ctx), overview.months(ctx)
    parents = data.parents(ctx.src)
    comparison = labels.COMPARISON.get(ctx.compare, "")
    if interactive:
        st.html(DRILL_STYLE)
    for col, row in zip(st.columns(len(kpis)), kpis.itertuples(index=False), strict=True):
        metric_card(
            col,
            row.metric,
            row.value,
            row.previous,
            row.change,
            comparison,
            trend=overview.trend_line(months, row.metric),
            partial=not months["complete"].all(),
            target=book.for_unit(row.metric, ctx.filters.unit_id, parents),
        )
        if interactive and row.metric in drilldown.METRIC_CONDITION:
            col.button(
                "明细",
                key=f"overview_drill_{row.metric}",
                on_click=drill.ask,
                args=({"condition": drilldown.METRIC_CONDITION[row.metric]},),
                type="tertiary",
                help=f"列出{drilldown.CONDITIONS[drilldown.METRIC_CONDITION[row.metric]].label}"
                "的事件(已脱敏)",
            )

with left:
    layout.show(titled(panel["trend"], category), height=size.chart, figures="none")
with middle:
    layout.show(legend_line(titled(panel["map"], category)), height=size.map, head=head)
with right:
    categories = keyed(panel["categories"])
    title_at = None  # the chip, when a category is chosen, sits beside the bars' title
    if category:
        title_at, chip = st.columns([1.0, 1.1], vertical_alignment="center")
        with chip, st.container(horizontal=True, gap="small", horizontal_alignment="right"):
            st.html(CHIP_STYLE)
            st.button(
                fmt.plain(f"已筛选:{category} ✕"),
                key="overview_chip_clear",
                on_click=clear_category,
                type="primary",
                help="清除筛选:趋势、地图和预警恢复为全部类别",
            )
            st.button(
                "明细",
                key="overview_chip_drill",
                on_click=drill.ask,
                args=({"category": category},),
                type="tertiary",
                help=f"列出{category}的全部事件(已脱敏)",
            )
    height = size.chart - (size.caption if categories.caption else 0) - (8 if category else 0)
    layout.show(
        categories,
        height=height,
        figures="none",  # the bars show them
        head=title_at,
        on_select=partial(picked_category, categories.key) if interactive else None,
        selection_mode="points",
    )

for key, col in zip(
    ("worsening", "overdue", "ageing"),
    st.columns([1.15, 1.0, 0.85], gap="medium"),
    strict=True,
):
    section = keyed(titled(panel[key], category))
    table = section.tables[0].frame if section.tables else None
    pick_row = (
        partial(picked_row, f"{section.key}_table0", table, ALERTS[key], category)
        if interactive and key in ALERTS and table is not None
        else None
    )
    with col:
        layout.show(
            section,
            height=size.ageing if key == "ageing" else size.table,
            figures="none",  # the cards and rows
            on_select=pick_row,
            selection_mode="single-row",
        )

if interactive:
    drill.show(ctx)
