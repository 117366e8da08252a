-- grain: platform, account_id
-- Which person each account belongs to. Until identity resolution merges accounts on evidence, every account is
-- its own person; person ids are stable hashes, so they survive rebuilds.
select
    platform, account_id,
    'p' || substr(md5(platform || ':' || account_id), 1, 15) as person_id
from stg_accounts
