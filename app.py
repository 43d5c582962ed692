"""网格治理一屏统览: entry script — page config, shared sidebar filters, navigation."""

import html
import logging

import streamlit as st

from analytics import deployment
from ui import data, presentation, report, urlstate
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

problem = deployment.serving_problem(st.get_option("server.address"))
if problem:
    st.error(problem, icon=":material/lock:")
    st.stop()
if not deployment.is_loopback(st.get_option("server.address")):  # one thin line, every page
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
        LOG.exception("page %s failed", page.url_path)
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
    st.Page("pages/import.py", title="数据导入", icon=":material/upload_file:", url_path="import"),
]
NEEDS_NO_FILTERS = {"import"}  # works on an empty store; the period and units do not apply

page = st.navigation(PAGES)
if page.url_path in NEEDS_NO_FILTERS:
    set_entered()
    run(page)
    st.stop()
try:
    src = data.source()
    rng = data.data_range(src)
    ids = [presentation.page_id(p) for p in PAGES]
    urlstate.restore(ids, data.categories(src), rng.first_day, rng.last_day)
    filters, compare = filter_sidebar(src)
except data.NoData as exc:
    st.error(str(exc), icon=":material/warning:")
    st.stop()
presentation.controls([p for p in PAGES if p.url_path not in NEEDS_NO_FILTERS])
urlstate.publish(filters)
presentation.show(PAGES, page)
set_current(Context(src, filters, compare))
report.export_button(Context(src, filters, compare))
run(page)
