-- grain: exec_id, platform, engagement_key
-- One row per engagement however often it was observed. Where the platform gives no time (Mastodon likes and
-- boosts), the engagement is dated when it was first seen and time_known is false.
select
    exec_id, platform, engagement_key,
    arg_min(post_id, observed_at) as post_id,
    arg_min(account_id, observed_at) as account_id,
    coalesce(arg_min(account_platform, observed_at), platform) as account_platform,
    arg_min(kind, observed_at) as kind,
    coalesce(min(engaged_at), min(observed_at)) as engaged_at,
    min(engaged_at) is not null as time_known,
    min(observed_at) as first_seen,
    max(observed_at) as last_seen,
    arg_min(via_post_id, observed_at) as via_post_id,
    min(depth) as depth
from obs_engagements
where not is_suppressed(account_id)
group by exec_id, platform, engagement_key
