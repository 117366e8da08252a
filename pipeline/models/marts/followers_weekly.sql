-- grain: exec_id, platform, week, ring
-- Followers of each executive account per ISO week and ring, where the follower list is public. A follower counts
-- from the week they were first seen in the list to the week they were last seen. Weeks before the list was first
-- collected are not given (unknown). A list hidden when last collected gives one row per week and ring with
-- followers NULL and hidden true: "not available", never zero. Weeks after the list was last collected are NULL
-- too: nobody has looked since, so the count is unknown, not zero.
with lists as (
    select exec_id, platform, hidden, iso_week(last_collected) as last_week
    from stg_follow_lists
    where direction = 'followers'
),
spans as (
    select f.exec_id, f.platform,
        iso_week(min(f.first_seen)) as first_week
    from stg_follows as f
    where f.direction = 'followers'
    group by all
),
weeks as (  -- from the first collection of the list (or the executive's first week, for a hidden list) on
    select l.exec_id, l.platform, l.hidden, l.last_week as last_collected_week, w.week
    from lists as l
    join int_exec_weeks as w using (exec_id)
    left join spans as s using (exec_id, platform)
    where w.week >= coalesce(s.first_week, w.week)
        and (l.hidden or w.week <= greatest(l.last_week, (select max(week) from int_exec_weeks as x where x.exec_id = l.exec_id)))
),
rings as (select unnest(['team', 'organisation', 'met_in_person', 'digital_only']) as ring),
people as (
    select f.exec_id, f.platform, p.person_id, coalesce(t.ring, 'digital_only') as ring,
        iso_week(min(f.first_seen)) as first_week,
        iso_week(max(f.last_seen)) as last_week
    from stg_follows as f
    join int_people as p on p.platform = f.platform and p.account_id = f.account_id
    left join int_ties as t on t.exec_id = f.exec_id and t.person_id = p.person_id
    where f.direction = 'followers' and f.account_id is not null
    group by all
),
counts as (
    select w.exec_id, w.platform, w.week, p.ring, count(distinct p.person_id) as followers
    from weeks as w
    join people as p on p.exec_id = w.exec_id and p.platform = w.platform
        and w.week between p.first_week and p.last_week
    group by all
)
select
    w.exec_id, w.platform, w.week, r.ring,
    case when not w.hidden and w.week <= w.last_collected_week then coalesce(c.followers, 0) end as followers,
    w.hidden
from weeks as w
cross join rings as r
left join counts as c using (exec_id, platform, week, ring)
