-- grain: platform, account_id
-- Every account seen on any platform, as last observed, with when it was first and last seen.
-- People erased on request (the suppression list) are left out here, whatever the raw store still holds.
-- Two steps rather than one window over every observation (every like carries its author's profile: 10M rows at
-- 10M engagements): each account's first and last sighting by aggregate, then the rows of that last sighting.
with seen as (
    select platform, account_id, min(observed_at) as first_seen, max(observed_at) as last_seen
    from obs_accounts
    where not (is_suppressed(account_id) or is_suppressed(handle) or is_suppressed(url))
    group by platform, account_id
)
select
    o.platform, o.account_id, o.handle, o.display_name, o.url, o.bio,
    o.followers_count, o.following_count, o.posts_count, o.hide_collections, o.opted_out, o.profile_links,
    s.first_seen, s.last_seen,
    o.raw_id as last_raw_id  -- which observation this row is: an incremental build merges new ones by it
from obs_accounts as o
join seen as s on s.platform = o.platform and s.account_id = o.account_id and s.last_seen = o.observed_at
where not (is_suppressed(o.account_id) or is_suppressed(o.handle) or is_suppressed(o.url))
qualify row_number() over (partition by o.platform, o.account_id order by o.raw_id desc) = 1
