-- grain: exec_id, platform, root_post_id
-- How far each of the executive's posts travelled: its diffusion tree (reshares, quotes, replies, and what others
-- did with those; likes are not nodes). depth: the longest path from the post (1 = direct); breadth: the most
-- nodes at any one depth; people: distinct people in the tree, the executive excluded; nodes: the tree's size,
-- the post included. structural_virality (Goel et al. 2016): the mean distance between two nodes of the tree, its
-- Wiener index over n(n-1)/2 -- about 1 for a broadcast, growing as the tree deepens. Only posts that reached
-- at least one other person are listed.
with t as (
    select t.*, (x.person_key is not null) as by_exec
    from int_diffusion_tree as t
    left join int_exec_people as x on x.exec_id = t.exec_id and x.person_key = t.person_key
),
n as (
    select exec_id, platform, root_post_id,
        count(*) as nodes,
        max(depth) as depth,
        count(distinct person_key) filter (where not by_exec) as people
    from t
    group by all
),
levels as (
    select exec_id, platform, root_post_id, max(c) as breadth
    from (select exec_id, platform, root_post_id, depth, count(*) as c from t where depth > 0 group by all)
    group by all
),
below as (  -- how many nodes sit under each node: one row per (node, ancestor) pair
    select exec_id, platform, root_post_id, anc as node_id, count(*) as below
    from (select exec_id, platform, root_post_id, unnest(ancestors) as anc from t where depth > 1)
    group by all
),
wiener as (
    select t.exec_id, t.platform, t.root_post_id,
        sum((1 + coalesce(b.below, 0)) * (n.nodes - 1 - coalesce(b.below, 0))) as wiener_index
    from t
    join n using (exec_id, platform, root_post_id)
    left join below as b using (exec_id, platform, root_post_id, node_id)
    where t.depth > 0
    group by all
)
select
    n.exec_id, n.platform, n.root_post_id, n.depth, l.breadth, n.people, n.nodes,
    w.wiener_index,
    w.wiener_index / (n.nodes * (n.nodes - 1) / 2.0) as structural_virality
from n
join levels as l using (exec_id, platform, root_post_id)
join wiener as w using (exec_id, platform, root_post_id)
where n.people > 0
