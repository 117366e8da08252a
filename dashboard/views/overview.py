"""Overview: where the executive's reach comes from, and how far it goes beyond face-to-face ties."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, frame, narrative
from dashboard import format as fmt

user = frame.user()
exec_id = frame.current_executive()
filters = frame.current_filters()

executive = data.executive(user, exec_id)
headline = data.headline(user, exec_id)
ladder = data.ladder(user, exec_id)
reach = data.weekly_reach(user, exec_id, filters.platform_subset)
followers = data.followers(user, exec_id)
monthly = data.new_people_monthly(user, exec_id)
cumulative = data.cumulative_digital(user, exec_id)

st.title(fmt.md_text(executive["name"] if executive else exec_id), anchor=False)

if headline is None:
    st.info("Nothing observed for this executive yet: collect or import their posts, then run `influence model`.")
    st.stop()

now, before = headline.current, headline.previous
compared = (
    f"changes compare with the {before.window_days} days to {before.end_day:%d %b %Y}." if before
    else "there is not enough history for the window before, so no change is shown."
)
st.caption(
    f"Figures for the {now.window_days} days to {now.end_day:%d %b %Y}, the latest week in the warehouse, all "
    f"platforms; {compared}"
)

people, digital, share, new, step = st.columns(5)
people.metric(
    "People reached", fmt.count(now.people), fmt.signed(before and now.people - before.people),
    border=True,
    help="Distinct people who engaged with the executive's posts in the window, counted once across platforms.",
)
digital.metric(
    "Digital-only people", fmt.count(now.digital_only),
    fmt.signed(before and now.digital_only - before.digital_only),
    border=True,
    help="People in the window known to the executive only through digital channels (ring `digital_only`).",
)
share.metric(
    "Digital-only share", fmt.percent(now.digital_share),
    fmt.signed_points(now.digital_share, before and before.digital_share),
    border=True,
    help="Digital-only people as a share of all people reached in the window.",
)
new.metric(
    "New people", fmt.count(now.new_people), fmt.signed(before and now.new_people - before.new_people),
    border=True,
    help="People who engaged with the executive for the first time ever during the window.",
)
step.metric(
    "Ladder step", f"{now.step} of 4", fmt.signed(before and now.step - before.step),
    border=True,
    help="The networked-leadership ladder of PRODUCT.md, over the same window.",
)

month = narrative.this_month(monthly, headline.current.end_day if headline else None)
month_col, so_far_col, *_ = st.columns(5)
month_col.metric(
    f"New in {month.start:%b %Y}" if month else "New this month",
    fmt.count(month.new_people if month else None),
    fmt.signed(month.new_people - month.previous) if month and month.previous is not None else None,
    border=True,
    help=(f"People who engaged for the first time ever in {month.label if month else 'the latest month'}, the "
          "latest calendar month with data (it may be partial); the change compares with the month before."),
)
so_far_col.metric(
    "Digital-only, all time",
    fmt.count(int(cumulative["digital_only_people"][-1]) if cumulative.height else None),
    border=True,
    help="Every digital-only person who has ever engaged with the executive, counted once.",
)

st.subheader("What the data says", anchor=False)
spheres = data.spheres(user, exec_id) if data.has_marts("spheres") else None
influences = data.influences(user, exec_id) if data.has_marts("influences", "spheres") else None
posts = data.top_posts(user, exec_id, month.start if month else None, list(filters.available))
for question, answer in narrative.three_questions(now, before, ladder, month, posts, spheres, influences):
    with st.container(border=True):
        st.markdown(f"**{question}**")
        st.markdown(answer)

reach_col, ladder_col = st.columns([2, 1], gap="large")
since = filters.since(reach["week"].max() if reach.height else None)
with reach_col:
    shown = reach.filter(reach["week"] >= since) if since else reach
    st.altair_chart(charts.reach_by_ring(shown), width="stretch")
    st.caption(charts.REACH_CAPTION + f" Showing {filters.describe()}.")
with ladder_col:
    step_name, step_means = fmt.STEP_NAMES[now.step]
    st.subheader(f"Step {now.step} of 4: {step_name}", anchor=False)
    st.caption(f"{step_means[:1].upper()}{step_means[1:]}.")
    reason = ladder["reason"][-1]
    st.info(fmt.md_text(reason[:1].upper() + reason[1:]), icon=":material/stairs:")
    st.altair_chart(charts.ladder_steps(ladder), width="stretch")
    st.caption(charts.LADDER_CAPTION)

cum_col, fol_col = st.columns([1, 1], gap="large")
with cum_col:
    shown = cumulative.filter(cumulative["week"] >= since) if since else cumulative
    st.altair_chart(charts.cumulative_digital(shown), width="stretch")
    st.caption(charts.CUMULATIVE_CAPTION)
with fol_col:
    if data.has_marts("followers_weekly"):
        weekly = data.followers_weekly(user, exec_id)
        if weekly.height:
            st.altair_chart(charts.followers_weekly(weekly), width="stretch")
            st.caption(charts.FOLLOWERS_WEEKLY_CAPTION)
    if followers.filter(followers["list_public"]).height:
        st.altair_chart(charts.followers_by_ring(followers), width="stretch")
        st.caption(charts.FOLLOWERS_CAPTION)
    else:
        st.caption("No public follower list for this executive: followers by ring are not available.")

st.subheader("Followers", anchor=False)
if followers.is_empty():
    st.caption("No accounts configured for this executive.")
else:
    columns = st.columns(max(len(followers), 3))
    for col, row in zip(columns, followers.iter_rows(named=True), strict=False):
        with col.container(border=True):
            st.markdown(f"**{fmt.platform(row['platform'])}**")
            st.metric("Followers (profile)", fmt.count(row["profile_followers"]))
            if row["list_public"]:
                by_ring = " · ".join(f"{label} {fmt.count(row[ring])}" for ring, label in fmt.RING_LABELS.items())
                st.metric("In the public follower list", fmt.count(row["listed"]))
                st.caption(f"By ring: {by_ring}")
            else:
                st.metric("In the public follower list", fmt.NOT_AVAILABLE)
                st.caption("The follower list is hidden on this platform (or not collected): not available, not 0.")
st.caption(
    "The profile count is what the platform shows; the list is the followers the collector could see, "
    "placed in rings from the ties register."
)
