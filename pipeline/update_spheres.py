"""Incremental builds (pipeline/incremental.py) of the counts over the spheres' members: ``int_sphere_features`` (how
many members of a sphere have a feature) and ``int_sphere_cohorts`` (how many are in a ring and first engaged in a
week), which the spheres mart reads, and ``int_sphere_weeks`` (how many engaged in a week), which connector_weekly
reads.

Each is a count over the members of a sphere, kept by deltas. What changed: the members whose sphere changed, or who
came or went (``int_sphere_members``' update passes only those on, in ``_inc_old_int_sphere_members`` and
``_inc_new_int_sphere_members``), and the members' inputs (features every day: a member's new hashtags, an edited bio;
a first-week row when a person's first engagement with the executive changes; the day's person-weeks). A count's
change is

    (the members put in, with their inputs now) - (the members taken out, with their inputs now)
    + (the members before, with the change of their inputs)

which is the count over the members now with the inputs now, less the count over the members before with the
inputs before: nothing is counted twice when a member moves and changes at once. Each sum is over few rows: on a
day that moves no executive's spheres window no member changes and only the day's changed people are joined to
their spheres; when Leiden runs again for the executives whose window moved, only the members whose sphere changed
are (at 10M engagements, 90k of 7.1M on a staggered day, 597k when every executive's window moved at once). The
spheres mart and connector_weekly are then recomputed in full from the counts, which are small.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.incremental import Increment, count, people_first, replace_rows

# the members before this update whose input changed (``{changed}``, joined ``using``): the stored ones, less those
# put in, with those taken out. (Cut down to those people first, by their person keys first (people_first): the
# anti join of every member took 0.4 s; materialized, since DuckDB's optimizer otherwise put the anti join of the
# 7.1M members first: int_sphere_weeks' delta 0.10-0.12 s against 0.17-0.19 s on a staggered day. Named by their
# key alone: the scan of the 7.1M members' ids cost 0.3 s where the key's took 0.04 s, at 10M engagements.)
MEMBERS_BEFORE = """(
    with changed_members as materialized (
        select exec_id, sphere_id, person_key from int_sphere_members {people_first}semi join ({changed}) using ({using}))
    select exec_id, sphere_id, person_key from changed_members
        anti join _inc_new_int_sphere_members using (exec_id, person_key)
    union all select exec_id, sphere_id, person_key from _inc_old_int_sphere_members)"""


# the members put in (+1) and taken out (-1)
MOVED = """select exec_id, sphere_id, person_key, 1 as d from _inc_new_int_sphere_members
           union all select exec_id, sphere_id, person_key, -1 from _inc_old_int_sphere_members"""


def _moved_with(input_now: str, keys: str, using: str) -> str:
    """The members put in (+1) and taken out (-1) with their inputs now (``input_now``, joined by ``using``): rows
    of ``keys`` and ``d``, the first part of ``_by_delta``'s change."""
    fields = ", ".join(f"i.{k.strip()}" for k in keys.split(",")[2:])
    return f"""
            select m.exec_id, m.sphere_id, {fields}, m.d
            from ({MOVED}) as m
            join ({input_now}) as i using ({using})"""


def _by_delta(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, keys: str, value: str,
              moved: str, input_change: str, using: str) -> None:
    """Add to ``model``'s counts (``value``, grouped by ``keys``) the change described in the module's docstring:
    ``moved`` holds the members put in and taken out with their inputs now (rows of ``keys`` and ``d``;
    ``_moved_with``), ``input_change`` the change of the members' inputs (``d`` +1 or -1 per row, with the columns
    of ``keys`` besides exec_id and sphere_id), joined to the members by ``using`` (``person_key``, perhaps with
    ``exec_id``). A count that reaches 0 goes."""
    grouped = [k.strip() for k in keys.split(",")]
    fields = ", ".join(f"i.{k}" for k in grouped[2:])
    delta = f"_inc_{model}_delta"
    inc.scratch(con, delta, f"""
        select {keys}, sum(d) as d from (
            {moved}
            union all
            select m.exec_id, m.sphere_id, {fields}, i.d
            from {MEMBERS_BEFORE.format(changed=input_change, using=using,
                                        people_first=people_first(f"({input_change})", using.split(", ")))} as m
            join ({input_change}) as i using ({using}))
        group by all having sum(d) <> 0""")
    replace_rows(con, inc, model, grouped, delta, f"""
        select * from (
            select d.exec_id, d.sphere_id, {', '.join(f'd.{k}' for k in grouped[2:])},
                coalesce(t.{value}, 0) + d.d as {value}
            from {delta} as d left join {model} as t using ({keys}))
        where {value} > 0""")
    inc.stats[f"{model}_rows_changed"] = count(con, delta)


