-- grain: exec_id, topic_key
-- Declared topics (the config's `topics`) against observed ones (int_post_topics: hashtags of their posts, and
-- declared topics found as words in the text). posts: their posts on the topic; engagers: distinct people who
-- engaged with those posts; digital_only_engagers: those of them outside the executive's ties. A declared topic
-- they never posted about has 0 posts (their posts are collected: zero is true).
with observed as (
    select t.exec_id, t.topic_key, min(t.topic) as topic, count(*) as posts
    from int_post_topics as t
    group by all
),
reach as (  -- each person once, then counted: one aggregate over the engagements, not two distinct counts
    select exec_id, topic_key, count(*) as engagers, count(*) filter (where digital) as digital_only_engagers
    from (
        select t.exec_id, t.topic_key, e.person_key, bool_or(e.ring = 'digital_only') as digital
        from int_post_topics as t
        join int_engagements as e using (exec_id, platform, post_id)
        anti join int_exec_people as x on x.exec_id = e.exec_id and x.person_key = e.person_key
        where e.person_key is not null
        group by t.exec_id, t.topic_key, e.person_key
    )
    group by all
)
select
    coalesce(d.exec_id, o.exec_id) as exec_id,
    coalesce(d.topic_key, o.topic_key) as topic_key,
    coalesce(d.topic, o.topic) as topic,
    d.topic_key is not null as declared,
    coalesce(o.posts, 0) as posts,
    coalesce(r.engagers, 0) as engagers,
    coalesce(r.digital_only_engagers, 0) as digital_only_engagers
from int_exec_topics as d
full join observed as o using (exec_id, topic_key)
left join reach as r on r.exec_id = coalesce(d.exec_id, o.exec_id) and r.topic_key = coalesce(d.topic_key, o.topic_key)
