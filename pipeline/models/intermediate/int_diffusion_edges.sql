-- grain: exec_id, platform, node_id
-- The diffusion tree of the executive's posts, as child -> parent edges. A node is a reshare (repost), a quote, a
-- reply or a comment; its parent is the post it answered, quoted or reshared: the executive's post, or another
-- node (a repost of a quote, a reply to a reply, a quote of a quote: the idea's second step). Likes spread nothing
-- and are not nodes. Sources: engagements (via_post_id names the parent where it is not the engaged post) and the
-- posts of others kept in stg_posts (quoted_post_id / reply_to_post_id). A node whose parent was never seen
-- (deleted, or its thread not collected) keeps that parent as a placeholder node hanging from the engaged post, so
-- depth is not lost (see int_diffusion_tree).
with from_engagements as (
    select
        exec_id, platform,
        case when kind in ('reply', 'quote', 'comment') and engagement_key like (kind || ':%')
             then substr(engagement_key, length(kind) + 2) else engagement_key end as node_id,
        coalesce(via_post_id, post_id) as parent_id,
        post_id as engaged_post_id,
        person_key, kind, engaged_at
    from int_engagements
    where kind in ('repost', 'quote', 'reply', 'comment')
),
from_posts as (
    select
        s.exec_id, s.platform, s.post_id as node_id,
        case when s.kind = 'quote' then s.quoted_post_id else s.reply_to_post_id end as parent_id,
        coalesce(s.root_post_id, s.quoted_post_id, s.reply_to_post_id) as engaged_post_id,
        p.person_key, s.kind, s.created_at as engaged_at
    from stg_posts as s
    left join int_people as p on p.platform = s.platform and p.account_id = s.author_account_id
    where s.kind in ('quote', 'reply')
        and coalesce(s.quoted_post_id, s.reply_to_post_id) is not null
),
both_sources as (
    select *, 1 as pref from from_engagements
    union all
    select *, 2 as pref from from_posts
)
select
    exec_id, platform, node_id,
    arg_min(parent_id, pref) as parent_id,
    arg_min(engaged_post_id, pref) as engaged_post_id,
    arg_min(person_key, pref) as person_key,
    arg_min(kind, pref) as kind,
    min(engaged_at) as engaged_at
from both_sources
where node_id is not null and parent_id is not null and node_id <> parent_id
group by exec_id, platform, node_id