def update_int_sphere_features(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    # (an input recomputed in full: which of its rows changed is not known)
    if not {"int_sphere_members", "int_person_features"} <= inc.updated:
        return False
    # by the people's key, as the members before are found
    keys = "exec_id, sphere_id, source, feature"
    _by_delta(con, inc, "int_sphere_features", keys, "n_in",
              _moved_with("select person_key, source, feature from int_person_features", keys, "person_key"), """
              select person_key, source, feature, -1 as d from _inc_old_int_person_features
              union all select person_key, source, feature, 1 from _inc_new_int_person_features""",
              "person_key")
    return True


# The members put in and taken out, with their person-weeks, counted once for the two models that count them
# (int_person_weeks, 9.7M rows at 10M engagements, is read once, not twice): per sphere and week (for
# int_sphere_weeks: of_cohorts = 0) and per sphere, ring and first week, from each person's first week
# (int_sphere_cohorts: of_cohorts = 1). At 10M engagements, measured alone on an aligned Monday (577k members put
# in, 543k taken out): 0.45-0.52 s against 0.65-0.68 s for the two models' joins; in a staggered day's update
# (15 windows moved) this and the two deltas 0.36-0.46 s against 0.48-0.53 s. (The person-weeks of the moved people
# first: people_first.)
MOVED_WEEKS_SQL = f"""
    select exec_id, sphere_id, week, ring, first_week, grouping(week) as of_cohorts, sum(d) as d
    from (select m.exec_id, m.sphere_id, m.d, i.week, i.ring, i.first_week, i.week = i.first_week as is_first
          from ({MOVED}) as m join (select * from int_person_weeks {people_first(f"({MOVED})", ["exec_id", "person_key"])})
              as i using (exec_id, person_key))
    group by grouping sets ((exec_id, sphere_id, week), (exec_id, sphere_id, ring, first_week, is_first))
    having grouping(week) = 0 or is_first"""


def _by_person_weeks(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, keys: str, columns: str,
                     where: str = "", *, of_cohorts: bool = False) -> bool:
    """``_by_delta`` of a count of ``people`` whose input is the members' person-weeks: ``columns`` of the rows of
    int_person_weeks ``where`` they hold (the members put in and taken out: _inc_sphere_moved_weeks' rows
    ``of_cohorts``, which must count the same rows)."""
    if not {"int_sphere_members", "int_person_weeks"} <= inc.updated:
        return False
    if "_inc_sphere_moved_weeks" not in inc.temp:  # (the first of the two models builds it)
        inc.scratch(con, "_inc_sphere_moved_weeks", MOVED_WEEKS_SQL)
    rows = f"select exec_id, person_key, {columns}, {{d}} as d from {{t}} {where}"
    _by_delta(con, inc, model, keys, "people",
              f"select exec_id, sphere_id, {columns}, d from _inc_sphere_moved_weeks where of_cohorts = {int(of_cohorts)}",
              f"{rows.format(d=-1, t='_inc_old_int_person_weeks')} union all {rows.format(d=1, t='_inc_new_int_person_weeks')}",
              "exec_id, person_key")
    return True


def update_int_sphere_cohorts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    # each person's first week with the executive is one row of int_person_weeks (int_sphere_cohorts.sql)
    return _by_person_weeks(con, inc, "int_sphere_cohorts", "exec_id, sphere_id, ring, first_week", "ring, first_week",
                            "where week = first_week", of_cohorts=True)


def update_int_sphere_weeks(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    return _by_person_weeks(con, inc, "int_sphere_weeks", "exec_id, sphere_id, week", "week")


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "int_sphere_features": update_int_sphere_features,
    "int_sphere_cohorts": update_int_sphere_cohorts,
    "int_sphere_weeks": update_int_sphere_weeks,
}
