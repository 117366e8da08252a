"""Entry point (`streamlit run dashboard/app.py`): page config, the shared frame and navigation.

The data directory comes from $INFLUENCE_DATA_DIR (default ./data); `influence dashboard` sets it.
Pages live in `views/`, not `pages/`: a `pages/` folder beside the entry file switches Streamlit to its older
folder-based navigation (PagesManager.uses_pages_directory), which on reruns runs a page without this frame.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import streamlit as st

from dashboard import data, frame
from dashboard.format import md_text

HERE = Path(__file__).parent

st.set_page_config(page_title="Influence tracker", page_icon=":material/hub:", layout="wide")

try:
    executives = data.executives()
except data.WarehouseError as exc:
    st.title("Influence tracker")
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if executives.is_empty():
    st.title("Influence tracker")
    st.warning("The warehouse lists no executives: add them to `influence.toml`, then run `influence model`.")
    st.stop()

exec_id = frame.pick_executive(executives)
executive = data.executive(exec_id)
with st.sidebar:
    if executive and executive["mentors"]:
        st.caption(f"Digital mentor: {md_text(executive['mentors'])}")
    built = data.built_at()
    if built is not None:
        st.caption(f"Warehouse built {built.astimezone(UTC):%Y-%m-%d %H:%M} UTC")

pages = [
    st.Page(HERE / "views" / "overview.py", title="Overview", icon=":material/insights:", default=True),
]
st.navigation(pages).run()
