-- grain: platform, account_id
-- Every account, pointing at its person. followers_count is NULL where the platform did not give it. person_key:
-- the person id as a number (pipeline/seeds.py), by which the dashboard finds the accounts of the people around an
-- executive cheaply (the ties page's account search).
select
    a.platform, a.account_id, a.handle, p.person_id, a.display_name, a.url, a.bio,
    a.followers_count, a.following_count, a.posts_count, a.hide_collections, a.opted_out,
    a.first_seen, a.last_seen, p.person_key
from stg_accounts as a
join int_people as p using (platform, account_id)
