"""Spheres: communities in each executive's graph of engagers (PRODUCT.md, "Spheres"): who belongs to which,
keyed by person (``person_key``); the ``sphere_members`` mart shows their ids (a view: at 10M engagements the 7.1M
members written with their ids took 3.0-4.1 s, by their keys 0.6-0.7 s).

The graph, per executive:
- nodes are the people who engaged with the executive on at least two posts (one engagement says nothing about
  who someone is close to; see below for how one-time engagers get a sphere) and are linked on at least one (below):
  a person linked on no post would be a community of one, never a sphere, so Leiden is not given them (at 10M
  engagements 497k of the 687k people with two posts or more; without them Leiden and its graphs took 1.7 s
  against 5.4 s in one process, the mean modularity of the 100 executives 0.2506 both ways);
- two people are linked when they engaged with the same post, weighted by how many posts they share. A post links
  at most ``FANOUT_CAP`` of its engagers (a fixed pseudo-random choice: the smallest person keys), so one viral
  post adds at most ``FANOUT_CAP * (FANOUT_CAP - 1) / 2`` edges: the cost grows with the square of the cap
  (PERF-NOTES);
- follows among engagers would be further links, where known: no collector records whom an engager follows yet
  (only the executive's own follower and following lists), so none are added today.

Communities: igraph's ``community_leiden(objective_function="modularity")`` on the weighted graph, two iterations
(igraph's default), with Python's ``random`` seeded per executive: the same input gives the same spheres. Iterating
until nothing moves (``n_iterations=-1``) raised the mean modularity of 30 executives of the 10M-engagement benchmark
by 1% (0.2551 to 0.2576) for 5.7 times the time. Each executive's graph is independent, so large programmes spread
them over one process per core. A person who engaged once joins the
sphere most of the linked people on that post belong to (ties: the smaller sphere number). Communities of fewer
than ``MIN_SIZE`` people are not spheres (their members are left out). Spheres are numbered 1, 2, … per executive
by size, largest first (ties: the smallest person id).
"""

from __future__ import annotations

import os
import random
from typing import Any

import duckdb
import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.workers import worker_pool

DEPENDS = ["int_engagements", "int_exec_people", "int_sphere_window"]
GRAIN = ["exec_id", "person_key"]
FANOUT_CAP = 12
MIN_SIZE = 3
SEED = 20240611
# Below this many edges, starting worker processes (fresh interpreters that import igraph) costs more than it saves.
# The graph step alone at 10M engagements, the graphs of 15, 30, 44, 72 executives (a staggered day's is 15), two
# processes against one: 327k edges 0.48-0.95 s against 0.32-0.40 s; 665k 0.64-1.09 against 0.69-0.78 s; 981k
# 0.77-0.99 against 0.86-0.97 s; 1.6M 1.28-1.38 against 1.38-1.44 s (/tmp/s23/par.py, par2.py; session 23); all 100
# executives' 2.25M 1.5-2.3 s against 2.1-3.0 s (session 20).
PARALLEL_FROM_EDGES = 1_000_000


# The steps are written once, as DuckDB SQL, and shared with the Spark engine (pipeline/spark/graph.py), which
# transpiles them like every SQL model and runs ``communities`` per executive inside Spark tasks.
# The engagements the spheres are found in: each executive's through their week of int_sphere_window (all of them
# when it is NULL)
IN_WINDOW_SQL = """
    select e.* from int_engagements as e
    join int_sphere_window as w using (exec_id)
    where iso_week(e.engaged_at) <= w.through_week or w.through_week is null
"""
ENGAGERS_SQL = f"""
    select distinct e.exec_id, e.platform, e.post_id, e.person_key
    from ({IN_WINDOW_SQL}) as e
    anti join int_exec_people as x using (exec_id, person_key)
"""
CORE_SQL = "select exec_id, person_key from _sph_eng group by all having count(*) >= 2"
# The person key is 60 bits of an md5 already: ordered by it, the choice is as random as by the md5 of the id, the
# same on every engine, and cheaper (at 10M engagements 0.50-0.54 s against 1.67-1.68 s, the 3.1M engagers who are
# nodes; from 2026-12-06, so spheres found before then were from other linked engagers)
LINKED_SQL = f"""
    select exec_id, platform, post_id, person_key
    from (
        select e.*, row_number() over (
            partition by e.exec_id, e.platform, e.post_id order by e.person_key) as rn
        from _sph_eng as e
        semi join _sph_core as c using (exec_id, person_key)
    )
    where rn <= {FANOUT_CAP}
"""
EDGES_SQL = """
    select a.exec_id, a.person_key as u, b.person_key as v, count(*) as w
    from _sph_linked as a
    join _sph_linked as b using (exec_id, platform, post_id)
    where a.person_key < b.person_key
    group by all
"""
# (Spark runs the three; the DuckDB build takes the core from the per-engager post counts it keeps, the same people)
PREP = (("_sph_eng", ENGAGERS_SQL), ("_sph_core", CORE_SQL), ("_sph_linked", LINKED_SQL))
# the graph's nodes: the people linked on a post (every edge's ends, and those linked alone on a post, whose
# community one-time engagers can join)
GRAPH_NODES_SQL = "select distinct exec_id, person_key from {linked}"
# each one-time engager's one post (perhaps engaged more than once)
SINGLE_SQL = """select e.exec_id, e.person_key, e.platform, e.post_id from _sph_eng as e
                anti join _sph_core as c using (exec_id, person_key)"""
