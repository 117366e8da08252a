"""The dashboard's first page, run with Streamlit's AppTest on the demo warehouse.

Every figure the page shows is checked against a number worked out here with independent SQL on the raw
`engagements` mart (not the `ladder`/`weekly_reach` marts the page reads).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, data
from dashboard.format import md_text
from influence.config import load_config
from influence.demo import load_demo
from influence.users import User
from pipeline.build import build_warehouse

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
ADMIN = User("admin", "admin")
WINDOW_WEEKS = 13  # the ladder's 90-day window in ISO weeks (ceil(90 / 7))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("dashboard-demo")
    cfg_path, _ = load_demo(data_dir)
    build_warehouse(load_config(cfg_path), data_dir)
    assert (data_dir / "warehouse.duckdb").exists()
    return data_dir


@pytest.fixture
def demo_env(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.DATA_ENV, str(demo_dir))
    return demo_dir


def _window(con: duckdb.DuckDBPyConnection, exec_id: str, end_week: dt.date) -> dict:
    """Distinct people, digital-only people and new people in the 13 ISO weeks ending `end_week`."""
    rows = con.execute(
        """
        with pw as (
            select person_id, ring, cast(date_trunc('week', engaged_at) as date) as week
            from engagements where exec_id = ?
        ),
        firsts as (select person_id, min(week) as first_week from pw group by person_id),
        inside as (select * from pw where week > cast(? as date) - 7 * ? and week <= cast(? as date))
        select
            count(distinct person_id),
            count(distinct person_id) filter (where ring = 'digital_only'),
            count(distinct person_id) filter (
                where person_id in (select person_id from firsts where first_week > cast(? as date) - 7 * ?))
        from inside
        """,
        [exec_id, end_week, WINDOW_WEEKS, end_week, end_week, WINDOW_WEEKS],
    ).fetchall()
    people, digital, new = rows[0]
    step = con.execute("select step from ladder where exec_id = ? and week = ?", [exec_id, end_week]).fetchall()
    return {"people": people, "digital": digital, "new": new, "share": digital / people if people else None,
            "step": step[0][0]}


def expected(warehouse: Path, exec_id: str) -> dict[str, dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        last = con.execute(
            "select max(cast(date_trunc('week', engaged_at) as date)) from engagements where exec_id = ?", [exec_id]
        ).fetchall()[0][0]
        return {"now": _window(con, exec_id, last),
                "before": _window(con, exec_id, last - dt.timedelta(weeks=WINDOW_WEEKS))}
    finally:
        con.close()


def shown_metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    """Label -> (value, delta) of the headline metrics (the first five on the page)."""
    return {m.label: (m.value, m.proto.delta or None) for m in list(at.metric)[:5]}


def expected_metrics(fig: dict[str, dict]) -> dict[str, tuple[str, str | None]]:
    now, before = fig["now"], fig["before"]

    def delta(a: int, b: int) -> str:
        return f"{a - b:+,}" if a != b else "0"

    points = round(100 * (now["share"] - before["share"]), 1)
    return {
        "People reached": (f"{now['people']:,}", delta(now["people"], before["people"])),
        "Digital-only people": (f"{now['digital']:,}", delta(now["digital"], before["digital"])),
        "Digital-only share": (f"{round(100 * now['share'])}%", f"{points:+.1f} pts" if points else "0"),
        "New people": (f"{now['new']:,}", delta(now["new"], before["new"])),
        "Ladder step": (f"{now['step']} of 4", delta(now["step"], before["step"])),
    }


def run_app(query: dict[str, str] | None = None, user: User | None = ADMIN,
            page: str = "views/overview.py") -> AppTest:
    """The app on `page` as `user` (logged in already: the log-in is tested in test_dashboard_pages.py)."""
    import time

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query or {})
    if user is not None:
        at.session_state["auth_user"] = user
        at.session_state["auth_seen"] = time.time()
    at.run()
    if at.exception or at.error or not page:
        return at
    return at.switch_page(page).run()


def test_overview_shows_the_executives_figures(demo_env: Path) -> None:
    at = run_app({"exec": "ada"})
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Ada Lindqvist"]
    assert shown_metrics(at) == expected_metrics(expected(demo_env / "warehouse.duckdb", "ada"))
    assert at.query_params["exec"] == "ada"
    # the current step and its reason sentence
    reason = duckdb.connect(str(demo_env / "warehouse.duckdb"), read_only=True).execute(
        "select reason from ladder where exec_id = 'ada' order by week desc limit 1").fetchall()[0][0]
    assert [i.value.replace("\\", "") for i in at.info] == [reason[:1].upper() + reason[1:]]
    assert any(s.value.startswith("Step 4 of 4") for s in at.subheader)
    # the stacked reach chart and the ladder chart, with captions saying what they count
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert [s["title"]["text"] for s in specs][:2] == [charts.REACH_TITLE, charts.LADDER_TITLE]
    assert any(c.value.startswith(charts.REACH_CAPTION) for c in at.caption)
    assert "beyond face-to-face ties" in charts.REACH_TITLE


def test_switching_executive_changes_figures_and_url(demo_env: Path) -> None:
    at = run_app({"exec": "ada"})
    ada = shown_metrics(at)
    at.selectbox(key="exec_picker").select("ben").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Ben Okafor"]
    ben = shown_metrics(at)
    assert ben != ada
    assert ben == expected_metrics(expected(demo_env / "warehouse.duckdb", "ben"))
    assert at.query_params["exec"] == "ben"


def test_executive_from_a_shared_link(demo_env: Path) -> None:
    at = run_app({"exec": "chloe"})
    assert not at.exception, at.exception
    assert at.selectbox(key="exec_picker").value == "chloe"
    assert shown_metrics(at) == expected_metrics(expected(demo_env / "warehouse.duckdb", "chloe"))


def test_unknown_executive_in_the_url_falls_back_to_the_first(demo_env: Path) -> None:
    at = run_app({"exec": "nobody' or 1=1 --"})
    assert not at.exception, at.exception
    assert at.query_params["exec"] == "ada"  # cfg order by name: Ada first
    assert "nobody" not in at.query_params["exec"]


def test_followers_where_public_and_not_available_where_hidden(demo_env: Path) -> None:
    ada = {m.label: m.value for m in list(run_app({"exec": "ada"}).metric)[7:]}
    con = duckdb.connect(str(demo_env / "warehouse.duckdb"), read_only=True)
    per_platform = {str(n) for (n,) in con.execute(
        "select count(*) from followers where exec_id = 'ada' and not hidden group by platform").fetchall()}
    profile = {f"{n:,}" for (n,) in con.execute(
        "select a.followers_count from accounts a join int_exec_accounts x using (platform, account_id) "
        "where x.exec_id = 'ben'").fetchall()}
    con.close()
    assert ada["In the public follower list"] in per_platform
    ben = run_app({"exec": "ben"})  # ben's Mastodon follower list is hidden
    followers = [(m.label, m.value) for m in list(ben.metric)[7:]]
    assert ("In the public follower list", "not available") in followers
    assert ("In the public follower list", "0") not in followers
    assert {v for label, v in followers if label == "Followers (profile)"} == profile


def test_missing_warehouse_says_how_to_build_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    at = run_app()
    assert not at.exception, at.exception
    assert len(at.error) == 1
    assert "run `influence demo` or `influence model`" in at.error[0].value
    assert not at.metric


# --- charts: pure functions, no Streamlit -----------------------------------------------------------------------

def test_reach_chart_stacks_weekly_engagers_by_ring() -> None:
    week = dt.date(2026, 1, 5)
    frame = pl.DataFrame({"week": [week] * 4, "ring": list(charts.RING_ORDER), "engagers": [1, 2, 3, 4],
                          "new_engagers": [0, 1, 1, 2]})
    spec = charts.reach_by_ring(frame).to_dict()
    enc = spec["encoding"]
    assert spec["mark"]["type"] == "bar"
    assert (enc["x"]["field"], enc["x"]["type"]) == ("week", "temporal")
    assert (enc["y"]["field"], enc["y"]["type"], enc["y"]["stack"]) == ("engagers", "quantitative", "zero")
    assert enc["color"]["field"] == "ring_label"
    assert enc["color"]["scale"]["domain"] == ["Team", "Organisation", "Met in person", "Digital only"]
    assert enc["order"]["field"] == "ring_order"
    assert "beyond face-to-face ties" in spec["title"]["text"]
    rows = next(iter(spec["datasets"].values()))
    assert sum(r["engagers"] for r in rows) == 10


def test_ladder_chart_is_a_step_line_from_1_to_4() -> None:
    frame = pl.DataFrame({"week": [dt.date(2026, 1, 5), dt.date(2026, 1, 12)], "step": [3, 4],
                          "reason": ["step 3 because …", "step 4 because …"]})
    spec = charts.ladder_steps(frame).to_dict()
    assert spec["mark"] == {"type": "line", "interpolate": "step-after", "point": False, "color": "#3f6fa8",
                            "strokeWidth": 2}
    assert spec["encoding"]["y"]["field"] == "step"
    assert spec["encoding"]["y"]["scale"]["domain"] == [1, 4]
    assert {t["field"] for t in spec["encoding"]["tooltip"]} == {"week", "step", "reason"}


# --- data.py ---------------------------------------------------------------------------------------------------

def test_values_reach_duckdb_as_parameters(demo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = "ada' or '1'='1"
    seen: list[tuple[str, tuple]] = []
    real_fetch = data.fetch

    def spy(con, sql, params=(), **kwargs):
        seen.append((sql, tuple(params)))
        return real_fetch(con, sql, params, **kwargs)

    monkeypatch.setattr(data, "fetch", spy)
    data._cached.clear()
    assert data.headline(ADMIN, "ada") is not None
    assert data.ladder(ADMIN, "ada").height > 0
    with pytest.raises(data.AccessDenied):  # an id no one may see never reaches a query about an executive
        data.ladder(ADMIN, hostile)
    assert data.query(data.LADDER_SQL, hostile).is_empty()
    assert seen, "data.py did not go through fetch()"
    for sql, params in seen:
        assert hostile not in sql and "'ada'" not in sql
        assert "?" in sql or not params  # the only queries without parameters list the config tables
    assert (hostile,) in [p for _, p in seen]
    # fetch itself: a value with quotes and a statement separator is just a value
    con = duckdb.connect()
    con.execute("create table t (x varchar)").fetchall()
    assert data.fetch(con, "select ? as x", ["x'; drop table t; --"])["x"].to_list() == ["x'; drop table t; --"]
    assert data.fetch(con, "select count(*) as n from t")["n"].to_list() == [0]


def _engages_again(con: duckdb.DuckDBPyConnection, where: str, params: list, order: str = "engagement_key") -> None:
    """The first engagement (by ``order``) of those ``where`` picks, made again by the same person as a repost (the
    demo has nobody engage one post twice)."""
    con.execute(f"""
        insert into int_engagements by name
        select * replace ('repost' as kind, engagement_key || ':again' as engagement_key,
                          hash(exec_id, platform, engagement_key || ':again') as key_hash)
        from int_engagements where {where} order by {order} limit 1""", params)


def test_a_spheres_people_posts_and_links_are_the_marts_counted_by_person(
        demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spheres page's queries join people by their keys; here each is worked out again in Python from the marts'
    rows by person id: every member of the largest sphere with their engagements, last engagement, name and ring;
    the posts most of its people engaged with (people, not engagements: one member here also reposts a post they
    liked, which the demo has nobody do); how many posts each pair of spheres shares."""
    shutil.copytree(demo_dir, tmp_path / "d")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "d"))
    con = duckdb.connect(str(tmp_path / "d" / "warehouse.duckdb"))
    try:
        exec_id = con.execute("select exec_id from spheres group by exec_id order by sum(people) desc, exec_id "
                              "limit 1").fetchone()[0]
        _engages_again(con, "exec_id = ? and person_key = (select min(person_key) from int_sphere_members "
                            "where exec_id = ? and sphere_id = 1)", [exec_id, exec_id])
        members = dict(con.execute("select person_id, cast(sphere_id as varchar) from sphere_members where exec_id = ?",
                                   [exec_id]).fetchall())
        engaged = con.execute("select person_id, engaged_at, post_id, platform from engagements where exec_id = ?",
                              [exec_id]).fetchall()
        names = dict(con.execute("select person_id, display_name from people").fetchall())
        rings = dict(con.execute("select person_id, ring from ties where exec_id = ?", [exec_id]).fetchall())
        own = {(p, i) for p, i in con.execute("select platform, post_id from posts where exec_id = ?",
                                               [exec_id]).fetchall()}
    finally:
        con.close()
    sphere = "1"
    people = {p for p, s in members.items() if s == sphere}
    twice = {(p, post) for p, _, post, _ in engaged if sum(1 for e in engaged if e[0] == p and e[2] == post) > 1}
    assert len(twice) == 1 and next(iter(twice))[0] in people
    assert len(people) >= 3 and any(len([1 for e in engaged if e[0] == p]) > 1 for p in people)
    expected = {(p, names.get(p), rings.get(p, "digital_only"), sum(1 for e in engaged if e[0] == p),
                 max((e[1] for e in engaged if e[0] == p), default=None)) for p in people}
    got = data.sphere_people(ADMIN, exec_id, sphere, everyone=True)
    assert set(got.iter_rows()) == expected
    # the most engaged first, then the most recently engaged; the page's list is the first of them
    ranked = sorted(((n, last) for _, _, _, n, last in expected), key=lambda r: (-r[0], -r[1].timestamp()))
    assert list(got.select("engagements", "last_engaged").iter_rows()) == ranked
    monkeypatch.setattr(data, "SPHERE_PEOPLE_SHOWN", 2)
    assert data.sphere_people(ADMIN, exec_id, sphere).rows() == got.head(2).rows()
    reached: dict[tuple[str, str], set[str]] = {}
    for person, _, post, platform in engaged:
        if members.get(person) == sphere and (platform, post) in own:
            reached.setdefault((platform, post), set()).add(person)
    posts = data.sphere_posts(ADMIN, exec_id, sphere)
    assert posts.height == min(20, len(reached)) > 0
    for platform, post, n in posts.select("platform", "post_id", "sphere_people").iter_rows():
        assert n == len(reached[(platform, post)])
    shown = set(posts.select("platform", "post_id").iter_rows())
    assert min(posts["sphere_people"]) >= max([len(v) for k, v in reached.items() if k not in shown], default=0)
    spheres_of_post: dict[str, set[str]] = {}
    for person, _, post, _ in engaged:
        if person in members:
            spheres_of_post.setdefault(post, set()).add(members[person])
    pairs: dict[tuple[str, str], int] = {}
    for found in spheres_of_post.values():
        for a in found:
            for b in found:
                if a < b:
                    pairs[(a, b)] = pairs.get((a, b), 0) + 1
    links = data.sphere_links(ADMIN, exec_id)
    assert {(a, b): n for a, b, n in links.iter_rows()} == pairs


