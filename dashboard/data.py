"""The dashboard's only door to the warehouse.

Opens `$INFLUENCE_DATA_DIR/warehouse.duckdb` read-only and returns frames. The connection is a cached resource keyed
on the file's inode and modification time, so a warehouse that `influence model` publishes (built aside, then
renamed over the old one) is picked up on the next rerun. Query results are cached data keyed on the same version.
Every value reaches DuckDB as a `?` parameter, never formatted into SQL.

Access is enforced here: every function about one executive takes the logged-in `user` first and raises
`AccessDenied` (dashboard/access.py) unless that user may see that executive, so no page, URL parameter or
widget can reach another executive's data. These are plain functions: they run without a Streamlit session.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

from dashboard.access import AccessDenied, require, visible_exec_ids
from influence.users import User

DATA_ENV = "INFLUENCE_DATA_DIR"
WAREHOUSE_FILE = "warehouse.duckdb"
RINGS = ("team", "organisation", "met_in_person", "digital_only")


class WarehouseError(RuntimeError):
    """The warehouse cannot be read; the message says what to do."""


class MartMissing(WarehouseError):
    """A mart the page needs is not in this warehouse yet (the model that builds it has not run)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(
            f"not built yet: this warehouse has no {', '.join(self.names)}; it appears once the model that builds "
            "it is installed and `influence model` has run"
        )


class WarehouseMissing(WarehouseError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"No warehouse at `{path}`: run `influence demo` or `influence model` to build it "
            f"(or point {DATA_ENV} at the data directory that holds it)."
        )


class WarehouseVersion(NamedTuple):
    """One published warehouse file: a rename over it changes the inode, a rewrite the mtime."""

    path: str
    inode: int
    mtime_ns: int


def data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or "data")


def warehouse_path() -> Path:
    return data_dir() / WAREHOUSE_FILE


def warehouse_version() -> WarehouseVersion:
    path = warehouse_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise WarehouseMissing(path) from None
    return WarehouseVersion(str(path.resolve()), stat.st_ino, stat.st_mtime_ns)


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


CATALOG = "warehouse"


