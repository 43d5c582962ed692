"""目标管理 (管理员): each metric's target for the district and its streets and communities,
which every card, map and slide judges its figures against; every change is kept and audited."""

import math

import pandas as pd
import streamlit as st

from analytics import admin_db, metrics, target_store, targets
from analytics import formats as fmt
from ui import auth, data, downloads, layout
from ui.context import entered

PAGE = "targets"
FLASH = "tg_flash"  # the outcome of a change, shown after the rerun that refreshes the tables
UPLOADS = "tg_uploads"  # bumped after an import, so the uploader starts empty
DIRECTIONS = {"": "按指标默认", ">=": "不低于(≥)", "<=": "不高于(≤)"}
LEVELS = {"street": "街道", "community": "社区"}


def entered_value(metric: str, x: float | None) -> float | None:
    """A figure typed in display units (percent for rates) in the metric's own unit."""
    if x is None:
        return None
    return x / 100 if metrics.unit(metric) == "rate" else float(x)


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def unit_id_of(u) -> str | None:
    """None for the district, however a table holds it."""
    return None if missing(u) or u == "" else str(u)


def unit_name(unit_id, names: dict[str, str]) -> str:
    """A unit's name as its data has it (for table cells; :func:`fmt.plain` for Markdown)."""
    unit_id = unit_id_of(unit_id)
    return "全区" if unit_id is None else names.get(unit_id, unit_id)


def exported(frame: pd.DataFrame, names: dict[str, str]) -> tuple[bytes, int]:
    """The current targets as the CSV file that import reads back, and its rows."""
    return target_store.to_csv(frame, names), len(frame)


def legend() -> None:
    """The status colours, as cards, maps and slides use them (our constants only)."""
    chips = "".join(
        f'<span style="display:inline-block;margin-right:1rem">'
        f'<span style="display:inline-block;width:.8em;height:.8em;border-radius:50%;'
        f'background:{targets.STATUS_COLOURS[s]};margin-right:.3em"></span>'
        f"{targets.STATUS_LABELS[s]}</span>"
        for s in targets.STATUSES
    )
    st.html(f'<div style="font-size:.9rem">状态颜色:{chips}</div>')


entered()
admin = auth.require_admin()
st.subheader("目标管理", anchor=False)
settings, _ = data.settings()
path = auth.admin_path()
st.caption(
    "为每项指标设定全区目标,也可为某个街道或社区单独设定:单位自己的目标优先于上级的"
    "(网格按所在社区的目标)。目标有方向(不低于/不高于)和可选的预警线:例如按时办结率"
    "不低于 95%、预警线 90%,则 92% 为“预警”。各页面的指标卡片、地图、表格和汇报幻灯片"
    "按目标显示状态:达标、预警、未达标,颜色在各处含义相同。"
    "也可用命令 `python -m analytics targets list|set|remove|import|export|history` 管理。"
)
legend()
layout.said(FLASH)

try:
    units = data.org_units(data.source())
except data.NoData:
    units = pd.DataFrame(columns=["unit_id", "parent_id", "level", "name"])
names = dict(zip(units["unit_id"], units["name"], strict=True))
places = units[units["level"].isin(list(LEVELS))]
levels = dict(zip(places["unit_id"], places["level"], strict=True))
parents = dict(zip(units["unit_id"], units["parent_id"], strict=True))
unit_ids = sorted(  # each street followed by its communities
    places["unit_id"], key=lambda u: (parents[u], u) if levels[u] == "community" else (u, "")
)

current = target_store.load(path)
book = targets.Book(current)
if current.empty:
    st.info(
        "还没有设定目标:各页面的指标目前只显示数值,不显示达标状态。"
        "可在下方逐项设定,或导入目标文件(CSV)。",
        icon=":material/flag:",
    )
