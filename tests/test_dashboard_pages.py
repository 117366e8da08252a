"""Every dashboard page under every role, the denials, log-in, goals and reviews, ties edits, the report.

AppTest runs the real app on the demo warehouse (built once for this module). Access is checked twice: through
the pages (a URL naming someone else's executive) and straight on data.py / store.py, which is where it is
enforced.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access, charts, data, frame, layout, report, store
from dashboard.frame import Filters
from dashboard.goals import progress, sentence, stuck_flags
from influence import users
from influence.config import load_config
from influence.demo import load_demo
from influence.errors import InfluenceError
from influence.users import User
from pipeline.build import build_warehouse

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
SPECIAL_NAME = "Percy 100%_Fan \\ of Ada"
HOSTILE = "<script>alert('x')</script> **bold** [click](javascript:alert(1)) :red[boo] $x^2$"

ADA = User("ada", "executive", exec_id="ada")
BEN = User("ben", "executive", exec_id="ben")
MARIA = User("maria", "mentor", mentor_id="maria")
ADMIN = User("root", "admin")
ROLES = {"executive": ADA, "mentor": MARIA, "admin": ADMIN}

EXEC_PAGES = {"views/overview.py": None, "views/thought_leadership.py": "Thought leadership",
              "views/spheres.py": "Spheres", "views/chains.py": "Chains", "views/ties.py": "Ties",
              "views/goals.py": "Goals and reviews", "views/report.py": "Report"}
MENTOR_PAGES = {"views/cohort.py": "Cohort", **EXEC_PAGES}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("dashboard-pages")
    cfg_path, _ = load_demo(data_dir)
    build_warehouse(load_config(cfg_path), data_dir)
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    # the post that drew the most people now carries text written to break a page (posts is a view over
    # int_own_posts: the text is changed where it is stored)
    con.execute(
        """update int_own_posts set text = ? where exec_id = 'ada' and post_id = (
               select post_id from engagements where exec_id = 'ada' and post_id in (
                   select post_id from posts where exec_id = 'ada' and kind = 'original'
                   and created_at >= timestamptz '2026-10-01 00:00:00+00')
               group by post_id order by count(distinct person_id) desc, post_id limit 1)""", [HOSTILE]).fetchall()
    # one account around Ada is named with the characters a search pattern treats specially (the ties page's search
    # takes them literally)
    con.execute("""update accounts set display_name = ? where (platform, account_id) = (
                       select (platform, account_id) from accounts where person_id in (
                           select person_id from engagements where exec_id = 'ada')
                       order by platform, account_id limit 1)""", [SPECIAL_NAME]).fetchall()
    con.close()
    cfg = load_config(cfg_path)
    users.add_user(data_dir, "maria", "mentor", "maria-password", mentor_id="maria", config=cfg)
    users.add_user(data_dir, "ada", "executive", "ada-password", exec_id="ada", config=cfg)
    return data_dir


@pytest.fixture
def env(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.DATA_ENV, str(demo_dir))
    monkeypatch.delenv("INFLUENCE_CONFIG", raising=False)
    monkeypatch.chdir(demo_dir)  # no ./influence.toml here: the demo's config in the data dir is used
    return demo_dir


def app(user: User | None, query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query or {})
    if user is not None:
        at.session_state["auth_user"] = user
        at.session_state["auth_seen"] = time.time()
    at.run()
    if page and not at.exception:
        at.switch_page(page).run()
    return at


def all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error")
             for e in at.get(kind)]
    parts += [m.label + " " + m.value for m in at.metric]
    return "\n".join(str(p) for p in parts)


# --- every page, every role ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_renders_for_every_role(env: Path, role: str) -> None:
    user = ROLES[role]
    pages = MENTOR_PAGES if access.is_mentor_view(user) else EXEC_PAGES
    for page, title in pages.items():
        at = app(user, {"exec": "ada"}, page)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        assert [t.value for t in at.title] == [title or "Ada Lindqvist"], page
        # every chart on every page has a caption saying what it counts
        assert len(at.caption) >= len(at.get("vega_lite_chart")), page


def test_the_executive_has_no_cohort_page(env: Path) -> None:
    at = app(ADA, {"exec": "ada"})
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/cohort.py")
    assert [t.value for t in at.title] == ["Ada Lindqvist"]  # the executive's default page is their overview


@pytest.mark.parametrize("page", list(EXEC_PAGES))
def test_an_executive_cannot_open_another_executives_page_by_url(env: Path, page: str) -> None:
    at = app(BEN, {"exec": "ada"}, page)
    assert not at.exception, at.exception
    assert at.query_params["exec"] == "ben"
    assert at.selectbox(key="exec_picker").options == ["Ben Okafor"]
    text = all_text(at)
    assert "Ada Lindqvist" not in text
    landing = app(BEN, {"exec": "ada"})  # the run that read the link says why it shows someone else
    assert any("may not see the executive in this link" in w.value for w in landing.warning)


def test_a_mentor_sees_only_their_mentees(env: Path) -> None:
    at = app(MARIA, {"exec": "chloe"}, "views/overview.py")
    assert not at.exception, at.exception
    assert at.selectbox(key="exec_picker").options == ["Ada Lindqvist", "Ben Okafor"]
    assert [t.value for t in at.title] == ["Ada Lindqvist"]
    assert any("may not see" in w.value for w in app(MARIA, {"exec": "chloe"}).warning)
    assert "Chloé" not in all_text(at)
    cohort = app(MARIA, page="views/cohort.py")
    shown = cohort.dataframe[0].value
    assert list(shown["executive"]) == ["Ada Lindqvist", "Ben Okafor"]


def test_the_admin_sees_everyone(env: Path) -> None:
    at = app(ADMIN, {"exec": "chloe"}, "views/overview.py")
    assert [t.value for t in at.title] == ["Chloé Martin"]
    assert at.selectbox(key="exec_picker").options == ["Ada Lindqvist", "Ben Okafor", "Chloé Martin"]


# --- the data layer enforces it ----------------------------------------------------------------------------------

def _per_executive_functions(module) -> list:
    out = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ != module.__name__ or name.startswith("_"):
            continue
        params = list(inspect.signature(fn).parameters)
        if params[:2] == ["user", "exec_id"]:
            out.append(fn)
    return out


def _call(fn, user, exec_id):
    extra = {"platforms": ["mastodon"], "since": None, "sphere_id": "1", "root_post_id": "x", "platform": "mastodon",
             "metric": "step", "target": 3, "due": dt.date(2027, 1, 1), "review_date": dt.date(2026, 1, 1),
             "note": "n", "rows": [], "goal_id": 1, "a": ("mastodon", "x"), "b": ("mastodon", "y"),
             "account": ("mastodon", "x"), "accounts": [("mastodon", "x")]}
    params = list(inspect.signature(fn).parameters)[2:]
    return fn(user, exec_id, **{p: extra[p] for p in params if p in extra})


def test_every_data_and_store_function_refuses_an_executive_the_user_may_not_see(env: Path) -> None:
    functions = _per_executive_functions(data) + _per_executive_functions(store)
    assert len(functions) >= 25, [f.__name__ for f in functions]
    for fn in functions:
        for user, exec_id in ((BEN, "ada"), (MARIA, "chloe"), (None, "ada"), (ADA, "ada' or 1=1 --"),
                              (ADA, ["ada"])):
            with pytest.raises(access.AccessDenied):
                _call(fn, user, exec_id)
    # and the same functions answer for a user who may see that executive
    assert data.weekly_reach(ADA, "ada").height > 0
    assert data.weekly_reach(MARIA, "ben").height > 0
    assert data.cohort(MARIA)["exec_id"].to_list() == ["ada", "ben"]
    assert data.cohort(ADA)["exec_id"].to_list() == ["ada"]
    assert data.executives(BEN)["exec_id"].to_list() == ["ben"]
    assert data.executives(None).is_empty()


def test_an_unknown_role_or_unbound_user_sees_nothing() -> None:
    assert access.visible_exec_ids(User("x", "executive", exec_id=None), ["ada"], []) == []
    assert access.visible_exec_ids(User("x", "mentor", mentor_id="nobody"), ["ada"], [("maria", "ada")]) == []
    assert access.visible_exec_ids(User("x", "guest"), ["ada"], []) == []
    with pytest.raises(access.AccessDenied):
        access.require(User("x", "admin"), None, ["ada"])


def test_only_mentors_and_admins_write_goals_and_reviews(env: Path) -> None:
    with pytest.raises(access.AccessDenied):
        store.add_goal(ADA, "ada", "step", 4, dt.date(2027, 1, 1))
    with pytest.raises(access.AccessDenied):
        store.add_review(ADA, "ada", dt.date(2026, 1, 1), "my own review")
    with pytest.raises(access.AccessDenied):
        store.retire_goal(ADA, "ada", 1)


def _around(data_dir: Path, exec_id: str) -> pl.DataFrame:
    """The accounts of the people around an executive (engagers, ties, followers), worked out again from the marts
    by person id, with the three texts a search looks in."""
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql("""
            select platform, account_id, display_name, handle from accounts where person_id in (
                select person_id from engagements where exec_id = $1
                union select person_id from ties where exec_id = $1
                union select person_id from followers where exec_id = $1)
        """, params=[exec_id]).pl()
    finally:
        con.close()


def _sorted_by_name(accounts: pl.DataFrame) -> list[tuple[str, str]]:
    rows = accounts.rows(named=True)
    name = [r["display_name"] if r["display_name"] is not None else r["handle"] for r in rows]
    order = sorted(range(len(rows)), key=lambda i: (name[i] is None, name[i] or "", rows[i]["platform"],
                                                    rows[i]["account_id"]))  # no name at all: last
    rows = [rows[i] for i in order]
    return [(r["platform"], r["account_id"]) for r in rows]


def _keys(accounts: pl.DataFrame) -> list[tuple[str, str]]:
    return list(zip(accounts["platform"].to_list(), accounts["account_id"].to_list(), strict=True))


def test_the_account_search_finds_by_name_handle_or_id_among_the_people_around(env: Path) -> None:
    around = _around(env, "ada")
    everyone = data.find_accounts(ADA, "ada", "", limit=1_000_000)
    assert everyone.height == around.height > data.FOUND_LIMIT // 10
    assert _keys(everyone) == _sorted_by_name(around)
    assert _keys(data.find_accounts(ADA, "ada", "", limit=3)) == _sorted_by_name(around)[:3]
    # a name's middle in another case; a handle's; an account id's: every account whose text holds it, none else
    named = around.filter(pl.col("display_name").str.len_chars() >= 4, pl.col("handle").is_not_null())
    terms = [t for r in named.sort("platform", "account_id").head(20).iter_rows(named=True)
             for t in (r["display_name"][1:4].upper(), r["handle"][-7:-2], r["account_id"][-8:-2])]
    for term in terms:
        hit = around.filter(pl.any_horizontal(
            pl.col(c).fill_null("").str.to_lowercase().str.contains(term.lower(), literal=True)
            for c in ("display_name", "handle", "account_id")))
        found = data.find_accounts(ADA, "ada", f"  {term} ", limit=1_000_000)
        assert 0 < found.height < around.height
        assert _keys(found) == _sorted_by_name(hit), term
    # % and _ are the user's characters, not wildcards
    for term in ("%", "_", "\\"):
        holding = [k for k, r in zip(_keys(around), around.rows(named=True), strict=True)
                   if any(term in (r[c] or "") for c in ("display_name", "handle", "account_id"))]
        assert sorted(_keys(data.find_accounts(ADA, "ada", term, limit=1_000_000))) == sorted(holding)
        assert 0 < len(holding) < around.height
    # someone around Ben alone is not found for Ada, however they are named
    outsider = data.find_accounts(BEN, "ben", "", limit=1_000_000).join(around, on=["platform", "account_id"],
                                                                        how="anti").row(0, named=True)
    assert data.find_accounts(ADA, "ada", outsider["account_id"]).is_empty()
    with pytest.raises(access.AccessDenied):
        data.find_accounts(BEN, "ada", "")


def test_merge_and_split_only_name_accounts_around_that_executive(env: Path) -> None:
    ada_accounts = data.find_accounts(ADA, "ada", "", limit=1_000_000)
    ben_only = data.find_accounts(BEN, "ben", "", limit=1_000_000).join(ada_accounts, on=["platform", "account_id"],
                                                                        how="anti")
    a, b = ada_accounts.row(0, named=True), ada_accounts.row(1, named=True)
    outsider = ben_only.row(0, named=True)
    ka, kb, ko = ((r["platform"], r["account_id"]) for r in (a, b, outsider))
    assert data.accounts_around(ADA, "ada", [ka, kb, ko, ("mastodon", "nobody@nowhere.example")]) == {ka, kb}
    assert data.accounts_around(ADA, "ada", []) == set()
    store.merge(MARIA, "ada", ka, kb, "same person")
    store.split(ADA, "ada", ka, "not the same after all")
    store.split(BEN, "ben", ko, "Ben's own decision")
    decisions = store.decisions(ADA, "ada")
    assert decisions["action"].to_list()[-2:] == ["merge", "split"]
    assert decisions["decided_by"].to_list()[-1] == "dashboard:ada"
    assert ko[1] not in decisions["account_a"].to_list()  # Ben's decision names nobody around Ada
    assert store.decisions(BEN, "ben")["account_a"].to_list()[-1] == ko[1]
    # a decision already in effect is not saved twice (a second click); one that changes something is
    with pytest.raises(InfluenceError, match="split is already saved"):
        store.split(ADA, "ada", ka, "again")
    store.merge(ADA, "ada", kb, ka, "the same after all")  # the latest naming them was the split
    with pytest.raises(InfluenceError, match="merge is already saved"):
        store.merge(ADA, "ada", ka, kb)  # either way round
    assert store.decisions(ADA, "ada")["action"].to_list()[-3:] == ["merge", "split", "merge"]
    with pytest.raises(access.AccessDenied):
        store.split(ADA, "ada", ko)


def test_the_ties_page_finds_accounts_as_the_user_types_and_merges_them(env: Path) -> None:
    around = _sorted_by_name(_around(env, "ada"))
    at = app(ADA, {"exec": "ada"}, "views/ties.py")
    assert not at.exception
    # unsearched: the first by name, and a caption saying how to find the others
    assert at.selectbox(key="merge_a").options and len(at.selectbox(key="merge_a").options) == min(
        len(around), data.FOUND_LIMIT)
    target = data.find_accounts(ADA, "ada", "", limit=1_000_000).row(-1, named=True)  # last by name: not offered
    term = target["account_id"]
    at.text_input(key="merge_a_find").input(term).run()
    options = at.selectbox(key="merge_a").options
    assert len(options) == data.find_accounts(ADA, "ada", term).height >= 1
    at.selectbox(key="merge_a").select(f"{target['platform']}\t{target['account_id']}").run()
    other = data.find_accounts(ADA, "ada", "", limit=1).row(0, named=True)  # offered unsearched
    at.selectbox(key="merge_b").select(f"{other['platform']}\t{other['account_id']}").run()
    before = store.decisions(ADA, "ada").height
    at.button(key="merge").click().run()
    assert any("Merge saved" in s.value for s in at.success)
    made = store.decisions(ADA, "ada").row(-1, named=True)
    assert store.decisions(ADA, "ada").height == before + 1
    assert (made["action"], made["account_a"], made["account_b"]) == ("merge", target["account_id"],
                                                                      other["account_id"])
    at.button(key="merge").click().run()  # a second click: already saved, not saved again
    assert any("already saved" in e.value for e in at.error)
    assert store.decisions(ADA, "ada").height == before + 1
    at.text_input(key="merge_b_find").input("no such text anywhere").run()
    assert not at.exception  # the chosen account is no longer offered: the choice is dropped, nothing breaks
    assert not at.selectbox(key="merge_b").options and at.selectbox(key="merge_b").value is None
    assert any("no such text anywhere" in c.value for c in at.caption)
    at.button(key="merge").click().run()
    assert any("Choose two accounts" in e.value for e in at.error)


# --- log-in, sessions, rate limit --------------------------------------------------------------------------------

def _log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run() if not at.get("form_submit_button") else \
        at.get("form_submit_button")[0].click().run()


def test_nobody_sees_anything_before_logging_in(env: Path) -> None:
    at = app(None, {"exec": "ada"})
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Influence tracker"]
    assert not at.metric and not at.dataframe
    assert at.text_input(key="login_password").proto.type == at.text_input(key="login_password").proto.PASSWORD


def test_log_in_as_a_mentor_then_out(env: Path) -> None:
    at = app(None)
    at = _log_in(at, "Maria", "wrong password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    at = _log_in(at, "Maria", "maria-password")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Cohort"]
    assert at.session_state["auth_user"] == MARIA
    at.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["Influence tracker"]


def test_an_idle_session_expires(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFLUENCE_SESSION_IDLE_HOURS", "1")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["auth_user"] = MARIA
    at.session_state["auth_seen"] = time.time() - 2 * 3600
    at.run()
    assert [t.value for t in at.title] == ["Influence tracker"]
    assert any("expired" in i.value for i in at.info)


def test_failed_log_ins_are_rate_limited_per_user_name_across_sessions(env: Path) -> None:
    for _ in range(users.MAX_FAILURES):
        _log_in(app(None), "ada", "not her password")  # a new session each time
    at = _log_in(app(None), "ada", "ada-password")
    assert "too many failed log-ins" in at.error[0].value.lower()
    assert "auth_user" not in at.session_state
    # another name is not affected
    at = _log_in(app(None), "maria", "maria-password")
    assert [t.value for t in at.title] == ["Cohort"]


# --- cohort, goals and reviews, ties, report -----------------------------------------------------------------------

def test_cohort_clicks_through_to_an_executive(env: Path) -> None:
    at = app(MARIA, page="views/cohort.py")
    cohort = at.dataframe[0].value
    assert set(cohort.columns) >= {"executive", "step", "digital-only (90 d)", "trend (26 weeks)", "goals on track",
                                   "last post", "stuck?"}
    ben = cohort[cohort["executive"] == "Ben Okafor"].iloc[0]
    assert "step 3 since" in ben["stuck?"]
    at.button(key="open_ben").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Ben Okafor"]
    assert at.query_params["exec"] == "ben"


def test_goals_and_reviews_with_figures_frozen_at_each_review(env: Path) -> None:
    at = app(MARIA, {"exec": "ben"}, "views/goals.py")
    at.selectbox(key="goal_metric").select("digital_only_30d")
    at.number_input(key="goal_target").set_value(40)
    at.date_input(key="goal_due").set_value(dt.date(2027, 3, 31))
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    assert any("40 digital-only engagers a month by 2027-03-31" in m.value.replace("\\", "") for m in at.markdown)
    at.text_area(key="review_note").input(f"First review. {HOSTILE}")
    at.get("form_submit_button")[1].click().run()
    first = store.reviews(MARIA, "ben")[0]
    assert first["snapshot"]["figures"]["step"] == data.goal_figures(MARIA, "ben")["step"]
    assert first["snapshot"]["goals"][0]["metric"] == "digital_only_30d"
    # the executive reads them, cannot write them
    ben = app(BEN, {"exec": "ben"}, "views/goals.py")
    assert not ben.get("form_submit_button")
    notes = [m.value for m in ben.markdown]
    assert any("First review" in n for n in notes)
    assert not any("<script>" in n for n in notes)  # shown as text: every bracket escaped
    assert any(r"\<script\>" in n for n in notes)


def test_review_shows_the_change_since_the_review_before(env: Path) -> None:
    s = store.state()
    s.add_review("ada", "2026-01-01", "older", author="maria",
                 snapshot='{"frozen_at": "2026-01-01T00:00:00", "figures": {"step": 3, "people_90d": 100}, "goals": []}')
    s.add_review("ada", "2026-02-01", "newer", author="maria",
                 snapshot='{"frozen_at": "2026-02-01T00:00:00", "figures": {"step": 4, "people_90d": 90}, "goals": []}')
    at = app(MARIA, {"exec": "ada"}, "views/goals.py")
    captions = [c.value for c in at.caption]
    assert any("Ladder step: 4 (+1 since the review before)" in c and "People reached over 90 days: 90 (−10 since"
               in c for c in captions)


def test_goal_progress_in_the_models_terms() -> None:
    goal = {"metric": "digital_only_30d", "target": 40, "start_value": 20, "set_at": "2026-01-01", "due": "2026-12-31"}
    assert sentence("digital_only_30d", 40, "2027-03-31") == "40 digital-only engagers a month by 2027-03-31"
    assert sentence("digital_share_90d", 0.5, "2027-03-31") == "50% of engagers digital-only over 90 days by 2027-03-31"
    mid = dt.date(2026, 7, 2)
    assert progress(goal, 31, mid)["status"] == "on track"
    assert progress(goal, 25, mid)["status"] == "off track"
    assert progress(goal, 40, mid)["status"] == "met"
    assert progress(goal, 25, dt.date(2027, 1, 5))["status"] == "overdue"
    assert progress(goal, None, mid)["status"] == "not available"
    row = {"as_of": dt.date(2026, 10, 26), "step": 3, "step_since": dt.date(2026, 1, 5), "digital_only": 4,
           "prev_digital_only": 9, "last_post": dt.datetime(2026, 8, 1, tzinfo=dt.UTC)}
    assert stuck_flags(row, ["off track", "met"]) == ["step 3 since 05 Jan 2026", "digital-only reach falling",
                                                      "no post in 30 days", "1 goal off track"]


def test_ties_register_edits_are_saved_for_the_next_build(env: Path) -> None:
    before = store.ties_frame(ADA, "ada")
    rows = before.to_dicts()
    rows[0]["ring"] = "met_in_person"
    rows.append({"name": "New Person", "ring": "organisation", "mastodon": "@new@example.social"})
    path, n = store.save_ties(ADA, "ada", rows)
    assert n == before.height + 1
    after = store.ties_frame(ADA, "ada")
    assert after["ring"][0] == "met_in_person"
    assert after.filter(pl.col("name") == "New Person")["mastodon"].to_list() == ["new@example.social"]
    assert path == store.register_path(ADA, "ada")
    rows.append({"name": "Bad Ring", "ring": "best_friend"})
    with pytest.raises(Exception, match="line") as exc:
        store.save_ties(ADA, "ada", rows)
    assert "best_friend" in str(exc.value)
    assert store.ties_frame(ADA, "ada").height == after.height  # a refused edit leaves the file as it was
    with pytest.raises(access.AccessDenied):
        store.save_ties(BEN, "ada", rows)
    # the page itself: the register is shown in the editor and saves
    at = app(ADA, {"exec": "ada"}, "views/ties.py")
    assert at.get("arrow_data_editor") or at.dataframe
    at.button(key="save_ties").click().run()
    assert any("Saved" in s.value for s in at.success)


def test_without_a_config_the_register_is_the_one_the_build_read(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warehouse names a register in the data dir relative to it (pipeline/seeds.py): found in this data dir."""
    expected = store.register_path(ADA, "ada")  # from the config
    con = duckdb.connect(str(env / "warehouse.duckdb"), read_only=True)
    try:
        (source,) = con.execute("select distinct source from cfg_ties where exec_id = 'ada'").fetchone()
    finally:
        con.close()
    assert not Path(source).is_absolute() and expected.is_file()
    monkeypatch.setattr(store, "config", lambda: None)
    assert store.register_path(ADA, "ada").resolve() == expected.resolve()


