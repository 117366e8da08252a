-- grain: exec_id, week, ring
-- Distinct people engaging with each executive per ISO week (Monday) and ring, for all four rings and every week
-- from the executive's first to last observed week. A person's first week with that executive makes them new;
-- every later week they engage they are returning.
with rings as (select unnest(['team', 'organisation', 'met_in_person', 'digital_only']) as ring),
grid as (select w.exec_id, w.week, r.ring from int_exec_weeks as w cross join rings as r),
counts as (
    select
        exec_id, week, ring,
        count(*) as engagers,
        count(*) filter (where week = first_week) as new_engagers
    from int_person_weeks
    group by exec_id, week, ring
)
select
    g.exec_id, g.week, g.ring,
    coalesce(c.engagers, 0) as engagers,
    coalesce(c.new_engagers, 0) as new_engagers,
    coalesce(c.engagers, 0) - coalesce(c.new_engagers, 0) as returning_engagers
from grid as g
left join counts as c using (exec_id, week, ring)
