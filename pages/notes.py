"""日期标注 (分析员、管理员): dated notes — a reform, a flood, a campaign — drawn on every time
chart and listed in the meeting brief; each addition and removal is kept and audited."""

import pandas as pd
import streamlit as st

from analytics import admin_db, annotations
from analytics import formats as fmt
from ui import auth, data, layout
from ui.context import entered

PAGE = "notes"
FLASH = "nt_flash"  # the outcome of a change, shown after the rerun that refreshes the list
LEVELS = {"street": "街道", "community": "社区", "grid": "网格"}
REFUSED = "此页仅分析员和管理员可用。如需添加日期标注,请联系分析员或管理员。"


def unit_label(unit_id, names: dict[str, str]) -> str:
    """A note's unit as table cells show it (its name, 全区 for none)."""
    if not isinstance(unit_id, str) or not unit_id:
        return "全区"
    return names.get(unit_id, unit_id)


entered()
viewer = auth.current()
if viewer is None or not viewer.user.can_annotate:
    if viewer is not None:
        auth.record("denied", page=PAGE, viewer=viewer, reason="非分析员或管理员打开日期标注")
    st.error(REFUSED, icon=":material/lock:")
    st.stop()

st.subheader("日期标注", anchor=False)
settings, _ = data.settings()
path = auth.admin_path()
st.caption(
    "在趋势图上标出重要日期(如改革实施、汛期、专项整治),读图时便知数字的变化从何而来。"
    "标注画在各页面的时间图上(竖虚线,悬停看详情),并列入“会议简报”。"
    "可只为某个街道、社区或网格标注:只在选中该单位(或其上级、下级)时显示。"
    "春节假期为内置标注,无需录入。也可用命令 `python -m analytics notes add|list|remove` 管理。"
)
layout.said(FLASH)

try:
    src = data.source(viewer.scope)
except data.NoData as exc:
    st.error(str(exc), icon=":material/warning:")
    st.stop()
units = data.org_units(src)
grids = data.grid_reference(src)
parent = data.parents(src)
names = dict(zip(units["unit_id"], units["name"], strict=True))
names |= {g: n or g for g, n in zip(grids["grid_id"], grids["name"], strict=True)}
level = dict(zip(units["unit_id"], units["level"], strict=True))
level |= dict.fromkeys(grids["grid_id"], "grid")
places = [u for u in units["unit_id"] if level[u] in ("street", "community")]
places = sorted([*places, *grids["grid_id"]])  # S01, S01C01, S01C01G01, … as a tree reads
places = [u for u in places if annotations.refusal(viewer.user, viewer.scope, u, parent) is None]
options = ([""] if viewer.scope.whole else []) + places

with st.form("nt_add", border=True):
    st.markdown("**添加标注**")
    day_col, unit_col = st.columns([1, 2])
    day = day_col.date_input(
        "日期", value=admin_db.today(settings.timezone), format="YYYY-MM-DD", key="nt_day"
    )
    unit = unit_col.selectbox(
        "单位",
        options,
        format_func=lambda u: f"{names.get(u, u)}({LEVELS[level[u]]} {u})" if u else "全区",
        help="只为某个单位标注时,仅在选中该单位或其上级、下级时显示;全区标注处处显示。"
        + ("" if viewer.scope.whole else "您的账号只能为本单位及其下属单位标注。"),
        key="nt_unit",
    )
    title = st.text_input(
        f"标题(图上的短标签,最多 {annotations.TITLE_MAX} 字)",
        placeholder="如:接诉即办改革",
        key="nt_title",
    )
    detail = st.text_area(
        f"详情(悬停时显示,可不填,最多 {annotations.DETAIL_MAX} 字)",
        height=80,
        key="nt_detail",
    )
    if st.form_submit_button("添加", type="primary", icon=":material/add:"):
        chosen = unit or None
        reason = annotations.refusal(viewer.user, viewer.scope, chosen, parent)
        if reason:
            st.error(reason, icon=":material/lock:")
        else:
            try:
                note_id = annotations.put(
                    path, day, title, detail, chosen,
                    by=viewer.user.login, units=[*names], zone=settings.timezone,
                )  # fmt: skip
            except ValueError as exc:
                st.error(fmt.plain(str(exc)), icon=":material/warning:")
            else:
                auth.record(
                    "note_add",
                    page=PAGE,
                    id=note_id,
                    day=day.isoformat(),
                    title=title.strip(),
                    unit=chosen or "全区",
                )
                for key in ("nt_title", "nt_detail"):
                    st.session_state.pop(key, None)
                added = f"已添加标注:{fmt.day(day)} {fmt.plain(title.strip())}。"
                layout.rerun_saying(FLASH, added)

listed = data.note_listing(src)
st.markdown(f"**已有标注**(共 {fmt.count(len(listed))} 条)")
if listed.empty:
    st.caption("还没有标注。")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "日期": listed["day"],
                "标题": listed["title"],
                "详情": listed["detail"],
                "单位": listed["unit_id"].map(lambda u: unit_label(u, names)),
                "录入人": listed["created_by"],
                "录入时间": listed["created_at"],
                "来源": listed["source"].map(annotations.SOURCES),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"日期": st.column_config.DateColumn(format="YYYY-MM-DD")},
    )
    removable = listed[listed["source"] == "admin"]
    removable = removable[
        [
            annotations.refusal(
                viewer.user, viewer.scope, u if isinstance(u, str) else None, parent
            )
            is None
            for u in removable["unit_id"]
        ]
    ]
    shown = {
        int(row.id): f"{row.day:%Y-%m-%d} {row.title} · {unit_label(row.unit_id, names)}"
        for row in removable.itertuples(index=False)
    }
    if shown:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            gone = st.selectbox(
                "删除标注",
                [None, *shown],
                format_func=lambda i: shown[i] if i is not None else "选择标注",
                key="nt_remove",
            )
            if st.button("删除", disabled=gone is None, icon=":material/delete:", key="nt_go"):
                note = annotations.delete(path, gone, by=viewer.user.login, zone=settings.timezone)
                if note is not None:
                    auth.record(
                        "note_remove",
                        page=PAGE,
                        id=note["id"],
                        day=note["day"],
                        title=note["title"],
                        unit=note["unit_id"] or "全区",
                    )
                st.session_state.pop("nt_remove", None)
                layout.rerun_saying(FLASH, f"已删除标注:{fmt.plain(shown[gone])}。")
    if (listed["source"] == "store").any():
        st.caption(
            "来源为“数据库”的标注随数据库保存(演示数据或早先用命令录入),"
            "可用命令 `python -m analytics notes remove 日期 --title 标题` 删除。"
        )
