"""The dashboard's only door to the warehouse.

Opens `$INFLUENCE_DATA_DIR/warehouse.duckdb` read-only and returns frames. The connection is a cached resource keyed
on the file's inode and modification time, so a warehouse that `influence model` publishes (built aside, then
renamed over the old one) is picked up on the next rerun. Query results are cached data keyed on the same version.
Every value reaches DuckDB as a `?` parameter, never formatted into SQL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

DATA_ENV = "INFLUENCE_DATA_DIR"
WAREHOUSE_FILE = "warehouse.duckdb"
RINGS = ("team", "organisation", "met_in_person", "digital_only")


class WarehouseError(RuntimeError):
    """The warehouse cannot be read; the message says what to do."""


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
    so a warehouse renamed over the old one would be served from the old, still-open file.
    """
    con = duckdb.connect(":memory:")
    try:
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
    except duckdb.CatalogException as exc:
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


# --- what the pages read ---------------------------------------------------------------------------------------

EXECUTIVES_SQL = """
select e.exec_id, e.name, string_agg(m.mentor_name, ', ' order by m.mentor_name) as mentors
from cfg_executives as e
left join cfg_mentees as m using (exec_id)
group by e.exec_id, e.name
order by e.name, e.exec_id
"""

EXECUTIVE_SQL = """
select e.exec_id, e.name, string_agg(m.mentor_name, ', ' order by m.mentor_name) as mentors
from cfg_executives as e
left join cfg_mentees as m using (exec_id)
where e.exec_id = ?
group by e.exec_id, e.name
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


@dataclass(frozen=True)
class WindowFigures:
    end_day: date
    window_days: int
    step: int
    people: int
    digital_only: int
    digital_share: float | None
    new_people: int


@dataclass(frozen=True)
class Headline:
    """The latest window's figures and, where the history reaches back that far, the window before it."""

    current: WindowFigures
    previous: WindowFigures | None


def executives() -> pl.DataFrame:
    """exec_id, name, mentors (comma-separated names, or null), ordered by name."""
    return query(EXECUTIVES_SQL)


def executive(exec_id: str) -> dict[str, Any] | None:
    """exec_id, name, mentors of one executive, or None if the warehouse does not list them."""
    frame = query(EXECUTIVE_SQL, exec_id)
    return frame.row(0, named=True) if frame.height else None


def built_at() -> datetime | None:
    frame = query(BUILD_INFO_SQL)
    return frame["built_at"][0] if frame.height else None


def headline(exec_id: str) -> Headline | None:
    """None when the executive has no ladder yet (nothing observed)."""
    rows = {row["period"]: row for row in query(HEADLINE_SQL, exec_id).iter_rows(named=True)}

    def figures(row: dict[str, Any] | None) -> WindowFigures | None:
        if row is None or row["people"] is None:
            return None
        return WindowFigures(
            end_day=row["end_day"], window_days=int(row["window_days"]), step=int(row["step"]),
            people=int(row["people"]), digital_only=int(row["digital_only"]),
            digital_share=row["digital_share"], new_people=int(row["new_people"]),
        )

    current = figures(rows.get("current"))
    if current is None:
        return None
    return Headline(current=current, previous=figures(rows.get("previous")))


def ladder(exec_id: str) -> pl.DataFrame:
    """week, step, reason, engagers, digital_only, digital_share: one row per week, oldest first."""
    return query(LADDER_SQL, exec_id)


def weekly_reach(exec_id: str) -> pl.DataFrame:
    """week, ring, engagers, new_engagers, returning_engagers: every week x all four rings."""
    return query(WEEKLY_REACH_SQL, exec_id)


def followers(exec_id: str) -> pl.DataFrame:
    """platform, profile_followers, list_public, listed and the list by ring (null where not available)."""
    return query(FOLLOWERS_SQL, exec_id)
