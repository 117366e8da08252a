-- grain: exec_id, sphere_id, source, feature
-- How many members of each sphere (int_sphere_members) have each feature (int_person_features): what the spheres
-- mart labels spheres by, kept as counts so that an incremental build adds the members' changed features to them
-- (pipeline/update_spheres.py) instead of joining every member to every feature again. A person is in one sphere
-- per executive, so nobody is counted twice.
select m.exec_id, m.sphere_id, f.source, f.feature, count(*) as n_in
from int_sphere_members as m
join int_person_features as f using (person_key)
group by all
