-- grain: exec_id, platform, engagement_key
-- materialized: ephemeral
-- One row per engagement however often it was observed. Where the platform gives no time (Mastodon likes and
-- boosts), the engagement is dated when it was first seen and time_known is false.
-- Nearly every engagement is observed once, and a row seen once is its own first observation: only the keys seen
-- more than once (found by a 64-bit hash of the key, so a collision only sends a few more rows the long way) go
-- through the aggregate. Rows with no observation time take it too (arg_min ignores them). `repeated` counts
-- suppressed rows as well: that too only sends a key the long way, where they are left out. At 10M engagements,
-- aggregating every row held 5.5 GB and set the full build's peak (6.1 GB); with the shortcut the build peaks at
-- 3.7 GB (README, Performance). The observations are read twice from the parse cache, as two subqueries: a CTE
-- read twice would be held in memory whole (and Spark has no NOT MATERIALIZED).
-- Engagers erased on request: each distinct account id is checked once (`suppressed`; none erased: is_suppressed is
-- false and nothing is computed). At 10M engagements with one erased, checking every observation took the model
-- 22.9 s, this 10.6 s, one pair in a slow hour (16.9 s against 7.6 s earlier for an anti join's form of the
-- same filter; session 30, /tmp/s30/sup2.py).
with suppressed as (
    select account_id from (select distinct account_id from obs_engagements) where is_suppressed(account_id)
),
repeated as (
    select hash(exec_id, platform, engagement_key) as h
    from obs_engagements
    group by h
    having count(*) > 1 or count(observed_at) < count(*)
),
firsts as (
    select
        exec_id, platform, engagement_key,
        -- what the first observation said, taken in one aggregate
        arg_min({'post_id': post_id, 'account_id': account_id, 'account_platform': account_platform, 'kind': kind,
                 'via_post_id': via_post_id}, observed_at) as f,
        min(engaged_at) as engaged_at,
        min(observed_at) as first_seen,
        max(observed_at) as last_seen,
        min(depth) as depth
    from (select *, hash(exec_id, platform, engagement_key) as h from obs_engagements
          where not coalesce(account_id in (select account_id from suppressed), false)) as o
    semi join repeated using (h)
    group by exec_id, platform, engagement_key
    union all
    select
        exec_id, platform, engagement_key,
        {'post_id': post_id, 'account_id': account_id, 'account_platform': account_platform, 'kind': kind,
         'via_post_id': via_post_id} as f,
        engaged_at, observed_at as first_seen, observed_at as last_seen, depth
    from (select *, hash(exec_id, platform, engagement_key) as h from obs_engagements
          where not coalesce(account_id in (select account_id from suppressed), false)) as o
    anti join repeated using (h)
)
select
    exec_id, platform, engagement_key,
    f.post_id, f.account_id, coalesce(f.account_platform, platform) as account_platform, f.kind,
    coalesce(engaged_at, first_seen) as engaged_at,
    engaged_at is not null as time_known,
    first_seen, last_seen, f.via_post_id, depth
from firsts
