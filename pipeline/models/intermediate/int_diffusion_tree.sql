-- grain: exec_id, platform, root_post_id, node_id
-- Every node of every diffusion tree, walked down from the executive's posts (depth 0 is the post itself), with
-- its ancestors: the node ids between the root and it, from the root's child down to its parent (empty at depths
-- 0 and 1, most nodes: what chains needs, at 10M engagements the model 2.5-2.7 s against 3.5-3.9 s for the whole
-- path from the root). A post continuing the executive's own thread is a node of that thread's
-- tree, not a root of its own. A parent that was never seen (a deleted reply, a quote whose thread was not
-- collected) becomes a placeholder node (kind 'unseen', no person) under the post that was engaged with.
with recursive
own as (
    select o.exec_id, o.platform, o.post_id
    from int_own_posts as o
    where o.kind <> 'repost'
),
placeholders as (
    select e.exec_id, e.platform, e.parent_id as node_id, min(e.engaged_post_id) as parent_id,
        cast(null as bigint) as person_key, 'unseen' as kind
    from int_diffusion_edges as e
    where e.engaged_post_id <> e.parent_id
        and not exists (select 1 from int_diffusion_edges as n
                        where n.exec_id = e.exec_id and n.platform = e.platform and n.node_id = e.parent_id)
        and not exists (select 1 from own as o
                        where o.exec_id = e.exec_id and o.platform = e.platform and o.post_id = e.parent_id)
    group by e.exec_id, e.platform, e.parent_id
),
edges as (
    select exec_id, platform, node_id, parent_id, person_key, kind from int_diffusion_edges
    union all
    select exec_id, platform, node_id, parent_id, person_key, kind from placeholders
),
roots as (
    select o.exec_id, o.platform, o.post_id
    from own as o
    where not exists (
        select 1 from edges as e
        join own as p on p.exec_id = e.exec_id and p.platform = e.platform and p.post_id = e.parent_id
        where e.exec_id = o.exec_id and e.platform = o.platform and e.node_id = o.post_id
    )
),
-- The roots' children (depth 1: 1.66M of the 1.89M nodes at 10M engagements) by a plain join; the recursion walks
-- down from them through the edges whose parent is itself a node (151k of 1.8M), each step building its hash table
-- on those alone rather than on every edge: the model 1.93-2.49 s against 2.57-3.10 s (three runs each, session 26).
deep_edges as (
    select e.exec_id, e.platform, e.node_id, e.parent_id, e.person_key, e.kind
    from edges as e
    semi join edges as p on p.exec_id = e.exec_id and p.platform = e.platform and p.node_id = e.parent_id
),
first as (
    select r.exec_id, r.platform, r.post_id as root_post_id, e.node_id, e.person_key, e.kind
    from roots as r
    join edges as e on e.exec_id = r.exec_id and e.platform = r.platform and e.parent_id = r.post_id
),
tree (exec_id, platform, root_post_id, node_id, person_key, kind, depth, ancestors) as (
    select f.exec_id, f.platform, f.root_post_id, e.node_id, e.person_key, e.kind, 2, [f.node_id]
    from first as f
    join deep_edges as e on e.exec_id = f.exec_id and e.platform = f.platform and e.parent_id = f.node_id
    union all
    select t.exec_id, t.platform, t.root_post_id, e.node_id, e.person_key, e.kind, t.depth + 1,
        list_append(t.ancestors, t.node_id)
    from tree as t
    join deep_edges as e on e.exec_id = t.exec_id and e.platform = t.platform and e.parent_id = t.node_id
    where t.depth < 100
)
select exec_id, platform, post_id as root_post_id, post_id as node_id, cast(null as bigint) as person_key,
    'root' as kind, 0 as depth, cast([] as varchar[]) as ancestors
from roots
union all
select exec_id, platform, root_post_id, node_id, person_key, kind, 1, cast([] as varchar[]) from first
union all
select * from tree