# One-time engagers join the sphere most linked engagers of their post belong to; spheres are numbered by size.
# From ``_sph_single`` (SINGLE_SQL), three steps, each a small table, then the members.
# each post's community: the one most of its linked engagers belong to (ties: the smaller number)
POST_COMMUNITY_SQL = """
    select exec_id, platform, post_id, arg_max(community, votes * 1e9 - community) as community
    from (
        select l.exec_id, l.platform, l.post_id, m.community, count(*) as votes
        from _sph_linked as l
        join _sph_core_members as m using (exec_id, person_key)
        group by l.exec_id, l.platform, l.post_id, m.community)
    group by all
"""
# the communities of at least MIN_SIZE people (nodes, and the one-time engagers of their posts), numbered by size;
# sizes counted per post, not over every member (at 10M engagements 70k posts hold 7.0M one-time engagers)
NUMBERED_SQL = f"""
    with sizes as (
        select exec_id, community, count(*) as size, min(person_key) as first_person
        from _sph_core_members group by all
        union all
        select p.exec_id, p.community, s.size, s.first_person
        from (select exec_id, platform, post_id, count(*) as size, min(person_key) as first_person
              from _sph_single group by all) as s
        join _sph_post_community as p using (exec_id, platform, post_id)
    ),
    kept as (
        select exec_id, community, sum(size) as size, min(first_person) as first_person
        from sizes group by all having sum(size) >= {MIN_SIZE}
    )
    select exec_id, community,
        row_number() over (partition by exec_id order by size desc, first_person) as sphere_id
    from kept
"""
# each post's sphere (a post whose community is not a sphere has none): what its one-time engagers join
POSTS_SQL = """
    select p.exec_id, p.platform, p.post_id, n.sphere_id
    from _sph_post_community as p
    join _sph_numbered as n using (exec_id, community)
"""
# (name, SQL): the steps, each read by the next ones by its name (Spark runs them as views)
SPHERE_STEPS = (("_sph_single", SINGLE_SQL), ("_sph_post_community", POST_COMMUNITY_SQL), ("_sph_numbered", NUMBERED_SQL),
                ("_sph_posts", POSTS_SQL))
# the members, keyed: the nodes in a sphere, and the one-time engagers (``{single}``) of a post with one
_MEMBERS_SQL = """
    select c.exec_id, n.sphere_id, c.person_key
    from _sph_core_members as c
    join _sph_numbered as n using (exec_id, community)
    union all
    select s.exec_id, p.sphere_id, s.person_key
    from {single} as s
    join _sph_posts as p using (exec_id, platform, post_id)
"""
MEMBERS_SQL = _MEMBERS_SQL.format(single="_sph_single")


