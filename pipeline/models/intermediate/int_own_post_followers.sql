-- grain: exec_id, platform, post_id
-- Followers of the posting account at posting time: the observation of its profile nearest to the post's creation,
-- before or after, if within 14 days; NULL otherwise (never 0).
with p as (
    select o.exec_id, o.platform, o.post_id, o.created_at, s.author_account_id
    from int_own_posts as o
    join stg_posts as s using (exec_id, platform, post_id)
    where o.created_at is not null
),
before as (
    select p.*, f.followers_count as f_before, f.observed_at as t_before
    from p asof left join stg_exec_follower_counts as f
        on f.platform = p.platform and f.account_id = p.author_account_id and f.observed_at <= p.created_at
),
around as (
    select b.*, f.followers_count as f_after, f.observed_at as t_after
    from before as b asof left join stg_exec_follower_counts as f
        on f.platform = b.platform and f.account_id = b.author_account_id and f.observed_at >= b.created_at
)
select
    exec_id, platform, post_id,
    case
        when t_before is not null and created_at - t_before <= interval 14 day
            and (t_after is null or created_at - t_before <= t_after - created_at) then f_before
        when t_after is not null and t_after - created_at <= interval 14 day then f_after
    end as followers_at_post
from around
