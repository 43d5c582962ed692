"""网格治理一屏统览: entry script — page config, shared sidebar filters, navigation."""

import html
import logging

import streamlit as st

from analytics import deployment
from ui import auth, data, presentation, report, urlstate
from ui.context import Context, set_current, set_entered
from ui.sidebar import filter_sidebar

st.set_page_config(
    page_title="网格治理一屏统览",
    page_icon=":material/map:",
    layout="wide",
    initial_sidebar_state="expanded",
)
st.html(
    """<style>
    .block-container {padding-top: 1.2rem; padding-bottom: 0.5rem;}
    [data-testid="stMetric"] {padding: 0.35rem 0.7rem;}
    [data-testid="stMetricValue"] {font-size: 1.7rem;}
    [data-testid="stMetricDelta"] {font-size: 0.8rem;}
    h1, h2, h3 {padding-top: 0.2rem; padding-bottom: 0.2rem;}
    </style>"""
)

settings, _ = data.settings()
address = st.get_option("server.address")
mode = settings.access_mode
problem = deployment.sign_in_problem(
    mode, st.secrets.get("auth") if mode == "oidc" else None
) or deployment.serving_problem(address, mode)
if problem:
    st.error(problem, icon=":material/lock:")
    st.stop()
if mode == "none" and not deployment.is_loopback(address):  # one thin line, every page
    st.html(
        '<div style="background:#fff3cd;color:#6b4a00;font-size:13px;padding:2px 10px;'
        f'border-radius:4px">{html.escape(deployment.OPEN_BANNER)}</div>'
    )

LOG = logging.getLogger("app")
UNEXPECTED = "页面出现内部错误,已记入服务器日志。请刷新页面重试;若仍出现,请反馈给管理员。"


def run(page) -> None:
    """The page; an unexpected error is logged with its detail and shown as one short line
    (no traceback or server path reaches the browser)."""
    try:
        page.run()
    except Exception:
        LOG.exception("page %s failed", page.url_path or "overview")
        st.error(UNEXPECTED, icon=":material/error:")


PAGES = [
    st.Page(
        "pages/overview.py",
        title="一屏统览",
        icon=":material/dashboard:",
        url_path="overview",
        default=True,
    ),
    st.Page(
        "pages/trends.py", title="投诉信访趋势", icon=":material/trending_up:", url_path="trends"
    ),
    st.Page("pages/closure.py", title="办结率", icon=":material/task_alt:", url_path="closure"),
    st.Page("pages/response.py", title="响应时效", icon=":material/timer:", url_path="response"),
    st.Page("pages/heatmap.py", title="网格热力图", icon=":material/map:", url_path="heatmap"),
    st.Page(
        "pages/whatif.py", title="网格调整推演", icon=":material/grid_view:", url_path="whatif"
    ),
    st.Page(
        "pages/rankings.py", title="赛马比拼", icon=":material/emoji_events:", url_path="rankings"
    ),
]
ADMIN_PAGES = [  # 管理员 only: a page a viewer lacks is not in the navigation at all
    st.Page("pages/import.py", title="数据导入", icon=":material/upload_file:", url_path="import"),
    st.Page("pages/users.py", title="用户管理", icon=":material/group:", url_path="users"),
    st.Page("pages/audit.py", title="审计日志", icon=":material/policy:", url_path="audit"),
]
NEEDS_NO_FILTERS = {"import", "users", "audit"}  # the period and units do not apply


def main() -> None:
    """Who is looking, then the navigation, the shared sidebar and the page."""
    viewer = auth.viewer(settings)
    if viewer is None:  # no navigation shown (not even the pages' names), and no page runs;
        # every path is known, so a bookmark shows the sign-in, not a "Page not found" box
        st.navigation(PAGES + ADMIN_PAGES, position="hidden")
        st.stop()
    page = st.navigation(PAGES + ADMIN_PAGES if viewer.user.is_admin else PAGES)
    auth.check_admin_link([p.url_path for p in ADMIN_PAGES])
    page_name = page.url_path or "overview"  # the default page's own path is empty
    st.session_state[auth.PAGE_KEY] = page_name
    auth.sidebar(viewer)
    if page.url_path in NEEDS_NO_FILTERS:
        set_entered()
        auth.record_view(page_name, None)
        run(page)
        st.stop()
    try:
        src = data.source(viewer.scope)
        coverage = data.data_range(src)
        ids = [presentation.page_id(p) for p in PAGES]
        auth.check_link(page_name, src)
        urlstate.restore(ids, data.categories(src), coverage.first_day, coverage.last_day)
        filters, compare = filter_sidebar(src)
        filters = auth.clamp(filters, page_name, src)
    except data.NoData as exc:
        st.error(str(exc), icon=":material/warning:")
        st.stop()
    presentation.controls([p for p in PAGES if p.url_path not in NEEDS_NO_FILTERS])
    urlstate.publish(filters)
    presentation.show(PAGES, page)
    set_current(Context(src, filters, compare))
    auth.record_view(page_name, filters, compare)
    if viewer.user.can_export:
        report.export_button(Context(src, filters, compare))
    run(page)


try:
    main()
except Exception:  # before the page ran (sign-in, sidebar): the same short line as a page
    LOG.exception("app run failed")
    st.error(UNEXPECTED, icon=":material/error:")
