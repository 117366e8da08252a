"""Incremental builds (pipeline/incremental.py) of the counts the spheres mart reads: ``int_sphere_features`` (how
many members of a sphere have a feature) and ``int_sphere_cohorts`` (how many are in a ring and first engaged in a
week).

Both are counts over the members of a sphere. For the executives whose members ``sphere_members`` recomputed (the
executives its update replaced), the rows are counted again from their members. For every other executive the
members are the same and only their inputs changed: each row an updater took out of ``int_person_features`` (or a
pair's first-week row of ``int_person_weeks``) takes one from its count, each row put in adds one, and a count
that reaches 0 goes. On a new day of the same week (the spheres, through the last complete week, unchanged) that is
a join of the few changed people to the members instead of every member to every feature; the spheres mart is then
recomputed in full from the counts, which are small.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.incremental import Increment, _model_sql, _sql_reading, count, replace_rows


def _update_counts(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, keys: list[str], measure: str,
                   changes: str) -> None:
    """Replace the rows of ``model`` (keyed by ``keys``, counting ``measure``) of the executives whose members
    changed by their recount, and add ``changes`` (rows of ``keys`` and ``d``, +1 or -1, for the members of the
    other executives) to the stored counts."""
    execs = inc.dirty["sphere_members"]
    k = ", ".join(keys)
    inc.scratch(con, f"_inc_delta_{model}", f"""
        select {k}, sum(d) as d from ({changes}) as c anti join {execs} using (exec_id)
        group by all having sum(d) <> 0""")
    inc.scratch(con, f"_inc_dirty_{model}", f"""
        select {k} from {model} semi join {execs} using (exec_id)
        union select {k} from _inc_delta_{model}""")
    inc.scratch(con, "_inc_sph_recounted", f"select * from sphere_members semi join {execs} using (exec_id)",
                view=True)
    recount = _sql_reading(_model_sql("intermediate", model), {"sphere_members": "_inc_sph_recounted"})
    replace_rows(con, inc, model, keys, f"_inc_dirty_{model}", f"""
        {recount}
        union all
        select * from (
            select {", ".join(f"d.{c}" for c in keys)}, coalesce(t.{measure}, 0) + d.d as {measure}
            from _inc_delta_{model} as d left join {model} as t using ({k}))
        where {measure} > 0""")
    inc.stats[f"{model}_rows_changed"] = count(con, f"_inc_dirty_{model}")


def _ready(inc: Increment, upstream: str) -> bool:
    # (sphere_members recomputed in full, or its input: which rows changed is not known)
    return {"sphere_members", upstream} <= inc.updated and "sphere_members" in inc.dirty


def update_int_sphere_features(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(inc, "int_person_features"):
        return False
    _update_counts(con, inc, "int_sphere_features", ["exec_id", "sphere_id", "source", "feature"], "n_in", """
        select m.exec_id, m.sphere_id, f.source, f.feature, f.d
        from (select person_id, source, feature, -1 as d from _inc_old_int_person_features
              union all select person_id, source, feature, 1 from _inc_new_int_person_features) as f
        join sphere_members as m using (person_id)""")
    return True


def update_int_sphere_cohorts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(inc, "int_person_weeks"):
        return False
    _update_counts(con, inc, "int_sphere_cohorts", ["exec_id", "sphere_id", "ring", "first_week"], "people", """
        select m.exec_id, m.sphere_id, w.ring, w.first_week, w.d
        from (select exec_id, person_id, ring, first_week, -1 as d from _inc_old_int_person_weeks
              where week = first_week
              union all select exec_id, person_id, ring, first_week, 1 from _inc_new_int_person_weeks
              where week = first_week) as w
        join sphere_members as m using (exec_id, person_id)""")
    return True


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "int_sphere_features": update_int_sphere_features,
    "int_sphere_cohorts": update_int_sphere_cohorts,
}
