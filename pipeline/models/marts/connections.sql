-- grain: exec_id, platform, direction, connection_key
-- Known ties from archives: LinkedIn connections, X follower and following ids.
select exec_id, platform, name, company, position, profile_url, account_id, direction, connected_on,
    connection_key, first_seen
from stg_connections
