-- grain: exec_id, week
-- Per executive and week: distinct engagers in the window ending that week (the ceil(window_days / 7) ISO weeks
-- up to and including it), by ring, and how many digital-only engagers came back (engaged in two or more weeks), with the
-- ladder thresholds from the config beside them.
with cfg as (select cast(ceil(window_days / 7.0) as integer) as n_weeks from cfg_ladder),
in_window as (
    select
        w.exec_id, w.week, pw.person_id,
        any_value(pw.ring) as ring,
        max(pw.week) as last_week_in_window,
        any_value(pw.first_week) as first_week
    from int_exec_weeks as w
    join int_person_weeks as pw
        on pw.exec_id = w.exec_id
        and pw.week <= w.week
        and pw.week > w.week - 7 * (select n_weeks from cfg)
    group by w.exec_id, w.week, pw.person_id
),
agg as (
    select
        exec_id, week,
        count(*) as engagers,
        count(*) filter (where ring = 'team') as team,
        count(*) filter (where ring = 'organisation') as organisation,
        count(*) filter (where ring = 'met_in_person') as met_in_person,
        count(*) filter (where ring = 'digital_only') as digital_only,
        count(*) filter (where ring = 'digital_only' and first_week < last_week_in_window) as returning_digital
    from in_window
    group by exec_id, week
)
select
    w.exec_id, w.week,
    (select n_weeks from cfg) as window_weeks,
    coalesce(a.engagers, 0) as engagers,
    coalesce(a.team, 0) as team,
    coalesce(a.organisation, 0) as organisation,
    coalesce(a.met_in_person, 0) as met_in_person,
    coalesce(a.digital_only, 0) as digital_only,
    coalesce(a.returning_digital, 0) as returning_digital,
    l.*
from int_exec_weeks as w
left join agg as a using (exec_id, week)
cross join cfg_ladder as l
