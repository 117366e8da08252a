-- grain: exec_id, platform, direction, connection_key
-- Known ties from archives (LinkedIn connections, X follower and following ids), once each.
select
    exec_id, platform, direction,
    coalesce(account_id, profile_url, name) as connection_key,
    arg_max(name, observed_at) as name,
    arg_max(company, observed_at) as company,
    arg_max(position, observed_at) as position,
    arg_max(profile_url, observed_at) as profile_url,
    arg_max(account_id, observed_at) as account_id,
    min(connected_on) as connected_on,
    min(observed_at) as first_seen
from obs_connections
where not (is_suppressed(account_id) or is_suppressed(profile_url))
group by exec_id, platform, direction, coalesce(account_id, profile_url, name)
