-- grain: platform, account_id
-- Every account seen on any platform, as last observed, with when it was first and last seen.
-- People erased on request (the suppression list) are left out here, whatever the raw store still holds: each
-- distinct id, handle and url is checked once (`suppressed`), the observations holding one are found by three joins
-- on one identifier each (a NULL identifier is no match) and named by their `source_row` (pipeline/load.py), and
-- those rows are left out. With no one erased, is_suppressed is false, `suppressed` and `erased` are known empty when
-- the query is planned, and DuckDB drops the anti joins: nothing but the columns used is read. At 10M engagements
-- collected daily (41.6M account observations), the model 6.8 s with no one erased, 15.4-15.7 s with one account
-- erased and 16.3-16.5 s with 1,000 (the same rows as before). Before: as `in` subqueries (3 mark joins, kept even
-- with no one erased) 9.7 s, 17.0-17.5 s and 17.3-17.8 s; as one anti join on an OR of the three (dropped when
-- empty, but a nested loop otherwise, every observation against every erased identifier) 7.9-8.1 s, 17.0-17.5 s,
-- 23.1 s with 100 and 117.8-120.1 s with 1,000 (session 33, `/tmp/s33/supp.py`). Session 30 had measured 27.3-28.6
-- s for checking every observation's three identifiers (/tmp/s30/sup2.py).
-- Two steps rather than one window over every observation (every like carries its author's profile: 10M rows at
-- 10M engagements): each account's first and last sighting by aggregate, then the rows of that last sighting.
with suppressed as (  -- every erased identifier among the accounts' ids, handles and urls, each checked once
    select x from (
        select account_id as x from obs_accounts union select handle from obs_accounts union select url from obs_accounts
    ) where is_suppressed(x)
),
erased as (  -- the observations holding an erased identifier, by row
    select o.source_row from obs_accounts as o semi join suppressed as x on x.x = o.account_id
    union all
    select o.source_row from obs_accounts as o semi join suppressed as x on x.x = o.handle
    union all
    select o.source_row from obs_accounts as o semi join suppressed as x on x.x = o.url
),
seen as (
    select platform, account_id, min(observed_at) as first_seen, max(observed_at) as last_seen
    from obs_accounts as o
    anti join erased as e on e.source_row = o.source_row
    group by platform, account_id
)
select
    o.platform, o.account_id, o.handle, o.display_name, o.url, o.bio,
    o.followers_count, o.following_count, o.posts_count, o.hide_collections, o.opted_out, o.profile_links,
    s.first_seen, s.last_seen,
    o.raw_id as last_raw_id  -- which observation this row is: an incremental build merges new ones by it
from obs_accounts as o
join seen as s on s.platform = o.platform and s.account_id = o.account_id and s.last_seen = o.observed_at
anti join erased as e on e.source_row = o.source_row
qualify row_number() over (partition by o.platform, o.account_id order by o.raw_id desc) = 1