else:
    st.markdown(f"**当前目标**(共 {fmt.count(len(current))} 项)")
    st.dataframe(
        pd.DataFrame(
            {
                "指标": current["metric"].map(metrics.label),
                "单位": current["unit_id"].map(lambda u: unit_name(u, names)),
                "方向": current["op"].map(targets.OPS),
                "目标值": [
                    targets.show(m, x)
                    for m, x in zip(current["metric"], current["target"], strict=True)
                ],
                "预警线": [
                    "不设" if missing(x) else targets.show(m, x)
                    for m, x in zip(current["metric"], current["amber"], strict=True)
                ],
                "修改人": current["updated_by"],
                "修改时间": current["updated_at"],
            }
        ),
        hide_index=True,
        width="stretch",
    )

with st.form("tg_set", border=True):
    st.markdown("**设定或修改目标**")
    metric_col, unit_col, op_col = st.columns([1.2, 1.4, 1])
    metric = metric_col.selectbox(
        "指标", list(targets.TARGETABLE), format_func=metrics.label, key="tg_metric"
    )
    unit = unit_col.selectbox(
        "单位",
        ["", *unit_ids],
        format_func=lambda u: f"{names[u]}({LEVELS[levels[u]]})" if u else "全区",
        help="街道或社区的目标优先于全区的;网格按所在社区的目标。",
        key="tg_unit",
    )
    op = op_col.selectbox(
        "方向",
        list(DIRECTIONS),
        format_func=DIRECTIONS.get,
        help="按指标默认:越高越好的指标为“不低于”,越低越好的为“不高于”。",
        key="tg_op",
    )
    units_help = "按指标的单位填写:比率填百分数(95 即 95%),时长填小时,件数填件数。"
    value_col, amber_col = st.columns(2)
    value = value_col.number_input(
        "目标值(比率填百分数,时长填小时)",
        min_value=0.0,
        value=None,
        step=1.0,
        help=units_help,
        key="tg_value",
    )
    amber = amber_col.number_input(
        "预警线(可不填)",
        min_value=0.0,
        value=None,
        step=1.0,
        placeholder="不设预警线则留空",
        help=units_help + "“不低于”的预警线低于目标值,“不高于”的高于目标值;"
        "介于两者之间为“预警”,超出预警线为“未达标”。",
        key="tg_amber",
    )
    if st.form_submit_button("保存", type="primary", icon=":material/save:"):
        if value is None:
            st.error("请填写目标值。", icon=":material/warning:")
        else:
            asked = targets.Target(
                metric=metric,
                target=entered_value(metric, value),
                op=op,
                amber=entered_value(metric, amber),
                unit_id=unit or None,
            )
            before = book.own(metric, unit or None)
            try:
                saved = target_store.put(
                    path, asked, by=admin.user.login, units=unit_ids, zone=settings.timezone
                )
            except targets.TargetError as exc:
                st.error(fmt.plain(str(exc)), icon=":material/warning:")
            else:
                auth.record(
                    "target_set",
                    page=PAGE,
                    metric=saved.metric,
                    unit=saved.unit_id or "全区",
                    before=targets.describe(before) if before else "",
                    after=targets.describe(saved),
                )
                place = fmt.plain(unit_name(saved.unit_id, names))
                saved_text = f"{metrics.label(saved.metric)}({place}){targets.describe(saved)}"
                layout.rerun_saying(FLASH, f"已保存:{saved_text}。")

if not current.empty:
    owned = {
        f"{m}@{unit_id_of(u) or ''}": book.own(m, unit_id_of(u))
        for m, u in zip(current["metric"], current["unit_id"], strict=True)
    }

    def owned_text(key: str, markdown: bool = False) -> str:
        t = owned[key]
        place = unit_name(t.unit_id, names)
        place = fmt.plain(place) if markdown else place
        return f"{metrics.label(t.metric)} · {place} · {targets.describe(t)}"

    with st.container(horizontal=True, vertical_alignment="bottom"):
        gone = st.selectbox(
            "删除目标",
            ["", *owned],
            format_func=lambda k: owned_text(k) if k else "选择目标",
            key="tg_remove",
        )
        if st.button("删除", disabled=not gone, icon=":material/delete:", key="tg_remove_go"):
            t = owned[gone]
            if target_store.remove(
                path, t.metric, t.unit_id, by=admin.user.login, zone=settings.timezone
            ):
                auth.record(
                    "target_remove",
                    page=PAGE,
                    metric=t.metric,
                    unit=t.unit_id or "全区",
                    before=targets.describe(t),
                )
                st.session_state.pop("tg_remove", None)
                layout.rerun_saying(FLASH, f"已删除目标:{owned_text(gone, markdown=True)}。")

