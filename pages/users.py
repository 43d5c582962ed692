"""用户管理 (管理员): who may sign in, with which role and scope; every change is audited."""

import pandas as pd
import streamlit as st

from analytics import accounts
from analytics import formats as fmt
from ui import auth, data
from ui.context import entered

entered()
admin = auth.require_admin()
st.subheader("用户管理", anchor=False)
settings, _ = data.settings()
st.caption(
    "开通看板账号并指定角色和范围:区级领导看全区,街道、社区账号只看本单位"
    "(赛马比拼中可见同级单位的得分),分析员可下载和导出,管理员可导入数据、管理账号和查看审计日志。"
    "账号须与登录平台一致(统一身份认证的"
    + {"email": "邮箱", "preferred_username": "用户名", "sub": "用户标识", "name": "姓名"}[
        settings.user_claim
    ]
    + ",或认证代理传来的用户名)。也可用命令 `python -m analytics users add|list|remove` 管理。"
)
if settings.access_mode == "none":
    st.info(
        '当前未启用登录(settings.toml 的 [access] mode = "none"):账号在启用登录后生效。',
        icon=":material/info:",
    )

path = auth.admin_path()
try:
    units = data.org_units(data.source())
except data.NoData:
    units = pd.DataFrame(columns=["unit_id", "parent_id", "level", "name"])
names = dict(zip(units["unit_id"], units["name"], strict=True))

with st.form("user_add", clear_on_submit=True, border=True):
    st.markdown("**开通或修改账号**")
    login_col, name_col, role_col, unit_col = st.columns([1.4, 1, 1, 1.4])
    login = login_col.text_input("账号", max_chars=accounts.MAX_LOGIN)
    name = name_col.text_input("显示名", max_chars=50)
    role = role_col.selectbox("角色", list(accounts.ROLES), format_func=accounts.ROLES.get)
    unit_options = ["", *units.loc[units["level"].isin(["street", "community"]), "unit_id"]]
    unit = unit_col.selectbox(
        "所属单位",
        unit_options,
        format_func=lambda u: fmt.plain(f"{names[u]}({u})") if u else "全区(不指定)",
        help="街道账号选街道,社区账号选社区;区级领导和管理员不指定;分析员可选。",
    )
    if st.form_submit_button("保存", type="primary"):
        if accounts.normalise(login) == admin.user.login and role != "admin":
            st.error("不能降低自己正在使用的管理员账号的角色;请由另一位管理员修改。")
            st.stop()
        try:
            user = accounts.add(
                path,
                accounts.User(login=login, role=role, unit_id=unit or None, name=name),
                units,
                by=admin.user.login,
                zone=settings.timezone,
            )
        except accounts.AccountError as exc:
            st.error(fmt.plain(str(exc)), icon=":material/warning:")
        else:
            auth.record(
                "user_add",
                page="users",
                account=user.login,
                role=user.role,
                unit=user.unit_id or "全区",
            )
            st.success(fmt.plain(f"已保存账号 {user.login}:{user.label}。"))

table = accounts.listing(path)
st.markdown(f"**账号**(共 {fmt.count(len(table))} 个)")
if table.empty:
    st.caption("还没有账号。")
else:
    shown = pd.DataFrame(
        {
            "账号": table["login"],
            "显示名": table["name"],
            "角色": table["role"].map(lambda r: accounts.ROLES.get(r, r)),
            "范围": table["unit_id"].map(
                lambda u: names.get(u, u) if isinstance(u, str) and u else "全区"
            ),
            "开通时间": table["created_at"],
            "开通人": table["created_by"],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        gone = st.selectbox(
            "删除账号", ["", *table["login"]], format_func=lambda x: x or "选择账号"
        )
        sure = st.checkbox("确认删除", key="user_remove_sure")
        if st.button("删除", disabled=not (gone and sure), icon=":material/delete:"):
            if gone == admin.user.login:
                st.error("不能删除自己正在使用的账号。")
            elif accounts.remove(path, gone):
                auth.record("user_remove", page="users", account=gone)
                st.session_state.pop("user_remove_sure", None)
                st.rerun()
