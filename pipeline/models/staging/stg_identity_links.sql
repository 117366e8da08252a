-- grain: platform, account_id, link_kind, value
-- Links that say an account belongs to a person known elsewhere (profile links, archive profile websites).
select
    platform, account_id, link_kind, value,
    bool_or(coalesce(verified, false)) as verified,
    any_value(exec_id) as exec_id,
    min(observed_at) as first_seen
from obs_identity_links
where not (is_suppressed(account_id) or is_suppressed(value))
group by platform, account_id, link_kind, value
