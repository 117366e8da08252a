-- grain: exec_id, platform, direction, person_id
-- Followers and followed people with first and last seen; a hidden list is one row with person_id NULL and
-- hidden true ("not available", never zero followers).
select f.exec_id, f.platform, f.direction, p.person_id, f.first_seen, f.last_seen, false as hidden
from stg_follows as f
join int_people as p on p.platform = f.platform and p.account_id = f.account_id
where f.account_id is not null
union all
select exec_id, platform, direction, null, null, last_collected, true
from stg_follow_lists
where hidden