def test_text_from_the_internet_renders_harmlessly(env: Path) -> None:
    overview = app(ADA, {"exec": "ada"}, "views/overview.py")
    for element in [*overview.markdown, *overview.caption, *overview.info]:
        assert "<script>" not in element.value
        assert "**bold**" not in element.value
    assert any(r"\<script\>" in m.value for m in overview.markdown)  # the post is quoted, escaped
    tl = app(ADA, {"exec": "ada"}, "views/thought_leadership.py")
    cells = [str(v) for df in tl.dataframe for v in df.value.get("post", [])]
    assert any(c.startswith("<script>") for c in cells)  # a table cell holds it as plain text


def test_the_report_is_self_contained_html(env: Path) -> None:
    filters = Filters("26w", 26, ("blog", "bluesky", "mastodon"), ("blog", "bluesky", "mastodon"))
    html = report.build(ADA, "ada", filters)
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2
    lowered = html.lower()
    assert "<script" not in lowered and " src=" not in lowered and "@import" not in lowered
    assert "&lt;script&gt;" in html
    assert "Ada Lindqvist" in html
    with pytest.raises(access.AccessDenied):
        report.build(BEN, "ada", filters)
    at = app(MARIA, {"exec": "ada", "period": "13w"}, "views/report.py")
    assert not at.exception, at.exception
    assert at.query_params["period"] == "13w"


