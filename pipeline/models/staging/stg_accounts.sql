-- grain: platform, account_id
-- Every account seen on any platform, as last observed, with when it was first and last seen.
-- People erased on request (the suppression list) are left out here, whatever the raw store still holds.
select * exclude (rn)
from (
    select
        platform, account_id, handle, display_name, url, bio,
        followers_count, following_count, posts_count, hide_collections, opted_out, profile_links,
        min(observed_at) over (partition by platform, account_id) as first_seen,
        observed_at as last_seen,
        row_number() over (partition by platform, account_id order by observed_at desc, raw_id desc) as rn
    from obs_accounts
    where not (is_suppressed(account_id) or is_suppressed(handle) or is_suppressed(url))
)
where rn = 1
