-- grain: exec_id, tie_line, platform, account_id
-- The accounts each ties-register line names: a handle in the register matches an account by its id (Mastodon
-- address, DID, URL) or by its handle. Two equality joins, not one join on an OR, so DuckDB can hash them.
with by_id as (
    select t.exec_id, t.tie_line, a.platform, a.account_id
    from cfg_ties as t
    join stg_accounts as a on a.platform = t.platform and a.account_id = t.handle
),
by_handle as (
    select t.exec_id, t.tie_line, a.platform, a.account_id
    from cfg_ties as t
    join stg_accounts as a on a.platform = t.platform and lower(ltrim(a.handle, '@')) = t.handle
)
select distinct * from (select * from by_id union all select * from by_handle)
