-- grain: exec_id, week
-- Thought-leadership signals per executive and ISO week (PRODUCT.md), every week from their first to last
-- observed week. Output by the week it was published: original_posts (their own posts that are neither replies
-- to others nor reshares; a post deleted later still counts), replies_to_others and reshares (reposts and quotes
-- of others' posts, from what the executive did: `outbound`); originality = original / all three, NULL in a week
-- with no output. Rates per original post published that week, from the counts the platform gives as last
-- observed, over the posts whose count is known (NULL where none is): conversation_rate (replies), amplification_rate
-- (reposts + quotes), applause_rate (likes); each also per 1,000 followers of the posting account at posting time
-- (the mean over posts of count * 1000 / followers). Inbound, by the week it happened: quotes of their posts,
-- pingbacks to their blog, mentions by digital-only people not replying to them -- NULL where no source for the
-- executive gives that kind (no Bluesky account and no quote counts; no blog; no mentions collected).
-- max_reply_depth: the longest reply chain under their posts published that week (1 = a direct reply); 0 where
-- every such post is known to have no reply; NULL where that is unknown or nothing was published.
with own as (
    select o.exec_id, o.platform, o.post_id, o.kind, o.like_count, o.repost_count, o.reply_count, o.quote_count,
        iso_week(o.created_at) as week, f.followers_at_post
    from int_own_posts as o
    left join int_own_post_followers as f using (exec_id, platform, post_id)
    where o.kind <> 'repost' and o.created_at is not null
),
originals as (
    select exec_id, week,
        count(*) as original_posts,
        avg(reply_count) as conversation_rate,
        avg(repost_count + quote_count) as amplification_rate,
        avg(like_count) as applause_rate,
        -- per post to 12 decimals, then summed exactly: a float sum in parallel differs in its last digit from
        -- build to build, and the same input must give the same numbers
        cast(avg(cast(1000.0 * reply_count / nullif(followers_at_post, 0) as decimal(38, 12))) as double)
            as conversation_rate_per_1k_followers,
        cast(avg(cast(1000.0 * (repost_count + quote_count) / nullif(followers_at_post, 0) as decimal(38, 12))) as double)
            as amplification_rate_per_1k_followers,
        cast(avg(cast(1000.0 * like_count / nullif(followers_at_post, 0) as decimal(38, 12))) as double)
            as applause_rate_per_1k_followers
    from own
    where kind = 'original'
    group by all
),
output as (
    select exec_id, iso_week("at") as week,
        count(*) filter (where kind in ('reply', 'comment')) as replies_to_others,
        count(*) filter (where kind in ('repost', 'quote')) as reshares
    from int_exec_interactions
    where "at" is not null
    group by all
),
inbound as (
    select e.exec_id, iso_week(e.engaged_at) as week,
        count(*) filter (where e.kind = 'quote') as inbound_quotes,
        count(*) filter (where e.kind = 'pingback') as inbound_pingbacks,
        count(*) filter (where e.kind = 'mention' and e.ring = 'digital_only') as inbound_mentions
    from int_engagements as e
    semi join int_own_posts as o using (exec_id, platform, post_id)
    group by all
),
sources as (
    select w.exec_id,
        exists (select 1 from int_exec_accounts as a where a.exec_id = w.exec_id and a.platform = 'bluesky')
            or exists (select 1 from own as o where o.exec_id = w.exec_id and o.quote_count is not null) as quotes_known,
        exists (select 1 from int_exec_accounts as a where a.exec_id = w.exec_id and a.platform = 'blog') as pingbacks_known,
        exists (select 1 from int_engagements as e where e.exec_id = w.exec_id and e.kind = 'mention') as mentions_known
    from (select distinct exec_id from int_exec_weeks) as w
),
depth as (
    select o.exec_id, o.week,
        max(e.depth) as max_depth,
        bool_and(coalesce(o.reply_count = 0, false)) as all_known_unanswered
    from own as o
    left join int_engagements as e
        on e.exec_id = o.exec_id and e.platform = o.platform and e.post_id = o.post_id
        and e.kind in ('reply', 'comment')
    group by all
)
select
    w.exec_id, w.week,
    coalesce(r.original_posts, 0) as original_posts,
    coalesce(x.replies_to_others, 0) as replies_to_others,
    coalesce(x.reshares, 0) as reshares,
    coalesce(r.original_posts, 0)
        / nullif(coalesce(r.original_posts, 0) + coalesce(x.replies_to_others, 0) + coalesce(x.reshares, 0), 0)
        as originality,
    r.conversation_rate, r.amplification_rate, r.applause_rate,
    r.conversation_rate_per_1k_followers, r.amplification_rate_per_1k_followers, r.applause_rate_per_1k_followers,
    case when s.quotes_known then coalesce(i.inbound_quotes, 0) end as inbound_quotes,
    case when s.pingbacks_known then coalesce(i.inbound_pingbacks, 0) end as inbound_pingbacks,
    case when s.mentions_known then coalesce(i.inbound_mentions, 0) end as inbound_mentions,
    coalesce(d.max_depth, case when d.all_known_unanswered then 0 end) as max_reply_depth
from int_exec_weeks as w
join sources as s using (exec_id)
left join originals as r using (exec_id, week)
left join output as x using (exec_id, week)
left join inbound as i using (exec_id, week)
left join depth as d using (exec_id, week)
