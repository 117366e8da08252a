-- grain: platform, account_id
-- materialized: view
-- Why each account belongs to its person: the evidence that joined it to the person's other accounts, and
-- whether a rule or a person (manual merge or split) decided it. A view of int_people (a copy of its 1.25M rows at
-- 10M engagements took 0.8 s of every full build).
select person_id, platform, account_id, evidence, decided_by from int_people
