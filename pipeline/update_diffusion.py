"""Incremental builds (pipeline/incremental.py) of the diffusion models: int_diffusion_edges, int_diffusion_tree and
the mart chains, updated in place from what changed upstream; each gives exactly the rows a full build gives.

- ``int_diffusion_edges`` (a row per node): recomputed for the nodes of changed engagements, of changed posts, and
  of posts whose author now belongs to another person.
- ``int_diffusion_tree`` (a tree per root): recomputed for the roots whose tree may have changed: the roots a changed
  node (an edge or placeholder row that differs, an own post that became or stopped being one, or one of its
  children) sat under in the stored tree, and the roots above it now. Only the nodes that can be in those trees
  are traversed.
- ``chains`` (a row per root): recomputed for the roots whose tree was recomputed, and for the roots with a node of
  a person who became or stopped being the executive's (``int_exec_people`` is recomputed in full each build; the
  table it replaced is ``_prev_int_exec_people``).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.incremental import (
    Increment,
    _model_sql,
    _sql_reading,
    count,
    engagements_by_key,
    recompute_partitions,
    replace_rows,
    symmetric_difference,
    take_rows,
)

NODE = ["exec_id", "platform", "node_id"]
ROOT = ["exec_id", "platform", "root_post_id"]
# the node id int_diffusion_edges.sql gives an engagement
_ENGAGEMENT_NODE = ("case when kind in ('reply', 'quote', 'comment') and engagement_key like (kind || ':%') "
                    "then substr(engagement_key, length(kind) + 2) else engagement_key end")
_SPREADS = "kind in ('repost', 'quote', 'reply', 'comment')"


def update_int_diffusion_edges(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A node's row comes from the engagements and posts with that node id (and their authors' people)."""
    if not {"int_engagements", "stg_posts"} <= inc.updated:
        return False
    # authors now of another person, or of one at all: their posts' person_id changes. The int_engagements update
    # (which ran: int_engagements is updated) found the accounts whose person changed (a new one: from the person
    # it would have had unseen); new accounts are those new in stg_accounts (never dropped but by a full build)
    inc.scratch(con, "_inc_dif_repersoned", """
        select platform, account_id from _inc_repersoned
        union (select platform, account_id from _inc_new_stg_accounts
               except select platform, account_id from _inc_old_stg_accounts)
    """)
    nodes = f"""
        select exec_id, platform, {_ENGAGEMENT_NODE} as node_id from _inc_old_int_engagements where {_SPREADS}
        union select exec_id, platform, {_ENGAGEMENT_NODE} from _inc_new_int_engagements where {_SPREADS}
        union select exec_id, platform, post_id from _inc_old_stg_posts where kind in ('quote', 'reply')
        union select exec_id, platform, post_id from _inc_new_stg_posts where kind in ('quote', 'reply')"""
    if count(con, "_inc_dif_repersoned"):
        nodes += """
        union select s.exec_id, s.platform, s.post_id from stg_posts as s
            semi join _inc_dif_repersoned as r on r.platform = s.platform and r.account_id = s.author_account_id
            where s.kind in ('quote', 'reply')"""
    inc.scratch(con, "_inc_dif_nodes", nodes)
    # an engagement is node X when its key is X or '<kind>:X' (kind reply, quote or comment)
    inc.scratch(con, "_inc_dif_eng_keys", """
        select exec_id, platform, k.engagement_key from _inc_dif_nodes,
            unnest([node_id, 'reply:' || node_id, 'quote:' || node_id, 'comment:' || node_id]) as k(engagement_key)
    """)
    # (found by their key's hash, then read by row id: at 10M engagements a same-week day's 565 rows took the model
    # 0.6 s read through a view, every row's key columns and the columns the model reads scanned)
    take_rows(con, inc, "_inc_dif_eng", "int_engagements", **engagements_by_key("_inc_dif_eng_keys"),
              with_rowid=False)
    take_rows(con, inc, "_inc_dif_posts", "stg_posts", "semi join _inc_dif_nodes as d "
              "on d.exec_id = t.exec_id and d.platform = t.platform and d.node_id = t.post_id", with_rowid=False)
    model = _sql_reading(_model_sql("intermediate", "int_diffusion_edges"),
                         {"int_engagements": "_inc_dif_eng", "stg_posts": "_inc_dif_posts"})
    # the scoped engagements may also make other nodes (a key 'reply:X' of a repost is node 'reply:X'), from part of
    # their rows: keep the dirty nodes only
    replace_rows(con, inc, "int_diffusion_edges", NODE, "_inc_dif_nodes",
                 f"select * from ({model}) semi join _inc_dif_nodes using ({', '.join(NODE)})")
    inc.stats["diffusion_nodes_updated"] = count(con, "_inc_dif_nodes")
    return True


