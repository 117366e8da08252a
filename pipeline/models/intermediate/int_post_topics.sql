-- grain: exec_id, platform, post_id, topic_key
-- The topics of the executive's own posts (not their reposts of others): every hashtag, and every declared topic
-- that appears as a hashtag or as whole words in the text or title. Text and phrases are reduced once to words
-- separated by single spaces, so "whole words" is a plain substring test (no pattern compiled per post).
with own as (
    select
        exec_id, platform, post_id, tags,
        ' ' || trim(regexp_replace(lower(coalesce(text, '') || ' ' || coalesce(title, '')), '[^[:alnum:]]+', ' ', 'g'))
            || ' ' as body
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
    where contains(o.body, ' ' || trim(regexp_replace(lower(d.phrase), '[^[:alnum:]]+', ' ', 'g')) || ' ')
)
select exec_id, platform, post_id, topic_key, min(topic) as topic
from (select * from tagged union all select * from declared)
where topic_key <> ''
group by all
