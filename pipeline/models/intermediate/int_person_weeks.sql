-- grain: exec_id, person_key, week
-- stored by: week
-- The weeks (ISO, starting Monday) in which each person engaged with the executive, with their ring and the
-- first week they ever engaged with that executive (a join to each person's minimum: at 10M engagements a third
-- faster than a window over ~10M person-weeks).
with pw as (
    select exec_id, person_key, any_value(ring) as ring, iso_week(engaged_at) as week
    from int_engagements
    group by exec_id, person_key, iso_week(engaged_at)
),
firsts as (select exec_id, person_key, min(week) as first_week from pw group by all)
select pw.*, f.first_week
from pw
join firsts as f using (exec_id, person_key)
