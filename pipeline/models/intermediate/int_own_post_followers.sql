-- grain: exec_id, platform, post_id
-- Followers of the posting account at posting time: the observation of its profile nearest to the post's creation,
-- before or after, if within 14 days; NULL otherwise (never 0).
with p as (
    select o.exec_id, o.platform, o.post_id, o.created_at, s.author_account_id
    from int_own_posts as o
    join stg_posts as s using (exec_id, platform, post_id)
    where o.created_at is not null
),
-- the nearest observation before and after, by aggregate rather than ASOF JOIN, so that the model also runs on
-- Spark (README, "Beyond one machine"); (platform, account_id, observed_at) is the grain of the counts
before as (
    select p.exec_id, p.platform, p.post_id, p.created_at, p.author_account_id,
        arg_max(f.followers_count, f.observed_at) as f_before, max(f.observed_at) as t_before
    from p left join stg_exec_follower_counts as f
        on f.platform = p.platform and f.account_id = p.author_account_id and f.observed_at <= p.created_at
    group by p.exec_id, p.platform, p.post_id, p.created_at, p.author_account_id
),
around as (
    select b.exec_id, b.platform, b.post_id, b.created_at, b.f_before, b.t_before,
        arg_min(f.followers_count, f.observed_at) as f_after, min(f.observed_at) as t_after
    from before as b left join stg_exec_follower_counts as f
        on f.platform = b.platform and f.account_id = b.author_account_id and f.observed_at >= b.created_at
    group by b.exec_id, b.platform, b.post_id, b.created_at, b.f_before, b.t_before
)
select
    exec_id, platform, post_id,
    case
        when t_before is not null and created_at - t_before <= interval 14 day
            and (t_after is null or created_at - t_before <= t_after - created_at) then f_before
        when t_after is not null and t_after - created_at <= interval 14 day then f_after
    end as followers_at_post
from around
