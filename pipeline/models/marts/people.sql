-- grain: person_id
-- Every person, named by their most recently seen display name (or handle). person_key: the id as a number
-- (pipeline/seeds.py), by which a query joins people cheaply (the dashboard's people of a sphere: the 125k
-- members of the largest at 10M engagements).
select
    p.person_id,
    arg_max(coalesce(a.display_name, a.handle, a.account_id), a.last_seen) as display_name,
    p.person_key
from int_people as p
join stg_accounts as a using (platform, account_id)
group by p.person_id, p.person_key
