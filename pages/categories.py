"""分类建议 (管理员): a category suggested for events without one, by a model learnt from the
district's own categorised events; its held-out figures, bulk decisions, and the accepted
categories written to the events through an import. Nothing changes an event silently."""

import logging

import pandas as pd
import streamlit as st

from analytics import categories, category_store
from analytics import formats as fmt
from analytics.ingest.reading import ImportFileError
from analytics.store import StoreBusy
from ui import auth, data, layout, warmup
from ui.context import entered

LOG = logging.getLogger(__name__)
PAGE = "categories"
FLASH = "cs_flash"  # the outcome of a click, shown after the rerun that refreshes the tables
ALL = "全部"
LIMIT = 1000  # rows the table lists (the bulk buttons take every row the filters pass)
CONFIRM_ABOVE = 100  # a bulk decision over this many rows needs the confirmation box
ACTIONS = {
    "generate": "生成建议",
    "accept": "采纳",
    "reject": "驳回",
    "apply": "写入事件",
    "stale": "已失效",
}
PERCENT = "%.1f%%"


def second_choice(category, confidence) -> str:
    """The second choice as a cell: 道路交通(12.0%), or — when the model has none."""
    if not isinstance(category, str) or not category:
        return "—"
    return f"{category}({fmt.rate(confidence)})"


def pending_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The pending suggestions as the page lists them (Chinese headers, percent values)."""
    return pd.DataFrame(
        {
            "事件编号": rows["event_id"],
            "上报时间": rows["reported_at"],
            "所在网格": rows["grid_name"].fillna("—"),
            "当前类别": rows["current_category"].map(
                lambda c: c if isinstance(c, str) and c.strip() else "(空)"
            ),
            "建议类别": rows["suggested"],
            "置信度": rows["confidence"].astype(float) * 100,
            "第二选择": [
                second_choice(c, p)
                for c, p in zip(rows["second"], rows["second_confidence"], strict=True)
            ],
            "诉求内容": rows["description"],  # masked in analytics; shown as plain cells only
        }
    )


def class_table(run: category_store.ModelRun) -> pd.DataFrame:
    """The run's per-category figures on the held-out events."""
    per = run.per_class
    return pd.DataFrame(
        {
            "类别": per["category"],
            "精确率": per["precision"].astype(float) * 100,
            "召回率": per["recall"].astype(float) * 100,
            "F1": per["f1"].astype(float) * 100,
            "测试条数": per["support"].astype(int),
        }
    )


def decide(ids: list[str], accept: bool, how: str, detail: dict) -> None:
    """Accept or reject the pending suggestions of ``ids``; the outcome said after a rerun."""
    n = category_store.decide(
        path, ids, accept, admin.user.login, zone=settings.timezone, detail=detail | {"how": how}
    )
    verb = "采纳" if accept else "驳回"
    after = "“写入事件库”后才会改动事件。" if accept else ""
    layout.rerun_saying(FLASH, f"已{verb} {fmt.count(n)} 条建议。{after}")


entered()
admin = auth.require_admin()
st.subheader("分类建议", anchor=False)
settings, _ = data.settings()
path = auth.admin_path()
st.caption(
    "导出的工单常缺业务类别(导入后为“未分类”)或只填“其他”。这里用本区自己已分类的历史事件"
    "训练一个分类模型,按诉求内容为这些事件建议类别并给出置信度。建议只是建议:"
    "管理员采纳后,经“写入事件库”作为一次导入写入事件,不会悄悄改动数据。"
    "也可用命令 `python -m analytics categories --suggest|--accept|--reject|--apply`。"
)
layout.said(FLASH)

try:
    src = data.source()
    ready = data.category_readiness(src)
except data.NoData as exc:
    st.error(fmt.plain(str(exc)), icon=":material/warning:")
    st.stop()
run = category_store.latest_run(path)
counts = category_store.counts(path)

# ---------------------------------------------------------------- what the store holds
st.markdown(
    f"库中 {fmt.count(ready.events)} 条事件,其中 **{fmt.count(ready.uncategorised)}** 条"
    f"没有可用类别(空、其他或未分类),{fmt.count(ready.uncategorised_with_text)} 条有诉求内容、"
    f"可以给出建议;已分类且有诉求内容的 {fmt.count(ready.labelled_with_text)} 条可供学习。"
)
no_text = ready.labelled_with_text == 0 and ready.uncategorised_with_text == 0
if ready.uncategorised == 0:
    st.info("所有事件都有类别,无需建议。", icon=":material/task_alt:")
