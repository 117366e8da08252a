-- grain: exec_id, platform, outbound_key
-- What the executive did to other people's posts, with the person it reached: the target account's person, else
-- the author of the target post where that post was collected (Mastodon replies name the post, not the account).
-- kind: repost | quote | reply | comment | like | reaction.
select
    o.exec_id, o.platform, o.outbound_key, o.kind, o."at", o.target_post_id,
    coalesce(pa.person_id, pp.person_id) as person_id,
    coalesce(pa.person_key, pp.person_key) as person_key
from stg_outbound as o
left join int_people as pa on pa.platform = o.platform and pa.account_id = o.target_account_id
left join stg_posts as s on s.exec_id = o.exec_id and s.platform = o.platform and s.post_id = o.target_post_id
left join int_people as pp on pp.platform = s.platform and pp.account_id = s.author_account_id
