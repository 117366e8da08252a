-- grain: exec_id, week
-- The executive's step on the networked-leadership ladder (PRODUCT.md) over the window ending each week, with
-- a sentence a mentor can read that says why, and what the next step needs. Thresholds come from [ladder] in the
-- config.
with r as (
    select
        w.*,
        w.engagers - w.team as beyond_team,
        case when w.engagers > 0 then w.digital_only / w.engagers end as digital_share,
        case when w.engagers > 0 then (w.engagers - w.team) / w.engagers end as beyond_team_share,
        strftime(w.week + 6, '%Y-%m-%d') as window_end,
        w.window_weeks * 7 as window_len
    from int_window_reach as w
),
stepped as (
    select
        *,
        case
            when engagers >= step4_min_engagers and digital_share >= step4_min_digital_share
                and returning_digital >= step4_min_returning_digital then 4
            when engagers >= step3_min_engagers and beyond_team_share >= step3_min_beyond_team_share then 3
            when team >= step2_min_team_engagers then 2
            else 1
        end as step
    from r
)
select
    exec_id, week, step,
    case step
        when 4 then format(
            'step 4 because {}% of {} engagers in the {} days to {} are digital-only, {} of them returning',
            round(100 * digital_share)::int, engagers, window_len, window_end, returning_digital)
        when 3 then format(
            'step 3 because {}% of {} engagers in the {} days to {} are outside the team; step 4 needs {}% '
            || 'digital-only (now {}%) among at least {} engagers, {} of them returning (now {})',
            round(100 * beyond_team_share)::int, engagers, window_len, window_end,
            round(100 * step4_min_digital_share)::int, round(100 * digital_share)::int, step4_min_engagers,
            step4_min_returning_digital, returning_digital)
        when 2 then format(
            'step 2 because {} team members engaged in the {} days to {}; step 3 needs at least {} engagers '
            || '(now {}) with {}% outside the team (now {}%)',
            team, window_len, window_end, step3_min_engagers, engagers,
            round(100 * step3_min_beyond_team_share)::int, coalesce(round(100 * beyond_team_share)::int, 0))
        else format(
            'step 1: {} engagers in the {} days to {}, {} of them from the team; step 2 needs {} team members engaging',
            engagers, window_len, window_end, team, step2_min_team_engagers)
    end as reason,
    engagers, team, organisation, met_in_person, digital_only, returning_digital, digital_share,
    window_weeks
from stepped
