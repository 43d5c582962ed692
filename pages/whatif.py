"""网格调整推演: the what-if panel (``ui.panels.whatif``) with its controls: the unit, how to
re-draw it (or hand edits kept in the session), then both maps beside the comparison table
(the answer, on the first screen), the headline figures, households and back-test, and the
plan's exports.

In presentation mode the first screen only: the maps (as tall as the projector allows), the
comparison and the figures; households, back-test and exports stay for normal mode (one
small-print line says so)."""

from dataclasses import replace

import streamlit as st

from analytics import formats as fmt
from analytics.planning import partition
from ui import auth, data, downloads, layout, maps, presentation
from ui.context import current
from ui.panels import whatif

LEFT_OUT = "演示模式只显示首屏:每格户数分布、模型可信度(回测)和导出方案见常规模式。"


class Heights:
    """The maps' height in px: in presentation mode as tall as lets the figure cards under
    them end at the foot of a 1920×1080 projector (the comparison table beside the maps is
    shorter); else as the page always had it. Measured in presentation mode (18 px text,
    18 px gaps between elements)."""

    NORMAL = 430
    SCREEN = 1080
    TOP = 180  # the slim top bar, the title, the hidden controls' gap, the maps' titles
    CAPTION = 25  # one line of a map's caption (small print) at 18 px text
    LEGEND = 42  # the maps' shared legend line (24) with its gap above (18)
    CARDS = 187  # the row of figure cards (169) with its gap above (18)
    LINE = 43  # the small print saying what is left out (25) with its gap above (18)
    FOOT = 12  # the page's bottom padding, and rounding
    CAPTION_EMS = 36  # a map column (612 px) holds 38 wide characters of 15.75 px: a margin

    def __init__(self, present: bool, captions: list[str]) -> None:
        lines = max((caption_lines(c, self.CAPTION_EMS) for c in captions), default=0)
        top = self.TOP + lines * self.CAPTION + (18 if lines else 0)
        rest = self.LEGEND + self.CARDS + self.LINE + self.FOOT
        self.map = self.SCREEN - top - rest if present else self.NORMAL