st.markdown("**导入与导出**")
st.caption(
    "CSV 文件,列为 " + "、".join(target_store.CSV_COLUMNS) + ":指标可填代码或名称,"
    "单位可填编码或名称(空或“全区”为全区),方向填 >= 或 <=(空为按指标默认),"
    "比率填百分数(95 或 95%),时长填小时。导出的文件可修改后再导入。"
)
if not current.empty:
    downloads.file_button(
        "导出目标(CSV)",
        lambda: exported(current, names),
        f"目标值_{admin_db.today(settings.timezone):%Y%m%d}.csv",
        "text/csv",
        key="tg_export",
    )
uploads = st.session_state.setdefault(UPLOADS, 0)
layout.uploader_in_chinese(f"tg_file_{uploads}", ["csv", "txt"])
upload = st.file_uploader("导入目标文件", type=["csv", "txt"], key=f"tg_file_{uploads}")
if upload is not None:
    try:
        parsed = target_store.parse_csv(upload.getvalue(), unit_ids, names)
    except targets.TargetError as exc:
        st.error(fmt.plain(str(exc)), icon=":material/warning:")
    else:
        items = parsed.targets
        if items:
            st.markdown(f"**文件中的目标**(共 {fmt.count(len(items))} 项)")
            st.dataframe(
                pd.DataFrame(
                    {
                        "指标": [metrics.label(t.metric) for t in items],
                        "单位": [unit_name(t.unit_id, names) for t in items],
                        "目标": [targets.describe(t) for t in items],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        if len(parsed.rejected):
            st.error(
                f"文件中有 {fmt.count(len(parsed.rejected))} 行无法使用,未导入任何目标。"
                "请按下表原因修改后重新上传。",
                icon=":material/warning:",
            )
            st.dataframe(parsed.rejected, hide_index=True, width="stretch")
        elif not items:
            st.warning("文件中没有目标。", icon=":material/warning:")
        else:
            replace = st.checkbox(
                "替换现有目标",
                key="tg_replace",
                help="勾选后,文件中没有的现有目标将被删除;不勾选则只新增和更新文件中的目标。",
            )
            if st.button("确认导入", type="primary", icon=":material/upload:", key="tg_import"):
                count = target_store.import_targets(
                    path, items, by=admin.user.login, replace=replace, zone=settings.timezone
                )
                auth.record(
                    "target_import",
                    page=PAGE,
                    file=upload.name,
                    rows=len(items),
                    changed=count,
                    replace=replace,
                )
                st.session_state[UPLOADS] = uploads + 1
                st.session_state.pop("tg_replace", None)
                layout.rerun_saying(
                    FLASH,
                    f"已导入 {fmt.count(len(items))} 项目标"
                    + ("(已替换现有目标)" if replace else "")
                    + "。",
                )

history = target_store.history(path)
st.markdown("**修改记录**")
if history.empty:
    st.caption("还没有修改记录。")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "时间": history["at"],
                "账号": history["login"],
                "操作": history["action"].map(lambda a: target_store.ACTIONS.get(a, a)),
                "指标": history["metric"].map(
                    lambda m: metrics.label(m) if m in metrics.METRICS else m
                ),
                "单位": history["unit_id"].map(lambda u: unit_name(u, names)),
                "修改前": history["before"],
                "修改后": history["after"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
