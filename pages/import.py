"""数据导入: upload an export, check how its columns map, validate, import, see the result."""

import logging
from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics import audit, labels
from analytics import formats as fmt
from analytics.connection import is_spark
from analytics.ingest import events, presets, reference
from analytics.ingest.reading import ImportFileError
from analytics.ingest.rows import ImportCheckFailed, ImportResult
from analytics.store import StoreBusy
from ui import auth, data, layout, warmup
from ui.context import entered

LOG = logging.getLogger(__name__)
INTERNAL_ERROR = (
    "读取或导入时发生内部错误,数据库未做任何改动。详细信息已记入服务器日志,请反馈给管理员。"
)
MANUAL = "manual"
PRESET_TITLES = (
    {presets.AUTO: "自动识别"}
    | {name: preset.title for name, preset in presets.PRESETS.items()}
    | {MANUAL: "手动对应列"}
)
NOT_IMPORTED = ""
KINDS = {"events": "事件工单"} | reference.KINDS
FILE_TYPES = {
    "events": ["csv", "txt", "xlsx", "xlsm", "json", "jsonl"],
    "grids": ["geojson", "json"],
    "buildings": ["csv", "txt", "xlsx", "xlsm"],
    "workers": ["csv", "txt", "xlsx", "xlsm"],
}
HINTS = {
    "events": "支持 UTF-8 或 GBK/GB18030 编码的 CSV、Excel(.xlsx)工作簿,以及 JSON"
    "(Open311 服务请求、开放数据平台的 JSON 数组或每行一条的 JSON Lines)。",
    "grids": "GeoJSON 面要素(FeatureCollection),属性含网格名称(或编码)和所属社区;"
    "可选户数、人口、专职/兼职网格员数。按编码或“社区+名称”匹配已有网格。",
    "buildings": "CSV 或 Excel,列:楼栋编号、经度、纬度,可选所属网格、户数;"
    "未填网格时按坐标落在哪个网格边界内确定。",
    "workers": "CSV 或 Excel,列:工号(网格员编号)、岗位(专职网格员/兼职网格员/网格指导员/"
    "街道工作人员),可选姓名、所属社区、所属网格。",
}


@st.cache_data(show_spinner="正在读取文件…", max_entries=8)
def _preview(file_id: str, name: str, preset: str, _data: bytes) -> events.FilePreview:
    return events.preview_file(_data, preset=preset, name=name)


TEXT_DEFAULTS = ("street", "community", "category")  # free-text defaults a form offers


def _reset_form(preview: events.FilePreview, preset: str) -> None:
    """Fill the mapping form from what the preset matched (on a new file or preset)."""
    mapping = presets.as_mapping(preview.preset or "canonical")
    for column in presets.FIELD_NAMES:
        st.session_state[f"imp_col_{column}"] = preview.found.get(column, NOT_IMPORTED)
    for column in ("channel", "event_type"):
        st.session_state[f"imp_default_{column}"] = mapping["defaults"].get(column)
    for column in TEXT_DEFAULTS:
        st.session_state[f"imp_default_{column}"] = mapping["defaults"].get(column, "")
    st.session_state["imp_coordinates"] = mapping["coordinates"]
    st.session_state.pop("imp_result", None)


def _mapping_form(preview: events.FilePreview) -> dict:
    """Selectboxes, one per event column, and the defaults; returns the mapping they say."""
    options = [NOT_IMPORTED, *preview.headers]
    columns = {}
    cells = st.columns(4)
    for i, (column, title) in enumerate(presets.FIELD_NAMES.items()):
        required = column in presets.REQUIRED
        header = cells[i % 4].selectbox(
            f"{title}{' *' if required else ''}",
            options,
            format_func=lambda h: h or "(不导入)",
            key=f"imp_col_{column}",
        )
        if header:
            columns[column] = header
    left, middle, right = st.columns(3)
    defaults = {
        column: text.strip()
        for column, cell in zip(TEXT_DEFAULTS, st.columns(3), strict=True)
        if (
            text := cell.text_input(
                f"{presets.FIELD_NAMES[column]}(文件中为空时)",
                key=f"imp_default_{column}",
                placeholder="不填则留空" if column != "category" else "如:未分类",
            )
        ).strip()
    }
    for cell, column, catalogue in (
        (left, "channel", labels.CHANNEL),
        (middle, "event_type", labels.EVENT_TYPE),
    ):
        value = cell.selectbox(
            f"{presets.FIELD_NAMES[column]}(文件中为空时)",
            [None, *catalogue],
            format_func=lambda c, cat=catalogue: cat[c] if c else "(不设默认:记为其他)",
            key=f"imp_default_{column}",
        )
        if value:
            defaults[column] = value
    coordinates = right.selectbox(
        "坐标系",
        list(labels.COORDINATES),
        format_func=labels.COORDINATES.get,
        key="imp_coordinates",
        help="高德、腾讯坐标(GCJ-02)和百度坐标(BD-09)在导入时转换为 WGS-84。",
    )
    return {"columns": columns, "defaults": defaults, "coordinates": coordinates}


