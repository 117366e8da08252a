-- grain: exec_id, platform, engagement_key
-- materialized: view
-- Every engagement with the executive's posts: who (person), how (kind), when, and in which relationship ring.
select * from int_engagements
