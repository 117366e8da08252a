-- grain: mentor_id, exec_id, metric
-- Each executive against the other executives of their mentor's cohort, in the 90 days (13 ISO weeks) to the
-- cohort's latest observed week. Metrics: engagers_90d, digital_only_90d, digital_share_90d (NULL with no
-- engagers), returning_digital_90d (digital-only engagers seen in two or more weeks), original_posts_90d,
-- ladder_step (at the cohort's latest week; NULL if the executive has no data that week). percentile: the share
-- of the cohort's executives with a known value at or below this one, in percent; NULL where the value is NULL.
with cohort_week as (
    select c.mentor_id, max(w.week) as as_of
    from int_cohorts as c join int_exec_weeks as w using (exec_id)
    group by all
),
members as (
    select c.mentor_id, c.exec_id, cw.as_of from int_cohorts as c join cohort_week as cw using (mentor_id)
),
reach as (  -- each person once, then counted: one aggregate over the weeks' rows, not three distinct counts
    select mentor_id, exec_id,
        count(*) as engagers,
        count(*) filter (where digital) as digital_only,
        count(*) filter (where returning_digital) as returning_digital
    from (
        select m.mentor_id, m.exec_id, pw.person_key,
            bool_or(pw.ring = 'digital_only') as digital,
            bool_or(pw.ring = 'digital_only' and pw.first_week < pw.week) as returning_digital
        from members as m
        join int_person_weeks as pw on pw.exec_id = m.exec_id and pw.week <= m.as_of and pw.week > m.as_of - 91
        where pw.person_key is not null
        group by m.mentor_id, m.exec_id, pw.person_key
    )
    group by all
),
posts as (
    select m.mentor_id, m.exec_id, count(*) as original_posts
    from members as m
    join int_own_posts as o on o.exec_id = m.exec_id and o.kind = 'original'
        and iso_week(o.created_at) between m.as_of - 84 and m.as_of
    group by all
),
cohort_values as (
    select m.mentor_id, m.exec_id, v.metric,
        case v.metric
            when 'engagers_90d' then cast(coalesce(r.engagers, 0) as double)
            when 'digital_only_90d' then cast(coalesce(r.digital_only, 0) as double)
            when 'digital_share_90d' then r.digital_only / nullif(r.engagers, 0)
            when 'returning_digital_90d' then cast(coalesce(r.returning_digital, 0) as double)
            when 'original_posts_90d' then cast(coalesce(p.original_posts, 0) as double)
            when 'ladder_step' then cast(l.step as double)
        end as value
    from members as m
    left join reach as r using (mentor_id, exec_id)
    left join posts as p using (mentor_id, exec_id)
    left join ladder as l on l.exec_id = m.exec_id and l.week = m.as_of
    -- one row per metric (a cross join with a CASE rather than a LATERAL VALUES list, which Spark cannot run)
    cross join (values ('engagers_90d'), ('digital_only_90d'), ('digital_share_90d'), ('returning_digital_90d'),
        ('original_posts_90d'), ('ladder_step')) as v(metric)
)
select
    a.mentor_id, a.exec_id, a.metric, a.value,
    case when a.value is not null then 100.0 * (
        select count(*) from cohort_values as b
        where b.mentor_id = a.mentor_id and b.metric = a.metric and b.value is not null and b.value <= a.value
    ) / (
        select count(*) from cohort_values as b
        where b.mentor_id = a.mentor_id and b.metric = a.metric and b.value is not null
    ) end as percentile
from cohort_values as a
