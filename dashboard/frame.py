"""The frame around every page: the executive picker, kept in the URL (`?exec=ada`) so a view can be shared."""

from __future__ import annotations

import polars as pl
import streamlit as st

EXEC_PARAM = "exec"        # the query parameter
EXEC_KEY = "exec_picker"   # the widget's session-state key


def _to_url() -> None:
    st.query_params[EXEC_PARAM] = st.session_state[EXEC_KEY]


def pick_executive(executives: pl.DataFrame) -> str:
    """The sidebar picker; a valid `?exec=` wins, then the session's last choice, then the first executive."""
    ids = executives["exec_id"].to_list()
    names = dict(zip(ids, executives["name"].to_list(), strict=True))
    wanted = st.query_params.get(EXEC_PARAM)
    if wanted in names:
        st.session_state[EXEC_KEY] = wanted
    elif st.session_state.get(EXEC_KEY) not in names:
        st.session_state[EXEC_KEY] = ids[0]
    chosen = st.sidebar.selectbox(
        "Executive", ids, key=EXEC_KEY, format_func=lambda exec_id: names.get(exec_id) or exec_id,
        on_change=_to_url,
    )
    st.query_params[EXEC_PARAM] = chosen
    return chosen


def current_executive() -> str:
    """The executive chosen in the frame (app.py runs the picker before any page)."""
    return st.session_state[EXEC_KEY]