elif no_text:
    st.warning(
        "数据中没有诉求内容,无法训练分类模型。导入时请对应“诉求内容”(描述、详情)一列。",
        icon=":material/warning:",
    )
elif not ready.enough:
    have = "、".join(f"{c} {n} 条" for c, n in ready.per_category.items()) or "没有"
    st.warning(
        f"已分类且有诉求内容的事件太少,无法训练:至少需要两个类别、每类至少 "
        f"{categories.MIN_EXAMPLES} 条(现有:{fmt.plain(have)})。",
        icon=":material/warning:",
    )
can_train = ready.uncategorised_with_text > 0 and ready.enough
if st.button(
    "重新训练并生成建议",
    type="primary",
    icon=":material/model_training:",
    disabled=not can_train,
    help="用已分类事件的 80% 训练、其余 20% 评估,再为未分类事件生成建议;"
    "替换全部待定建议,已采纳、已驳回、已写入的保留原结论。",
    key="cs_generate",
):
    try:
        with st.spinner("正在训练模型并生成建议(百万条数据约需半分钟)…"):
            made = data.category_generate(src, admin.user.login, settings.timezone)
    except ValueError as exc:
        st.error(fmt.plain(str(exc)), icon=":material/warning:")
    else:
        kept = made.suggestions - made.written
        layout.rerun_saying(
            FLASH,
            f"已训练模型并为 {fmt.count(made.suggestions)} 条事件生成建议,"
            f"其中待定 {fmt.count(made.written)} 条"
            + (f"(另 {fmt.count(kept)} 条此前已处理,保留原结论)" if kept else "")
            + "。",
        )

# ---------------------------------------------------------------- 模型评估
st.markdown("**模型评估**")
if run is None:
    st.info(
        "还没有生成过分类建议。点击“重新训练并生成建议”:模型先在本区已分类事件上训练和评估,"
        "再为未分类事件给出建议。",
        icon=":material/category:",
    )
else:
    cards = {
        "宏平均 F1": fmt.number(run.macro_f1, 2),
        "准确率": fmt.rate(run.accuracy),
        "训练条数": fmt.count(run.n_train),
        "测试条数": fmt.count(run.n_test),
        "训练时间": run.made_at[:16],
    }
    for cell, (title, value) in zip(st.columns(len(cards)), cards.items(), strict=True):
        cell.metric(title, value, border=True)
    st.caption(
        f"以上数字来自本区已分类事件中按类别分层随机留出的 20%(共 {fmt.count(run.n_test)} 条,"
        "模型训练时没有见过),下面列出的建议正是这个模型给出的。"
        f"模型 {fmt.plain(run.model)},由 {fmt.plain(run.made_by)} 生成。"
        "宏平均 F1 低于 0.8 时,建议只采纳置信度很高的。"
    )
    if run.excluded:
        few = "、".join(f"{c}({n} 条)" for c, n in run.excluded.items())
        st.caption(f"样本过少未参与训练的类别:{fmt.plain(few)}。")
    st.dataframe(
        class_table(run),
        hide_index=True,
        width="stretch",
        column_config={
            "精确率": st.column_config.NumberColumn(
                format=PERCENT, help="建议为此类的事件中,真是此类的比例"
            ),
            "召回率": st.column_config.NumberColumn(
                format=PERCENT, help="此类事件中,被模型认出来的比例"
            ),
            "F1": st.column_config.NumberColumn(format=PERCENT, help="精确率与召回率的调和平均"),
            "测试条数": st.column_config.NumberColumn(format="localized"),
        },
        key="cs_classes",
    )

