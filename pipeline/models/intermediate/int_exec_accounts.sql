-- grain: exec_id, platform, account_id
-- The executive's own accounts: configured handles as account ids (a Bluesky handle becomes its DID once seen).
select distinct
    c.exec_id, c.platform,
    coalesce(a.account_id, c.handle) as account_id
from cfg_exec_accounts as c
left join stg_accounts as a
    on c.platform = 'bluesky' and a.platform = 'bluesky' and lower(a.handle) = c.handle
