-- grain: exec_id, person_id
-- The executive's ties register matched to people. A tie whose handles match no account seen yet still counts
-- as a person (id from the register line; note that list() over no rows is NULL, not []). Listed twice, the
-- closest ring wins: team, organisation, met in person.
with matched as (
    select
        t.exec_id, t.tie_line, t.name, t.ring, t.since, t.source,
        p.person_id
    from cfg_ties as t
    left join int_tie_accounts as ta
        on ta.exec_id = t.exec_id and ta.tie_line = t.tie_line and ta.platform = t.platform
    left join int_people as p on p.platform = ta.platform and p.account_id = ta.account_id
),
per_line as (
    select
        exec_id, tie_line, any_value(name) as name, any_value(ring) as ring, any_value(since) as since,
        any_value(source) as source, list(distinct person_id) filter (where person_id is not null) as person_ids
    from matched
    group by exec_id, tie_line
),
expanded as (
    select exec_id, name, ring, since, source,
        unnest(case when person_ids is null or array_length(person_ids) = 0 then ['t' || substr(md5(exec_id || ':' || name), 1, 15)] else person_ids end)
            as person_id
    from per_line
)
select
    exec_id, person_id, person_key(person_id) as person_key,
    arg_min(ring, case ring when 'team' then 1 when 'organisation' then 2 else 3 end) as ring,
    min(since) as since,
    'ties register ' || any_value(source) as source,
    any_value(name) as name
from expanded
group by exec_id, person_id
