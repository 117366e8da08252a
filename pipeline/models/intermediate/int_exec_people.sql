-- grain: exec_id, person_id
-- The person behind each executive's own accounts: never counted among their engagers or influences.
select distinct x.exec_id, p.person_id, p.person_key
from int_exec_accounts as x
join int_people as p on p.platform = x.platform and p.account_id = x.account_id
