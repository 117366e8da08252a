-- grain: exec_id, platform, engagement_key
-- materialized: ephemeral
-- One row per engagement however often it was observed. Where the platform gives no time (Mastodon likes and
-- boosts), the engagement is dated when it was first seen and time_known is false.
-- Each engagement's observations are aggregated into numbers alone: when it was first and last seen, the earliest
-- time and least depth it was given, and which observation came first (`source_row`, a number per observation:
-- pipeline/load.py); then the first observation's fields are fetched by its number, in a join whose hash table
-- holds those numbers, not strings. Collected daily, nearly every engagement is observed several times (39.3M
-- observations of 10M engagements, 9.6M of them seen more than once): the statement took 14.0 s against 33.0 s
-- for one aggregate carrying the first observation's fields (`arg_min` of a struct of five strings) over the keys
-- seen more than once; collected weekly (10.1M observations, nearly all seen once) 6.5-6.8 s against 5.1 s, where
-- that aggregate was skipped for keys seen once (session 33, `/tmp/s33/q.py`). Grouped by the key's strings, not by
-- a hash of them: DuckDB's 64-bit hash of these keys collides (2 pairs among 10M keys of the generated programme).
-- Where no observation has a time (never written by a parser), the one numbered first stands for the first.
-- Engagers erased on request: each distinct account id is checked once (`suppressed`; none erased: is_suppressed is
-- false and nothing is computed). At 10M engagements with one erased, checking every observation took the model
-- 22.9 s, this 10.6 s, one pair in a slow hour (16.9 s against 7.6 s earlier for an anti join's form of the
-- same filter; session 30, /tmp/s30/sup2.py).
with suppressed as (
    select account_id from (select distinct account_id from obs_engagements) where is_suppressed(account_id)
),
firsts as (
    select
        coalesce(arg_min(source_row, observed_at), min(source_row)) as first_row,
        min(engaged_at) as engaged_at,
        min(observed_at) as first_seen,
        max(observed_at) as last_seen,
        min(depth) as depth
    from obs_engagements
    where not coalesce(account_id in (select account_id from suppressed), false)
    group by exec_id, platform, engagement_key
)
select
    o.exec_id, o.platform, o.engagement_key,
    o.post_id, o.account_id, coalesce(o.account_platform, o.platform) as account_platform, o.kind,
    coalesce(f.engaged_at, f.first_seen) as engaged_at,
    f.engaged_at is not null as time_known,
    f.first_seen, f.last_seen, o.via_post_id, f.depth
from firsts as f
join (select source_row, exec_id, platform, engagement_key, post_id, account_id, account_platform, kind, via_post_id
      from obs_engagements) as o
    on o.source_row = f.first_row
