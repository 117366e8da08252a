"""The frame around every page: log-in and session expiry, the executive picker and the filters.

The executive (`?exec=ada`), the period (`?period=26w`) and the platforms (`?platforms=bluesky,mastodon`) are kept
in the URL so a view can be shared; a shared link still only shows what the person opening it may see (data.py
checks every executive id it is given against the logged-in user).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard import data
from dashboard import format as fmt
from influence import users
from influence.errors import StoreError
from influence.users import LoginLocked, LoginRefused, User

EXEC_PARAM = "exec"        # the query parameter
EXEC_KEY = "exec_picker"   # the widget's session-state key
PERIOD_PARAM, PERIOD_KEY = "period", "period_picker"
PLATFORMS_PARAM, PLATFORMS_KEY = "platforms", "platforms_picker"
USER_KEY, SEEN_KEY = "auth_user", "auth_seen"
IDLE_ENV = "INFLUENCE_SESSION_IDLE_HOURS"
DEFAULT_IDLE_HOURS = 8.0

PERIODS = {"13w": ("Last 13 weeks", 13), "26w": ("Last 26 weeks", 26), "52w": ("Last 52 weeks", 52),
           "all": ("All time", None)}
DEFAULT_PERIOD = "52w"


# --- log-in ----------------------------------------------------------------------------------------------------

def idle_limit_s() -> float:
    try:
        return float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE_HOURS) * 3600
    except ValueError:
        return DEFAULT_IDLE_HOURS * 3600


def _oidc_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section (Streamlit's OpenID Connect log-in)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answering False
        return False


def _oidc_user() -> User | None:
    if not _oidc_configured() or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    return users.get_user(data.data_dir(), email) if email else None


def current_user() -> User | None:
    """The logged-in user, or None when nobody is (or the session sat idle too long)."""
    user = st.session_state.get(USER_KEY)
    if user is not None and time.time() - st.session_state.get(SEEN_KEY, 0.0) > idle_limit_s():
        log_out(expired=True)
        user = None
    if user is None:
        user = _oidc_user()
        if user is not None:
            st.session_state[USER_KEY] = user
    if user is not None:
        st.session_state[SEEN_KEY] = time.time()
    return user


def log_out(*, expired: bool = False) -> None:
    for key in (USER_KEY, SEEN_KEY, EXEC_KEY):
        st.session_state.pop(key, None)
    st.session_state["auth_expired"] = expired


def login_page() -> None:
    """The log-in form; on success the script reruns with the user in the session."""
    box = st.container(width=480)
    box.title("Influence tracker", anchor=False)
    if st.session_state.get("auth_expired"):
        box.info("Your session expired after a while without activity: please log in again.")
    if _oidc_configured():
        box.button("Log in with your organisation's account", on_click=st.login, type="primary")
        if st.user.is_logged_in:
            box.error("This account has no access to the dashboard: ask an admin to add it "
                     "(`influence users add EMAIL --no-password …`).")
        box.caption("Or with a user name and password:")
    with box.form("login"):
        name = st.text_input("User name", key="login_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            user = users.authenticate(data.data_dir(), name, password)
        except LoginLocked as exc:
            box.error(f"{exc.message[:1].upper()}{exc.message[1:]}.")
        except LoginRefused:
            box.error("Wrong user name or password.")
        except StoreError as exc:  # every attempt is recorded for the lock-out: one that cannot be is refused
            box.error(fmt.md_text(f"you were not logged in, as the attempt could not be recorded: {exc}"))
        else:
            st.session_state[USER_KEY] = user
            st.session_state[SEEN_KEY] = time.time()
            st.session_state["auth_expired"] = False
            st.rerun()


def sidebar_user(user: User) -> None:
    with st.sidebar:
        role = user.role if user.role != "mentor" else f"mentor ({fmt.md_text(data.mentor_name(user.mentor_id))})"
        st.caption(f"Logged in as **{fmt.md_text(user.name)}**, {role}")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            log_out()
            if _oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()


def user() -> User:
    """The logged-in user (app.py stops the script before any page when there is none)."""
    return st.session_state[USER_KEY]


# --- the executive ---------------------------------------------------------------------------------------------

def _to_url() -> None:
    st.query_params[EXEC_PARAM] = st.session_state[EXEC_KEY]


def pick_executive(executives: pl.DataFrame) -> str:
    """The sidebar picker over the executives this user may see; a valid `?exec=` wins, then the session's last
    choice, then the first. An id the user may not see is refused with a warning, never shown."""
    ids = executives["exec_id"].to_list()
    names = dict(zip(ids, executives["name"].to_list(), strict=True))
    wanted = st.query_params.get(EXEC_PARAM)
    if wanted in names:
        st.session_state[EXEC_KEY] = wanted
    else:
        if wanted:
            st.warning(f"You may not see the executive in this link ({fmt.md_text(wanted)}): showing "
                       "someone you may see instead.", icon=":material/lock:")
        if st.session_state.get(EXEC_KEY) not in names:
            st.session_state[EXEC_KEY] = ids[0]
    chosen = st.sidebar.selectbox(
        "Executive", ids, key=EXEC_KEY, format_func=lambda exec_id: names.get(exec_id) or exec_id,
        on_change=_to_url, disabled=len(ids) == 1,
    )
    st.query_params[EXEC_PARAM] = chosen
    return chosen


def current_executive() -> str:
    """The executive chosen in the frame (app.py runs the picker before any page)."""
    return st.session_state[EXEC_KEY]


# --- filters ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    period: str
    weeks: int | None
    platforms: tuple[str, ...]      # the chosen ones
    available: tuple[str, ...]      # all the executive has

    @property
    def all_platforms(self) -> bool:
        return set(self.platforms) >= set(self.available)

    @property
    def platform_subset(self) -> list[str] | None:
        """None when every platform is chosen (the model's cross-platform marts apply)."""
        return None if self.all_platforms else list(self.platforms)

    def since(self, last_week: date | None) -> date | None:
        if self.weeks is None or last_week is None:
            return None
        return last_week - timedelta(weeks=self.weeks - 1)

    def describe(self) -> str:
        label = PERIODS[self.period][0].lower()
        where = "all platforms" if self.all_platforms else ", ".join(fmt.platform(p) for p in self.platforms)
        return f"{label}, {where}"


def _period_to_url() -> None:
    st.query_params[PERIOD_PARAM] = st.session_state[PERIOD_KEY]


def _platforms_to_url() -> None:
    st.query_params[PLATFORMS_PARAM] = ",".join(st.session_state[PLATFORMS_KEY])


def filters(available: list[str]) -> Filters:
    """Period and platforms in the sidebar, read from and written to the URL."""
    wanted = st.query_params.get(PERIOD_PARAM)
    if wanted in PERIODS:
        st.session_state[PERIOD_KEY] = wanted
    elif st.session_state.get(PERIOD_KEY) not in PERIODS:
        st.session_state[PERIOD_KEY] = DEFAULT_PERIOD
    period = st.sidebar.selectbox("Period", list(PERIODS), key=PERIOD_KEY, format_func=lambda p: PERIODS[p][0],
                                  on_change=_period_to_url)
    st.query_params[PERIOD_PARAM] = period

    raw = st.query_params.get(PLATFORMS_PARAM)
    if raw is not None:
        chosen = [p for p in raw.split(",") if p in available]
        st.session_state[PLATFORMS_KEY] = chosen or list(available)
    elif not set(st.session_state.get(PLATFORMS_KEY) or []) <= set(available) or not st.session_state.get(
            PLATFORMS_KEY):
        st.session_state[PLATFORMS_KEY] = list(available)
    else:
        st.session_state[PLATFORMS_KEY] = [p for p in st.session_state[PLATFORMS_KEY] if p in available]
    platforms = st.sidebar.multiselect("Platforms", available, key=PLATFORMS_KEY, format_func=fmt.platform,
                                       on_change=_platforms_to_url)
    platforms = platforms or list(available)
    if set(platforms) >= set(available):
        st.query_params.pop(PLATFORMS_PARAM, None)
    else:
        st.query_params[PLATFORMS_PARAM] = ",".join(platforms)
    return Filters(period, PERIODS[period][1], tuple(platforms), tuple(available))


def current_filters() -> Filters:
    """The filters chosen in the frame (app.py sets them before any page)."""
    return st.session_state["filters"]


def downloads(table: pl.DataFrame | Callable[[], pl.DataFrame], name: str, *, key: str) -> None:
    """CSV and Parquet downloads of exactly the table a view shows; or, given a function, of the table it returns,
    made only when the button is pressed (a list longer than the page shows, e.g. every person of a sphere)."""
    import io

    def csv() -> bytes:
        return (table() if callable(table) else table).write_csv().encode("utf-8")

    def parquet() -> bytes:
        buf = io.BytesIO()
        (table() if callable(table) else table).write_parquet(buf)
        return buf.getvalue()

    row = st.container(horizontal=True)
    row.download_button("Download CSV", csv if callable(table) else csv(), file_name=f"{name}.csv",
                         mime="text/csv", key=f"{key}-csv", icon=":material/download:", on_click="ignore")
    row.download_button("Download Parquet", parquet if callable(table) else parquet(), file_name=f"{name}.parquet",
                        mime="application/vnd.apache.parquet", key=f"{key}-parquet",
                        icon=":material/download:", on_click="ignore")
