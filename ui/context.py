"""What the entry script resolved for this run (store, filters), handed to the page."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from analytics.filters import Filters
from ui.data import Source

_KEY = "_context"
_ENTERED = "_entered"


@dataclass(frozen=True)
class Context:
    src: Source
    filters: Filters
    compare: str | None


def set_current(ctx: Context) -> None:
    st.session_state[_KEY] = ctx
    set_entered()


def set_entered() -> None:
    """Record that ``app.py`` ran in this session (see ``current``)."""
    st.session_state[_ENTERED] = True


def entered() -> None:
    """For pages without filters: make sure the run went through ``app.py`` (see ``current``)."""
    if not st.session_state.get(_ENTERED):
        PagesManager.uses_pages_directory = False
        st.rerun()


def current() -> Context:
    """The context ``app.py`` set before running this page.

    It is missing only when Streamlit ran the page file by itself: on the very first request
    of a fresh server process Streamlit is still in its legacy ``pages/`` folder mode (it
    leaves it once ``st.navigation`` has been called), so a bookmark such as ``/overview``
    opened first would bypass ``app.py`` and its sidebar for good. Leave that mode and run
    again, through ``app.py``.
    """
    ctx = st.session_state.get(_KEY)
    if ctx is None:
        PagesManager.uses_pages_directory = False
        st.rerun()
    return ctx