def _missing(mapping: dict) -> list[str]:
    given = set(mapping["columns"]) | set(mapping["defaults"])
    return [presets.FIELD_NAMES[c] for c in presets.REQUIRED if c not in given]


def _show_result(result: ImportResult) -> None:
    if result.dry_run:
        st.info(f"校验完成(未写入数据库):{result.summary()}", icon=":material/fact_check:")
    else:
        st.success(f"导入完成:{result.summary()}", icon=":material/check_circle:")
    if result.publish_error:
        st.error(fmt.plain(result.publish_error), icon=":material/warning:")
    figures = {
        "读取": result.rows_read,
        "新增": result.rows_accepted,
        "更新": result.rows_updated,
        "未变": result.rows_unchanged,
        "隔离": result.rows_quarantined,
    }
    for cell, (title, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
        cell.metric(f"{title}(行)", fmt.count(value), border=True)
    for note in getattr(result, "notes", []):
        st.caption(f"说明:{fmt.plain(note)}")
    if result.rows_quarantined:
        left, right = st.columns([1, 1.4])
        with left:
            st.markdown("**隔离原因**")
            reasons = pd.DataFrame(
                {"原因": list(result.reasons), "行数": list(result.reasons.values())}
            )
            st.dataframe(reasons, hide_index=True, width="stretch")
        with right:
            shown = len(result.quarantined)
            st.markdown(f"**被隔离的行**(前 {fmt.count(shown)} 行;原文保存在隔离表中)")
            rows = result.quarantined.rename(columns={"source_row": "数据行号", "reason": "原因"})
            st.dataframe(rows, hide_index=True, width="stretch", height=260)


def _run_buttons(disabled: bool, run: Callable[..., ImportResult], upload, kind: str) -> None:
    """校验 and 导入 buttons; either runs the import with a progress bar, then the result.
    Both are audited with the file's hash and the counts."""
    check_col, import_col, _ = st.columns([1, 1, 3])
    check = check_col.button("校验(不写入)", disabled=disabled, width="stretch")
    write = import_col.button("导入", type="primary", disabled=disabled, width="stretch")
    if check or write:
        bar = st.progress(0.0, text="开始…")
        try:
            result = run(
                db=target,
                dry_run=check,
                progress=lambda stage, fraction: bar.progress(fraction, text=stage),
            )
        except (ImportFileError, ImportCheckFailed, StoreBusy) as exc:
            st.error(fmt.plain(str(exc)), icon=":material/warning:")
        except MemoryError:
            st.error("文件太大,内存不足。请分成几个文件导入。数据库未做任何改动。")
        except Exception:  # a defect of ours: a short message here, the detail in the log
            LOG.exception("import failed")
            st.error(INTERNAL_ERROR, icon=":material/error:")
        else:
            st.session_state["imp_result"] = result
            if not result.dry_run:
                warmup.start()  # the new data's default view, before anyone opens it
            sha256 = audit.file_hash(upload.getvalue())
            detail = audit.import_detail(result, upload.name, sha256, kind)
            auth.record("import", page="import", **detail)
        finally:
            bar.empty()
    if "imp_result" in st.session_state:
        _show_result(st.session_state["imp_result"])


def _events(upload, preset: str) -> None:
    raw = upload.getvalue()
    try:
        preview = _preview(
            upload.file_id, upload.name, preset if preset != MANUAL else presets.AUTO, raw
        )
    except ImportFileError as exc:
        st.error(fmt.plain(str(exc)), icon=":material/warning:")
        return
    except Exception:  # a defect of ours: a short message here, the detail in the log
        LOG.exception("preview failed")
        st.error(INTERNAL_ERROR, icon=":material/error:")
        return
    signature = (upload.file_id, preset)
    if st.session_state.get("imp_signature") != signature:
        _reset_form(preview, preset)
        st.session_state["imp_signature"] = signature

    st.markdown(
        f"**① 预览**:{preview.kind} 文件,第 {preview.header_row} 行为表头,"
        f"共 {len(preview.headers)} 列"
    )
    if preview.preset_reason:
        st.info(fmt.plain(preview.preset_reason), icon=":material/auto_awesome:")
    if preview.problem and preset != MANUAL:
        st.warning(
            f"{fmt.plain(preview.problem)}\n\n可改选“手动对应列”,在下面逐列指定。",
            icon=":material/warning:",
        )
    st.dataframe(preview.sample, hide_index=True, width="stretch", height=220)
    st.caption("预览中的姓名、电话、地址已脱敏。")

    matched = sum(bool(st.session_state.get(f"imp_col_{c}")) for c in presets.FIELD_NAMES)
    with st.expander(
        f"**② 列对应**:已对应 {matched} 列(* 为必需列,可逐列修改)",
        expanded=preset == MANUAL or preview.problem is not None,
    ):
        mapping = _mapping_form(preview)
    missing = _missing(mapping)
    if missing:
        st.warning(f"还缺少必需的列:{'、'.join(missing)}。", icon=":material/warning:")
    st.markdown("**③ 校验与导入**")
    create = st.checkbox(
        "建立文件中新的街道、社区和网格",
        key="imp_create_units",
        help="默认遇到数据库区划中没有的街道即停止导入(防止导错数据库);"
        "确认是本区新增的单位时勾选。数据库还没有区划时总会按文件建立。",
    )
    _run_buttons(
        bool(missing),
        lambda **kw: events.import_events(
            raw, name=upload.name, mapping=mapping, create_units=create, **kw
        ),
        upload,
        "events",
    )


def _reference(upload, kind: str) -> None:
    system = "wgs84"
    if kind in ("grids", "buildings"):
        system = st.selectbox(
            "坐标系",
            list(labels.COORDINATES),
            format_func=labels.COORDINATES.get,
            key=f"imp_coordinates_{kind}",
        )
    signature = (upload.file_id, kind)
    if st.session_state.get("imp_signature") != signature:
        st.session_state.pop("imp_result", None)
        st.session_state["imp_signature"] = signature
    raw = upload.getvalue()
    _run_buttons(
        False,
        lambda **kw: reference.import_reference(
            raw, kind, name=upload.name, coordinates=system, **kw
        ),
        upload,
        kind,
    )


entered()
auth.require_admin()
st.subheader("数据导入", anchor=False)
target = data.store_path()
st.caption(
    "把 12345 热线、网格平台等导出的事件工单,以及网格边界、楼栋和网格员名册"
    "导入看板数据库。"
    + (
        "看板读 Spark:导入先写入暂存库,成功后全部表作为新版本发布到 Spark、"
        "一次性切换;导入期间看板照常可用,完成后几秒内各页即显示新数据。"
        if is_spark(target)
        else "导入在数据库副本上进行,成功后一次性替换;导入期间看板照常可用,完成后各页即显示新数据。"
    )
)

kind = (
    st.segmented_control(
        "数据类型", list(KINDS), format_func=KINDS.get, default="events", key="imp_kind"
    )
    or "events"
)
upload_col, option_col = st.columns([1.4, 1])
layout.uploader_in_chinese(f"imp_file_{kind}", FILE_TYPES[kind])
upload = upload_col.file_uploader(
    f"{KINDS[kind]}文件", type=FILE_TYPES[kind], key=f"imp_file_{kind}"
)
if kind == "events":
    preset = option_col.radio(
        "文件格式", list(PRESET_TITLES), format_func=PRESET_TITLES.get, key="imp_preset"
    )
else:
    option_col.caption(HINTS[kind])

if upload is None:
    st.info(f"请选择要导入的文件。{HINTS[kind]}", icon=":material/description:")
elif kind == "events":
    _events(upload, preset)
else:
    _reference(upload, kind)

st.markdown("**导入记录**")
history = data.import_history()
if history.empty:
    st.caption("还没有导入记录。")
else:
    shown = pd.DataFrame(
        {
            "时间": history["finished_at"].map(fmt.moment),
            "类型": history["kind"].map(lambda k: labels.IMPORT_KIND.get(k, k)),
            "文件": history["file_name"],
            "读取": history["rows_read"],
            "新增": history["rows_accepted"],
            "更新": history["rows_updated"],
            "未变": history["rows_unchanged"],
            "隔离": history["rows_quarantined"],
        }
    )
    counts = {c: st.column_config.NumberColumn(c, format="localized") for c in shown.columns[3:]}
    st.dataframe(shown, hide_index=True, width="stretch", height=240, column_config=counts)
