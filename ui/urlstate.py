"""The URL carries the view: the page is its path, and the query string holds the sidebar's
filters and the presentation mode, so a copied link opens the same view.

On a session's first run the query string seeds the widgets' state (values the widgets do
not offer are dropped); on every run the query string is rewritten from the widgets.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics.filters import COMPARISONS, PERIOD_PRESETS, Filters
from analytics.schema import BOARDS, CHANNELS, EVENT_TYPES

_RESTORED = "_url_restored"
CHOICES = {"f_preset": "period", "f_compare": "cmp"}  # fixed option lists
UNITS = {"f_street": "street", "f_community": "community", "f_grid": "grid"}
LISTS = {
    "f_event_types": "type",
    "f_categories": "cat",
    "f_channels": "channel",
    "f_boards": "board",
}
_OPTIONS = {
    "f_preset": PERIOD_PRESETS,
    "f_compare": COMPARISONS,
    "f_event_types": EVENT_TYPES,
    "f_channels": CHANNELS,
    "f_boards": BOARDS,
}
EVERY_SECONDS = (10, 600)  # the shortest and longest stay of a page in rotation
EVERY_DEFAULT = 30


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def restore(pages: list[str], categories: list[str], first_day: date, last_day: date) -> None:
    """Once per session, before the widgets are drawn: the URL's values into widget state.

    Unit ids are checked by the sidebar (it drops a unit it does not offer); everything else
    is checked here against what the widgets offer: the app's page paths (for the rotation),
    ``categories`` and the data's first and last day.
    """
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    qp = st.query_params
    for key, name in CHOICES.items():
        if qp.get(name) in _OPTIONS[key]:
            st.session_state[key] = qp[name]
    for key, name in UNITS.items():  # a community only within a street, a grid in a community
        if not qp.get(name):
            break
        st.session_state[key] = qp[name]
    offered = {**_OPTIONS, "f_categories": categories}
    for key, name in LISTS.items():
        if qp.get(name):  # repeated parameters: a category name may hold a comma
            picked = [v for v in qp.get_all(name) if v in offered[key]]
            st.session_state[key] = list(dict.fromkeys(picked))
    start, end = _date(qp.get("start", "")), _date(qp.get("end", ""))
    if st.session_state.get("f_preset") == "custom" and start and end:
        start, end = sorted((start, end))
        if start <= last_day and end >= first_day:  # a range outside the data is ignored
            st.session_state["f_range"] = (max(start, first_day), min(end, last_day))
    if qp.get("present") == "1":
        st.session_state["present"] = True
    if qp.get("rotate"):
        rotate = [p for p in qp["rotate"].split(",") if p in pages]
        st.session_state["present_pages"] = list(dict.fromkeys(rotate))
    every = qp.get("every", "")
    if every.isascii() and every.isdigit() and len(every) < 6:  # not '²', not 10**100
        st.session_state["present_every"] = min(max(int(every), EVERY_SECONDS[0]), EVERY_SECONDS[1])


def link_params() -> dict[str, list[str]]:
    """The address's query string, repeated parameters kept (a category may hold a comma)."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def publish(f: Filters) -> None:
    """Rewrite the query string from the filters the sidebar returned and the widgets' state
    (only when it changed)."""
    state = st.session_state
    params: dict[str, str | list[str]] = {}
    for key, name in CHOICES.items():
        if state.get(key):
            params[name] = str(state[key])
    for unit, name in zip((f.street_id, f.community_id, f.grid_id), UNITS.values(), strict=True):
        if unit:
            params[name] = unit
    for key, name in LISTS.items():
        if state.get(key):
            params[name] = [str(v) for v in state[key]]
    picked = state.get("f_range")
    if state.get("f_preset") == "custom" and isinstance(picked, tuple | list) and picked:
        params["start"], params["end"] = picked[0].isoformat(), picked[-1].isoformat()
    if state.get("present"):
        params["present"] = "1"
        if state.get("present_pages"):
            params["rotate"] = ",".join(state["present_pages"])
            params["every"] = str(int(state.get("present_every") or EVERY_DEFAULT))
    if {k: v if isinstance(v, list) else [v] for k, v in params.items()} != link_params():
        st.query_params.from_dict(params)