@st.cache_resource(max_entries=2, on_release=_close, show_spinner=False)
def _connection(version: WarehouseVersion) -> duckdb.DuckDBPyConnection:
    """A private in-memory database with this version of the file attached read-only.

    Not `duckdb.connect(path)`: DuckDB keeps one database instance per path while any connection to it is open,
    so a warehouse renamed over the old one would be served from the old, still-open file. In UTC, as the model:
    DuckDB otherwise takes the machine's local zone, and the weeks, months and days worked out here (a subset of
    platforms, new people per month) would not be the marts' ISO weeks.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute("set global TimeZone = 'UTC'").fetchall()  # global: each query runs on its own cursor
        con.execute(f"attach ? as {CATALOG} (read_only)", [version.path]).fetchall()
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(
            f"cannot open the warehouse `{version.path}` ({exc}); rebuild it with `influence model`"
        ) from exc
    return con


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = (), *, catalog: str | None = None
) -> pl.DataFrame:
    """Run one query with `?` parameters on its own cursor and fetch the whole result as a polars frame."""
    cursor = con.cursor()
    try:
        if catalog:
            cursor.execute(f"use {catalog}").fetchall()
        return cursor.sql(sql, params=list(params) if params else None).pl()
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        # a table, or a column, that a warehouse built by an earlier version lacks (the spheres page joins people by
        # the person_key that engagements and people carry since 2026-12-06)
        raise WarehouseError(
            f"the warehouse lacks what the dashboard reads ({exc}); rebuild it with `influence model`"
        ) from exc
    finally:
        cursor.close()


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(sql: str, params: tuple[Any, ...], version: WarehouseVersion) -> pl.DataFrame:
    return fetch(_connection(version), sql, params, catalog=CATALOG)


def query(sql: str, *params: Any) -> pl.DataFrame:
    """A cached, parameterised query on the current warehouse."""
    return _cached(sql, tuple(params), warehouse_version())


# --- access ----------------------------------------------------------------------------------------------------

EXECUTIVES_SQL = """
select e.exec_id, e.name, string_agg(m.mentor_name, ', ' order by m.mentor_name) as mentors
from cfg_executives as e
left join cfg_mentees as m using (exec_id)
group by e.exec_id, e.name
order by e.name, e.exec_id
"""

MENTEES_SQL = "select mentor_id, exec_id from cfg_mentees order by mentor_id, exec_id"

# the warehouse's tables and views (a mart may be a view: engagements, posts, sphere_members)
TABLES_SQL = (f"select table_name from duckdb_tables() where database_name = '{CATALOG}' "
              f"union all select view_name from duckdb_views() where database_name = '{CATALOG}'")

__all__ = ["AccessDenied", "MartMissing", "WarehouseError", "WarehouseMissing"]


def _all_executives() -> pl.DataFrame:
    return query(EXECUTIVES_SQL)


def _visible(user: User | None) -> list[str]:
    mentees = query(MENTEES_SQL)
    return visible_exec_ids(user, _all_executives()["exec_id"].to_list(),
                            zip(mentees["mentor_id"].to_list(), mentees["exec_id"].to_list(), strict=True))


def check(user: User | None, exec_id: object) -> str:
    """``exec_id`` if ``user`` may see that executive, else AccessDenied."""
    return require(user, exec_id, _visible(user))


def executives(user: User | None) -> pl.DataFrame:
    """exec_id, name, mentors (comma-separated names, or null) of the executives ``user`` may see, by name."""
    frame = _all_executives()
    return frame.filter(pl.col("exec_id").is_in(_visible(user)))


def mentor_name(mentor_id: str | None) -> str | None:
    frame = query("select max(mentor_name) as name from cfg_mentees where mentor_id = ?", mentor_id)
    return frame["name"][0] if frame.height else None


def _tables() -> set[str]:
    return set(query(TABLES_SQL)["table_name"].to_list())


def has_marts(*names: str) -> bool:
    tables = _tables()
    return all(n in tables for n in names)


def _need(*names: str) -> None:
    tables = _tables()
    missing = [n for n in names if n not in tables]
    if missing:
        raise MartMissing(missing)


# --- what the pages read ---------------------------------------------------------------------------------------

EXECUTIVE_SQL = """
select e.exec_id, e.name, e.topics, string_agg(m.mentor_name, ', ' order by m.mentor_name) as mentors
from cfg_executives as e
left join cfg_mentees as m using (exec_id)
where e.exec_id = ?
group by e.exec_id, e.name, e.topics
"""

BUILD_INFO_SQL = "select built_at from build_info"

# Two rows, the latest ladder window and the one before it: distinct people, digital-only people and share (from
# the ladder's window counts, so they agree with its reason sentence), and people engaging for the first time.
HEADLINE_SQL = """
with p as (select cast(? as varchar) as exec_id),
last as (
    select max(l.week) as week, max(l.window_weeks) as n
    from ladder as l join p using (exec_id)
),
windows as (
    select 'current' as period, week as end_week, n from last where week is not null
    union all
    select 'previous', cast(week - 7 * n as date), n from last where week is not null
)
select
    w.period,
    w.end_week,
    cast(w.end_week + 6 as date) as end_day,
    w.n * 7 as window_days,
    l.step,
    l.engagers as people,
    l.digital_only,
    l.digital_share,
    l.returning_digital,
    case when l.week is not null then coalesce((
        select sum(r.new_engagers)
        from weekly_reach as r
        where r.exec_id = l.exec_id and r.week > w.end_week - 7 * w.n and r.week <= w.end_week
    ), 0) end as new_people
