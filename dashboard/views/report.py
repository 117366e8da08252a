"""Report: a self-contained HTML report per executive and period, and the tables behind it as CSV or Parquet."""

from __future__ import annotations

import streamlit as st

from dashboard import data, frame, report, tables
from dashboard import format as fmt

user = frame.user()
exec_id = frame.current_executive()
filters = frame.current_filters()
executive = data.executive(user, exec_id)

st.title("Report", anchor=False)
st.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · {filters.describe()} (change the period "
           "and platforms in the sidebar)")

st.markdown("One HTML file with the headline figures, the three questions answered, the charts (drawn inside "
            "the file, no script, nothing fetched) and the goals and reviews: it opens offline and can be "
            "e-mailed or printed.")
document = report.build(user, exec_id, filters)
st.download_button("Download the HTML report", document.encode("utf-8"), type="primary",
                   file_name=report.file_name(exec_id, filters), mime="text/html", icon=":material/download:",
                   on_click="ignore", key="report_html")
st.caption(f"{len(document) / 1024:,.0f} KB, self-contained.")

st.subheader("The data behind it", anchor=False)
reach = data.weekly_reach(user, exec_id, filters.platform_subset)
since = filters.since(reach["week"].max() if reach.height else None)
if since:
    reach = reach.filter(reach["week"] >= since)
st.markdown("**Weekly engagers by ring**")
st.dataframe(reach, hide_index=True, width="stretch", height=240)
st.caption("Distinct people engaging each week, per ring: the table behind the Overview's chart.")
frame.downloads(reach, f"{exec_id}-weekly-reach-{filters.period}", key="report-reach")

st.markdown("**Posts in the period**")
posts = tables.posts_table(data.top_posts(user, exec_id, since, list(filters.platforms)))
st.dataframe(posts, hide_index=True, width="stretch", height=240, column_config=tables.POSTS_COLUMNS)
st.caption("The executive's original posts in the period with the people they reached.")
frame.downloads(posts, f"{exec_id}-posts-{filters.period}", key="report-posts")
