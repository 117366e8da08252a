-- grain: exec_id, platform, direction, account_id
-- Followers and followed accounts, with when each was first and last seen in a list; a hidden list is one row with
-- account_id NULL and hidden true.
select
    exec_id, platform, direction, account_id,
    bool_or(hidden) as hidden,
    min(observed_at) as first_seen,
    max(observed_at) as last_seen
from obs_follows
where not is_suppressed(account_id)
group by exec_id, platform, direction, account_id