from windows as w
cross join p
left join ladder as l on l.exec_id = p.exec_id and l.week = w.end_week
order by w.end_week desc
"""

LADDER_SQL = """
select week, step, reason, engagers, digital_only, digital_share
from ladder
where exec_id = ?
order by week
"""

WEEKLY_REACH_SQL = """
select week, ring, engagers, new_engagers, returning_engagers
from weekly_reach
where exec_id = ?
order by week, ring
"""

# The same shape as the mart, worked out from `engagements` for a subset of platforms (the mart spans them all).
# People by person_key and weeks by the model's iso_week (the warehouse's macro: arithmetic in UTC), not by the ids the
# view formats and date_trunc, which goes through ICU's calendar: for the largest executive at 10M engagements
# 37-42 ms against 93-97 ms warm, the same rows (session 30, /tmp/s30/wrq.py)
WEEKLY_REACH_PLATFORMS_SQL = """
with e as (
    select person_key, ring, iso_week(engaged_at) as week
    from engagements
    where exec_id = ? and list_contains(cast(? as varchar[]), platform)
),
firsts as (select person_key, min(week) as first_week from e group by person_key),
pw as (select distinct e.person_key, e.ring, e.week, f.first_week from e join firsts as f using (person_key)),
weeks as (select distinct week from weekly_reach where exec_id = ?),
rings as (select unnest(['team', 'organisation', 'met_in_person', 'digital_only']) as ring)
select
    w.week, r.ring,
    count(pw.person_key) as engagers,
    count(pw.person_key) filter (where pw.first_week = w.week) as new_engagers,
    count(pw.person_key) filter (where pw.first_week < w.week) as returning_engagers
from weeks as w
cross join rings as r
left join pw on pw.week = w.week and pw.ring = r.ring
group by all
order by w.week, r.ring
"""

# Per platform of the executive: the follower count their profile shows, and the collected follower list split by
# ring (NULL where the list is hidden or was never collected: "not available", never 0).
FOLLOWERS_SQL = """
with p as (select cast(? as varchar) as exec_id),
own as (
    select x.platform, max(a.followers_count) as profile_followers
    from int_exec_accounts as x
    join p using (exec_id)
    left join accounts as a on a.platform = x.platform and a.account_id = x.account_id
    group by x.platform
),
lists as (
    select
        f.platform,
        bool_or(f.hidden) as hidden,
        count(f.person_id) as listed,
        count(f.person_id) filter (where coalesce(t.ring, 'digital_only') = 'team') as team,
        count(f.person_id) filter (where coalesce(t.ring, 'digital_only') = 'organisation') as organisation,
        count(f.person_id) filter (where coalesce(t.ring, 'digital_only') = 'met_in_person') as met_in_person,
        count(f.person_id) filter (where coalesce(t.ring, 'digital_only') = 'digital_only') as digital_only
    from followers as f
    join p using (exec_id)
    left join ties as t on t.exec_id = f.exec_id and t.person_id = f.person_id
    where f.direction = 'followers'
    group by f.platform
)
select
    coalesce(own.platform, lists.platform) as platform,
    own.profile_followers,
    coalesce(not lists.hidden, false) as list_public,
    case when not lists.hidden then lists.listed end as listed,
    case when not lists.hidden then lists.team end as team,
    case when not lists.hidden then lists.organisation end as organisation,
    case when not lists.hidden then lists.met_in_person end as met_in_person,
    case when not lists.hidden then lists.digital_only end as digital_only
from own
full join lists using (platform)
order by platform
"""

# People engaging for the first time, per calendar month (their first engagement with this executive).
NEW_PEOPLE_MONTHLY_SQL = """
with firsts as (
    select person_key, min(engaged_at) as first_at, arg_min(ring, engaged_at) as ring
    from engagements where exec_id = ? group by person_key
)
select cast(date_trunc('month', first_at) as date) as month, count(*) as new_people,
       count(*) filter (where ring = 'digital_only') as new_digital_only
