-- grain: platform, account_id
-- Every account seen on any platform, as last observed, with when it was first and last seen.
-- People erased on request (the suppression list) are left out here, whatever the raw store still holds: each
-- distinct id, handle and url is checked once (`suppressed`), and the observations are matched against those found
-- (an anti join: a NULL identifier is no match). At 10M engagements (10M account observations) with an identifier
-- erased, checking each observation's three took the model 27.3-28.6 s, this 9.5-10.4 s (session 30,
-- /tmp/s30/sup2.py and sup4.py). With no one erased, is_suppressed is false, `suppressed` is known empty when the
-- query is planned, and DuckDB drops the anti joins: the first step then reads no handle or url (as `in` subqueries
-- it kept them and their empty matches: its read of the observations 0.6 against 1.6-2.3 s of thread time, the
-- model 4.05-4.89 s against 4.50-6.30 s; session 32, /tmp/s32/model1.py with acc_v4.sql).
-- Two steps rather than one window over every observation (every like carries its author's profile: 10M rows at
-- 10M engagements): each account's first and last sighting by aggregate, then the rows of that last sighting.
with suppressed as (  -- every erased identifier among the accounts' ids, handles and urls, each checked once
    select x from (
        select account_id as x from obs_accounts union select handle from obs_accounts union select url from obs_accounts
    ) where is_suppressed(x)
),
seen as (
    select platform, account_id, min(observed_at) as first_seen, max(observed_at) as last_seen
    from obs_accounts as o
    anti join suppressed as x on x.x = o.account_id or x.x = o.handle or x.x = o.url
    group by platform, account_id
)
select
    o.platform, o.account_id, o.handle, o.display_name, o.url, o.bio,
    o.followers_count, o.following_count, o.posts_count, o.hide_collections, o.opted_out, o.profile_links,
    s.first_seen, s.last_seen,
    o.raw_id as last_raw_id  -- which observation this row is: an incremental build merges new ones by it
from obs_accounts as o
join seen as s on s.platform = o.platform and s.account_id = o.account_id and s.last_seen = o.observed_at
anti join suppressed as x on x.x = o.account_id or x.x = o.handle or x.x = o.url
qualify row_number() over (partition by o.platform, o.account_id order by o.raw_id desc) = 1