def test_filters_are_kept_in_the_url(env: Path) -> None:
    at = app(ADA, {"exec": "ada", "period": "13w", "platforms": "bluesky"}, "views/thought_leadership.py")
    assert not at.exception, at.exception
    assert at.query_params["period"] == "13w" and at.query_params["platforms"] == "bluesky"
    assert "last 13 weeks, Bluesky" in at.caption[0].value
    platforms = {str(v) for df in at.dataframe for v in df.value.get("platform", [])}
    assert platforms <= {"Bluesky"}
    at.selectbox(key="period_picker").select("all").run()
    assert at.query_params["period"] == "all"
    bogus = app(ADA, {"exec": "ada", "period": "1000y", "platforms": "x;drop"}, "views/overview.py")
    assert not bogus.exception and bogus.query_params["period"] == "52w" and "platforms" not in bogus.query_params


def test_not_available_is_never_zero(env: Path) -> None:
    at = app(BEN, {"exec": "ben"}, "views/overview.py")
    values = {m.label: m.value for m in at.metric}
    assert values["In the public follower list"] == "not available"
    # LinkedIn posts carry no counts at all: the words say why
    table = pl.DataFrame({"platform": ["linkedin", "mastodon"], "created_at": [dt.datetime(2026, 1, 1)] * 2,
                          "text": ["a", "b"], "people": [0, 1], "digital_only": [0, 1], "replies_seen": [0, 0],
                          "shares_seen": [0, 0], "like_count": [None, 0], "reply_count": [None, 0],
                          "repost_count": [None, 0], "url": ["https://x", "javascript:alert(1)"]})
    from dashboard.tables import posts_table

    shown = posts_table(table)
    assert shown["likes"].to_list() == ["not in the LinkedIn archive", "0"]
    assert shown["link"].to_list() == ["https://x", None]  # only web links become links


