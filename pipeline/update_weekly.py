"""Incremental builds (pipeline/incremental.py) of the per-week and per-topic models: each recomputes, with its own
SQL, only the (executive, week) or (executive, topic) rows whose inputs changed.

What changed upstream is the symmetric difference of ``_inc_old_M`` and ``_inc_new_M`` (rows recomputed unchanged
appear in both and drop out). An updater whose inputs were recomputed in full (not in ``inc.updated``) declines:
it cannot tell what changed, and its model is recomputed as in a full build.

- ``int_exec_weeks``: an executive's span moves only where activity (a person-week, an own post) arrived beyond it,
  or left one of its ends (then the span is recounted for that executive).
- ``int_window_reach``: a changed person-week at week v changes the windows ending v .. v + n_weeks - 1; from the
  first changed window of an executive on, its rows are recomputed from the person-weeks of the n_weeks - 1 weeks
  before it on (a window reads no earlier week, and the sweep over that cut-down input counts the same people).
- ``weekly_reach`` (one week's person-weeks), ``ladder`` (one int_window_reach row), ``int_post_topics`` and
  ``int_own_post_followers`` (one post): the changed keys recomputed.
- ``signals_weekly``: the weeks where posts, engagements, followers at posting time, the executive's output or the
  span changed; an executive whose sources (quotes, pingbacks, mentions known) flip has all weeks recomputed.
- ``topics``: the topics of posts whose topics or engagements changed (and every topic of an executive whose own
  persons changed); where the engagements only gained new ones, a topic that only gained posts and engagements
  grows by the new posts and by the new people among the engagers.

Recomputed in full: ``cohort_percentiles`` (new data changes every cohort's latest week, so every cohort; in full it
is cheaper than finding that out), ``followers_weekly`` (it reads the follow lists, recomputed in full) and
``connector_weekly`` (its spheres come counted per week, ``int_sphere_weeks``: at 10M engagements the model takes
0.06 s in full; updated in place, its weeks with a member whose sphere changed took 0.17 s on a day of the same
week, and on a new week's first day, every executive's, 1.2 s in full with the members joined).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.incremental import (
    Increment,
    _model_sql,
    _sql_reading,
    count,
    exec_accounts_changed,
    people_first,
    recompute_partitions,
    replace_rows,
    symmetric_difference,
)


def _changed(model: str, cols: str) -> str:
    """The rows of ``model`` this build really took out or put in (not the ones recomputed unchanged)."""
    return symmetric_difference(f"_inc_old_{model}", f"_inc_new_{model}", cols)


def _person_weeks_changed(con: duckdb.DuckDBPyConnection, inc: Increment) -> str:
    """The (exec_id, week) of the person-weeks this update really took out or put in, found once (int_window_reach
    and weekly_reach read them; each comparison took 0.08-0.10 s on a day at 10M engagements)."""
    if "_inc_pw_changed" not in inc.temp:
        inc.scratch(con, "_inc_pw_changed", f"select distinct exec_id, week from "
                                            f"({_changed('int_person_weeks', 'exec_id, week')})")
    return "_inc_pw_changed"


def _interactions_changed(cols: str) -> str:
    """The executive's interactions that changed (int_exec_interactions is recomputed in full each build;
    ``_prev_int_exec_interactions`` is the table it replaced), as ``cols``."""
    return symmetric_difference("int_exec_interactions", "_prev_int_exec_interactions", cols)


def _ready(con: duckdb.DuckDBPyConnection, inc: Increment, *models: str) -> bool:
    return set(models) <= inc.updated and not exec_accounts_changed(con, inc)


def update_int_exec_weeks(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_own_posts", "int_person_weeks"):
        return False
    activity = ("select exec_id, iso_week(created_at) as week from {p} where created_at is not null "
                "union all select exec_id, week from {w}")
    old = activity.format(p="_inc_old_int_own_posts", w="_inc_old_int_person_weeks")
    new = activity.format(p="_inc_new_int_own_posts", w="_inc_new_int_person_weeks")
    # (each side in parentheses: UNION ALL and EXCEPT ALL bind alike, left to right, so "{old} except all {new}"
    # unparenthesized would take the new posts from the old activity and then add the new person-weeks back)
    inc.scratch(con, "_inc_ew_gone", f"select exec_id, min(week) as lo, max(week) as hi from "
                                     f"(({old}) except all ({new})) group by exec_id")
    inc.scratch(con, "_inc_ew_came", f"select exec_id, min(week) as lo, max(week) as hi from "
                                     f"(({new}) except all ({old})) group by exec_id")
    # an end stays unless activity left it (then NULL: recounted below); new activity beyond it moves it
    inc.scratch(con, "_inc_ew_span", """
        with o as (select exec_id, min(week) as lo, max(week) as hi from int_exec_weeks group by exec_id)
        select exec_id, o.lo as old_lo, o.hi as old_hi,
            case when c.lo <= o.lo or (o.lo is null and c.lo is not null) then c.lo
                 when o.lo is not null and coalesce(g.lo > o.lo, true) then o.lo end as lo,
            case when c.hi >= o.hi or (o.hi is null and c.hi is not null) then c.hi
                 when o.hi is not null and coalesce(g.hi < o.hi, true) then o.hi end as hi
        from o full join _inc_ew_came as c using (exec_id) full join _inc_ew_gone as g using (exec_id)
    """)
    recount = "select exec_id from _inc_ew_span where lo is null or hi is null"
    if count(con, f"({recount})"):
        inc.stats["exec_weeks_recounted"] = count(con, f"({recount})")
        con.execute(f"""
            update _inc_ew_span as s set lo = r.lo, hi = r.hi
            from (select exec_id, min(week) as lo, max(week) as hi
                  from ({activity.format(p='int_own_posts', w='int_person_weeks')})
                  where exec_id in ({recount}) group by exec_id) as r
            where s.exec_id = r.exec_id
        """)
        # an executive left with no activity at all keeps NULL ends: no weeks
    inc.scratch(con, "_inc_ew_dirty", "select exec_id from _inc_ew_span "
                                      "where lo is distinct from old_lo or hi is distinct from old_hi")
    inc.stats["exec_spans_changed"] = count(con, "_inc_ew_dirty")
    replace_rows(con, inc, "int_exec_weeks", ["exec_id"], "_inc_ew_dirty", """
        select exec_id, cast(unnest(generate_series(lo, hi, interval 7 day)) as date) as week
        from _inc_ew_span semi join _inc_ew_dirty using (exec_id) where lo is not null
    """)
    return True


def _n_weeks(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select cast(ceil(window_days / 7.0) as integer) from cfg_ladder").fetchall()[0][0]


def update_int_window_reach(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_exec_weeks", "int_person_weeks"):
        return False
    n_weeks = _n_weeks(con)
    back = 7 * (n_weeks - 1)
    # per executive, the first window that changed: a changed person-week's own week, or a week its span gained
    # or lost; every row from there on is recomputed (later windows may not have changed: cheap, and simple)
    inc.scratch(con, "_inc_wr_from", f"""
        select exec_id, min(week) as from_week from (
            select exec_id, week from {_person_weeks_changed(con, inc)}
            union all {_changed('int_exec_weeks', 'exec_id, week')})
        group by exec_id
    """)
    inc.scratch(con, "_inc_wr_dirty", """
        select exec_id, week from int_window_reach join _inc_wr_from using (exec_id) where week >= from_week
        union select exec_id, week from int_exec_weeks join _inc_wr_from using (exec_id) where week >= from_week
    """)
    weeks = con.execute("select coalesce(max(n), 0) from (select count(*) as n from _inc_wr_dirty group by exec_id)")
    direct = weeks.fetchone()[0] <= WINDOW_REACH_DIRECT_WEEKS
    # a window ending at w >= from_week reads no week before from_week - back: cut the inputs there (read once
    # where the windows are counted directly, and then only for new windows: views)
    for table in ("int_person_weeks", "int_exec_weeks"):
        inc.scratch(con, f"_inc_wr_{table}", f"""
            select t.* from {table} as t join _inc_wr_from as f using (exec_id)
            where t.week >= cast(f.from_week - {back} as date)
        """, view=direct)
    if direct:
        rows = _WINDOW_REACH_DIRECT.format(n_weeks=n_weeks, back=back)
    else:
        model = _sql_reading(_model_sql("intermediate", "int_window_reach"),
                             {t: f"_inc_wr_{t}" for t in ("int_person_weeks", "int_exec_weeks")})
        rows = f"select r.* from ({model}\n) as r join _inc_wr_from as f using (exec_id) where r.week >= f.from_week"
    if direct:
        # the windows stored already, which the direct count changes by the changed people alone (counted before
        # the update replaces them: afterwards every window it put in is stored)
        inc.stats["window_reach_by_delta"] = count(con, "(select * from _inc_wr_dirty semi join int_window_reach "
                                                   "using (exec_id, week))")
    replace_rows(con, inc, "int_window_reach", ["exec_id", "week"], "_inc_wr_dirty", rows)
    inc.stats["window_reach_rows"] = count(con, "_inc_new_int_window_reach")
    inc.stats["window_reach_counted_directly"] = int(direct)
    return True


# When each executive has at most this many windows to recompute (a day's engagements are of its latest week or
# two), each window's people are counted directly, the person-weeks in it grouped by person, rather than by the
# model's sweep over every person-week of the windows' weeks: at 10M engagements, the latest week of the 100
# executives 0.20 s against 0.49-0.63 s, the same rows (`/tmp/s22/wr.py` of session 22, medians of 5). A window
# from further back joins each person-week to every window it is in (n_weeks of them): the sweep, then.
WINDOW_REACH_DIRECT_WEEKS = 2
# the int_window_reach rows of the windows ending at the weeks from ``_inc_wr_from`` on, as the model counts them:
# the distinct people with a person-week in the window (its ``n_weeks`` weeks to its end, ``back`` days before
# it), by ring, and the digital-only ones among them engaged there in a week after their first week ever.
# A window stored already changes by the people whose person-weeks this update replaced alone (int_person_weeks'
# update takes out and puts in every row of each of them): its counts change by what their new rows give (+1) less
# what their old rows gave (-1), grouped as a new window's every person-week is (+1). At 10M engagements, a day's
# update of the 100 executives' current windows: int_window_reach 0.19-0.26 s against 0.44-0.49 s counting every
# person-week of those windows again.
_WINDOW_REACH_DIRECT = """
    with windows as (
        select w.exec_id, w.week, r.exec_id is not null as stored
        from _inc_wr_int_exec_weeks as w join _inc_wr_from as f using (exec_id)
        left join int_window_reach as r using (exec_id, week)
        where w.week >= f.from_week
    ),
    person_weeks as (
        select p.*, 1 as d, false as changed from _inc_wr_int_person_weeks as p
            semi join (select exec_id from windows where not stored) using (exec_id)
        union all select *, -1, true from _inc_old_int_person_weeks
        union all select *, 1, true from _inc_new_int_person_weeks
    ),
    people as (
        select w.exec_id, w.week, p.person_key, p.ring, p.d,
            bool_or(p.ring = 'digital_only' and p.week > p.first_week) as returned
        from windows as w
        join person_weeks as p on p.exec_id = w.exec_id and p.changed = w.stored
            and p.week between cast(w.week - {back} as date) and w.week
        group by all
    ),
    counts as (
        select exec_id, week,
            sum(d) filter (where ring = 'team') as team,
            sum(d) filter (where ring = 'organisation') as organisation,
            sum(d) filter (where ring = 'met_in_person') as met_in_person,
            sum(d) filter (where ring = 'digital_only') as digital_only,
            sum(d) filter (where returned) as returning_digital
        from people group by all
    )
    select w.exec_id, w.week,
        {n_weeks} as window_weeks,
        cast(coalesce(r.engagers, 0) + coalesce(c.team, 0) + coalesce(c.organisation, 0)
             + coalesce(c.met_in_person, 0) + coalesce(c.digital_only, 0) as bigint) as engagers,
        cast(coalesce(r.team, 0) + coalesce(c.team, 0) as bigint) as team,
        cast(coalesce(r.organisation, 0) + coalesce(c.organisation, 0) as bigint) as organisation,
        cast(coalesce(r.met_in_person, 0) + coalesce(c.met_in_person, 0) as bigint) as met_in_person,
        cast(coalesce(r.digital_only, 0) + coalesce(c.digital_only, 0) as bigint) as digital_only,
        cast(coalesce(r.returning_digital, 0) + coalesce(c.returning_digital, 0) as bigint) as returning_digital,
        l.*
    from windows as w
    left join int_window_reach as r using (exec_id, week)
    left join counts as c using (exec_id, week)
    cross join cfg_ladder as l
