-- grain: exec_id, platform, engagement_key
-- materialized: ephemeral
-- One row per engagement however often it was observed. Where the platform gives no time (Mastodon likes and
-- boosts), the engagement is dated when it was first seen and time_known is false.
with firsts as (
    select
        exec_id, platform, engagement_key,
        -- what the first observation said, taken in one aggregate
        arg_min({'post_id': post_id, 'account_id': account_id, 'account_platform': account_platform, 'kind': kind,
                 'via_post_id': via_post_id}, observed_at) as f,
        min(engaged_at) as engaged_at,
        min(observed_at) as first_seen,
        max(observed_at) as last_seen,
        min(depth) as depth
    from obs_engagements
    where not is_suppressed(account_id)
    group by exec_id, platform, engagement_key
)
select
    exec_id, platform, engagement_key,
    f.post_id, f.account_id, coalesce(f.account_platform, platform) as account_platform, f.kind,
    coalesce(engaged_at, first_seen) as engaged_at,
    engaged_at is not null as time_known,
    first_seen, last_seen, f.via_post_id, depth
from firsts
