"""网格治理一屏统览: entry script — page config, shared sidebar filters, navigation."""

import streamlit as st

from ui import data
from ui.context import Context, set_current
from ui.sidebar import filter_sidebar

st.set_page_config(
    page_title="网格治理一屏统览",
    page_icon="🗺️",
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

PAGES = [
    st.Page("pages/overview.py", title="一屏统览", icon="📊", url_path="overview", default=True),
]

page = st.navigation(PAGES)
try:
    src = data.source()
    filters, compare = filter_sidebar(src)
except data.NoData as exc:
    st.error(str(exc), icon="⚠️")
    st.stop()
set_current(Context(src, filters, compare))
page.run()
