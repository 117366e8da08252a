-- grain: exec_id, week
-- Per executive and week: distinct engagers in the window ending that week (the ceil(window_days / 7) ISO weeks
-- up to and including it), by ring, and how many digital-only engagers came back (engaged in two or more weeks),
-- with the ladder thresholds from the config beside them.
--
-- Counted with a sweep, not a range join: a week in which someone engaged puts them in every window ending in
-- that week or the next n_weeks - 1 weeks. Each person's weeks are merged into intervals of covered windows,
-- each interval adds +1 where it starts and -1 after it ends, and a running sum per ring gives, for every week,
-- how many distinct people the window ending there holds. Linear in person-weeks. A digital-only person is
-- "returning" in a window when they engaged in it in a week after their first week ever: the same sweep over
-- those later weeks alone.
with cfg as (select cast(ceil(window_days / 7.0) as integer) as n_weeks from cfg_ladder),
active as (
    select exec_id, person_id, ring, week from int_person_weeks
    union all
    select exec_id, person_id, 'returning_digital', week from int_person_weeks
    where ring = 'digital_only' and week > first_week
),
marked as (
    select
        *,
        case
            when date_diff('day', lag(week) over (partition by exec_id, person_id, ring order by week), week)
                <= 7 * ((select n_weeks from cfg) - 1) then 0
            else 1
        end as starts_interval
    from active
),
numbered as (
    select *, sum(starts_interval) over (partition by exec_id, person_id, ring order by week) as interval_no
    from marked
),
intervals as (
    select exec_id, ring, min(week) as first_window, max(week) + 7 * (select n_weeks from cfg) as after_last_window
    from numbered
    group by exec_id, person_id, ring, interval_no
),
deltas as (
    select exec_id, ring, week, sum(delta) as delta
    from (
        select exec_id, ring, first_window as week, 1 as delta from intervals
        union all
        select exec_id, ring, cast(after_last_window as date), -1 from intervals
    )
    group by exec_id, ring, week
),
rings as (select unnest(['team', 'organisation', 'met_in_person', 'digital_only', 'returning_digital']) as ring),
running as (
    select
        w.exec_id, w.week, r.ring,
        sum(coalesce(d.delta, 0)) over (partition by w.exec_id, r.ring order by w.week) as people
    from int_exec_weeks as w
    cross join rings as r
    left join deltas as d on d.exec_id = w.exec_id and d.week = w.week and d.ring = r.ring
),
wide as (
    select
        exec_id, week,
        sum(people) filter (where ring = 'team') as team,
        sum(people) filter (where ring = 'organisation') as organisation,
        sum(people) filter (where ring = 'met_in_person') as met_in_person,
        sum(people) filter (where ring = 'digital_only') as digital_only,
        sum(people) filter (where ring = 'returning_digital') as returning_digital
    from running
    group by exec_id, week
)
select
    w.exec_id, w.week,
    (select n_weeks from cfg) as window_weeks,
    cast(w.team + w.organisation + w.met_in_person + w.digital_only as bigint) as engagers,
    cast(w.team as bigint) as team,
    cast(w.organisation as bigint) as organisation,
    cast(w.met_in_person as bigint) as met_in_person,
    cast(w.digital_only as bigint) as digital_only,
    cast(w.returning_digital as bigint) as returning_digital,
    l.*
from wide as w
cross join cfg_ladder as l