def test_top_posts_goal_figures_and_chain_edges_are_the_engagements_counted_by_person(
        demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The overview's top posts, the goal figures and a chain's edges count and join people by their keys; here each
    is worked out again in Python from the engagements, posts and people marts by person id. One engager of the
    busiest post also reposts it, and so does the latest digital-only engager (the demo has nobody engage one post
    twice), so counting engagements instead of people would show."""
    shutil.copytree(demo_dir, tmp_path / "d")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "d"))
    con = duckdb.connect(str(tmp_path / "d" / "warehouse.duckdb"))
    try:
        exec_id, platform, post = con.execute(
            "select e.exec_id, e.platform, e.post_id from engagements as e semi join "
            "(select * from posts where kind in ('original', 'quote')) using (exec_id, platform, post_id) "
            "group by all order by count(*) desc, e.exec_id, e.platform, e.post_id limit 1").fetchone()
        _engages_again(con, "exec_id = ? and platform = ? and post_id = ?", [exec_id, platform, post])
        # and the latest digital-only engager engages again (within the goal figures' 30 days)
        _engages_again(con, "exec_id = ? and ring = 'digital_only' and kind <> 'repost'", [exec_id],
                       order="engaged_at desc, engagement_key")
        engaged = con.execute("select platform, post_id, person_id, ring, kind, engaged_at, depth, via_post_id "
                              "from engagements where exec_id = ?", [exec_id]).fetchall()
        own = con.execute("select platform, post_id from posts where exec_id = ? and kind in ('original', 'quote') "
                          "and not coalesce(deleted, false)", [exec_id]).fetchall()
        names = dict(con.execute("select person_id, display_name from people").fetchall())
    finally:
        con.close()
    data._cached.clear()
    # top posts: people, digital-only people, replies and reshares seen, per post
    of_post: dict[tuple[str, str], list[tuple]] = {}
    for e in engaged:
        of_post.setdefault((e[0], e[1]), []).append(e)
    top = data.top_posts(ADMIN, exec_id, None, sorted({p for p, _ in own}))
    assert top.height == len(own)
    for row in top.iter_rows(named=True):
        rows = of_post.get((row["platform"], row["post_id"]), [])
        assert row["people"] == len({e[2] for e in rows})
        assert row["digital_only"] == len({e[2] for e in rows if e[3] == "digital_only"})
        assert row["shares_seen"] == sum(1 for e in rows if e[4] in ("repost", "quote"))
        assert row["replies_seen"] == sum(1 for e in rows if e[4] in ("reply", "comment"))
    busiest = top.filter((pl.col("platform") == platform) & (pl.col("post_id") == post)).row(0, named=True)
    assert busiest["people"] < len(of_post[(platform, post)])  # the engager who also reposted counts once
    assert list(top["people"]) == sorted(top["people"], reverse=True)
    # goal figures: digital-only people in the last 30 days, people first seen in them
    last = max(e[5] for e in engaged)
    month = last - dt.timedelta(days=30)
    first: dict[str, dt.datetime] = {}
    for e in engaged:
        first[e[2]] = min(first.get(e[2], e[5]), e[5])
    figures = data.goal_figures(ADMIN, exec_id)
    recent = [e[2] for e in engaged if e[5] > month and e[3] == "digital_only"]
    assert figures["digital_only_30d"] == len(set(recent)) < len(recent)
    assert figures["new_people_30d"] == sum(1 for t in first.values() if t > month)
    assert figures["as_of"] == last.date()
    # a chain's edges: everyone who engaged with the post, named
    edges = data.chain_edges(ADMIN, exec_id, platform, post)
    assert sorted(edges.select("person_id", "display_name", "kind", "engaged_at").iter_rows()) == sorted(
        (e[2], names.get(e[2]), e[4], e[5]) for e in of_post[(platform, post)])
    assert any(name is not None for name in edges["display_name"])


def test_a_warehouse_built_before_a_column_the_page_reads_says_to_rebuild(
        demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse built by an earlier version lacks a column a page now reads (engagements had no person_key
    before 2026-12-06): the page is told to rebuild, not shown DuckDB's binder error."""
    shutil.copytree(demo_dir, tmp_path / "d")
    con = duckdb.connect(str(tmp_path / "d" / "warehouse.duckdb"))
    con.execute("alter view engagements rename to engagements_was")
    con.execute("create view engagements as select * exclude (person_key) from engagements_was")
    con.close()
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "d"))
    data._cached.clear()
    with pytest.raises(data.WarehouseError, match="influence model"):
        data.sphere_people(ADMIN, "ada", "1")


