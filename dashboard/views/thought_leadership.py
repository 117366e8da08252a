"""Thought leadership: signals over time, the posts that started conversations or travelled furthest, topics."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, frame, tables
from dashboard import format as fmt

user = frame.user()
exec_id = frame.current_executive()
filters = frame.current_filters()
executive = data.executive(user, exec_id)

st.title("Thought leadership", anchor=False)
st.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · {filters.describe()}")

st.subheader("Signals over time", anchor=False)
if data.has_marts("signals_weekly"):
    signals = data.signals_weekly(user, exec_id)
    since = filters.since(signals["week"].max() if signals.height else None)
    if since:
        signals = signals.filter(signals["week"] >= since)
    if signals.is_empty():
        st.caption("No signals in this period.")
    else:
        left, right = st.columns(2, gap="large")
        with left:
            st.altair_chart(charts.signal_rates(signals), width="stretch")
            st.caption(charts.SIGNAL_RATES_CAPTION)
        with right:
            st.altair_chart(charts.output_mix(signals), width="stretch")
            st.caption(charts.OUTPUT_CAPTION)
        st.caption("A rate is missing (a gap, not 0) in a week where its inputs are not available, e.g. likes on "
                   "Mastodon or counts in a LinkedIn archive. Signals span all platforms.")
else:
    st.info(data.MartMissing(["signals_weekly"]).args[0], icon=":material/construction:")

posts = data.top_posts(user, exec_id, filters.since(data.ladder(user, exec_id)["week"].max()), list(filters.platforms))
with st.container():
    st.subheader("Posts that started conversations", anchor=False)
    shown = tables.posts_table(posts.sort(["replies_seen", "people"], descending=True).head(10))
    st.dataframe(shown, hide_index=True, column_config=tables.POSTS_COLUMNS, width="stretch")
    st.caption("The executive's original posts with the most replies seen in the period; breakdown per post: "
               "people reached, digital-only people, replies and reshares seen, and the platform's own counters.")
with st.container():
    st.subheader("Posts that travelled furthest", anchor=False)
    far = posts.sort(["shares_seen", "people"], descending=True).head(10)
    shown_far = tables.posts_table(far)
    st.dataframe(shown_far, hide_index=True, column_config=tables.POSTS_COLUMNS, width="stretch")
    st.caption("The original posts most reshared and quoted in the period (reshares and quotes seen in the "
               "collected engagement), then by people reached.")
frame.downloads(tables.posts_table(posts), f"{exec_id}-posts", key="tl-posts")

st.subheader("Declared against observed topics", anchor=False)
declared = ", ".join(executive["topics"] or []) if executive else ""
st.caption(f"Declared in the configuration: {fmt.md_text(declared) or 'none'}.")
if data.has_marts("topics"):
    topics = data.topics(user, exec_id)
    if topics.is_empty():
        st.caption("No topics observed yet.")
    else:
        st.altair_chart(charts.topics(topics), width="stretch")
        st.caption(charts.TOPICS_CAPTION)
else:
    st.info(data.MartMissing(["topics"]).args[0], icon=":material/construction:")
