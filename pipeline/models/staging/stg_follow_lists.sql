-- grain: exec_id, platform, direction
-- Whether each follower / following list was hidden when last collected.
select
    exec_id, platform, direction,
    arg_max(coalesce(hidden, false), observed_at) as hidden,
    max(observed_at) as last_collected
from obs_follows
group by exec_id, platform, direction