def _tiny_warehouse(path: Path, name: str) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table cfg_executives (exec_id varchar, name varchar, topics varchar[])").fetchall()
    con.execute("create table cfg_mentees (mentor_id varchar, mentor_name varchar, exec_id varchar)").fetchall()
    con.execute("insert into cfg_executives values ('x', ?, [])", [name]).fetchall()
    con.close()


def test_a_republished_warehouse_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    live = tmp_path / data.WAREHOUSE_FILE
    _tiny_warehouse(live, "First Build")
    assert data.executives(ADMIN)["name"].to_list() == ["First Build"]
    aside = tmp_path / ".warehouse.building"
    _tiny_warehouse(aside, "Second Build")
    os.replace(aside, live)  # what `influence model` does
    assert data.executives(ADMIN)["name"].to_list() == ["Second Build"]
    live.unlink()
    with pytest.raises(data.WarehouseMissing, match="influence demo"):
        data.executives(ADMIN)


def test_text_from_the_internet_is_shown_as_text() -> None:
    for hostile in ["<script>alert(1)</script>", "**bold** [link](javascript:alert(1))", ":red[x] $x^2$", "# h1"]:
        escaped = md_text(hostile)
        assert escaped.replace("\\", "") == hostile
        assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch in "<>*[]():$#")
    assert md_text(None) == ""