# ---------------------------------------------------------------- 待处理建议
st.markdown(
    f"**待处理建议**(待定 {fmt.count(counts['pending'])} 条,已采纳待写入 "
    f"{fmt.count(counts['accepted'])} 条,已驳回 {fmt.count(counts['rejected'])} 条,"
    f"已写入 {fmt.count(counts['applied'])} 条,已失效 {fmt.count(counts['stale'])} 条)"
)
if counts["pending"]:
    low_col, category_col = st.columns([1.4, 1])
    low = low_col.slider("最低置信度", 0, 100, 0, step=5, format="%d%%", key="cs_min_confidence")
    everything = data.category_pending(src, 0.0, None, limit=0)
    category = category_col.selectbox("建议类别", [ALL, *everything.categories], key="cs_category")
    chosen = None if category == ALL else category
    pending = data.category_pending(src, low / 100, chosen, limit=LIMIT)
    filters = {"min_confidence": low / 100} | ({"category": chosen} if chosen else {})
    if pending.total == 0:
        st.caption("没有符合筛选条件的待定建议。")
    else:
        shown = pending_table(pending.rows)
        more = f"(按置信度列出前 {fmt.count(LIMIT)} 条)" if pending.total > LIMIT else ""
        st.caption(
            f"符合筛选条件 {fmt.count(pending.total)} 条{more}。可勾选行后采纳或驳回;"
            "诉求内容中的电话、证件号和门牌号已脱敏。"
        )
        picked = st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            height=360,
            on_select="rerun",
            selection_mode="multi-row",
            column_config={
                "上报时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                "置信度": st.column_config.NumberColumn(format=PERCENT),
            },
            key="cs_table",
        )
        rows = list(picked.selection.rows) if picked is not None else []
        ids = shown["事件编号"].iloc[rows].astype(str).tolist()
        n = pending.total
        confirmed = True
        if n > CONFIRM_ABOVE:
            confirmed = st.checkbox(
                f"确认批量处理筛选出的全部 {fmt.count(n)} 条(不只是表中列出的)",
                key="cs_confirm",
            )
        with st.container(horizontal=True):
            if st.button(f"采纳所选({len(ids)} 条)", disabled=not ids, key="cs_accept_picked"):
                decide(ids, True, "selected", filters)
            if st.button(f"驳回所选({len(ids)} 条)", disabled=not ids, key="cs_reject_picked"):
                decide(ids, False, "selected", filters)
            bulk = {"min_confidence": low / 100, "category": chosen}
            if st.button(
                f"采纳筛选出的 {fmt.count(n)} 条",
                type="primary",
                disabled=not confirmed,
                key="cs_accept_all",
            ):
                decide(category_store.select(path, **bulk), True, "filtered", filters)
            if st.button(
                f"驳回筛选出的 {fmt.count(n)} 条", disabled=not confirmed, key="cs_reject_all"
            ):
                decide(category_store.select(path, **bulk), False, "filtered", filters)
elif run is not None:
    st.caption("没有待定的建议。")

# ---------------------------------------------------------------- 写入事件库
st.markdown("**写入事件库**")
accepted = counts["accepted"]
st.caption(
    f"已采纳、尚未写入的建议 {fmt.count(accepted)} 条。写入作为一次导入进行(导入记录中可见),"
    "只改这些事件的业务类别;采纳后事件已被重新导入、有了别的类别的,记为已失效,不写入。"
)
if st.button(
    f"写入事件库({fmt.count(accepted)} 条)",
    type="primary",
    icon=":material/save:",
    disabled=accepted == 0,
    key="cs_apply",
):
    bar = st.progress(0.0, text="开始…")
    try:
        result = category_store.apply_accepted(
            data.store_path(),
            path,
            admin.user.login,
            zone=settings.timezone,
            progress=lambda stage, fraction: bar.progress(fraction, text=stage),
        )
    except (StoreBusy, ImportFileError) as exc:
        st.error(fmt.plain(str(exc)), icon=":material/warning:")
    except Exception:  # a defect of ours: a short message here, the detail in the log
        LOG.exception("applying accepted categories failed")
        st.error("写入时发生内部错误,事件库未做改动。详细信息已记入服务器日志。")
    else:
        bar.empty()
        if result is None:
            layout.rerun_saying(FLASH, "没有可写入的建议:采纳的建议均已失效或已写入。")
        else:
            warmup.start()  # the new data's default view, before anyone opens it
            message = (
                f"已写入 {fmt.count(result.rows_updated)} 条事件的类别(导入 {result.import_id})。"
            )
            if result.publish_error:
                st.session_state[FLASH + "_error"] = result.publish_error
            layout.rerun_saying(FLASH, message)
if error := st.session_state.pop(FLASH + "_error", None):
    st.error(fmt.plain(error), icon=":material/warning:")

# ---------------------------------------------------------------- 处理记录
st.markdown("**处理记录**")
history = category_store.history_summary(path)
if history.empty:
    st.caption("还没有处理记录。")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "时间": history["at"],
                "账号": history["login"],
                "操作": history["action"].map(lambda a: ACTIONS.get(a, a)),
                "条数": history["rows"],
                "模型": history["model"].fillna("—"),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"条数": st.column_config.NumberColumn(format="localized")},
        key="cs_history",
    )
