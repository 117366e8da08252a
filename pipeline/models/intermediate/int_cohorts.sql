-- grain: mentor_id, exec_id
-- Each mentor's cohort: the executives they mentor.
select mentor_id, any_value(mentor_name) as mentor_name, exec_id
from cfg_mentees
group by mentor_id, exec_id
