"""热点诉求: many people, one place, one problem, within days, found in the citizens' words
(``analytics.hotspots``): the count, the hottest issues as a list, on a timeline and on a map.
The page adds each issue's events (masked); the deck draws the same sections."""

from __future__ import annotations

from functools import partial

import pandas as pd

from analytics import formats as fmt
from analytics import hotspots
from ui import charts, data, maps
from ui.context import Context
from ui.panel import AreaMap, Download, KeyFigure, Panel, Section, Table
from ui.sidebar import scope_label

TITLE = "热点诉求"
LISTED = 30  # issues in the list (the download has them all)
ON_TIMELINE = 12  # the hottest issues on the timeline
METHOD = (
    f"同一网格(未落格的按坐标相距 {hotspots.RADIUS_M:.0f} 米内)、前后相隔不超过 "
    f"{hotspots.WINDOW_DAYS} 天、诉求内容相似的事件,至少 {hotspots.MIN_EVENTS} 件且来自至少 "
    f"{hotspots.MIN_PEOPLE} 位反映人,算作一个热点诉求。热度 0–100,综合件数、人数、集中程度、"
    "近期程度和未办结占比(见 docs/hotspots.md)。"
)
NO_TEXT = (
    "所选范围和统计期内的事件没有诉求内容:导入的数据不含诉求描述列,无法按内容发现热点。"
    "导入含「诉求内容」「问题描述」等列的数据后,这里会列出热点诉求。"
)
NO_ISSUES = "统计期内没有发现热点诉求:没有多人在几天内反映同一地点的同一问题。"
NOTHING = "所选范围和统计期内没有事件。"


PENDING = "正在分析本期的诉求内容…"


def alert(ctx: Context, wait: bool = True) -> str | None:
    """The overview's line on hot issues, or None when there are none: 本期 3 个热点诉求,
    最热:新民社区 第6网格 · 夜间施工 噪音(12 件、9 人). With ``wait=False`` an issue list not
    computed yet is started in the background and :data:`PENDING` is returned meanwhile."""
    if not wait and not data.in_background(partial(data.hot_issues, ctx.src, ctx.filters)):
        return PENDING
    found = data.hot_issues(ctx.src, ctx.filters)
    if found.issues.empty:
        return None
    hottest = found.issues.iloc[0]
    new = int(found.issues["new"].sum())
    return (
        f"本期 {fmt.count(len(found.issues))} 个热点诉求"
        + (f"(新出现 {fmt.count(new)} 个)" if new else "")
        + f",最热:{hottest['title']}({fmt.count(hottest['events'])} 件、"
        f"{fmt.count(hottest['people'])} 人)"
    )


def alert_label(ctx: Context) -> str:
    """The link's own words beside the overview's title: 热点诉求 3 个 (computed already)."""
    return f"热点诉求 {fmt.count(len(data.hot_issues(ctx.src, ctx.filters).issues))} 个"


def build(ctx: Context) -> Panel:
    """The view for the sidebar's scope and period."""
    src, f = ctx.src, ctx.filters
    found = data.hot_issues(src, f)
    place = fmt.plain(scope_label(f, src))
    issues = found.issues
    if found.events_in_period == 0:
        empty = NOTHING
    elif found.events_with_text == 0:
        empty = NO_TEXT
    else:
        empty = NO_ISSUES
    sections = [_list(found, empty, place)]
    if not issues.empty:
        sections += [_timeline(issues, place), _map(ctx, issues, place)]
    return Panel(TITLE, tuple(sections), footnote=METHOD)


def picked(ctx: Context, row: int) -> tuple[pd.Series, tuple[str, ...]]:
    """The issue on row ``row`` of the list, and its events' ids."""
    found = data.hot_issues(ctx.src, ctx.filters)
    issue = found.issues.iloc[row]
    return issue, tuple(hotspots.members_of(found, issue["issue_id"]))


def coverage_line(found: hotspots.HotIssues) -> str:
    """How many of the period's events carry words at all."""
    if found.events_in_period == 0:
        return ""
    share = found.events_with_text / found.events_in_period
    return (
        f"统计期内 {fmt.count(found.events_in_period)} 件事件,其中 "
        f"{fmt.count(found.events_with_text)} 件有诉求内容({fmt.rate(share)})"
    )


