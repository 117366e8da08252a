"""Incremental builds (pipeline/incremental.py) of the counts the spheres mart reads: ``int_sphere_features`` (how
many members of a sphere have a feature) and ``int_sphere_cohorts`` (how many are in a ring and first engaged in a
week).

Both are counts over the members of a sphere, recounted for the executives whose members ``sphere_members``
recomputed (the executives its update replaced). For every other executive the members are the same and only their
inputs may have changed:
- features change every day (a member's new hashtags, an edited bio): each row an updater took out of
  ``int_person_features`` takes one from its count, each row put in adds one, and a count that reaches 0 goes. On a
  new day of the same week that is a join of the few changed people to the members instead of every member to
  every feature;
- a member's first-week row of ``int_person_weeks`` changes only with their engagements in or before that week,
  which are within the spheres' window, so their executive's members were recomputed: the executives with such a
  row besides are recounted too (none, as the models stand; counted so that a later change cannot make it wrong).
The spheres mart is then recomputed in full from the counts, which are small. When every executive's members were
recomputed (the first day of a new week), both are counted again by their own SQL instead.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.incremental import (
    Increment,
    _model_sql,
    _sql_reading,
    count,
    every_executive,
    replace_rows,
    symmetric_difference,
)


def _members_recomputed(con: duckdb.DuckDBPyConnection, inc: Increment) -> str | None:
    """The table of the executives whose members sphere_members' update replaced; None if it was recomputed in
    full (then which members changed is not known), or if its update replaced every executive's members (the
    first day of a new week): recounting them all costs more than counting (at 10M engagements, on the same new
    week's day: 4.90 and 3.10 s recounted, 4.17 and 2.72 s counted)."""
    execs = inc.dirty.get("sphere_members") if "sphere_members" in inc.updated else None
    return None if execs is None or every_executive(con, execs, "sphere_members") else execs


def _recounted(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, execs: str) -> str:
    """The model's SQL over the members of the executives in the table ``execs``."""
    inc.scratch(con, f"_inc_members_{model}", f"select * from sphere_members semi join {execs} using (exec_id)",
                view=True)
    return _sql_reading(_model_sql("intermediate", model), {"sphere_members": f"_inc_members_{model}"})


def update_int_sphere_features(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    execs = _members_recomputed(con, inc)
    if execs is None or "int_person_features" not in inc.updated:
        return False
    keys = "exec_id, sphere_id, source, feature"
    # the other executives' members' changed features, +1 or -1 per row
    inc.scratch(con, "_inc_sf_delta", f"""
        select m.exec_id, m.sphere_id, f.source, f.feature, sum(f.d) as d
        from (select person_id, source, feature, -1 as d from _inc_old_int_person_features
              union all select person_id, source, feature, 1 from _inc_new_int_person_features) as f
        join sphere_members as m using (person_id)
        anti join {execs} using (exec_id)
        group by all having sum(f.d) <> 0""")
    inc.scratch(con, "_inc_sf_dirty", f"select {keys} from int_sphere_features semi join {execs} using (exec_id) "
                                      f"union select {keys} from _inc_sf_delta")
    replace_rows(con, inc, "int_sphere_features", [k.strip() for k in keys.split(",")], "_inc_sf_dirty", f"""
        {_recounted(con, inc, "int_sphere_features", execs)}
        union all
        select * from (
            select d.exec_id, d.sphere_id, d.source, d.feature, coalesce(t.n_in, 0) + d.d as n_in
            from _inc_sf_delta as d left join int_sphere_features as t using ({keys}))
        where n_in > 0""")
    inc.stats["int_sphere_features_rows_changed"] = count(con, "_inc_sf_dirty")
    return True


def update_int_sphere_cohorts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    execs = _members_recomputed(con, inc)
    if execs is None or "int_person_weeks" not in inc.updated:
        return False
    first_rows = "(select exec_id, person_id, ring, first_week from {t} where week = first_week)"
    changed = symmetric_difference(first_rows.format(t="_inc_old_int_person_weeks"),
                                   first_rows.format(t="_inc_new_int_person_weeks"), "exec_id, person_id")
    inc.scratch(con, "_inc_sc_execs", f"""
        select exec_id from {execs}
        union select distinct c.exec_id from ({changed}) as c semi join sphere_members using (exec_id, person_id)""")
    replace_rows(con, inc, "int_sphere_cohorts", ["exec_id"], "_inc_sc_execs",
                 _recounted(con, inc, "int_sphere_cohorts", "_inc_sc_execs"))
    inc.stats["int_sphere_cohorts_execs_recounted"] = count(con, "_inc_sc_execs")
    return True


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "int_sphere_features": update_int_sphere_features,
    "int_sphere_cohorts": update_int_sphere_cohorts,
}
