-- grain: exec_id, platform, engagement_key
-- stored by: exec_id
-- grain hash: key_hash
-- compression zstd: engagement_key, account_id
-- Every engagement with the executive's posts, by person and relationship ring. The executive's own accounts
-- (answering in their own threads) are not engagers. engaged_at is when it happened where the platform says,
-- else when it was first seen (time_known false). No engagement is dropped for want of an account: an engager
-- never observed on their own is still a person. person_key: the person's id as a number (the engagements mart
-- shows the id). key_hash: a 64-bit hash of the grain, by which an update finds a day's engagements among all
-- of them reading one integer column (pipeline/incremental.py, engagements_by_key); not in the engagements mart.
-- The join to int_people reads person_id as well as person_key (the same test as a coalesce of the keys). Without
-- it, on data collected daily (nearly every engagement observed several times: 9.6M of 10.1M keys repeated, at 10M
-- engagements) DuckDB built its hash table on int_people and the sort ran out of its 2 GB in 6 of 7 runs (38-49 s
-- lost each, then the model built unsorted, 8.7 GB at the build's peak); with it, as before person keys, the hash
-- table is built on the engagements there (spilling), and 4 runs in 4 sorted (the statement alone 57-66 s; a full
-- build 132 s, peak 3.2 GB). On data collected weekly the plan builds it on int_people either way.
with e as (
    select
        e.*,
        case when p.person_id is null then account_person_key(e.account_platform, e.account_id)
             else p.person_key end as person_key
    from stg_engagements as e
    left join int_people as p on p.platform = e.account_platform and p.account_id = e.account_id
)
select
    e.exec_id, e.platform, e.post_id, e.person_key, e.kind, e.engaged_at,
    coalesce(t.ring, 'digital_only') as ring,
    e.account_platform, e.account_id, e.engagement_key, e.time_known, e.first_seen, e.via_post_id, e.depth,
    hash(e.exec_id, e.platform, e.engagement_key) as key_hash
from e
left join int_ties as t on t.exec_id = e.exec_id and t.person_key = e.person_key
where not exists (
    select 1 from int_exec_accounts as x
    where x.exec_id = e.exec_id and x.platform = e.account_platform and x.account_id = e.account_id
)
