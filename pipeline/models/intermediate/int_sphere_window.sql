-- grain: exec_id
-- Which engagements each executive's spheres are found in (sphere_members; the config's [model] spheres_through):
-- through_week, the last ISO week (its Monday) whose engagements count, by when they happened (engaged_at).
-- The latest engagement collected (the greatest first_seen, of any executive) tells the day.
-- "last_complete_week_staggered" (the default): the week that ended is taken in on the executive's own day of the
-- next week, the n-th executive in id order on day n mod 7 (0 Monday, ..., 6 Sunday): the week before the one
-- holding that day less n mod 7 days. So the spheres stay as they are between those days, and a day's build finds
-- the communities of a seventh of the executives again, not all of them on Mondays (the spheres are 0-6 days later
-- than the aligned choice's).
-- "last_complete_week": every executive's on Monday, the week before the one holding the latest engagement.
-- "latest": NULL, every engagement.
-- (the aligned choice is the staggered one with every executive's day 0)
select x.exec_id, case
    when s.through = 'latest' then null
    else iso_week(cast(l.latest as date) - cast(x.phase as integer)) - 7
end as through_week
from cfg_spheres as s
cross join (
    select exec_id, case when (select through from cfg_spheres) = 'last_complete_week_staggered'
        then (row_number() over (order by exec_id) - 1) % 7 else 0 end as phase
    from cfg_executives) as x
cross join (select max(first_seen) as latest from int_engagements) as l
