"""The shared sidebar: period, organisation scope and dimension filters -> ``Filters``."""

from __future__ import annotations

import streamlit as st

from analytics import formats as fmt
from analytics import labels, queries
from analytics.filters import COMPARISONS, PERIOD_PRESETS, Filters, preset_period
from analytics.schema import BOARDS, CHANNELS, EVENT_TYPES
from ui import data

DIMENSION_KEYS = ("f_event_types", "f_categories", "f_channels", "f_boards")


def _keep_valid(key: str, options: list) -> None:
    """Drop a remembered choice that is no longer offered (e.g. after changing street)."""
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = options[0]


def _reset() -> None:
    for key in ("f_preset", "f_range", "f_compare", "f_street", "f_community", "f_grid"):
        st.session_state.pop(key, None)
    for key in DIMENSION_KEYS:
        st.session_state[key] = []


def _within(start, end, coverage: queries.DataRange):
    """A period cut to the data's span."""
    return max(start, coverage.first_day), min(end, coverage.last_day)


def default_filters(coverage: queries.DataRange) -> tuple[Filters, str]:
    """What the sidebar selects for a newcomer: the first period preset (本年) over the whole
    scope, with the first comparison (同比); what ``ui.warmup`` computes ahead."""
    start, end = _within(*preset_period(PERIOD_PRESETS[0], coverage.last_day), coverage)
    return Filters(start=start, end=end), COMPARISONS[0]


def filter_sidebar(src: data.Source) -> tuple[Filters, str | None]:
    """Draw the filters and return the selection and the comparison kind (同比/环比)."""
    coverage = data.data_range(src)
    units = data.org_units(src)
    grids = data.grid_reference(src)
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    sb = st.sidebar

    preset = sb.selectbox(
        "时间范围", PERIOD_PRESETS, format_func=labels.PERIOD_PRESET.get, key="f_preset"
    )
    if preset == "custom":
        ytd_start, _ = preset_period("ytd", coverage.last_day)
        default = (max(ytd_start, coverage.first_day), coverage.last_day)  # within the data's span
        st.session_state.setdefault("f_range", default)  # or the dates a link carried
        picked = sb.date_input(
            "起止日期",
            min_value=coverage.first_day,
            max_value=coverage.last_day,
            key="f_range",
            format="YYYY-MM-DD",
        )
        start, end = (picked[0], picked[-1]) if picked else default
    else:
        start, end = preset_period(preset, coverage.last_day)
    start, end = _within(start, end, coverage)
    if end < start:
        start = end
    compare = sb.radio(
        "对比方式",
        COMPARISONS,
        format_func=labels.COMPARISON.get,
        horizontal=True,
        key="f_compare",
        help="同比:上年同一时段;环比:紧邻的上一个等长时段。上期指标按上期同等滞后时点计算。",
    )

    # A scoped viewer is offered only their own units (the store shows no others) and no
    # 全区 / 全部社区 above their scope.
    scope = src.scope
    streets = [*([""] if scope.whole else []), *units.loc[units["level"] == "street", "unit_id"]]
    _keep_valid("f_street", streets)
    street = sb.selectbox(
        "街道", streets, format_func=lambda u: names[u] if u else "全区", key="f_street"
    )
    community = grid = None
    if street:
        communities = [
            *([] if scope.community_id else [""]),
            *units.loc[(units["level"] == "community") & (units["parent_id"] == street), "unit_id"],
        ]
        _keep_valid("f_community", communities)
        community = sb.selectbox(
            "社区",
            communities,
            format_func=lambda u: names[u] if u else "全部社区",
            key="f_community",
        )
    if community:
        grid_names = grids.loc[grids["community_id"] == community].set_index("grid_id")["name"]
        grid_options = ["", *grid_names.index]
        _keep_valid("f_grid", grid_options)
        grid = sb.selectbox(
            "网格",
            grid_options,
            format_func=lambda g: grid_names[g] if g else "全部网格",
            key="f_grid",
        )

    with sb.expander("更多筛选", expanded=False):
        event_types = st.multiselect(
            "事件类型",
            EVENT_TYPES,
            format_func=labels.EVENT_TYPE.get,
            key="f_event_types",
            placeholder="全部",
        )
        cats = st.multiselect(
            "业务类别", data.categories(src), key="f_categories", placeholder="全部"
        )
        channels = st.multiselect(
            "来源渠道",
            CHANNELS,
            format_func=labels.CHANNEL.get,
            key="f_channels",
            placeholder="全部",
        )
        boards = st.multiselect(
            "四板块", BOARDS, format_func=labels.BOARD.get, key="f_boards", placeholder="全部"
        )
    sb.button("重置筛选", on_click=_reset, width="stretch")

    f = Filters(
        start=start,
        end=end,
        street_id=street or None,
        community_id=community or None,
        grid_id=grid or None,
        event_types=tuple(event_types),
        categories=tuple(cats),
        channels=tuple(channels),
        boards=tuple(boards),
    )
    return f, compare


def scope_label(f: Filters, src: data.Source) -> str:
    """Chinese name of the selected scope, e.g. 龙湾街道 · 桂花社区."""
    units = data.org_units(src)
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    parts = [names.get(u, u) for u in (f.street_id, f.community_id) if u]
    if f.grid_id:
        grids = data.grid_reference(src).set_index("grid_id")
        parts.append(str(grids.loc[f.grid_id, "name"]) if f.grid_id in grids.index else f.grid_id)
    if not parts:
        district = units.loc[units["level"] == "district", "name"]
        return str(district.iloc[0]) if len(district) else "全区"
    return " · ".join(parts)


def period_caption(f: Filters, compare: str | None, coverage) -> str:
    """统计期 · the comparison period (or why there is none) · 数据截至: a page's caption line."""
    if queries.comparable(f, compare, coverage):
        c = f.comparison(compare)
        compared = f"{labels.COMPARISON.get(compare, '')}对比期:{fmt.period(c.start, c.end)}"
    else:
        compared = queries.comparison_problem(f, compare, coverage)
    return (
        f"统计期:{fmt.period(f.start, f.end)} · {compared} · 数据截至 {fmt.moment(coverage.as_of)}"
    )


def freshness_caption(fresh: queries.Freshness) -> str:
    """The freshness badge: 数据截至 · the latest import (when, which file, rows loaded and
    set aside) · the events held, e.g. 数据截至 2026年10月31日 23:59 · 最近导入 2026年11月1日
    08:02 事件「10月.xlsx」新增 1,234 行、更新 56 行、隔离 7 行 · 库内事件 86,963 条."""
    parts = [f"数据截至 {fmt.moment(fresh.as_of)}" if fresh.as_of else "暂无事件数据"]
    last = fresh.last_import
    if last:
        kind = labels.IMPORT_KIND.get(last.get("kind"), last.get("kind") or "")
        name = f"「{last['file_name']}」" if last.get("file_name") else ""
        rows = [("新增", last.get("rows_accepted")), ("更新", last.get("rows_updated"))]
        loaded = "、".join(f"{word} {fmt.number(n, 0)} 行" for word, n in rows if n)
        loaded = loaded or "无新数据"
        when = last.get("finished_at") or last["started_at"]
        parts.append(
            f"最近导入 {fmt.moment(when)} {kind}{name}{loaded}"
            f"、隔离 {fmt.number(last.get('rows_quarantined') or 0, 0)} 行"
        )
    parts.append(f"库内事件 {fmt.number(fresh.events, 0)} 条")
    return " · ".join(parts)
