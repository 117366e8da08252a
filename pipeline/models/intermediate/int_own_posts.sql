-- grain: exec_id, platform, post_id
-- The executive's own posts with their latest counts. A count the platform does not give is NULL, never 0;
-- LinkedIn archives carry no counts at all.
select
    s.exec_id, s.platform, s.post_id, s.url, s.created_at, s.text, s.title, s.kind,
    s.like_count, s.repost_count, s.reply_count, s.quote_count,
    s.tags, s.mentions, s.reply_to_post_id, s.quoted_post_id, s.reposted_post_id, s.deleted,
    s.first_seen, s.last_seen
from stg_posts as s
where s.platform in ('blog', 'linkedin', 'x')
    or exists (
        select 1 from int_exec_accounts as x
        where x.exec_id = s.exec_id and x.platform = s.platform and x.account_id = s.author_account_id
    )
