"""网格治理一屏统览: entry script — page config, shared sidebar filters, navigation."""

import html
import logging
from pathlib import Path

import streamlit as st

from analytics import deployment
from ui import auth, cards, data, presentation, report, urlstate
from ui.context import Context, set_current, set_entered
from ui.sidebar import filter_sidebar, freshness_caption

# The tab icon is a file served by this server: a ":material/…:" icon is fetched from an
# internet font host on every load (an intranet has none, and no request may leave it).
ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")
st.set_page_config(
    page_title="网格治理一屏统览",
    page_icon=ICON,
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
    [data-testid="InputInstructions"] {display: none;}  /* English "Press Enter to apply" */
    [data-testid="stStatusWidget"] button {display: none;}  /* English "Stop" while running */
    /* plotly draws a mode bar tooltip from data-title; Streamlit's own button's is English */
    .modebar-btn[data-title="Fullscreen"]::after {content: "全屏" !important;}
    .modebar-btn[data-title="Close fullscreen"]::after {content: "退出全屏" !important;}
    </style>"""
)
st.html(cards.STYLE)  # the metric cards' labels and trend lines, once for every page

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
    # (fixed at the bottom in presentation mode, where it must not push the page off screen)
    st.html(
        '<div class="gov-open-banner" style="background:#fff3cd;color:#6b4a00;font-size:13px;'
        f'padding:2px 10px;border-radius:4px">{html.escape(deployment.OPEN_BANNER)}</div>'
    )

LOG = logging.getLogger("app")


def freshness(src: data.Source | None) -> str:
    """数据截至, the latest import and the rows held: the small line every page shows (in
    presentation mode in the top bar); empty for the import page of an empty store."""
    try:
        return freshness_caption(data.freshness(src or data.source()))
    except data.NoData:
        return ""
    except Exception:  # a line of context is not worth the page: logged, left out
        LOG.exception("freshness line failed")
        return ""


UNEXPECTED = "页面出现内部错误,已记入服务器日志。请刷新页面重试;若仍出现,请反馈给管理员。"


def run(page) -> None:
    """The page; an unexpected error is logged with its detail and shown as one short line
    (no traceback or server path reaches the browser)."""
    try:
        page.run()
    except Exception:
        LOG.exception("page %s failed", page.url_path)
        st.error(UNEXPECTED, icon=":material/error:")


PAGES = [
    st.Page(
        "pages/overview.py", title="一屏统览", icon=":material/dashboard:", url_path="overview"
    ),
    st.Page(
        "pages/trends.py", title="投诉信访趋势", icon=":material/trending_up:", url_path="trends"
    ),
    st.Page("pages/hotspots.py", title="热点诉求", icon=":material/forum:", url_path="hotspots"),
    st.Page("pages/closure.py", title="办结率", icon=":material/task_alt:", url_path="closure"),
    st.Page("pages/response.py", title="响应时效", icon=":material/timer:", url_path="response"),
    st.Page("pages/heatmap.py", title="网格热力图", icon=":material/map:", url_path="heatmap"),
    st.Page(
        "pages/whatif.py", title="网格调整推演", icon=":material/grid_view:", url_path="whatif"
    ),
    st.Page(
        "pages/rankings.py", title="赛马比拼", icon=":material/emoji_events:", url_path="rankings"
    ),
    st.Page(
        "pages/problems.py", title="问题清单", icon=":material/checklist:", url_path="problems"
    ),
]
# Streamlit serves its default page at the root and ignores that page's own url_path, so a
# bookmark of /overview would be "not found". The root is therefore a hidden page of its own
# that moves on to /overview, and every page keeps its address.
HOME = st.Page(
    "pages/overview.py", title="一屏统览", url_path="home", default=True, visibility="hidden"
)
ADMIN_PAGES = (  # 管理员 only: (file, title, icon, path)
    ("pages/import.py", "数据导入", ":material/upload_file:", "import"),
    ("pages/targets.py", "目标管理", ":material/flag:", "targets"),
    ("pages/categories.py", "分类建议", ":material/category:", "categories"),
    ("pages/users.py", "用户管理", ":material/group:", "users"),
    ("pages/audit.py", "审计日志", ":material/policy:", "audit"),
)
EDITOR_PAGES = (  # 分析员 and 管理员 (``User.can_annotate``); the page refuses others
    ("pages/notes.py", "日期标注", ":material/event_note:", "notes"),
)
ADMIN_PATHS = {path for *_, path in ADMIN_PAGES}
NEEDS_NO_FILTERS = ADMIN_PATHS | {path for *_, path in EDITOR_PAGES}  # no period or units


def every_page(admin: bool, editor: bool = False) -> list[st.Page]:
    """Every page is registered for everyone, so each opens from its own address (an
    unregistered one gets Streamlit's English "Page not found"); the admin pages are listed
    in the navigation for an admin only, the editors' pages for analysts and admins."""

    def group(pages, visible: bool) -> list[st.Page]:
        shown = "visible" if visible else "hidden"
        return [
            st.Page(file, title=title, icon=icon, url_path=path, visibility=shown)
            for file, title, icon, path in pages
        ]

    return [HOME, *PAGES, *group(EDITOR_PAGES, editor), *group(ADMIN_PAGES, admin)]


def main() -> None:
    """Who is looking, then the navigation, the shared sidebar and the page."""
    viewer = auth.viewer(settings)
    if viewer is None:  # no navigation shown (not even the pages' names), and no page runs;
        # every path is known, so a bookmark shows the sign-in, not a "Page not found" box
        st.navigation(every_page(admin=False), position="hidden")
        st.stop()
    # expanded: all pages listed (collapsed, Streamlit cuts the list with an English "View more")
    page = st.navigation(every_page(viewer.user.is_admin, viewer.user.can_annotate), expanded=True)
    if page.url_path == "":  # the root: the overview at its own address, same parameters
        st.switch_page(PAGES[0], query_params=urlstate.link_params())
    page_name = page.url_path
    st.session_state[auth.PAGE_KEY] = page_name
    auth.sidebar(viewer)
    if page_name in ADMIN_PATHS and not viewer.user.is_admin:  # a link to an admin page
        auth.refuse_admin_page(page_name)
        st.stop()
    if page_name in NEEDS_NO_FILTERS:
        set_entered()
        auth.record_view(page_name, None)
        presentation.badge(freshness(None))
        run(page)
        st.stop()
    try:
        src = data.source(viewer.scope)
        data.prefetch_reference(src)
        coverage = data.data_range(src)
        ids = [p.url_path for p in PAGES]
        auth.check_link(page_name, src)
        urlstate.restore(ids, data.categories(src), coverage.first_day, coverage.last_day)
        filters, compare = filter_sidebar(src)
        filters = auth.clamp(filters, page_name, src)
    except data.NoData as exc:
        st.error(str(exc), icon=":material/warning:")
        st.stop()
    presentation.controls(PAGES)
    urlstate.publish(filters)
    presentation.show(PAGES, page, freshness(src))
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
