-- grain: exec_id, platform, post_id
-- Every post seen while collecting for an executive (theirs and others' replies and quotes), as last observed.
select * exclude (rn)
from (
    select
        exec_id, platform, post_id, author_account_id, url, created_at, text, title, kind,
        reply_to_post_id, reply_to_account_id, root_post_id, quoted_post_id, reposted_post_id,
        like_count, repost_count, reply_count, quote_count,
        from_json(coalesce(tags, '[]'), '["VARCHAR"]') as tags,
        from_json(coalesce(mentions, '[]'), '["VARCHAR"]') as mentions,
        coalesce(deleted, false) as deleted,
        min(observed_at) over (partition by exec_id, platform, post_id) as first_seen,
        observed_at as last_seen,
        raw_id as last_raw_id,  -- which observation this row is: an incremental build merges new ones by it
        row_number() over (partition by exec_id, platform, post_id order by observed_at desc, raw_id desc) as rn
    from obs_posts
    where not is_suppressed(author_account_id)
)
where rn = 1