def communities(exec_id: str, people: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Leiden communities of one executive's graph: ``people`` sorted, edges (u, v, w) sorted by (u, v). The Spark
    engine's entry (pipeline/spark/graph.py), which has the ids; the DuckDB build numbers the people in SQL."""
    return communities_of_nodes(exec_id, len(people), np.searchsorted(people, u), np.searchsorted(people, v), w)


def communities_of_nodes(exec_id: str, n: int, ui: np.ndarray, vi: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Leiden communities of one executive's graph of ``n`` nodes (the people in sorted order, by index), edges
    (ui, vi, w) in the order of the people's ids (u, v): the same graph, so the same communities, as ``communities``
    builds from the ids."""
    # (igraph reads pairs from Python: tuples zipped from two lists are made in 0.26 s for the 2.27M edges at 10M
    # engagements, rows of a stacked array's tolist() in 0.9 s; the same graph)
    g = ig.Graph(n=n, edges=list(zip(ui.tolist(), vi.tolist(), strict=True)), directed=False)
    g.es["weight"] = np.asarray(w, dtype=float).tolist()
    random.seed(f"{SEED}:{exec_id}")
    return np.asarray(g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2).membership)


def _communities_of(args: tuple[str, int, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    return communities_of_nodes(*args)


# Each executive's people numbered 0, 1, … in the order of their ids, and the edges by those numbers, in the order
# of the ids (u, v): Leiden gets integers, numbered by DuckDB (no search among 700k strings in Python, and small
# arrays to send to the worker processes; at 10M engagements the graph step went from 6.6 s to 5.6 s, one run
# each in a slow hour).
NODES_SQL = """
    select exec_id, person_key, (row_number() over (partition by exec_id order by person_key) - 1)::int32 as i
    from ({core})
"""
NUMBERED_EDGES_SQL = """
    select e.exec_id, a.i as ui, b.i as vi, e.w
    from ({edges}) as e
    join _sph_nodes as a on a.exec_id = e.exec_id and a.person_key = e.u
    join _sph_nodes as b on b.exec_id = e.exec_id and b.person_key = e.v
    -- the order of (u, v), by their numbers: integers sort faster than ids (2.27M edges at 10M engagements: the
    -- numbering 0.53-0.55 s against 0.83-1.0 s)
    order by e.exec_id, a.i, b.i
"""


def _communities_table(con: duckdb.DuckDBPyConnection, core: str, edges: str) -> pa.Table:
    """Leiden communities of every executive's graph: the nodes are the rows (exec_id, person_key) of the query
    ``core``, the edges the rows (exec_id, u, v, w) of the query ``edges``; returns (exec_id, person_key,
    community)."""
    con.execute(f"create or replace temp table _sph_nodes as {NODES_SQL.format(core=core)}")
    nodes = con.sql("select exec_id, person_key from _sph_nodes order by exec_id, i").to_arrow_table()
    people = con.execute("select exec_id, count(*) from _sph_nodes group by all order by exec_id").fetchall()
    numbered = con.sql(NUMBERED_EDGES_SQL.format(edges=edges)).to_arrow_table()
    con.execute("drop table _sph_nodes")
    e_u = numbered.column("ui").to_numpy()
    e_v = numbered.column("vi").to_numpy()
    e_w = numbered.column("w").to_numpy().astype(float)
    # both are sorted by executive: each executive's people and edges are one slice of them, found from their
    # counts (the 2.27M edges' executive ids made Python strings and searched took 0.2 s at 10M engagements)
    edges_of = {x["values"]: x["counts"] for x in pc.value_counts(numbered.column("exec_id")).to_pylist()}
    jobs, e0 = [], 0
    for exec_id, n in people:
        e1 = e0 + edges_of.get(exec_id, 0)
        jobs.append((exec_id, n, e_u[e0:e1], e_v[e0:e1], e_w[e0:e1]))
        e0 = e1
    # each executive's graph is independent: one process per core (igraph holds the GIL), this one among them. The
    # worker processes take the graphs largest first, this process the smallest first, until they meet (a graph
    # still waiting for a worker is taken back; the largest are always left to the workers), so this process does
    # not wait idle while they start (at 10M engagements the step took 1.5-2.3 s against 2.1-3.0 s with two
    # workers, with the slices above)
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers > 1 and len(e_u) >= PARALLEL_FROM_EDGES:
        by_size = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][2]))
        done: dict[int, np.ndarray] = {}
        with worker_pool(workers - 1) as pool:
            futures = [pool.submit(_communities_of, jobs[i]) for i in by_size]
            # (the workers' first graphs, one each, are never taken back)
            for i, future in reversed(list(zip(by_size, futures, strict=True))[workers - 1:]):
                if not future.cancel():
                    break  # a worker has it, and every larger one
                done[i] = _communities_of(jobs[i])
            for i, future in zip(by_size, futures, strict=True):
                if i not in done:
                    done[i] = future.result()
        out_comm = [done[i] for i in range(len(jobs))]
    else:
        out_comm = [_communities_of(j) for j in jobs]
    return nodes.append_column(
        "community", pa.array(np.concatenate(out_comm) if out_comm else [], type=pa.int64()))


# the nodes, with their count of distinct posts
PEOPLE_SQL = "select exec_id, person_key, count(*) as posts from {eng} group by all having count(*) >= 2"

# What an incremental build (pipeline/incremental.py) needs to update the spheres without re-reading every
# engagement, kept in the warehouse by every build: each node's count of distinct posts (two or more),
# the one post of each one-time engager, each post's linked engagers, the weighted edges, the communities of the
# graph's nodes (the linked people), each post's sphere. A full build writes them as it goes and reads its later
# steps from them (not from copies).


def build(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    con.execute(f"create or replace temp table _sph_eng as {ENGAGERS_SQL}")
    # CORE_SQL's people, kept with their count of posts (only the nodes: the one-time engagers are _sphere_single's)
    con.execute(f"create or replace table _sphere_people as {PEOPLE_SQL.format(eng='_sph_eng')}")
    con.execute("create or replace temp view _sph_core as select exec_id, person_key from _sphere_people")
    con.execute(f"create or replace table _sphere_linked as {LINKED_SQL}")
    con.execute("create or replace temp view _sph_linked as select * from _sphere_linked")
    con.execute(f"create or replace table _sphere_edges as {EDGES_SQL}")
    con.register("_sph_raw", _communities_table(con, GRAPH_NODES_SQL.format(linked="_sphere_linked"),
                                                "select * from _sphere_edges"))
    con.execute("create or replace table _sphere_core as select * from _sph_raw")
    con.unregister("_sph_raw")
    con.execute("create or replace temp view _sph_core_members as select * from _sphere_core")
    con.execute(f"create or replace table _sphere_single as {SINGLE_SQL}")
    con.execute("create or replace temp view _sph_single as select * from _sphere_single")
    con.execute(f"create or replace temp table _sph_post_community as {POST_COMMUNITY_SQL}")
    con.execute(f"create or replace temp table _sph_numbered as {NUMBERED_SQL}")
    con.execute(f"create or replace table _sphere_posts as {POSTS_SQL}")
    con.execute("create or replace temp view _sph_posts as select * from _sphere_posts")
    con.execute(f"create or replace table int_sphere_members as {MEMBERS_SQL}")
    for t in ("_sph_eng", "_sph_post_community", "_sph_numbered"):
        con.execute(f"drop table {t}")
    for v in ("_sph_core", "_sph_linked", "_sph_core_members", "_sph_single", "_sph_posts"):
        con.execute(f"drop view {v}")


def update(con: duckdb.DuckDBPyConnection, inc: Any) -> bool:
    """An incremental build's update (pipeline/incremental.py): from the engagements within the window that
    changed (and, for the executives whose window moved to a new week, those of the week it took in), the engagers whose count of
    posts changed, the posts whose linked engagers may have changed, the edges that changed; then Leiden again,
    from scratch and with the same seed, for every executive whose graph changed (so the spheres are exactly a full
    build's), and their members, of which only those whose sphere changed are replaced and passed on."""
    from pipeline.incremental import count, people_first, replace_rows, symmetric_difference

    # (the state tables are there: the last build was made by this code, or this would be a full build)
    if "int_engagements" not in inc.updated:
        return False
    if count(con, f"({symmetric_difference('int_exec_people', '_prev_int_exec_people')})"):
        return False  # an executive's own person changed: who is an engager changed
    # the executives whose window moved (on a day of a new week, with last_complete_week_staggered, a seventh of them)
    inc.scratch(con, "_sph_moved", """
        select exec_id, p.through_week as was, n.through_week as now
        from _prev_int_sphere_window as p full join int_sphere_window as n using (exec_id)
        where p.through_week is distinct from n.through_week""")
    moved = con.execute("select exec_id, was, now from _sph_moved").fetchall()
    if any(was is None or now is None or now < was for _, was, now in moved):
        return False  # a window changed its kind or went back (or an executive came or went): not an update
    # the engagements within the window that changed (with the weekly windows, only late ones of the weeks taken
    # in before, if any, on a day that moves no window; then every step below is on empty tables and no executive's
    # communities are found again); a window only grows, so the new one holds every changed row the old one did
    window = IN_WINDOW_SQL.replace("int_engagements", "{t}")
    # (removed: a row taken out, whose post may have lost an engager)
    parts = [(window.format(t="_inc_old_int_engagements"), True), (window.format(t="_inc_new_int_engagements"), False)]
    if moved:
        # the weeks a moved window now takes in besides (the week that ended) enter the graph, as new data
        parts.append(("""select e.* from int_engagements as e join _sph_moved as m using (exec_id)
                         where iso_week(e.engaged_at) > m.was and iso_week(e.engaged_at) <= m.now""", False))
        inc.stats["sphere_windows_moved"] = len(moved)
        inc.stats["sphere_weeks_taken_in"] = max((now - was).days // 7 for _, was, now in moved)
    changed = "_sph_changed"
    inc.scratch(con, changed, " union all ".join(
        f"select exec_id, platform, post_id, person_key, {str(removed).lower()} as removed from ({part})"
        for part, removed in parts))
    inc.scratch(con, "_sph_in_window", IN_WINDOW_SQL, view=True)
    inc.scratch(con, "_sph_p", f"select distinct exec_id, person_key from {changed} "
                               "anti join int_exec_people using (exec_id, person_key)")
    # the engagers of those people, as ENGAGERS_SQL gives them (their executives named too: int_engagements is
    # stored by executive, and the scan then skips the others' row groups, most of them on a day that moves a
    # seventh of the windows: at 10M engagements 0.045-0.054 s against 0.113 s measured alone, 0.085-0.094 s
    # against 0.354-0.422 s in such an update; and by the people first, as people_first says why)
    inc.scratch(con, "_sph_p_eng", f"""
        select distinct e.exec_id, e.platform, e.post_id, e.person_key
        from _sph_in_window as e {people_first("_sph_p", ["exec_id", "person_key"])}
        semi join _sph_p using (exec_id, person_key)
        where e.exec_id in (select exec_id from _sph_p)""")
    replace_rows(con, inc, "_sphere_people", ["exec_id", "person_key"], "_sph_p", PEOPLE_SQL.format(eng="_sph_p_eng"))
    replace_rows(con, inc, "_sphere_single", ["exec_id", "person_key"], "_sph_p", """
        select e.exec_id, e.person_key, e.platform, e.post_id from _sph_p_eng as e
        semi join (select exec_id, person_key from _sph_p_eng group by all having count(*) = 1)
            using (exec_id, person_key)""")
    # people who became a node (node_now) or stopped being one: every post they engaged may link them or not
    inc.scratch(con, "_sph_flipped", """
        select exec_id, person_key, bool_or(node_now) as node_now from (
            select exec_id, person_key, false as node_now from _inc_old__sphere_people
            union all select exec_id, person_key, true from _inc_new__sphere_people)
        group by all having count(*) = 1""")
    # The linked engagers of the posts those engagements or people touch, as LINKED_SQL chooses them (the first
    # FANOUT_CAP of the post's engagers who are nodes). A post that may have lost such an engager (an engagement
    # taken out or changed, or an engager who stopped being a node) has them chosen again from all its engagers who
    # are nodes. A post that only gained some (new engagements by nodes, every engagement of a person who became a
    # node: on a new week's first day nearly all) has them chosen from its linked engagers and the gained ones: the
    # first FANOUT_CAP of a set that grew are among the first FANOUT_CAP of the set before and the engagers it
    # gained. (A post that came in with a new node can have 100k engagers: on a new week's first day at 10M
    # engagements collected daily, the linked engagers of 2,329 posts took 2.7-3.3 s chosen among all their
    # engagers, 1.4-1.5 s among those who are nodes, 0.14 s this way.)
    inc.scratch(con, "_sph_lost", f"""
        select distinct exec_id, platform, post_id from {changed} where removed
        union select e.exec_id, e.platform, e.post_id from _sph_p_eng as e
            semi join (select exec_id, person_key from _sph_flipped where not node_now) using (exec_id, person_key)""")
    inc.scratch(con, "_sph_gained", f"""
        select * from (
            select c.exec_id, c.platform, c.post_id, c.person_key from {changed} as c
                semi join _sphere_people using (exec_id, person_key)
                where not c.removed
            union select e.exec_id, e.platform, e.post_id, e.person_key from _sph_p_eng as e
                semi join (select exec_id, person_key from _sph_flipped where node_now) using (exec_id, person_key))
        anti join _sph_lost using (exec_id, platform, post_id)""")
    inc.scratch(con, "_sph_relink", "select exec_id, platform, post_id from _sph_lost "
                                    "union select exec_id, platform, post_id from _sph_gained")
    inc.stats["sphere_linked_posts_lost"] = count(con, "_sph_lost")
    inc.stats["sphere_linked_posts_gained"] = count(con, "(select distinct exec_id, platform, post_id from _sph_gained)")
    inc.scratch(con, "_sph_d_core", "select exec_id, person_key from _sphere_people", view=True)
    inc.scratch(con, "_sph_d_eng", """
        select distinct e.exec_id, e.platform, e.post_id, e.person_key
        from _sph_in_window as e semi join _sph_lost using (exec_id, platform, post_id)
        semi join _sph_d_core using (exec_id, person_key)
        union select exec_id, platform, post_id, person_key from _sphere_linked
            semi join (select distinct exec_id, platform, post_id from _sph_gained) using (exec_id, platform, post_id)
        union select exec_id, platform, post_id, person_key from _sph_gained""")
    linked = LINKED_SQL.replace("_sph_eng", "_sph_d_eng").replace("_sph_core", "_sph_d_core")
    replace_rows(con, inc, "_sphere_linked", ["exec_id", "platform", "post_id"], "_sph_relink", linked)
    # each post adds 1 to the weight of every pair of its linked engagers: the difference, pair by pair
    pairs = """select a.exec_id, a.person_key as u, b.person_key as v, count(*) as n from {t} as a
               join {t} as b using (exec_id, platform, post_id) where a.person_key < b.person_key group by all"""
    inc.scratch(con, "_sph_delta", f"""
        select exec_id, u, v, sum(n) as delta from (
            {pairs.format(t='_inc_new__sphere_linked')}
            union all select exec_id, u, v, -n from ({pairs.format(t='_inc_old__sphere_linked')}))
        group by all having sum(n) <> 0""")
    replace_rows(con, inc, "_sphere_edges", ["exec_id", "u", "v"], "_sph_delta", """
        select d.exec_id, d.u, d.v, coalesce(e.w, 0) + d.delta as w
        from _sph_delta as d left join _sphere_edges as e using (exec_id, u, v)
        where coalesce(e.w, 0) + d.delta > 0""")
    # Leiden again for the executives whose graph changed: its edges, or its nodes (the linked people: an executive
    # any of whose linked rows changed); members again for those and for every executive with a changed engager (a
    # one-time engager's post, a node's count) or a post whose linked engagers were chosen again (a post's vote can
    # change without any edge)
    inc.scratch(con, "_sph_x", "select distinct exec_id from _sph_delta union select distinct exec_id from "
                               f"({symmetric_difference('_inc_old__sphere_linked', '_inc_new__sphere_linked')})")
    inc.scratch(con, "_sph_m", "select exec_id from _sph_x union select exec_id from _sph_p "
                               "union select exec_id from _sph_relink")
    inc.stats["sphere_graphs_changed"] = count(con, "_sph_x")
    inc.stats["sphere_members_execs_recomputed"] = count(con, "_sph_m")
    con.register("_sph_raw", _communities_table(
        con, GRAPH_NODES_SQL.format(linked="(select * from _sphere_linked semi join _sph_x using (exec_id))"),
        "select * from _sphere_edges semi join _sph_x using (exec_id)"))
    replace_rows(con, inc, "_sphere_core", ["exec_id"], "_sph_x", "select * from _sph_raw")
    con.unregister("_sph_raw")
    # the spheres of the executives whose members may have changed, by the steps over their part of the state
    scoped = {
        "_sph_single": "select exec_id, person_key, platform, post_id from _sphere_single",
        "_sph_linked": "select * from _sphere_linked",
        "_sph_core_members": "select * from _sphere_core",
    }
    for name, sql in scoped.items():
        inc.scratch(con, name, f"select * from ({sql}) semi join _sph_m using (exec_id)", view=True)
    inc.scratch(con, "_sph_post_community", POST_COMMUNITY_SQL)
    inc.scratch(con, "_sph_numbered", NUMBERED_SQL)
    inc.scratch(con, "_sph_posts", POSTS_SQL)
    # the posts whose sphere changed, or that gained or lost one: their one-time engagers follow them
    inc.scratch(con, "_sph_posts_changed", """
        select exec_id, platform, post_id
        from (select * from _sphere_posts semi join _sph_m using (exec_id)) as o
        full join _sph_posts as n using (exec_id, platform, post_id)
        where o.sphere_id is distinct from n.sphere_id""")
    replace_rows(con, inc, "_sphere_posts", ["exec_id", "platform", "post_id"], "_sph_posts_changed",
                 "select * from _sph_posts semi join _sph_posts_changed using (exec_id, platform, post_id)")
    inc.stats["sphere_posts_changed"] = count(con, "_sph_posts_changed")
    # Who may have changed sphere, come or gone: every node of the graph now or before (its community, or its
    # community's number, may have changed; a person with two posts or more who is not linked is in no sphere),
    # everyone whose engagements changed (a node or a one-time engager now, or before, or neither), and the one-time
    # engagers of the posts whose sphere changed. Any other member is a one-time engager of the same post as before,
    # whose sphere is the same. Only those are found again and compared with the stored ones.
    inc.scratch(con, "_sph_k", """
        select exec_id, person_key from _sph_core_members
        union select exec_id, person_key from _inc_old__sphere_core
        union select exec_id, person_key from _sph_p
        union select exec_id, person_key from _sph_single semi join _sph_posts_changed using (exec_id, platform, post_id)""")
    inc.scratch(con, "_sph_members", _MEMBERS_SQL.format(
        single="(select * from _sph_single semi join _sph_k using (exec_id, person_key))"))
    # only the members whose sphere changed (or who came or went) are replaced and passed on in
    # _inc_old/_inc_new_int_sphere_members: Leiden found again from scratch mostly finds the same spheres (on a new
    # week's first day at 10M engagements, 597k of 7.1M members changed sphere collected daily, 582k collected
    # weekly), and the models that count members (pipeline/update_spheres.py) then follow them alone.
    # The candidates' rows, stored and found again, are paired by a 64-bit hash of their key and compared by
    # sphere_id and a second hash of the key, with their row ids: a join of integers (on a new week's first day at
    # 10M engagements 0.40 s; when all 7.1M members were compared, 1.23 s, and 1.3 s more joined by their key
    # columns). A member whose sphere changed is always found. Two different members are paired only
    # when their key hashes collide, and then count as changed unless the second hashes (of the same keys in the
    # other order) collide too and their spheres are equal.
    member = "select rowid as rid, hash(exec_id, person_key) as h, hash(person_key, exec_id) as k, sphere_id from {t}"
    with inc.transaction(con):
        inc.scratch(con, "_sph_member_rowids", f"""
            select o.rid as old_rid, n.rid as new_rid
            from ({member.format(t="int_sphere_members " + people_first("_sph_k", ["exec_id", "person_key"])
                                   + "semi join _sph_k using (exec_id, person_key)")}) as o
            full join ({member.format(t="_sph_members")}) as n using (h)
            where o.sphere_id is distinct from n.sphere_id or o.k is distinct from n.k""")
        inc.scratch(con, "_inc_rows_int_sphere_members", """
            select t.rowid as _inc_rowid, t.* from int_sphere_members as t
            semi join _sph_member_rowids as i on t.rowid = i.old_rid""")
        inc.scratch(con, "_sph_members_changed",
                    "select t.* from _sph_members as t semi join _sph_member_rowids as i on t.rowid = i.new_rid")
        inc.scratch(con, "_sph_member_changes", """
            select exec_id, person_key from _inc_rows_int_sphere_members
            union all select exec_id, person_key from _sph_members_changed""")
        replace_rows(con, inc, "int_sphere_members", ["exec_id", "person_key"], "_sph_member_changes",
                     "select * from _sph_members_changed", old="_inc_rows_int_sphere_members")
    inc.stats["sphere_members_changed"] = count(con, "_sph_member_rowids")
    inc.stats["sphere_members_changed_execs"] = count(con, "(select distinct exec_id from _sph_member_changes)")
    return True