from firsts group by all order by month
"""

CUMULATIVE_DIGITAL_SQL = """
select week, cast(sum(new_engagers) over (order by week) as bigint) as digital_only_people
from weekly_reach
where exec_id = ? and ring = 'digital_only'
order by week
"""

PLATFORMS_SQL = """
select platform from (
    select platform from posts where exec_id = ?
    union select platform from int_exec_accounts where exec_id = ?
) group by platform order by platform
"""

LAST_ACTIVITY_SQL = """
select
    (select max(created_at) from posts where exec_id = ? and not coalesce(deleted, false)) as last_post,
    (select max(engaged_at) from engagements where exec_id = ?) as last_engagement
"""

# The executive's own posts with what they drew: distinct people (and how many digital-only), replies, reshares
# and quotes as seen in `engagements`, and the platform's own counters (NULL where the platform gives none).
# This query and the goal figures and chain edges below count and join people by person_key, not by the id the
# engagements view formats from it on every read (at 10M engagements, the largest executive, medians of 9 alternated:
# the top posts 57 ms against 81 ms, the goal figures 20 against 50 ms, the widest chain's edges 98 against 136 ms;
# session 31, /tmp/s31/dq.py).
TOP_POSTS_SQL = """
with e as (
    select post_id, platform,
        count(distinct person_key) as people,
        count(distinct person_key) filter (where ring = 'digital_only') as digital_only,
        count(*) filter (where kind in ('reply', 'comment')) as replies_seen,
        count(*) filter (where kind in ('repost', 'quote')) as shares_seen,
        max(depth) as max_depth
    from engagements where exec_id = ? group by post_id, platform
)
select p.platform, p.post_id, p.created_at, p.kind, p.url, coalesce(p.title, p.text) as text,
       p.like_count, p.repost_count, p.reply_count, p.quote_count,
       coalesce(e.people, 0) as people, coalesce(e.digital_only, 0) as digital_only,
       coalesce(e.replies_seen, 0) as replies_seen, coalesce(e.shares_seen, 0) as shares_seen, e.max_depth
from posts as p
left join e using (post_id, platform)
where p.exec_id = ? and p.kind in ('original', 'quote') and not coalesce(p.deleted, false)
  and p.created_at >= cast(? as timestamptz) and list_contains(cast(? as varchar[]), p.platform)
order by people desc, p.created_at desc
"""

GOAL_FIGURES_SQL = """
with last as (select max(engaged_at) as last_at from engagements where exec_id = ?),
recent as (
    select e.* from engagements as e, last
    where e.exec_id = ? and e.engaged_at > last.last_at - interval 30 day
),
firsts as (select person_key, min(engaged_at) as first_at from engagements where exec_id = ? group by person_key)
select
    (select count(distinct person_key) from recent where ring = 'digital_only') as digital_only_30d,
    (select count(*) from firsts, last where first_at > last.last_at - interval 30 day) as new_people_30d,
    (select cast(max(last_at) as date) from last) as as_of
"""


@dataclass(frozen=True)
class WindowFigures:
    end_day: date
    window_days: int
    step: int
    people: int
    digital_only: int
    digital_share: float | None
    new_people: int
    returning_digital: int | None = None


@dataclass(frozen=True)
class Headline:
    """The latest window's figures and, where the history reaches back that far, the window before it."""

    current: WindowFigures
    previous: WindowFigures | None


def executive(user: User | None, exec_id: str) -> dict[str, Any] | None:
    """exec_id, name, topics, mentors of one executive, or None if the warehouse does not list them."""
    frame = query(EXECUTIVE_SQL, check(user, exec_id))
    return frame.row(0, named=True) if frame.height else None


def built_at() -> datetime | None:
    frame = query(BUILD_INFO_SQL)
    return frame["built_at"][0] if frame.height else None


def headline(user: User | None, exec_id: str) -> Headline | None:
    """None when the executive has no ladder yet (nothing observed)."""
    rows = {row["period"]: row for row in query(HEADLINE_SQL, check(user, exec_id)).iter_rows(named=True)}

    def figures(row: dict[str, Any] | None) -> WindowFigures | None:
        if row is None or row["people"] is None:
            return None
        return WindowFigures(
            end_day=row["end_day"], window_days=int(row["window_days"]), step=int(row["step"]),
            people=int(row["people"]), digital_only=int(row["digital_only"]),
            digital_share=row["digital_share"], new_people=int(row["new_people"]),
            returning_digital=row["returning_digital"],
        )

    current = figures(rows.get("current"))
    if current is None:
        return None
    return Headline(current=current, previous=figures(rows.get("previous")))


