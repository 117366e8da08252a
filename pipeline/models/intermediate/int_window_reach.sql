-- grain: exec_id, week
-- Per executive and week: distinct engagers in the window ending that week (the ceil(window_days / 7) ISO weeks
-- up to and including it), by ring, and how many digital-only engagers came back (engaged in two or more weeks),
-- with the ladder thresholds from the config beside them.
--
-- Counted with a sweep, not a range join: a week in which someone engaged puts them in every window ending in
-- that week or the next n_weeks - 1 weeks. Each person's weeks are merged into intervals of covered windows,
-- each interval adds +1 where it starts and -1 after it ends, and a running sum per ring gives, for every week,
-- how many distinct people the window ending there holds. Starts and ends are read off each week's neighbours
-- (lag and lead in one window: at 10M engagements 3.6 s, against 6.2 s numbering the intervals first), for the
-- people who engaged in more than one week only: a person's only week starts an interval and ends one, without
-- the window (at 10M engagements 690k of 7.6M people have more than one week; the model 2.12-2.71 s against
-- 3.34-4.58 s reading every week's neighbours, session 26). Which path a person of one week takes does not
-- change their counts, so an update may run this on the weeks from a date on (a person whose first week is
-- before them takes the window).
-- A digital-only person is "returning" in a window when they engaged in it in a week after their first week
-- ever: the same sweep over those later weeks alone. An update counts a day's windows directly instead, the stored
-- ones by the changed people alone (pipeline/update_weekly.py, _WINDOW_REACH_DIRECT): a change to what is counted
-- here changes that too.
with cfg as (select cast(ceil(window_days / 7.0) as integer) as n_weeks from cfg_ladder),
multi as (
    -- the people who engaged in more than one week (and any whose first week was before the weeks read)
    select distinct exec_id, person_key from int_person_weeks where week > first_week
),
active as (
    select exec_id, person_key, ring, week from int_person_weeks semi join multi using (exec_id, person_key)
    union all
    select exec_id, person_key, 'returning_digital', week from int_person_weeks
    where ring = 'digital_only' and week > first_week
),
gaps as (
    select
        exec_id, ring, week,
        date_diff('day', lag(week) over w, week) as after_previous,
        date_diff('day', week, lead(week) over w) as before_next
    from active
    window w as (partition by exec_id, person_key, ring order by week)
),
once as (
    -- a person's only week starts an interval and ends one
    select exec_id, ring, week from int_person_weeks anti join multi using (exec_id, person_key)
),
deltas as (
    -- an interval of covered windows starts at a week with no engaged week in the n_weeks - 1 before it, and
    -- ends n_weeks after a week with none in the n_weeks - 1 after it
    select exec_id, ring, week, sum(delta) as delta
    from (
        select exec_id, ring, week, 1 as delta from gaps
        where after_previous is null or after_previous > 7 * ((select n_weeks from cfg) - 1)
        union all
        select exec_id, ring, cast(week + 7 * (select n_weeks from cfg) as date), -1 from gaps
        where before_next is null or before_next > 7 * ((select n_weeks from cfg) - 1)
        union all
        select exec_id, ring, week, 1 from once
        union all
        select exec_id, ring, cast(week + 7 * (select n_weeks from cfg) as date), -1 from once
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
