-- grain: exec_id, person_id
-- Where the executive's own influences come from: per person whose posts they reshared, quoted, replied to (or
-- commented on) or liked, how often; sphere_id where that person is also in one of the executive's spheres.
-- liked is NULL for an executive with no source of their likes (the public APIs do not list them; a LinkedIn
-- archive's reactions do). Targets that cannot be tied to a person (a reply to a post never collected) are left out.
-- The spheres' members are joined by person key (int_sphere_members keeps no ids; a person of a ties register with
-- no account has none, and is in no sphere).
with known as (
    select exec_id, bool_or(kind in ('like', 'reaction')) as likes_known from int_exec_interactions group by all
),
i as (
    select i.* from int_exec_interactions as i
    anti join int_exec_people as x on x.exec_id = i.exec_id and x.person_id = i.person_id
    where i.person_id is not null
)
select
    i.exec_id, i.person_id,
    count(*) filter (where i.kind = 'repost') as reshared,
    count(*) filter (where i.kind = 'quote') as quoted,
    count(*) filter (where i.kind in ('reply', 'comment')) as replied_to,
    case when any_value(k.likes_known) then count(*) filter (where i.kind in ('like', 'reaction')) end as liked,
    any_value(m.sphere_id) as sphere_id
from i
join known as k using (exec_id)
left join int_sphere_members as m on m.exec_id = i.exec_id and m.person_key = i.person_key
group by i.exec_id, i.person_id