def summary(found: hotspots.HotIssues) -> tuple[KeyFigure, ...]:
    """The issues' count, events, people, new ones and open events, as cards."""
    issues = found.issues
    if issues.empty:
        return ()
    events = int(issues["events"].sum())
    share = events / found.events_with_text if found.events_with_text else None
    return (
        KeyFigure("热点诉求", f"{fmt.count(len(issues))} 个"),
        KeyFigure("涉及事件", f"{fmt.count(events)} 件", f"占有内容事件 {fmt.rate(share)}"),
        KeyFigure("涉及反映人", f"{fmt.count(int(issues['people'].sum()))} 人"),
        KeyFigure("新出现", f"{fmt.count(int(issues['new'].sum()))} 个", "前一同长时段没有"),
        KeyFigure("未办结", f"{fmt.count(int(issues['open'].sum()))} 件"),
    )


def growth_text(row) -> str:
    """较前期: 新出现 when the period before had none of it, else its events then (a percent
    of a handful would read as an alarm: 1 → 39 is "+3800%")."""
    if bool(row["new"]) or not row["previous"]:
        return "新出现"
    return f"前期 {fmt.count(row['previous'])} 件"


def issue_table(issues: pd.DataFrame) -> pd.DataFrame:
    """The issues as the page and the download show them, hottest first."""
    return pd.DataFrame(
        {
            "排名": range(1, len(issues) + 1),
            "热点诉求": issues["title"],
            "街道": issues["street_name"].fillna("—"),
            "主要类别": issues["category"].fillna("未分类"),
            "件数": issues["events"].astype(int),
            "反映人数": issues["people"].astype(int),
            "首次": issues["first_at"].map(fmt.day),
            "最近": issues["last_at"].map(fmt.day),
            "较前期": [growth_text(row) for _, row in issues.iterrows()],
            "未办结": issues["open"].astype(int),
            "热度": issues["heat"].round(0).astype(int),
        }
    )


def _list(found: hotspots.HotIssues, empty: str, place: str) -> Section:
    name = f"热点诉求_{place}"
    issues = found.issues
    about = coverage_line(found)
    if issues.empty:
        return Section("hot_list", "热点诉求清单", about, empty=empty, name=name)
    table = issue_table(issues)
    shown = table.head(LISTED)
    listed = f"按热度排序,共 {fmt.count(len(table))} 个" + (
        f",列出前 {LISTED} 个(下载含全部)" if len(table) > LISTED else ""
    )
    return Section(
        "hot_list",
        "热点诉求清单",
        f"{about};{listed}",
        figures=summary(found),
        tables=(
            Table(
                shown,
                height=min(560, 38 + 35 * len(shown)),
                slide_rows=7,
                slide=shown[["排名", "热点诉求", "件数", "反映人数", "最近", "较前期", "热度"]],
                formats={"件数": "localized", "反映人数": "localized", "未办结": "localized"},
                help={
                    "热点诉求": "地点 · 反映内容中最有区分度的词",
                    "较前期": "统计期之前同样长的时段里,同一地点、内容相似的事件数",
                    "热度": "0–100:件数、人数、集中程度、近期程度和未办结占比的综合",
                },
            ),
        ),
        hint="在下方选择一个热点,查看它的事件明细。",
        name=name,
        download=Download(table, name),
    )


def _timeline(issues: pd.DataFrame, place: str) -> Section:
    shown = issues.head(ON_TIMELINE)
    return Section(
        "hot_timeline",
        "热点时间线",
        f"热度最高的 {len(shown)} 个热点:从首次到最近一次反映,颜色越深越热",
        chart=charts.issue_timeline(shown),
        name=f"热点时间线_{place}",
    )


def _map(ctx: Context, issues: pd.DataFrame, place: str) -> Section:
    src, f = ctx.src, ctx.filters
    shapes = data.grid_shapes(src, f)
    outlines = data.unit_outlines(src, f.street_id, f.community_id)
    style_url = data.settings()[0].map_style_url
    unplaced = int(issues["lon"].isna().sum())
    notes = (f"{fmt.count(unplaced)} 个热点的事件没有坐标,未画在图上。",) if unplaced else ()
    return Section(
        "hot_map",
        "热点分布",
        "圆越大件数越多,颜色越深越热;悬停看名称",
        map=AreaMap(
            deck=lambda height_px=None: maps.issue_deck(
                issues, outlines, shapes, style_url=style_url, height_px=height_px
            ),
            figure=lambda: charts.issue_map(issues, outlines),
            legend=[("", "热度:"), *((c, str(round(h * 100))) for h, c in charts.HEAT_COLOURS)],
        ),
        notes=notes,
        name=f"热点分布_{place}",
    )
