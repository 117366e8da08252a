-- grain: exec_id, platform, post_id, observed_at
-- How each of the executive's posts' counts grew: one row per observation, never overwritten.
select o.exec_id, o.platform, o.post_id, o.observed_at, o.like_count, o.repost_count, o.reply_count, o.quote_count
from stg_post_observations as o
semi join int_own_posts as p using (exec_id, platform, post_id)