def caption_lines(text: str, ems: int) -> int:
    """How many lines ``text`` takes where a line holds ``ems`` wide (CJK) characters; a
    narrow (ASCII) one counts half."""
    width = sum(0.5 if ord(c) < 128 else 1 for c in text)
    return -(-int(width * 2) // (ems * 2)) if text else 0


ctx = current()
present = presentation.active()
units = whatif.units(ctx)
choices = list(units)
default = whatif.default_unit(ctx)

st.subheader(whatif.TITLE, anchor=False)
settings_problem = data.settings()[1]
if settings_problem:
    st.warning(fmt.plain(f"{settings_problem} 推演使用默认人力成本和工时。"))

if st.session_state.get("wi_scope_of") != default:
    st.session_state["wi_scope_of"] = default  # the sidebar's unit changed: follow it
    st.session_state.pop("wi_scope", None)
scope_col, mode_col, value_col, least_col = st.columns([1.4, 2.2, 2, 1.1])
unit_id = scope_col.selectbox(
    "推演范围", choices, index=choices.index(default), format_func=units.get, key="wi_scope"
)
name = whatif.unit_name(ctx, unit_id)
try:
    with st.spinner(fmt.plain(f"正在读取{name}的楼栋与网格…")):
        scope = whatif.scope(ctx, unit_id)
except ValueError as exc:
    st.error(fmt.plain(str(exc)), icon=":material/warning:")
    st.stop()

mode = (
    mode_col.segmented_control(
        "调整方式",
        list(whatif.MODES),
        format_func=whatif.MODES.get,
        default=whatif.DEFAULT_MODE,
        key="wi_mode",
    )
    or whatif.DEFAULT_MODE
)
value = whatif.default_value(scope, mode)
if mode == "households":
    value = value_col.slider(
        "每个网格的目标户数(城市社区常见 300–500 户)",
        min_value=whatif.HOUSEHOLDS[0],
        max_value=whatif.HOUSEHOLDS[1],
        value=value,
        step=10,
        key="wi_households",
    )
elif mode == "grids":
    value = value_col.number_input(
        "网格总数",
        min_value=len(scope.grids["community_id"].unique()),
        max_value=len(scope.buildings),
        value=value,
        step=1,
        key="wi_grids",
    )
elif mode == "ceiling":
    value = value_col.slider(
        "每名专职网格员每月事件数上限",
        min_value=20,
        max_value=600,
        value=value,
        step=10,
        key="wi_ceiling",
    )
    if not present:  # a projector reads the ceiling in the plan map's caption
        value_col.caption(
            f"按各楼栋近一年的事件量均衡划分:事件多的片区网格小、事件少的片区网格大,"
            f"每个社区的网格平均每月约 {fmt.count(value * partition.CEILING_FILL)} 件"
            f"(上限的 {fmt.rate(partition.CEILING_FILL, 0)}),留出余量。"
        )
least_change = least_col.toggle(
    "尽量少改动",
    key="wi_least",
    disabled=mode == "edit",
    help="只拆分超过上限的网格、合并事件很少的相邻网格,其余网格保持不变"
    if mode == "ceiling"
    else "只拆分或合并超出目标 ±25% 的网格,其余网格保持不变",
)

edits_key = f"wi_edits_{unit_id}"  # each scope keeps its own hand edits
edits = tuple(st.session_state.get(edits_key, ())) if mode == "edit" else ()
try:
    with st.spinner(f"正在重新划分 {fmt.count(len(scope.buildings))} 栋楼…"):
        result = whatif.result(ctx, whatif.choice(unit_id, mode, value, least_change, edits))
except ValueError as exc:
    st.error(fmt.plain(str(exc)), icon=":material/warning:")
    st.session_state[edits_key] = list(edits[:-1])  # the newest edit is the one that failed
    st.button("返回上一步", key="wi_back")
    st.stop()

if mode == "edit":
    # The choices are the grids as they stand after the edits so far, so edits chain.
    grid_ids = sorted(result.plan.grids["new_grid_id"])
    grid_names = dict(zip(scope.grids["grid_id"], scope.grids["name"], strict=True))

    def label(g: str) -> str:
        return f"{g} {grid_names.get(g, '(新)')}"

    split_col, merge_a, merge_b, buttons = st.columns([1.3, 1.3, 1.3, 1.6])
    to_split = split_col.selectbox("拆分网格", grid_ids, format_func=label, key="wi_split")
    first = merge_a.selectbox("合并网格", grid_ids, format_func=label, key="wi_merge_a")
    second = merge_b.selectbox(
        "与", grid_ids, index=min(1, len(grid_ids) - 1), format_func=label, key="wi_merge_b"
    )
    with buttons.container(horizontal=True):
        if st.button("拆分为两个", key="wi_do_split"):
            st.session_state[edits_key] = [*edits, ("split", to_split)]
            st.rerun()
        if st.button("合并", key="wi_do_merge"):
            st.session_state[edits_key] = [*edits, ("merge", first, second)]
            st.rerun()
        if st.button("撤销全部", key="wi_undo"):
            st.session_state[edits_key] = []
            st.rerun()
    if edits and not present:  # a projector reads the edits in the plan map's caption
        st.caption(
            fmt.plain(
                f"已做调整:{whatif.edits_line(edits)}"
                "(拆分出的新网格编号为“社区编码-N序号”,可继续拆分或合并)"
            )
        )

panel = whatif.panel(ctx, result)
before, after = panel["wi_map_before"], panel["wi_map_after"]
size = Heights(present, [before.caption, after.caption])

# The answer first: both maps and the comparison table on one screen, the maps' shared
# legend once under them; then each figure after the change with its value before.
map_before, map_after, table_col = st.columns([1, 1, 0.95], gap="medium")
for col, section in ((map_before, before), (map_after, after)):
    with col:
        unlabelled = replace(section, map=replace(section.map, legend=[]))
        layout.show(unlabelled, height=size.map, figures="none")
with table_col:
    layout.show(panel["wi_compare"])
st.html(maps.legend_html(after.map.legend))
layout.cards(after.figures)
if present:  # the first screen only on a projector: nothing below its foot
    st.caption(LEFT_OUT)
    st.stop()

# The comparison table shows every figure: the others' key figures are for the slides.
hist_col, model_col = st.columns(2, gap="medium")
with hist_col:
    layout.show(panel["wi_hist"], figures="none")
with model_col:
    layout.show(panel["wi_backtest"], figures="none")

if auth.can_export():
    st.markdown("**导出方案**")
    with st.container(horizontal=True, gap="small"):
        downloads.file_button(
            "新网格 GeoJSON",
            lambda: whatif.plan_geojson(result),
            fmt.file_name(f"新网格_{name}") + ".geojson",
            "application/geo+json",
            "wi_dl_geojson",
        )
        downloads.file_button(
            "对比摘要 JSON",
            lambda: whatif.summary_json(result),
            fmt.file_name(f"调整摘要_{name}") + ".json",
            "application/json",
            "wi_dl_summary",
        )
    downloads.buttons(whatif.assignment_table(result.plan), f"楼栋归属_{name}", "wi_dl_assignment")
