-- grain: platform_a, account_a, platform_b, account_b, rule
-- Evidence that two accounts are one person. Names alone never count. The rules:
--   ties_register  a line of a ties register lists both accounts;
--   verified_site  two accounts claim the same website and both claims are proven (a verified Mastodon field,
--                  a Bluesky custom-domain handle, an executive's own archive);
--   commenter_url  a blog commenter gave the very URL another account lists in its profile.
with tie_accounts as (
    select ta.exec_id, ta.tie_line, ta.platform, ta.account_id, t.source, t.name
    from int_tie_accounts as ta
    join (select distinct exec_id, tie_line, source, name from cfg_ties) as t using (exec_id, tie_line)
),
ties_edges as (
    select
        x.platform as platform_a, x.account_id as account_a, y.platform as platform_b, y.account_id as account_b,
        'ties_register' as rule,
        -- min, not any_value: two registers may list the same pair, and every engine must name the same one
        format('{} line {} lists {} on {} and {} on {} for {}', min(x.source), min(x.tie_line), x.account_id,
               x.platform, y.account_id, y.platform, min(x.name)) as evidence
    from tie_accounts as x
    join tie_accounts as y
        on x.exec_id = y.exec_id and x.tie_line = y.tie_line
        and (x.platform || ':' || x.account_id) < (y.platform || ':' || y.account_id)
    group by x.platform, x.account_id, y.platform, y.account_id
),
site_edges as (
    select
        x.platform as platform_a, x.account_id as account_a, y.platform as platform_b, y.account_id as account_b,
        case when x.verified and y.verified then 'verified_site' else 'commenter_url' end as rule,
        format('both point to {} ({} on {}: {}; {} on {}: {})', x.site,
               x.account_id, x.platform, case when x.verified then 'proven' when x.link_kind = 'self_url' then 'given as commenter URL' else 'profile link' end,
               y.account_id, y.platform, case when y.verified then 'proven' when y.link_kind = 'self_url' then 'given as commenter URL' else 'profile link' end
        ) as evidence
    from int_identity_links as x
    join int_identity_links as y
        on x.site = y.site
        and (x.platform || ':' || x.account_id) < (y.platform || ':' || y.account_id)
    where (x.verified and y.verified)
        or (x.link_kind = 'self_url' and y.link_kind <> 'self_url')
        or (y.link_kind = 'self_url' and x.link_kind <> 'self_url')
)
select platform_a, account_a, platform_b, account_b, rule, min(evidence) as evidence
from (select * from ties_edges union all select * from site_edges)
group by platform_a, account_a, platform_b, account_b, rule