def ladder(user: User | None, exec_id: str) -> pl.DataFrame:
    """week, step, reason, engagers, digital_only, digital_share: one row per week, oldest first."""
    return query(LADDER_SQL, check(user, exec_id))


def weekly_reach(user: User | None, exec_id: str, platforms: Sequence[str] | None = None) -> pl.DataFrame:
    """week, ring, engagers, new_engagers, returning_engagers: every week x all four rings.

    ``platforms`` None means all of them (the model's mart); a subset is worked out from `engagements`.
    """
    check(user, exec_id)
    if platforms is None:
        return query(WEEKLY_REACH_SQL, exec_id)
    return query(WEEKLY_REACH_PLATFORMS_SQL, exec_id, list(platforms), exec_id)


def followers(user: User | None, exec_id: str) -> pl.DataFrame:
    """platform, profile_followers, list_public, listed and the list by ring (null where not available)."""
    return query(FOLLOWERS_SQL, check(user, exec_id))


def followers_weekly(user: User | None, exec_id: str) -> pl.DataFrame:
    """The `followers_weekly` mart of one executive (MartMissing until it is built)."""
    check(user, exec_id)
    _need("followers_weekly")
    return query("select * from followers_weekly where exec_id = ? order by week, platform, ring", exec_id)


def new_people_monthly(user: User | None, exec_id: str) -> pl.DataFrame:
    """month, new_people, new_digital_only: people engaging for the first time, per calendar month."""
    return query(NEW_PEOPLE_MONTHLY_SQL, check(user, exec_id))


def cumulative_digital(user: User | None, exec_id: str) -> pl.DataFrame:
    """week, digital_only_people: digital-only people reached so far (each counted once, in their first week)."""
    return query(CUMULATIVE_DIGITAL_SQL, check(user, exec_id))


def platforms(user: User | None, exec_id: str) -> list[str]:
    check(user, exec_id)
    return query(PLATFORMS_SQL, exec_id, exec_id)["platform"].to_list()


def last_activity(user: User | None, exec_id: str) -> dict[str, Any]:
    check(user, exec_id)
    return query(LAST_ACTIVITY_SQL, exec_id, exec_id).row(0, named=True)


def top_posts(user: User | None, exec_id: str, since: date | None, platforms: Sequence[str]) -> pl.DataFrame:
    """The executive's original posts (and quotes) since ``since`` on ``platforms``, most people reached first."""
    check(user, exec_id)
    start = datetime.combine(since or date(1970, 1, 1), datetime.min.time())
    return query(TOP_POSTS_SQL, exec_id, exec_id, start.isoformat() + "+00:00", list(platforms))


def goal_figures(user: User | None, exec_id: str) -> dict[str, Any]:
    """The figures goals are set in (influence terms the model computes), as of the latest data."""
    check(user, exec_id)
    head = headline(user, exec_id)
    row = query(GOAL_FIGURES_SQL, exec_id, exec_id, exec_id).row(0, named=True)
    now = head.current if head else None
    return {
        "as_of": row["as_of"],
        "digital_only_30d": row["digital_only_30d"],
        "new_people_30d": row["new_people_30d"],
        "digital_share_90d": now.digital_share if now else None,
        "people_90d": now.people if now else None,
        "digital_only_90d": now.digital_only if now else None,
        "returning_digital_90d": now.returning_digital if now else None,
        "step": now.step if now else None,
    }


# --- thought leadership, spheres, chains (issue 6's marts; MartMissing until they exist) -------------------------

