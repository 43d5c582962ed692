"""审计日志 (管理员): who signed in, viewed, downloaded, exported, imported or was refused."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from analytics import accounts, admin_db, audit
from analytics import formats as fmt
from ui import auth, data, downloads
from ui.context import entered

SHOWN = 2_000

entered()
admin = auth.require_admin()
st.subheader("审计日志", anchor=False)
settings, _ = data.settings()
path = auth.admin_path()
auth.flush()  # this session's own entries included
st.caption(
    "登录与退出、页面查看及其筛选、下载与导出(文件名、行数)、数据导入(文件指纹与行数)、"
    f"账号变更和被拒绝的访问。日志只追加、不可修改,保留 {settings.audit_retention_days} 天"
    "(settings.toml 的 [audit] retention_days,不少于 180 天)。"
)

today = admin_db.today(settings.timezone)  # the day the log's times are written in
who_col, what_col, when_col = st.columns([1, 1, 1.2])
who = who_col.selectbox(
    "账号", ["", *audit.logins(path)], format_func=lambda x: x or "全部", key="au_login"
)
action = what_col.selectbox(
    "操作",
    ["", *audit.ACTIONS],
    format_func=lambda a: audit.ACTIONS.get(a, "全部"),
    key="au_action",
)
period = when_col.date_input(
    "日期", (today - timedelta(days=30), today), max_value=today, format="YYYY-MM-DD"
)
start, end = (period[0], period[-1]) if period else (None, None)

asked = dict(login=who or None, action=action or None, start=start, end=end)
total = audit.count(path, **asked)
st.markdown(
    f"**{fmt.count(total)} 条记录**"
    + (f"(显示最近 {fmt.count(SHOWN)} 条,下载为全部)" if total > SHOWN else "")
)


def shown(log: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "时间": log["at"],
            "账号": log["login"],
            "角色": log["role"].map(lambda r: accounts.ROLES.get(r, r)),
            "操作": log["action"].map(lambda a: audit.ACTIONS.get(a, a)),
            "页面": log["page"],
            "详情": log["detail"],
            "来源地址": log["address"],
        }
    )


table = shown(audit.query(path, **asked, limit=SHOWN))  # the whole log only on download
st.dataframe(table, hide_index=True, width="stretch", height=520)
downloads.buttons(
    table,
    f"审计日志_{start}至{end}",
    "au_dl",
    full=lambda: shown(audit.query(path, **asked, limit=None)),
)

if st.button(f"清理 {settings.audit_retention_days} 天前的记录", icon=":material/auto_delete:"):
    n = audit.purge(
        path, settings.audit_retention_days, by=admin.user.login, zone=settings.timezone
    )
    st.success(f"已清理 {fmt.count(n)} 条过期记录。" if n else "没有过期记录。")