def update_int_diffusion_tree(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A root's tree depends on whether it is a root and on the rows (edges and placeholders) of the nodes below it:
    recompute the trees of the roots above a node whose row may have changed, before or after."""
    if not {"int_diffusion_edges", "int_own_posts"} <= inc.updated:
        return False
    with inc.transaction(con):  # (the row ids _inc_tree_links keeps hold within one)
        _update_int_diffusion_tree(con, inc)
    inc.stats["diffusion_trees_updated"] = count(con, "_inc_tree_affected")
    return True


# The hash by which the tree's update finds nodes, of (exec_id, platform, id): two nodes may share it (a test makes
# many do, the update still exact)
TREE_NODE_HASH = "hash({}, {}, {})"


def _h(exec_id: str, platform: str, node: str) -> str:
    return TREE_NODE_HASH.format(exec_id, platform, node)


def _edges_by_link(nodes: str, end: str) -> str:
    """SQL for the edges whose link in _inc_tree_links has, at its ``end`` (c: the child, p: the parent), the hash of
    a node of the table ``nodes`` (exec_id, platform, node_id), read by their row ids: a superset of the edges whose
    node (or parent) is one of those, which the caller holds to their ids. Read as a materialized CTE: joined with
    the rest of a query, DuckDB may order the joins so that every edge is scanned instead (the roots' step on day 3
    of the 10M benchmark: 0.09 s, the scan of the 1.8M edges' ids 0.096 s of it)."""
    return f"""
        select t.* from int_diffusion_edges as t
        semi join (select rid from _inc_tree_links
                   semi join (select {_h("exec_id", "platform", "node_id")} as h from {nodes}) as n on n.h = {end}
        ) as i on t.rowid = i.rid"""


def _update_int_diffusion_tree(con: duckdb.DuckDBPyConnection, inc: Increment) -> None:
    # Links of the tree's graph, as a superset: a node hangs from its edge's parent; a placeholder from the post an
    # edge under it engaged with (the model takes the least of those, and only for a parent never seen). Each end is
    # a 64-bit hash of (exec_id, platform, id), with the edge's row id: the edges' 1.8M rows at 10M engagements are
    # read once, as integers, where the walks below read their ids' strings at every step. Two nodes may share a
    # hash: a walk by hashes finds every node it should and perhaps others (a superset, which the walk down may
    # give: see _inc_tree_reach), and the walks that must be exact read the edges they find by row id and hold them
    # to the ids. On day 3 of the 10M benchmark (`/tmp/s30/rerun.sh 3`, statement timer, six runs alternated with the
    # code before): this model's update 0.51-0.65 s against 0.79-1.21 s, the warehouse the same; 0.39-0.43 s since
    # the edges found by hashes are read as materialized CTEs (two runs; this table 0.09-0.10 s of it).
    inc.scratch(con, "_inc_tree_links", f"""
        select rowid as rid, {_h("exec_id", "platform", "node_id")} as c, {_h("exec_id", "platform", "parent_id")} as p
        from int_diffusion_edges
        union all
        select rowid, {_h("exec_id", "platform", "parent_id")}, {_h("exec_id", "platform", "engaged_post_id")}
        from int_diffusion_edges where engaged_post_id <> parent_id
    """)
    # own posts that became or stopped being own posts the tree starts from (reposts are not)
    inc.scratch(con, "_inc_tree_own_changed", """
        (select exec_id, platform, post_id as node_id from _inc_old_int_own_posts where kind <> 'repost'
         except select exec_id, platform, post_id from _inc_new_int_own_posts where kind <> 'repost')
        union
        (select exec_id, platform, post_id from _inc_new_int_own_posts where kind <> 'repost'
         except select exec_id, platform, post_id from _inc_old_int_own_posts where kind <> 'repost')
    """)
    # edge rows that differ in what the tree reads (engaged_at aside)
    inc.scratch(con, "_inc_tree_edge_changed", """
        select exec_id, platform, node_id, o.parent_id as old_parent, n.parent_id as new_parent
        from _inc_old_int_diffusion_edges as o
        full join _inc_new_int_diffusion_edges as n using (exec_id, platform, node_id)
        where o.node_id is null or n.node_id is null
            or (o.parent_id, o.engaged_post_id, o.person_key, o.kind)
                is distinct from (n.parent_id, n.engaged_post_id, n.person_key, n.kind)
    """)
    # nodes whose row in the tree's graph may differ: changed edges; their parents, old and new (a placeholder
    # hangs there: it may appear, go or move); own posts changed (a root, a placeholder no longer, or one again),
    # and their children (an own post continuing an own post is not a root)
    inc.scratch(con, "_inc_tree_dirty", f"""
        with found as materialized ({_edges_by_link("_inc_tree_own_changed", "p")})
        select exec_id, platform, node_id from _inc_tree_edge_changed
        union select exec_id, platform, old_parent from _inc_tree_edge_changed where old_parent is not null
        union select exec_id, platform, new_parent from _inc_tree_edge_changed where new_parent is not null
        union select exec_id, platform, node_id from _inc_tree_own_changed
        union select e.exec_id, e.platform, e.node_id from found as e
            semi join _inc_tree_own_changed as c
                on c.exec_id = e.exec_id and c.platform = e.platform and c.node_id = e.parent_id
    """)
    # Above a dirty node now: up the links, on through dirty nodes only (without depth, so that a cycle ends). Past
    # the last dirty node on the way up, the way is as it was: its roots are those the stored tree puts it under.
    # So only the links from dirty nodes are followed, found in one pass (the recursion over all links scanned them
    # at every step: at 10M engagements 0.38 s against 0.18 s for 1,500 dirty nodes, the same nodes found), from the
    # edges their hashes find
    inc.scratch(con, "_inc_tree_up", f"""
        with recursive found as materialized ({_edges_by_link("_inc_tree_dirty", "c")}),
        dirty_links as materialized (
            select * from (
                select exec_id, platform, node_id as child, parent_id as parent from found
                union all
                select exec_id, platform, parent_id, engaged_post_id from found where engaged_post_id <> parent_id
            ) as l semi join _inc_tree_dirty as d
                on d.exec_id = l.exec_id and d.platform = l.platform and d.node_id = l.child
        ),
        up (exec_id, platform, node_id) as (
            select exec_id, platform, node_id from _inc_tree_dirty
            union
            select l.exec_id, l.platform, l.parent from up as u
            join dirty_links as l on l.exec_id = u.exec_id and l.platform = u.platform and l.child = u.node_id
        )
        select * from up
    """)
    inc.scratch(con, "_inc_tree_above", """
        select distinct t.exec_id, t.platform, t.root_post_id from int_diffusion_tree as t
        semi join _inc_tree_up using (exec_id, platform, node_id)
    """)
    # roots now among them: own posts (not reposts) not continuing an own post
    inc.scratch(con, "_inc_tree_cand", """
        select * from (select * from _inc_tree_up union select * from _inc_tree_above)
        semi join (select exec_id, platform, post_id as node_id from int_own_posts where kind <> 'repost')
            using (exec_id, platform, node_id)
    """)
    inc.scratch(con, "_inc_tree_roots", f"""
        with own as (select exec_id, platform, post_id as node_id from int_own_posts where kind <> 'repost'),
        found as materialized ({_edges_by_link("_inc_tree_cand", "c")}),
        continuing as (
            select e.exec_id, e.platform, e.node_id from found as e
            semi join _inc_tree_cand using (exec_id, platform, node_id)
            semi join own as o on o.exec_id = e.exec_id and o.platform = e.platform and o.node_id = e.parent_id
        )
        select exec_id, platform, node_id as root_post_id from _inc_tree_cand
        anti join continuing using (exec_id, platform, node_id)
    """)
    # the trees to recompute: those a dirty node (or one above it) was in, and those above one now
    inc.scratch(con, "_inc_tree_affected", "select * from _inc_tree_above union select * from _inc_tree_roots")
    # Every node that can be in the new trees, down the links from the roots, by hashes: a superset (a node whose
    # hash another node shares is walked down from too), which is all the model needs. (At 10M engagements, down the
    # links by their ids, the edges' strings read at every step, this took 0.24-0.39 s; by hashes 0.07-0.11 s.)
    inc.scratch(con, "_inc_tree_reach", f"""
        with recursive down (h) as (
            select {_h("exec_id", "platform", "root_post_id")} from _inc_tree_roots
            union
            select l.c from down as d join _inc_tree_links as l on l.p = d.h
        )
        select h from down
    """)
    # the model's SQL on the edges of those nodes (every edge from a node among them is among them, so its
    # placeholders are exact; an edge of a node found only by a shared hash hangs from no node of the new trees;
    # the edges under a placeholder among them, found by its end of their links, are of nodes among them too) and
    # the own posts among them; other roots it may find there are not kept
    inc.scratch(con, "_inc_tree_edges", """
        select t.* from int_diffusion_edges as t
        semi join (select rid from _inc_tree_links semi join _inc_tree_reach as r on r.h = c) as i on t.rowid = i.rid
    """)
    inc.scratch(con, "_inc_tree_own_posts", f"""
        select o.* from int_own_posts as o
        where {_h("o.exec_id", "o.platform", "o.post_id")} in (select h from _inc_tree_reach)
    """)
    model = _sql_reading(_model_sql("intermediate", "int_diffusion_tree"),
                         {"int_diffusion_edges": "_inc_tree_edges", "int_own_posts": "_inc_tree_own_posts"})
    replace_rows(con, inc, "int_diffusion_tree", ROOT, "_inc_tree_affected",
                 f"select * from ({model}) semi join _inc_tree_roots using ({', '.join(ROOT)})")


def update_chains(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A root's row comes from its tree and whether the people in it are the executive's."""
    if "int_diffusion_tree" not in inc.updated:
        return False
    inc.scratch(con, "_inc_chain_roots", f"""
        select exec_id, platform, root_post_id from _inc_old_int_diffusion_tree
        union select exec_id, platform, root_post_id from _inc_new_int_diffusion_tree
        union select t.exec_id, t.platform, t.root_post_id from int_diffusion_tree as t
            semi join ({symmetric_difference("int_exec_people", "_prev_int_exec_people")}) using (exec_id, person_key)
    """)
    recompute_partitions(con, inc, "marts", "chains", ROOT, "_inc_chain_roots",
                         {"int_diffusion_tree": "exec_id, platform, root_post_id"})
    return True


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "int_diffusion_edges": update_int_diffusion_edges,
    "int_diffusion_tree": update_int_diffusion_tree,
    "chains": update_chains,
}
