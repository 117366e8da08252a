-- grain: exec_id, person_id, week
-- The weeks (ISO, starting Monday) in which each person engaged with the executive, with their ring and the
-- first week they ever engaged with that executive.
with pw as (
    select exec_id, person_id, any_value(ring) as ring, cast(date_trunc('week', engaged_at) as date) as week
    from int_engagements
    group by exec_id, person_id, cast(date_trunc('week', engaged_at) as date)
)
select *, min(week) over (partition by exec_id, person_id) as first_week
from pw
