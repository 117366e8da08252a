-- grain: exec_id, topic_key
-- The topics each executive declares in the config. topic_key is the topic in lower case without spaces, '#',
-- '-' or '_' (so "Open Source" meets #opensource); phrase is how it is looked for as words in a post's text.
select
    exec_id,
    regexp_replace(lower(trim(t)), '[\s#_\-]+', '', 'g') as topic_key,
    min(trim(t)) as topic,
    min(lower(trim(t))) as phrase
from (select exec_id, unnest(topics) as t from cfg_executives)
where regexp_replace(lower(trim(t)), '[\s#_\-]+', '', 'g') <> ''
group by all
