-- grain: exec_id, platform, engagement_key
-- materialized: view
-- Every engagement with the executive's posts: who (person), how (kind), when, and in which relationship ring.
-- person_key: the person id as a number (pipeline/seeds.py), by which a query joins people cheaply (the id is
-- formatted from it on every read).
select
    exec_id, platform, post_id, person_id_of(person_key) as person_id, kind, engaged_at, ring,
    account_platform, account_id, engagement_key, time_known, first_seen, via_post_id, depth, person_key
from int_engagements
