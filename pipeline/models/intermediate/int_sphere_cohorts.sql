-- grain: exec_id, sphere_id, ring, first_week
-- How many members of each sphere (int_sphere_members) are in each ring and first engaged with the executive in each
-- ISO week (their first row of int_person_weeks): what the spheres mart counts sizes, ring mix and growth from,
-- kept as counts so that an incremental build adds the members whose first week or ring changed
-- (pipeline/update_spheres.py) instead of joining every member again.
select m.exec_id, m.sphere_id, r.ring, r.first_week, count(*) as people
from int_sphere_members as m
-- each person's first week with the executive is one row of int_person_weeks (a ring is per person)
join (select exec_id, person_key, ring, first_week from int_person_weeks where week = first_week) as r
    using (exec_id, person_key)
group by all
