-- grain: platform, account_id, observed_at
-- How many followers each executive's own account had each time its profile was observed (the history the
-- "per 1,000 followers at posting time" rates need). Only the executives' accounts: every engager is an account too.
select a.platform, a.account_id, a.observed_at, max(a.followers_count) as followers_count
from obs_accounts as a
where a.followers_count is not null
    and exists (
        select 1 from cfg_exec_accounts as c
        where c.platform = a.platform
            and (c.handle = a.account_id or c.handle = lower(a.handle) or '@' || c.handle = lower(a.handle))
    )
group by all
