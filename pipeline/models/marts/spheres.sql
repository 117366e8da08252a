-- grain: exec_id, sphere_id
-- Each executive's spheres (sphere_members): size, ring mix, growth, and a label of what characterises the
-- members: the bio words, Mastodon instances and hashtags most over-represented in the sphere against all the
-- executive's engagers (lift), shared by at least two members and a fifth of the sphere. growth_90d: people who
-- first engaged in the last 90 days (the 13 ISO weeks to the executive's last observed week, or to the last week
-- their spheres take in, int_sphere_window, if that is earlier) over those who engaged before; NULL where nobody
-- engaged before. through_week: that last week (its Monday): the spheres are as of its end.
-- The members are read as counts: per feature (int_sphere_features) and per ring and first week
-- (int_sphere_cohorts).
with last_week as (
    -- (least skips a NULL: every week when the spheres take in every engagement)
    select x.exec_id, least(max(x.week), max(w.through_week)) as last_week
    from int_exec_weeks as x left join int_sphere_window as w using (exec_id)
    group by x.exec_id
),
agg as (
    select c.exec_id, c.sphere_id, l.last_week as through_week,
        cast(sum(c.people) as bigint) as people,
        coalesce(sum(c.people) filter (where c.ring = 'digital_only'), 0) / sum(c.people) as digital_only_share,
        cast(coalesce(sum(c.people) filter (where c.first_week > l.last_week - 91), 0) as bigint) as new_90d,
        cast(coalesce(sum(c.people) filter (where c.first_week <= l.last_week - 91), 0) as bigint) as before_90d
    from int_sphere_cohorts as c join last_week as l using (exec_id)
    group by all
),
totals as (select exec_id, sum(people) as people from agg group by all),
scored as (
    select f.exec_id, f.sphere_id, f.source, f.feature, f.n_in,
        (f.n_in / s.people) / (f.n_all / t.people) as lift
    from (select *, sum(n_in) over (partition by exec_id, source, feature) as n_all from int_sphere_features) as f
    join agg as s using (exec_id, sphere_id)
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
