"""演示模式: for a projector at a review meeting. It hides the sidebar and Streamlit's own
chrome, enlarges everything, and can rotate through chosen pages every N seconds. The URL
carries the mode (see ``ui.urlstate``), so a link opens the same screen."""

from __future__ import annotations

import time

import streamlit as st

from ui.urlstate import EVERY_DEFAULT, EVERY_SECONDS

FONT_PX = 18  # the root font size on a projector (Streamlit's own is 16 px; its text is in rem)
TICK_SECONDS = 5  # how often the rotation's countdown is refreshed
_SINCE = "_present_since"

_STYLE = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer {{display: none !important;}}
html {{font-size: {FONT_PX}px;}}
.block-container {{max-width: 100% !important; padding: 0.4rem 1.2rem 0.2rem 1.2rem !important;}}
[data-testid="stMetricValue"] {{font-size: 2.2rem;}}
[data-testid="stMetricLabel"] p {{font-size: 1.05rem;}}
.st-key-present_bar {{position: fixed; top: 0.3rem; right: 1rem; z-index: 999990; width: auto;
  flex-direction: row; align-items: center; gap: 0.8rem;
  background: rgba(255, 255, 255, 0.85); border-radius: 0.5rem; padding: 0 0.2rem;}}
.st-key-present_bar [data-testid="stCaptionContainer"] {{margin: 0;}}
</style>"""


def page_id(page: st.Page) -> str:
    """A page's name in links: its URL path; the default page's path is empty, so "overview"."""
    return page.url_path or "overview"


def active() -> bool:
    return bool(st.session_state.get("present"))


def controls(pages: list[st.Page]) -> None:
    """The sidebar's 演示模式 switch, with the pages to rotate through and how long each stays."""
    titles = {page_id(p): p.title for p in pages}
    with st.sidebar.expander("演示模式", icon=":material/slideshow:"):
        st.toggle(
            "进入演示模式",
            key="present",
            help="隐藏侧栏和工具栏、放大字号,便于投影;页面地址带有当前筛选和模式,可复制分享",
        )
        st.multiselect(
            "自动轮播的页面",
            list(titles),
            format_func=titles.get,
            key="present_pages",
            placeholder="不轮播",
        )
        st.session_state.setdefault("present_every", EVERY_DEFAULT)  # or what a link carried
        st.number_input(
            "每页停留(秒)",
            min_value=EVERY_SECONDS[0],
            max_value=EVERY_SECONDS[1],
            step=5,
            key="present_every",
        )


def _leave() -> None:
    st.session_state["present"] = False


def show(pages: list[st.Page], current: st.Page) -> None:
    """In presentation mode: the style, an exit button and, with pages chosen, the rotation."""
    if not active():
        return
    st.html(_STYLE)
    chosen = st.session_state.get("present_pages") or []
    rotation = [p for p in pages if page_id(p) in chosen]
    with st.container(key="present_bar", horizontal=True):  # pinned top right, takes no room
        if rotation:
            st.session_state[_SINCE] = (page_id(current), time.monotonic())
            _rotate(rotation, current)
        st.button("退出演示", key="present_exit", on_click=_leave, icon=":material/close:")


@st.fragment(run_every=TICK_SECONDS)
def _rotate(rotation: list[st.Page], current: st.Page) -> None:
    """Count down, then switch to the next page of the rotation (the first after the last)."""
    every = int(st.session_state.get("present_every") or EVERY_DEFAULT)
    page, since = st.session_state.get(_SINCE, (page_id(current), time.monotonic()))
    paths = [page_id(p) for p in rotation]
    following = rotation[(paths.index(page) + 1) % len(rotation)] if page in paths else rotation[0]
    left = every - (time.monotonic() - since)
    if left <= 0:
        st.switch_page(following, query_params=st.query_params.to_dict())
    st.caption(f"自动轮播:{max(1, round(left))} 秒后切换到「{following.title}」")