"""


def update_weekly_reach(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A row counts the person-weeks of its own week: recompute the weeks whose person-weeks or span changed."""
    if not _ready(con, inc, "int_exec_weeks", "int_person_weeks"):
        return False
    inc.scratch(con, "_inc_weekly_dirty", f"select exec_id, week from {_person_weeks_changed(con, inc)} "
                                          f"union {_changed('int_exec_weeks', 'exec_id, week')}")
    recompute_partitions(con, inc, "marts", "weekly_reach", ["exec_id", "week"], "_inc_weekly_dirty",
                         {"int_exec_weeks": "exec_id, week", "int_person_weeks": "exec_id, week"})
    return True


def update_ladder(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_window_reach"):
        return False
    inc.scratch(con, "_inc_ladder_dirty", _changed("int_window_reach", "distinct exec_id, week"))
    recompute_partitions(con, inc, "marts", "ladder", ["exec_id", "week"], "_inc_ladder_dirty",
                         {"int_window_reach": "exec_id, week"})
    return True


def update_int_post_topics(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_own_posts"):
        return False
    inc.scratch(con, "_inc_pt_dirty", _changed("int_own_posts", "distinct exec_id, platform, post_id"))
    recompute_partitions(con, inc, "intermediate", "int_post_topics", ["exec_id", "platform", "post_id"],
                         "_inc_pt_dirty", {"int_own_posts": "exec_id, platform, post_id"})
    return True


def update_int_own_post_followers(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A post's row reads its own row, its author, and the author's follower counts observed nearest its creation
    within 14 days: a new observation at t can change only posts created within 14 days of t (further away it
    is beyond the limit on its side, and leaves the other side's nearest as it was)."""
    if not _ready(con, inc, "int_own_posts", "stg_posts"):
        return False
    inc.scratch(con, "_inc_opf_dirty", f"""
        {_changed('int_own_posts', 'exec_id, platform, post_id')}
        union {_changed('stg_posts', 'exec_id, platform, post_id')}
        union select o.exec_id, o.platform, o.post_id
        from int_own_posts as o
        join stg_posts as s using (exec_id, platform, post_id)
        join (select distinct platform, account_id, observed_at from obs_new_accounts
              where followers_count is not null) as f
            on f.platform = o.platform and f.account_id = s.author_account_id
            and o.created_at between f.observed_at - interval 14 day and f.observed_at + interval 14 day
    """)
    recompute_partitions(con, inc, "intermediate", "int_own_post_followers", ["exec_id", "platform", "post_id"],
                         "_inc_opf_dirty", {"int_own_posts": "exec_id, platform, post_id",
                                            "stg_posts": "exec_id, platform, post_id"})
    return True


def update_signals_weekly(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_exec_weeks", "int_own_posts", "int_engagements", "int_own_post_followers"):
        return False
    # posts that entered or left int_own_posts: their engagements entered or left the inbound counts
    inc.scratch(con, "_inc_sw_posts", """
        select exec_id, platform, post_id from (select exec_id, platform, post_id from _inc_old_int_own_posts
            union all select exec_id, platform, post_id from _inc_new_int_own_posts)
        group by all having count(*) = 1
    """)
    inc.scratch(con, "_inc_sw_dirty", f"""
        {_changed('int_exec_weeks', 'exec_id, week')}
        union select exec_id, iso_week(created_at) from ({_changed('int_own_posts', 'exec_id, created_at')})
            where created_at is not null
        union select exec_id, iso_week(engaged_at) from ({_changed('int_engagements', 'exec_id, engaged_at')})
        union select o.exec_id, iso_week(created_at) from int_own_posts as o
            semi join ({_changed('int_engagements', 'exec_id, platform, post_id')}) using (exec_id, platform, post_id)
            where created_at is not null
        union select o.exec_id, iso_week(created_at) from int_own_posts as o
            semi join ({_changed('int_own_post_followers', 'exec_id, platform, post_id')})
                using (exec_id, platform, post_id)
            where created_at is not null
        union select exec_id, iso_week(engaged_at) from int_engagements semi join _inc_sw_posts using (exec_id, platform, post_id)
        union select exec_id, iso_week("at") from ({_interactions_changed('exec_id, "at"')}) where "at" is not null
    """)
    # the sources of an executive (quotes, pingbacks, mentions known) are in every row of theirs, by nullness
    known = ("inbound_quotes is not null as q, inbound_pingbacks is not null as p, "
             "inbound_mentions is not null as m")
    # the columns of the engagements the model reads (not engagement_key: stored with ZSTD, it cost 0.29 s to read
    # for 170k rows scattered over 10M where the others cost 0.05 s, `/tmp/s29/zs.py`): at 10M engagements, copying
    # every column of the dirty weeks' engagements took 1.3-1.9 s
    cols = "exec_id, platform, post_id, kind, ring, engaged_at, depth"
    for attempt in (1, 2):
        inc.scratch(con, "_inc_sw_weeks", "select * from int_exec_weeks semi join _inc_sw_dirty using (exec_id, week)")
        # the engagements the dirty weeks read: engaged in them (inbound; by range, which at 1M engagements is 20
        # times cheaper than truncating every time to its week), or replies to posts published in them (depth); and
        # one mention per executive, which keeps mentions_known right with the engagements cut down. Their row ids
        # first, then the rows by them: the union of the three is of integers, not of the rows' columns (at 10M
        # engagements, in scratch, 0.24 s against 0.78 s for the same 40,782 rows)
        with inc.transaction(con):  # (row ids hold within one)
            inc.scratch(con, "_inc_sw_eng_ids", """
                select e.rowid as _inc_rowid from int_engagements as e
                join _inc_sw_dirty as d on d.exec_id = e.exec_id
                    and e.engaged_at >= cast(d.week as timestamptz) and e.engaged_at < cast(d.week + 7 as timestamptz)
                union select e.rowid from int_engagements as e semi join (
                    select exec_id, platform, post_id from int_own_posts as o
                    semi join _inc_sw_dirty as d on d.exec_id = o.exec_id and d.week = iso_week(o.created_at)
                ) using (exec_id, platform, post_id)
                where e.kind in ('reply', 'comment')
                union select min(rowid) from int_engagements where kind = 'mention' group by exec_id
            """)
            inc.scratch(con, "_inc_sw_eng", f"""
                select {cols} from int_engagements as e semi join _inc_sw_eng_ids as i on e.rowid = i._inc_rowid
            """)
        model = _sql_reading(_model_sql("marts", "signals_weekly"),
                             {"int_exec_weeks": "_inc_sw_weeks", "int_engagements": "_inc_sw_eng"})
        inc.scratch(con, "_inc_sw_rows", model)
        flipped = f"""
            select distinct exec_id from (select distinct exec_id, {known} from _inc_sw_rows) as n
            join (select distinct exec_id, {known} from signals_weekly) as o using (exec_id)
            where o.q <> n.q or o.p <> n.p or o.m <> n.m
        """
        if attempt == 2 or not count(con, f"({flipped})"):
            break
        inc.stats["signals_sources_flipped"] = count(con, f"({flipped})")
        con.execute(f"insert into _inc_sw_dirty select exec_id, week from int_exec_weeks where exec_id in ({flipped}) "
                    "except select exec_id, week from _inc_sw_dirty")
    replace_rows(con, inc, "signals_weekly", ["exec_id", "week"], "_inc_sw_dirty", "select * from _inc_sw_rows")
    return True


def update_topics(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _ready(con, inc, "int_post_topics", "int_engagements"):
        return False
    # executives whose own persons changed (identity evidence joined their accounts to others): their engagers
    # changed on every topic (int_exec_people is recomputed in full; _prev_int_exec_people is the table it replaced)
    inc.scratch(con, "_inc_tp_execs", "select distinct exec_id from "
                                      f"({symmetric_difference('int_exec_people', '_prev_int_exec_people', 'exec_id')})")
    # the topics' posts put in (a new post) and taken out (a post edited or gone)
    inc.scratch(con, "_inc_tp_added", "select exec_id, topic_key, count(*) as posts, min(topic) as topic from "
                                      "(select * from _inc_new_int_post_topics except all "
                                      "select * from _inc_old_int_post_topics) group by all")
    inc.scratch(con, "_inc_tp_removed", "select distinct exec_id, topic_key from "
                                        "(select * from _inc_old_int_post_topics except all "
                                        "select * from _inc_new_int_post_topics)")
    inc.scratch(con, "_inc_tp_dirty", f"""
        select exec_id, topic_key from _inc_tp_added
        union select * from _inc_tp_removed
        union select t.exec_id, t.topic_key from int_post_topics as t
            semi join ({_changed('int_engagements', 'exec_id, platform, post_id')}) using (exec_id, platform, post_id)
        union select exec_id, topic_key from int_post_topics semi join _inc_tp_execs using (exec_id)
        union select exec_id, topic_key from topics semi join _inc_tp_execs using (exec_id)
    """)
    # Where every changed engagement is a new one (none taken out or changed: the usual day), a topic that only
    # gained posts and engagements keeps its row, its posts grown by the new posts and its engagers by the new
    # engagements' people who had engaged with none of its posts before, found from those people's own
    # engagements. Counting every engager of such topics again reads most engagements, since a day's new
    # engagements land on the posts of nearly every executive's topics (at 10M engagements collected daily,
    # 4.3 s a day). The others (a post taken out, a topic new to the executive, their own persons changed) are
    # recounted by the model's SQL.
    by_delta = count(con, "_inc_old_int_engagements") == 0
    recount = "_inc_tp_dirty"
    if by_delta:
        recount = "_inc_tp_recount"
        inc.scratch(con, recount, """
            select * from _inc_tp_removed
            union select exec_id, topic_key from _inc_tp_added anti join topics using (exec_id, topic_key)
            union select exec_id, topic_key from _inc_tp_dirty semi join _inc_tp_execs using (exec_id)""")
        inc.scratch(con, "_inc_tp_delta", f"select * from _inc_tp_dirty except select * from {recount}")
    inc.scratch(con, "_inc_tp_int_post_topics", f"select * from int_post_topics semi join {recount} "
                                                "using (exec_id, topic_key)")
    inc.scratch(con, "_inc_tp_int_exec_topics", f"select * from int_exec_topics semi join {recount} "
                                                "using (exec_id, topic_key)")
    # the engagements with the recounted topics' posts, read in place (a scratch copy of them cost twice as much)
    engagements = ("(select * from int_engagements semi join (select distinct exec_id, platform, post_id "
                   "from _inc_tp_int_post_topics) using (exec_id, platform, post_id))")
    rows = _sql_reading(_model_sql("marts", "topics"), {"int_post_topics": "_inc_tp_int_post_topics",
                                                         "int_exec_topics": "_inc_tp_int_exec_topics",
                                                         "int_engagements": engagements})
    if by_delta:
        rows += f"\nunion all\n{_topics_by_delta(con, inc)}"
    replace_rows(con, inc, "topics", ["exec_id", "topic_key"], "_inc_tp_dirty", rows)
    inc.stats["topics_dirty"] = count(con, "_inc_tp_dirty")
    inc.stats["topics_by_delta"] = count(con, "_inc_tp_delta") if by_delta else 0
    return True


def _topics_by_delta(con: duckdb.DuckDBPyConnection, inc: Increment) -> str:
    """SQL for the rows of the topics in ``_inc_tp_delta``: each stored row grown by its new posts and new people."""
    # the new engagements' (executive, topic, person), and which of those people had engaged with the topic
    inc.scratch(con, "_inc_tp_new", """
        select distinct n.exec_id, t.topic_key, n.person_key, n.ring
        from _inc_new_int_engagements as n
        join int_post_topics as t using (exec_id, platform, post_id)
        semi join _inc_tp_delta using (exec_id, topic_key)
        anti join int_exec_people as x using (exec_id, person_key)
    """)
    # (their engagements found by row id first, reading two columns of every row, then the columns read below of
    # those rows alone: at 10M engagements 0.17 s against 0.36 s in one scan, where every row's engagement key was
    # read for the anti join; `/tmp/s22/tp.py` of session 22, medians of 5. take_rows' two steps, which copy the
    # rows out before this query reads them, took 0.33-0.46 s against 0.26-0.30 s in a day's update. By the people
    # first, as people_first says why: 0.04-0.06 s against 0.10-0.11 s.)
    # The new engagements themselves are left out by their row ids too: those whose key's hash is a new one's, held
    # to the key (engagement_key, stored with ZSTD, is read for those rows alone: read for every row of those
    # people, 169k on a day at 10M engagements, the query took 0.48 s, most of it that column).
    with inc.transaction(con):
        inc.scratch(con, "_inc_tp_had_ids", f"""
            select e.rowid as _inc_rowid from int_engagements as e
            {people_first("_inc_tp_new", ["exec_id", "person_key"])}
            semi join (select distinct exec_id, person_key from _inc_tp_new) using (exec_id, person_key)""")
        inc.scratch(con, "_inc_tp_had_new_ids", """
            select e.rowid as _inc_rowid from int_engagements as e
            semi join _inc_tp_had_ids as i on e.rowid = i._inc_rowid
            semi join (select key_hash from _inc_new_int_engagements) using (key_hash)""")
        inc.scratch(con, "_inc_tp_had", """
            select distinct e.exec_id, t.topic_key, e.person_key
            from int_engagements as e
            semi join (select _inc_rowid from _inc_tp_had_ids except select e.rowid from int_engagements as e
                       semi join _inc_tp_had_new_ids as i on e.rowid = i._inc_rowid
                       semi join _inc_new_int_engagements using (exec_id, platform, engagement_key)) as i
                on e.rowid = i._inc_rowid
            join int_post_topics as t using (exec_id, platform, post_id)
            semi join _inc_tp_delta using (exec_id, topic_key)
        """)
    return """
        select t.exec_id, t.topic_key,
            -- a declared topic is named as declared; an observed one by the least of its posts' forms
            case when t.declared then t.topic else least(t.topic, coalesce(a.topic, t.topic)) end as topic,
            t.declared, t.posts + coalesce(a.posts, 0) as posts,
            t.engagers + coalesce(d.people, 0) as engagers,
            t.digital_only_engagers + coalesce(d.digital_only, 0) as digital_only_engagers
        from topics as t
        semi join _inc_tp_delta using (exec_id, topic_key)
        left join _inc_tp_added as a using (exec_id, topic_key)
        left join (
            select exec_id, topic_key, count(*) as people,
                count(*) filter (where ring = 'digital_only') as digital_only
            from _inc_tp_new anti join _inc_tp_had using (exec_id, topic_key, person_key)
            group by all
        ) as d using (exec_id, topic_key)
    """


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "int_exec_weeks": update_int_exec_weeks,
    "int_window_reach": update_int_window_reach,
    "weekly_reach": update_weekly_reach,
    "ladder": update_ladder,
    "int_post_topics": update_int_post_topics,
    "int_own_post_followers": update_int_own_post_followers,
    "signals_weekly": update_signals_weekly,
    "topics": update_topics,
}