def signals_weekly(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("signals_weekly")
    return query("select * from signals_weekly where exec_id = ? order by week", exec_id)


def connector_weekly(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("connector_weekly")
    return query("select * from connector_weekly where exec_id = ? order by week", exec_id)


def topics(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("topics")
    return query("select * from topics where exec_id = ? order by declared desc, engagers desc, topic", exec_id)


def spheres(user: User | None, exec_id: str) -> pl.DataFrame:
    """sphere_id (text), label, people, digital_only_share, growth_90d, through_week (the spheres are as of the end of
    that week)."""
    check(user, exec_id)
    _need("spheres")
    return query(
        "select cast(sphere_id as varchar) as sphere_id, label, people, digital_only_share, growth_90d, through_week "
        "from spheres where exec_id = ? order by people desc, sphere_id", exec_id)


# The sphere queries join people by person_key, a number, not by their ids, which the views format from it on every
# read (at 10M engagements, the largest executive's largest sphere, 125k people, alternated on one warehouse: its
# people 165-183 ms against 276-304 ms by their ids, its posts 91-102 against 169-172 ms, the links 48-58 against
# 105-117 ms).
SPHERE_LINKS_SQL = """
with m as (select cast(sphere_id as varchar) as sphere_id, person_key from sphere_members where exec_id = ?),
pe as (select distinct post_id, person_key from engagements where exec_id = ?),
sp as (select distinct pe.post_id, m.sphere_id from pe join m using (person_key))
select a.sphere_id as source, b.sphere_id as target, count(*) as shared_posts
from sp as a join sp as b on a.post_id = b.post_id and a.sphere_id < b.sphere_id
group by all order by shared_posts desc
"""


def sphere_links(user: User | None, exec_id: str) -> pl.DataFrame:
    """source, target, shared_posts: how many of the executive's posts drew people of both spheres."""
    check(user, exec_id)
    _need("sphere_members")
    return query(SPHERE_LINKS_SQL, exec_id, exec_id)


# The most engaged first (then the most recently engaged): the page lists SPHERE_PEOPLE_SHOWN of them, named after the
# cut (the largest sphere at 10M engagements has 125k people: the first 1,000 in 46-68 ms, all of them named and
# sorted 188-225 ms, session 26); its downloads ask for all (a NULL limit).
SPHERE_PEOPLE_SQL = """
with m as (select exec_id, person_key from sphere_members where exec_id = ? and cast(sphere_id as varchar) = ?),
e as (select e.person_key, count(*) as engagements, max(e.engaged_at) as last_engaged
      from engagements as e semi join m using (exec_id, person_key) group by all),
top as (select m.exec_id, m.person_key, coalesce(e.engagements, 0) as engagements, e.last_engaged
        from m left join e using (person_key)
        order by engagements desc, last_engaged desc nulls last, person_key limit ?)
select person_id_of(top.person_key) as person_id, p.display_name, coalesce(t.ring, 'digital_only') as ring,
       top.engagements, top.last_engaged
from top
left join people as p using (person_key)
left join ties as t on t.exec_id = top.exec_id and t.person_id = person_id_of(top.person_key)
order by top.engagements desc, top.last_engaged desc nulls last, top.person_key
"""

SPHERE_PEOPLE_SHOWN = 1000

# The sphere's people counted per post by keys first, then the posts' texts joined to those counts: grouped with
# the texts and urls (every engagement's row carrying them), the largest sphere at 10M engagements took 61 ms
# against 25 ms (medians of 9 alternated, the same rows; session 31, /tmp/s31/dq.py).
SPHERE_POSTS_SQL = """
with m as (select person_key from sphere_members where exec_id = ? and cast(sphere_id as varchar) = ?),
reached as (
    select platform, post_id, count(distinct person_key) as sphere_people
    from engagements semi join m using (person_key)
    where exec_id = ? group by all
)
select p.platform, p.post_id, p.created_at, p.url, coalesce(p.title, p.text) as text, r.sphere_people
from reached as r
join posts as p on p.exec_id = ? and p.platform = r.platform and p.post_id = r.post_id
order by r.sphere_people desc, p.created_at desc limit 20
"""


def sphere_people(user: User | None, exec_id: str, sphere_id: str, *, everyone: bool = False) -> pl.DataFrame:
    """The sphere's people, the most engaged first (then the most recently engaged): the first SPHERE_PEOPLE_SHOWN,
    or ``everyone``."""
    check(user, exec_id)
    _need("sphere_members")
    return query(SPHERE_PEOPLE_SQL, exec_id, str(sphere_id), None if everyone else SPHERE_PEOPLE_SHOWN)


def sphere_posts(user: User | None, exec_id: str, sphere_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("sphere_members")
    return query(SPHERE_POSTS_SQL, exec_id, str(sphere_id), exec_id, exec_id)


INFLUENCES_SQL = """
select cast(i.sphere_id as varchar) as sphere_id, coalesce(s.label, 'in none of the spheres') as sphere,
       i.person_id, p.display_name, i.reshared, i.quoted, i.replied_to, i.liked
from influences as i
left join people as p using (person_id)
left join spheres as s on s.exec_id = i.exec_id and s.sphere_id = i.sphere_id
where i.exec_id = ?
order by coalesce(i.reshared, 0) + coalesce(i.quoted, 0) + coalesce(i.replied_to, 0) desc, p.display_name
"""


def influences(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("influences", "spheres")
    return query(INFLUENCES_SQL, exec_id)


CHAINS_SQL = """
select c.platform as root_platform, c.root_post_id, c.depth, c.breadth, c.people, c.structural_virality,
       p.platform, p.created_at, p.url, coalesce(p.title, p.text) as text
from chains as c
left join posts as p on p.exec_id = c.exec_id and p.platform = c.platform and p.post_id = c.root_post_id
where c.exec_id = ?
order by c.depth desc, c.people desc, c.root_post_id
"""

# The engagements that make up one chain: each person's step from the root and the post they came through.
CHAIN_EDGES_SQL = """
select e.person_id, pe.display_name, coalesce(e.depth, 1) as depth, e.kind, e.via_post_id,
       coalesce(e.ring, 'digital_only') as ring, e.engaged_at
from engagements as e
left join people as pe using (person_key)
where e.exec_id = ? and e.platform = ? and e.post_id = ?
order by depth, e.engaged_at
"""


def chains(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("chains")
    return query(CHAINS_SQL, exec_id)


def chain_edges(user: User | None, exec_id: str, platform: str, root_post_id: str) -> pl.DataFrame:
    """Everyone who engaged with one root post, with their step (depth) and the post they came through."""
    check(user, exec_id)
    return query(CHAIN_EDGES_SQL, exec_id, str(platform), str(root_post_id))


def cohort_percentiles(user: User | None, exec_id: str) -> pl.DataFrame:
    check(user, exec_id)
    _need("cohort_percentiles")
    return query("select * from cohort_percentiles where exec_id = ? order by mentor_id, metric", exec_id)


# --- the mentor's cohort ---------------------------------------------------------------------------------------

COHORT_SQL = """
with l as (select * from ladder where list_contains(cast(? as varchar[]), exec_id)),
last as (select exec_id, max(week) as week from l group by exec_id),
cur as (select l.* from l join last using (exec_id, week)),
prev as (select l.exec_id, l.digital_only as prev_digital_only, l.step as prev_step
         from l join last on l.exec_id = last.exec_id and l.week = cast(last.week - 91 as date)),
since as (  -- the first week of the current run of the same step
    select l.exec_id, min(l.week) as step_since
    from l join cur using (exec_id)
    where l.step = cur.step and l.week > coalesce((
        select max(x.week) from l as x where x.exec_id = l.exec_id and x.step <> cur.step), date '1900-01-01')
    group by l.exec_id
),
trend as (
    select l.exec_id, list(l.digital_only order by l.week) as digital_trend
    from l join last using (exec_id) where l.week > cast(last.week - 7 * 26 as date)
    group by l.exec_id
),
posts as (
    select exec_id, max(created_at) as last_post from posts
    where list_contains(cast(? as varchar[]), exec_id) group by exec_id
)
select e.exec_id, e.name, cur.step, cur.week as as_of, cur.digital_only, cur.digital_share, prev.prev_digital_only,
       prev.prev_step, since.step_since, trend.digital_trend, posts.last_post
from cfg_executives as e
left join cur using (exec_id)
left join prev using (exec_id)
left join since using (exec_id)
left join trend using (exec_id)
left join posts using (exec_id)
where list_contains(cast(? as varchar[]), e.exec_id)
order by e.name
"""


def cohort(user: User | None) -> pl.DataFrame:
    """One row per executive the user may see: step, digital-only reach, its 26-week trend, last post."""
    ids = _visible(user)
    if user is None:
        raise AccessDenied(user, "cohort")
    return query(COHORT_SQL, ids, ids, ids)


# --- people, for the ties page ---------------------------------------------------------------------------------

# The people around an executive, by person key: their engagers, their ties and their followers (a ties-register
# person with no account has no key, and no account to find).
_AROUND = """
around as (
    select person_key from engagements where exec_id = ?
    union select person_key(person_id) from ties where exec_id = ?
    union select person_key(person_id) from followers where exec_id = ? and person_id is not null
)"""

# At 10M engagements (the benchmark's 156,704 accounts around e039, of 1.25M): 58-100 ms, against 241-410 ms for the
# whole list sorted by name, which the page then offered in select boxes of 156k options (session 26, /tmp/s26).
FIND_ACCOUNTS_SQL = f"""
with {_AROUND}
select a.person_id, a.platform, a.account_id, a.handle, a.display_name, coalesce(t.ring, 'digital_only') as ring
from accounts as a
semi join around using (person_key)
left join ties as t on t.exec_id = ? and t.person_id = a.person_id
where a.display_name ilike ? escape '\\' or a.handle ilike ? escape '\\' or a.account_id ilike ? escape '\\'
order by coalesce(a.display_name, a.handle), a.platform, a.account_id
limit ?
"""

ACCOUNTS_AROUND_SQL = f"""
with asked as (select unnest(?::varchar[]) as platform, unnest(?::varchar[]) as account_id),
{_AROUND}
select a.platform, a.account_id from accounts as a
semi join asked using (platform, account_id)
semi join around using (person_key)
"""

FOUND_LIMIT = 200


def _contains_pattern(text: str) -> str:
    """An ILIKE pattern (escape character backslash) matching ``text`` anywhere, its % and _ taken literally."""
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{literal}%"


def find_accounts(user: User | None, exec_id: str, text: str = "", limit: int = FOUND_LIMIT) -> pl.DataFrame:
    """Accounts of the people around this executive (engagers, ties, followers) whose name, handle or account id
    contains ``text`` (any case), by name, at most ``limit``: what a merge or split may name. Empty: the first by
    name."""
    check(user, exec_id)
    pattern = _contains_pattern(text.strip())
    return query(FIND_ACCOUNTS_SQL, exec_id, exec_id, exec_id, exec_id, pattern, pattern, pattern, limit)


def accounts_around(user: User | None, exec_id: str, accounts: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (platform, account_id) belong to people around this executive."""
    check(user, exec_id)
    asked = sorted(set(accounts))
    if not asked:
        return set()
    found = query(ACCOUNTS_AROUND_SQL, [p for p, _ in asked], [a for _, a in asked], exec_id, exec_id, exec_id)
    return set(zip(found["platform"].to_list(), found["account_id"].to_list(), strict=True))


def ties_register_source(user: User | None, exec_id: str) -> str | None:
    """The register file the last build read for this executive (from `cfg_ties`), if any."""
    check(user, exec_id)
    frame = query("select max(source) as source from cfg_ties where exec_id = ?", exec_id)
    return frame["source"][0] if frame.height else None
