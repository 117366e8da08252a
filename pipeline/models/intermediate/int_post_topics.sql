-- grain: exec_id, platform, post_id, topic_key
-- The topics of the executive's own posts (not their reposts of others): every hashtag, and every declared topic
-- that appears as a hashtag or as whole words in the text or title.
with own as (
    select exec_id, platform, post_id, tags, lower(coalesce(text, '') || ' ' || coalesce(title, '')) as body
    from int_own_posts
    where kind <> 'repost'
),
tagged as (
    select exec_id, platform, post_id, regexp_replace(tag, '[\s#_\-]+', '', 'g') as topic_key, tag as topic
    from (select exec_id, platform, post_id, unnest(tags) as tag from own)
),
declared as (
    select o.exec_id, o.platform, o.post_id, d.topic_key, d.topic
    from own as o
    join int_exec_topics as d on d.exec_id = o.exec_id
    where regexp_matches(o.body, '(^|[^[:alnum:]])' || regexp_escape(d.phrase) || '($|[^[:alnum:]])')
)
select exec_id, platform, post_id, topic_key, min(topic) as topic
from (select * from tagged union all select * from declared)
where topic_key <> ''
group by all
