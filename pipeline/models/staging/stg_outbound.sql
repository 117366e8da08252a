-- grain: exec_id, platform, outbound_key
-- What the executive did to other people's posts, once per action.
select
    exec_id, platform, outbound_key,
    arg_min(kind, observed_at) as kind,
    min("at") as "at",
    arg_min(target_url, observed_at) as target_url,
    arg_min(target_post_id, observed_at) as target_post_id,
    arg_min(target_account_id, observed_at) as target_account_id,
    min(observed_at) as first_seen
from obs_outbound
where not is_suppressed(target_account_id)
group by exec_id, platform, outbound_key
