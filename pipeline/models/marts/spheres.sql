-- grain: exec_id, sphere_id
-- Each executive's spheres (sphere_members): size, ring mix, growth, and a label of what characterises the
-- members: the bio words, Mastodon instances and hashtags most over-represented in the sphere against all the
-- executive's engagers (lift), shared by at least two members and a fifth of the sphere. growth_90d: people who
-- first engaged in the last 90 days (the 13 ISO weeks to the executive's last observed week, or to the last week
-- the spheres take in, int_sphere_window, if that is earlier) over those who engaged before; NULL where nobody
-- engaged before. through_week: that last week (its Monday): the spheres are as of its end.
with members as (
    select m.exec_id, m.sphere_id, m.person_id, r.ring, r.first_week
    from sphere_members as m
    -- each person's first week with the executive is one row of int_person_weeks (a ring is per person)
    join (select exec_id, person_id, ring, first_week from int_person_weeks where week = first_week) as r
        using (exec_id, person_id)
),
member_features as (  -- a person is in one sphere per executive, so no person is counted twice below
    select m.exec_id, m.sphere_id, f.source, f.feature, count(*) as n_in
    from members as m join int_person_features as f using (person_id)
    group by all
),
sizes as (select exec_id, sphere_id, count(*) as people from members group by all),
totals as (select exec_id, count(*) as people from members group by all),
scored as (
    select f.exec_id, f.sphere_id, f.source, f.feature, f.n_in,
        (f.n_in / s.people) / (f.n_all / t.people) as lift
    from (select *, sum(n_in) over (partition by exec_id, source, feature) as n_all from member_features) as f
    join sizes as s using (exec_id, sphere_id)
    join totals as t using (exec_id)
    where f.n_in >= 2 and f.n_in >= 0.2 * s.people
),
labels as (
    select exec_id, sphere_id,
        string_agg(feature, ' · ' order by lift desc, n_in desc, feature) as label
    from (select *, row_number() over (partition by exec_id, sphere_id order by lift desc, n_in desc, feature) as rn
          from scored)
    where rn <= 3
    group by all
),
last_week as (
    select exec_id, least(max(week), (select through_week from int_sphere_window)) as last_week
    from int_exec_weeks group by all
),
agg as (
    select m.exec_id, m.sphere_id, l.last_week as through_week,
        count(*) as people,
        count(*) filter (where m.ring = 'digital_only') / count(*) as digital_only_share,
        count(*) filter (where m.first_week > l.last_week - 91) as new_90d,
        count(*) filter (where m.first_week <= l.last_week - 91) as before_90d
    from members as m join last_week as l using (exec_id)
    group by all
)
select
    a.exec_id, a.sphere_id,
    coalesce(l.label, 'sphere ' || a.sphere_id) as label,
    a.people, a.digital_only_share,
    a.new_90d, a.before_90d,
    case when a.before_90d > 0 then a.new_90d / a.before_90d end as growth_90d,
    a.through_week
from agg as a
left join labels as l using (exec_id, sphere_id)
