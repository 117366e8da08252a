-- grain: platform, account_id
-- Which person each account belongs to: its identity group where evidence (or a mentor) joined it to other
-- accounts, else itself alone. Person ids are stable hashes, so they survive rebuilds. person_key: the id as a
-- number (pipeline/seeds.py), how the intermediate tables of engagements key people.
select *, person_key(person_id) as person_key
from (
    select
        a.platform, a.account_id,
        coalesce(g.person_id, account_person_id(a.platform, a.account_id)) as person_id,
        coalesce(g.evidence, 'one account') as evidence,
        coalesce(g.decided_by, 'rule') as decided_by
    from stg_accounts as a
    left join int_identity_groups as g using (platform, account_id)
)
