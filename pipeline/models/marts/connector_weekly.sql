-- grain: exec_id, week
-- Connector signals per executive and ISO week. introductions: their original posts and quotes published that
-- week that mention two or more other people (replies are left out: a reply names everyone in the thread).
-- reciprocity: of the people who engaged that week, the share the executive engaged with (reshared, quoted,
-- answered, liked) in the ladder's window ending that week; NULL in a week nobody engaged. spheres_spanned: how
-- many spheres (sphere_members) that week's engagers belong to (the week's rows of int_sphere_weeks); 0 in a week
-- nobody engaged.
with cfg as (select cast(ceil(window_days / 7.0) as integer) as n_weeks from int_window_reach limit 1),
intro as (
    select exec_id, week, count(*) as introductions
    from (
        select o.exec_id, o.platform, o.post_id, iso_week(any_value(o.created_at)) as week
        from (select exec_id, platform, post_id, created_at, unnest(mentions) as mentioned
              from int_own_posts
              where kind in ('original', 'quote') and created_at is not null) as o
        anti join int_exec_accounts as x on x.exec_id = o.exec_id and x.account_id = o.mentioned
        group by o.exec_id, o.platform, o.post_id
        having count(distinct o.mentioned) >= 2
    )
    group by all
),
answered as (
    select distinct pw.exec_id, pw.week, pw.person_key
    from int_person_weeks as pw
    join int_exec_interactions as i
        on i.exec_id = pw.exec_id and i.person_key = pw.person_key
        and cast(i."at" as date) < pw.week + 7
        and cast(i."at" as date) >= pw.week + 7 - 7 * (select n_weeks from cfg)
),
back as (
    select pw.exec_id, pw.week,
        count(*) as engagers,
        count(a.person_key) as engaged_back
    from int_person_weeks as pw
    left join answered as a using (exec_id, week, person_key)
    group by all
),
spanned as (select exec_id, week, count(*) as spheres_spanned from int_sphere_weeks group by all)
select
    w.exec_id, w.week,
    coalesce(i.introductions, 0) as introductions,
    b.engaged_back / b.engagers as reciprocity,
    coalesce(s.spheres_spanned, 0) as spheres_spanned
from int_exec_weeks as w
left join intro as i using (exec_id, week)
left join back as b using (exec_id, week)
left join spanned as s using (exec_id, week)
