-- grain: platform, account_id
-- Why each account belongs to its person: the evidence that joined it to the person's other accounts, and
-- whether a rule or a person (manual merge or split) decided it.
select person_id, platform, account_id, evidence, decided_by from int_people
