-- grain: exec_id, platform, post_id, observed_at
-- Each observation of a post's counts. Counts are never overwritten: every collection adds a row.
select
    exec_id, platform, post_id, observed_at,
    max(like_count) as like_count,
    max(repost_count) as repost_count,
    max(reply_count) as reply_count,
    max(quote_count) as quote_count
from obs_posts
where kind <> 'repost' and not is_suppressed(author_account_id)
group by all
