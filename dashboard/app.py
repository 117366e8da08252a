"""Entry point (`streamlit run dashboard/app.py`): page config, log-in, the shared frame and navigation.

The data directory comes from $INFLUENCE_DATA_DIR (default ./data); `influence dashboard` sets it.
Pages live in `views/`, not `pages/`: a `pages/` folder beside the entry file switches Streamlit to its older
folder-based navigation (PagesManager.uses_pages_directory), which on reruns runs a page without this frame.
The navigation offers each role its pages; what a user may see is enforced in data.py, not here.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import streamlit as st

from dashboard import data, frame
from dashboard.access import is_mentor_view
from dashboard.format import md_text
from influence.errors import InfluenceError

HERE = Path(__file__).parent
VIEWS = HERE / "views"

st.set_page_config(page_title="Influence tracker", page_icon=":material/hub:", layout="wide")

try:
    data.built_at()
except data.WarehouseError as exc:
    st.title("Influence tracker")
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

user = frame.current_user()
if user is None:
    frame.login_page()
    st.stop()
frame.sidebar_user(user)

executives = data.executives(user)
if executives.is_empty():
    st.title("Influence tracker")
    if user.role == "admin":
        st.warning("The warehouse lists no executives: add them to `influence.toml`, then run `influence model`.")
    else:
        st.warning(f"Your account ({md_text(user.describe())}) is bound to no executive in this warehouse: ask an "
                   "admin to check `influence users list` and the mentors in `influence.toml`.")
    st.stop()

exec_id = frame.pick_executive(executives)
st.session_state["filters"] = frame.filters(data.platforms(user, exec_id))
executive = data.executive(user, exec_id)
with st.sidebar:
    if executive and executive["mentors"]:
        st.caption(f"Digital mentor: {md_text(executive['mentors'])}")
    built = data.built_at()
    if built is not None:
        st.caption(f"Warehouse built {built.astimezone(UTC):%Y-%m-%d %H:%M} UTC")

executive_pages = [
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/insights:", default=not is_mentor_view(user)),
    st.Page(VIEWS / "thought_leadership.py", title="Thought leadership", icon=":material/campaign:"),
    st.Page(VIEWS / "spheres.py", title="Spheres", icon=":material/bubble_chart:"),
    st.Page(VIEWS / "chains.py", title="Chains", icon=":material/account_tree:"),
    st.Page(VIEWS / "ties.py", title="Ties", icon=":material/group:"),
]
mentor_pages = [
    st.Page(VIEWS / "goals.py", title="Goals and reviews", icon=":material/flag:"),
    st.Page(VIEWS / "report.py", title="Report", icon=":material/description:"),
]
if is_mentor_view(user):
    pages = {
        "Programme": [st.Page(VIEWS / "cohort.py", title="Cohort", icon=":material/groups:", default=True),
                      *mentor_pages],
        "Executive": executive_pages,
    }
else:
    pages = {"Your influence": executive_pages, "Progress": mentor_pages}
try:
    st.navigation(pages).run()
except InfluenceError as exc:  # the product's own errors (a state store that cannot be read …): said, not a traceback
    st.error(md_text(str(exc)))
