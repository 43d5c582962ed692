"""Who is looking: sign-in (none, OIDC via ``st.login``, or a trusted proxy's header), their
account and scope, and the audit entries of what they do.

``viewer()`` runs first on every run of ``app.py``; until it returns a viewer nothing of the
data is read. The account's scope then goes into ``data.source`` and so into every query
(``analytics.access``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st

from analytics import access, accounts, admin_db, audit, deployment
from analytics import formats as fmt
from analytics.accounts import User
from analytics.filters import Filters
from analytics.settings import Settings
from ui import data

PAGE_KEY = "_page"  # the page being run, set by app.py, for audit entries made later
_VIEWER = "_viewer"
_SIGNED_IN = "_signed_in_as"
_LAST_VIEW = "_last_view"
_DENIED = "_denied_seen"
_LINK_CHECKED = "_link_checked"
_ADMIN_LINK_CHECKED = "_admin_link_checked"


@dataclass(frozen=True)
class Viewer:
    user: User
    scope: access.Scope
    address: str = ""
    signed_in: bool = False  # through a sign-in platform (a sign-out button makes sense)


@st.cache_resource(show_spinner=False)
def audit_log(path: str, zone: str, retention_days: int = 0) -> audit.AuditLog:
    """One writer thread per server for the audit log of ``path`` (which also applies the
    retention setting once a day)."""
    return audit.AuditLog(path, zone, retention_days)


def _log() -> audit.AuditLog:
    settings, _ = data.settings()
    return audit_log(admin_path(), settings.timezone, settings.audit_retention_days)


def admin_path() -> str:
    return str(admin_db.admin_path())


def record(action: str, page: str = "", viewer: Viewer | None = None, **detail) -> None:
    """Queue an audit entry for ``viewer`` (default: this session's)."""
    viewer = viewer or current()
    entry = audit.Entry(
        login=viewer.user.login if viewer else "(未登录)",
        role=viewer.user.role if viewer else "",
        action=action,
        page=page,
        detail=detail,
        address=viewer.address if viewer else _address(),
    )
    _log().record(entry)


def current() -> Viewer | None:
    return st.session_state.get(_VIEWER)


def _address() -> str:
    """The client's address as Streamlit reports it (None, i.e. loopback, shown as such)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else "127.0.0.1"


def viewer(settings: Settings) -> Viewer | None:
    """This session's viewer, signing in as the settings say; None after drawing why there
    is nothing to see (the caller stops)."""
    mode = settings.access_mode
    if mode == "none":
        local = deployment.is_loopback(st.get_option("server.address"))
        user = accounts.LOCAL if local else accounts.INTRANET
        return _remember(Viewer(user, access.DISTRICT, _address()))
    if mode == "oidc":
        if not st.user.get("is_logged_in"):
            _sign_in_screen()
            return None
        login = st.user.get(settings.user_claim) or ""
        if settings.user_claim == "email" and st.user.get("email_verified") is False:
            _deny(f"邮箱 {login} 未经认证平台验证", settings, login=login)
            st.error("您的邮箱尚未在认证平台验证,不能用于登录本看板。", icon=":material/lock:")
            _sign_out_button(mode)
            return None
    else:
        address = st.context.ip_address
        address = address if isinstance(address, str) else None
        if not deployment.trusted_peer(address, settings.trusted_proxies):
            _deny(f"来自 {address} 的连接未经认证代理", settings)
            st.error("请通过统一登录入口访问本看板。", icon=":material/lock:")
            return None
        sent = st.context.headers.get_all(settings.user_header)
        login = sent[0] if len(sent) == 1 else ""  # two: one may be the client's own
        if not login.strip():
            st.error(
                "认证代理没有传来用户名,无法确定您的身份。请联系管理员检查代理配置。",
                icon=":material/lock:",
            )
            return None
    account = accounts.get(admin_path(), login)
    if account is None:
        _deny(f"账号 {login} 尚未开通", settings, login=login)
        st.warning(
            f"您的账号 {fmt.plain(login)} 尚未开通本看板的访问权限。"
            f"请联系{settings.admin_contact}开通(告知账号和所在单位)。",
            icon=":material/person_off:",
        )
        _sign_out_button(mode)
        return None
    try:
        scope = (
            access.scope_of(account, data.org_units(data.source()))
            if account.unit_id
            else access.DISTRICT
        )
    except access.ScopeError:
        st.error(
            f"您的账号所属单位 {account.unit_id} 已不在区划中。请联系{settings.admin_contact}"
            "更新账号。",
            icon=":material/person_off:",
        )
        return None
    except data.NoData:
        st.error("数据库中还没有数据,请联系管理员导入。", icon=":material/warning:")
        return None
    return _remember(Viewer(account, scope, _address(), signed_in=mode == "oidc"))


def _remember(v: Viewer) -> Viewer:
    st.session_state[_VIEWER] = v
    if st.session_state.get(_SIGNED_IN) != v.user.login:
        st.session_state[_SIGNED_IN] = v.user.login
        if v.user not in (accounts.LOCAL, accounts.INTRANET):
            record("sign_in", viewer=v, scope=v.scope.unit_id or "全区")
    return v


def _deny(reason: str, settings: Settings, login: str = "") -> None:
    """An attempt without an account: audited once per session."""
    if st.session_state.get(_DENIED) == reason:
        return
    st.session_state[_DENIED] = reason
    entry = audit.Entry(
        login=login or "(未登录)", action="denied", detail={"reason": reason}, address=_address()
    )
    _log().record(entry)


def _sign_in_screen() -> None:
    st.title("网格治理一屏统览")
    st.info("请使用统一身份认证账号登录。", icon=":material/lock:")
    st.button("统一身份认证登录", on_click=st.login, type="primary", icon=":material/login:")


def _sign_out() -> None:
    v = current()
    if v is not None:
        record("sign_out", viewer=v)
    for key in (_VIEWER, _SIGNED_IN, _LAST_VIEW):
        st.session_state.pop(key, None)
    st.logout()


def _sign_out_button(mode: str) -> None:
    if mode == "oidc" and st.user.get("is_logged_in"):
        st.button("退出登录", on_click=_sign_out, icon=":material/logout:")


def sidebar(v: Viewer) -> None:
    """Who is signed in, and the sign-out button (OIDC only: behind a proxy, the proxy's)."""
    if v.user in (accounts.LOCAL, accounts.INTRANET):
        return
    with st.sidebar.container(horizontal=True, vertical_alignment="center"):
        st.caption(f":material/person: {fmt.plain(v.user.label)}")
        if v.signed_in:
            st.button("退出登录", on_click=_sign_out, key="sign_out", width="content")


def record_view(page: str, f: Filters | None, compare: str | None = None) -> None:
    """A page view with its filters, once per change of page or filters."""
    v = current()
    if v is None:
        return
    detail = {} if f is None else _filters_detail(f, compare)
    key = (page, json.dumps(detail, sort_keys=True, default=str))
    if st.session_state.get(_LAST_VIEW) == key:
        return
    st.session_state[_LAST_VIEW] = key
    record("view", page=page, viewer=v, **detail)


def _filters_detail(f: Filters, compare: str | None) -> dict:
    detail = {"start": f.start.isoformat(), "end": f.end.isoformat(), "compare": compare}
    for name in ("street_id", "community_id", "grid_id"):
        if getattr(f, name):
            detail[name] = getattr(f, name)
    for name in ("event_types", "categories", "channels", "boards"):
        if getattr(f, name):
            detail[name] = list(getattr(f, name))
    return detail


def clamp(f: Filters, page: str, src: data.Source) -> Filters:
    """The sidebar's selection brought inside the viewer's scope; anything dropped (another
    street from a link, say) is audited as denied."""
    v = current()
    if v is None or v.scope.whole:
        return f
    f, dropped = _clamped(f, v, src)
    if dropped:
        record("denied", page=page, viewer=v, reason="超出授权范围", units=dropped)
    return f


def check_link(page: str, src: data.Source) -> None:
    """On a session's first run: unit ids in the link outside the viewer's scope are
    audited as denied (the sidebar does not offer them, so they are dropped silently)."""
    v = current()
    if v is None or v.scope.whole or st.session_state.get(_LINK_CHECKED):
        return
    st.session_state[_LINK_CHECKED] = True
    asked = {name: st.query_params.get(name) for name in ("street", "community", "grid")}
    if not any(asked.values()):
        return
    today = date.today()
    f = Filters(
        start=today,
        end=today,
        street_id=asked["street"] or None,
        community_id=asked["community"] or None,
        grid_id=asked["grid"] or None,
    )
    _, dropped = _clamped(f, v, src)
    if dropped:
        record("denied", page=page, viewer=v, reason="链接超出授权范围", units=dropped)


def _clamped(f: Filters, v: Viewer, src: data.Source) -> tuple[Filters, list]:
    """``access.clamp`` over the units the viewer's (scoped) source holds."""
    return access.clamp(f, v.scope, data.parents(src))


def can_export() -> bool:
    v = current()
    return v is not None and v.user.can_export


def audited(kind: str, file: str, make: Callable[[], bytes | tuple[bytes, int | None]]):
    """``make`` (the file's bytes, or bytes and rows) wrapped so that producing the file (on
    click) writes an audit entry with its name, rows, size and hash; ``kind`` is download or
    export."""
    v = current()
    page = st.session_state.get(PAGE_KEY, "")

    def produce() -> bytes:
        made = make()
        content, rows = made if isinstance(made, tuple) else (made, None)
        record(
            kind,
            page=page,
            viewer=v,
            file=file,
            rows=rows,
            bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest()[:16],
        )
        return content

    return produce


def refuse_admin_page(path: str) -> None:
    """A non-admin whose address names an admin page (registered for everyone so that the
    link does not end in Streamlit's "Page not found", but listed only for admins): a short
    refusal in Chinese, audited as denied once per session and page."""
    v = current()
    seen = st.session_state.setdefault(_ADMIN_LINK_CHECKED, set())
    if v is not None and path not in seen:
        seen.add(path)
        record("denied", page=path, viewer=v, reason="非管理员打开管理页面")
    st.error("无权访问:此页仅管理员可用。如需使用,请联系管理员。", icon=":material/lock:")


def require_admin() -> Viewer:
    """For the admin pages (also kept out of a non-admin's navigation): the admin viewer, or
    a refusal, audited, and the run stops."""
    v = current()
    if v is None or not v.user.is_admin:
        if v is not None:
            record("denied", page=st.session_state.get(PAGE_KEY, ""), viewer=v, reason="非管理员")
        st.error("此页仅管理员可用。", icon=":material/lock:")
        st.stop()
    return v


def flush() -> None:
    """Wait until this server's queued audit entries are written (the audit page)."""
    _log().flush()