def test_a_missing_mart_says_not_built_yet(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(env / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for table in ("spheres", "influences", "chains", "signals_weekly", "topics"):
        con.execute(f"drop table if exists {table}").fetchall()
    con.execute("drop view if exists sphere_members").fetchall()  # (a view of int_sphere_members)
    con.close()
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    for page in ("views/spheres.py", "views/chains.py", "views/thought_leadership.py", "views/overview.py"):
        at = app(ADMIN, {"exec": "ada"}, page)
        assert not at.exception, (page, at.exception)
        assert any("not built yet" in e.value.lower() for e in [*at.info, *at.markdown]), page


# --- pictures: pure functions --------------------------------------------------------------------------------

def test_the_spheres_page_says_the_week_they_are_as_of(env: Path) -> None:
    """The demo's spheres take in each executive's engagements through their last complete week (the default): the
    page says which."""
    con = duckdb.connect(str(env / "warehouse.duckdb"), read_only=True)
    try:
        (through,) = con.execute("select through_week from int_sphere_window where exec_id = 'ada'").fetchone()
        (latest,) = con.execute("select max(first_seen) from engagements").fetchone()
    finally:
        con.close()
    assert through is not None and through.weekday() == 0 and through + dt.timedelta(days=7) <= latest.date()
    sunday = through + dt.timedelta(days=6)
    at = app(ADMIN, {"exec": "ada"}, "views/spheres.py")
    assert not at.exception
    assert any(f"spheres as of the end of Sun {sunday.day} {sunday:%b %Y}" in c.value for c in at.caption), [
        c.value for c in at.caption]


def test_a_large_sphere_lists_its_most_engaged_and_downloads_everyone(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sphere of more people than the page lists (1,000; 3 here): the most engaged are shown, the caption says of
    how many, and the downloads are made of all of them when pressed."""
    monkeypatch.setattr(data, "SPHERE_PEOPLE_SHOWN", 3)
    spheres = data.spheres(ADMIN, "ada")
    first = spheres.row(0, named=True)
    assert first["people"] > 3
    everyone = data.sphere_people(ADMIN, "ada", first["sphere_id"], everyone=True)
    assert everyone.height == first["people"]
    at = app(ADMIN, {"exec": "ada"}, "views/spheres.py")
    assert not at.exception
    assert at.selectbox(key="sphere_pick").value == first["sphere_id"]
    people = at.dataframe[0].value
    assert people.shape[0] == 3
    assert list(people["engagements"]) == everyone["engagements"].head(3).to_list()
    assert any(f"The 3 most engaged of the sphere's {first['people']} people" in c.value for c in at.caption), [
        c.value for c in at.caption]
    # the downloads, given a function, call it only when pressed, and hold every row it returns
    pressed: dict[str, object] = {}

    class Row:
        def download_button(self, label: str, data: object, **_: object) -> None:
            pressed[label] = data

    monkeypatch.setattr(frame.st, "container", lambda **_: Row())
    calls: list[int] = []
    frame.downloads(lambda: calls.append(1) or everyone, "people", key="people")
    assert not calls and all(callable(d) for d in pressed.values())
    csv = pressed["Download CSV"]()
    assert pl.read_csv(io.BytesIO(csv)).height == everyone.height
    assert pl.read_parquet(io.BytesIO(pressed["Download Parquet"]())).equals(everyone)
    assert len(calls) == 2


def test_sphere_layout_is_deterministic_and_the_map_is_clickable() -> None:
    spheres = pl.DataFrame({"sphere_id": ["1", "2", "3"], "label": ["a", "b", "c"], "people": [10, 5, 2],
                            "digital_only_share": [0.5, 0.9, None], "growth_90d": [0.1, None, 0.0]})
    links = pl.DataFrame({"source": ["1", "1"], "target": ["2", "3"], "shared_posts": [4, 1]})
    one, two = layout.sphere_positions(spheres, links), layout.sphere_positions(spheres, links)
    assert one.equals(two)
    spec = charts.sphere_map(one, links, "2").to_dict()
    params = spec["params"]  # Altair lifts a layer's selection to the top level
    assert params[0]["name"] == "sphere" and params[0]["select"]["fields"] == ["sphere_id"]
    assert params[0]["value"] == [{"sphere_id": "2"}]
    assert spec["title"]["text"] == charts.SPHERES_TITLE


def test_tree_layout_centres_parents_over_their_children() -> None:
    pos = layout.tree_positions([("r", None), ("a", "r"), ("b", "r"), ("c", "a"), ("d", "a")])
    assert pos["r"][0] == 0 and pos["c"][0] == 2
    assert pos["a"][1] == (pos["c"][1] + pos["d"][1]) / 2


# Run in a process whose local time zone is far from UTC (and in one that is UTC): what the dashboard works out
# itself must be bucketed as the model buckets, in UTC ISO weeks and UTC days and months (README, "The warehouse").
TZ_PROBE = """
import json
from dashboard import data
from influence.users import User
ada = User("ada", "executive", exec_id="ada")
every = data.platforms(ada, "ada")
print(json.dumps({
    "mart": data.weekly_reach(ada, "ada").rows(),
    "every_platform": data.weekly_reach(ada, "ada", every).rows(),
    "one_platform": data.weekly_reach(ada, "ada", every[:1]).rows(),
    "months": data.new_people_monthly(ada, "ada").rows(),
    "last": data.last_activity(ada, "ada"),
}, default=str))
"""


def _probe_in_zone(data_dir: Path, zone: str) -> dict:
    env = {**os.environ, "TZ": zone, data.DATA_ENV: str(data_dir)}
    env.pop("INFLUENCE_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", TZ_PROBE], cwd=data_dir, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_weeks_and_months_the_dashboard_works_out_are_utc_whatever_the_local_zone(env: Path) -> None:
    auckland, utc = _probe_in_zone(env, "Pacific/Auckland"), _probe_in_zone(env, "UTC")
    assert len(auckland["mart"]) > 0 and len(auckland["months"]) > 0
    # the subset that holds every platform is the mart, bucket for bucket
    assert auckland["every_platform"] == auckland["mart"]
    assert auckland == utc
