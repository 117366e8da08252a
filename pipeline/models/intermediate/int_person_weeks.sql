-- grain: exec_id, person_key, week
-- stored by: week
-- The weeks (ISO, starting Monday) in which each person engaged with the executive, with their ring and the
-- first week they ever engaged with that executive. Each (executive, person) pair's first and last week come from
-- one aggregate; a pair whose engagements all fall in one week (most of them) is its own row, and only the pairs of
-- several weeks go through the engagements again, grouped by week. At 10M engagements (6.9M of 7.6M pairs of one
-- week), sorted into its table 4.05-4.98 s against 5.17-5.34 s for grouping every engagement by week and joining
-- each pair's least week back (the same 9,646,710 rows; session 30, /tmp/s30/pw.py, four runs each alternated; the
-- queries alone 2.5-3.0 s against 3.7-4.6 s). A pair's ring is one for all its engagements (int_ties by exec_id and
-- person_key), so any of them gives it.
with pairs as (
    select exec_id, person_key, any_value(ring) as ring,
        min(iso_week(engaged_at)) as first_week, max(iso_week(engaged_at)) as last_week,
        count(engaged_at) = count(*) as dated  -- (an undated engagement is a row of week NULL, as by a group by)
    from int_engagements
    group by exec_id, person_key
)
select exec_id, person_key, ring, first_week as week, first_week from pairs where first_week = last_week and dated
union all
select e.exec_id, e.person_key, any_value(e.ring) as ring, iso_week(e.engaged_at) as week, m.first_week
from int_engagements as e
join (select exec_id, person_key, first_week from pairs where first_week is distinct from last_week or not dated) as m
    using (exec_id, person_key)
group by e.exec_id, e.person_key, iso_week(e.engaged_at), m.first_week
