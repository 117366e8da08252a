-- grain: through_week
-- Which engagements the spheres are found in (sphere_members; the config's [model] spheres_through), one row:
-- through_week, the last ISO week (its Monday) whose engagements count, by when they happened (engaged_at).
-- "last_complete_week" (the default): the week before the one holding the latest engagement collected (the
-- greatest first_seen), so the spheres stay as they are through the week and a new day costs no community
-- detection; "latest": NULL, every engagement.
select case
    when (select through from cfg_spheres) = 'latest' then null
    else (select iso_week(max(first_seen)) from int_engagements) - 7
end as through_week
