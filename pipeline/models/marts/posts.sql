-- grain: exec_id, platform, post_id
-- materialized: view
-- The executive's own posts with their latest counts (NULL where the platform gives none, never 0).
select * from int_own_posts
