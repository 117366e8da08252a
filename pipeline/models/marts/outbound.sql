-- grain: exec_id, platform, outbound_key
-- What the executive reshared, quoted, replied to or liked of other people's: where their influences come from.
select
    o.exec_id, o.platform, o.kind, o."at", o.target_url, p.person_id as target_person_id,
    o.target_post_id, o.target_account_id, o.outbound_key
from stg_outbound as o
left join int_people as p on p.platform = o.platform and p.account_id = o.target_account_id
