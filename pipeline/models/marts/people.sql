-- grain: person_id
-- Every person, named by their most recently seen display name (or handle).
select
    p.person_id,
    arg_max(coalesce(a.display_name, a.handle, a.account_id), a.last_seen) as display_name
from int_people as p
join stg_accounts as a using (platform, account_id)
group by p.person_id
