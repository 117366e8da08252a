-- grain: exec_id, week
-- Every ISO week from the executive's first to last observed week (own posts or engagements).
with activity as (
    select exec_id, iso_week(created_at) as week from int_own_posts where created_at is not null
    union all
    select exec_id, week from int_person_weeks
),
span as (select exec_id, min(week) as first_week, max(week) as last_week from activity group by exec_id)
select exec_id, cast(unnest(generate_series(first_week, last_week, interval 7 day)) as date) as week
from span
