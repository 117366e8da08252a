-- grain: exec_id, person_id
-- materialized: view
-- Who belongs to which of each executive's spheres (int_sphere_members finds them, keyed by person): one row per
-- member, with their person id.
select exec_id, sphere_id, person_id_of(person_key) as person_id, person_key
from int_sphere_members
