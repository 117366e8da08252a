-- grain: exec_id, person_id
-- The executive's known ties: the ring is a property of the tie, not of the person.
select exec_id, person_id, ring, since, source, name from int_ties
