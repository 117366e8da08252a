"""Cohort: every mentee in one table, with who is stuck; click through to an executive's views."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import access, data, frame, store
from dashboard import format as fmt
from dashboard.goals import stuck_flags

user = frame.user()
st.title("Cohort", anchor=False)
if not access.is_mentor_view(user):
    st.error("The cohort is for digital mentors: your account sees one executive.", icon=":material/lock:")
    st.stop()

who = "every executive" if user.role == "admin" else f"the mentees of {fmt.md_text(data.mentor_name(user.mentor_id))}"
st.caption(f"{who[:1].upper()}{who[1:]}: step, digital-only reach and its trend, goals and who may be stuck. Click a row "
           "(or a name below) to open that executive's views.")

cohort = data.cohort(user)
rows = []
for r in cohort.iter_rows(named=True):
    goals = store.goals(user, r["exec_id"])
    statuses = [g["status"] for g in goals]
    on = sum(s in ("on track", "met") for s in statuses)
    flags = stuck_flags(r, statuses)
    change = None if r["prev_digital_only"] is None or r["digital_only"] is None else r["digital_only"] - r["prev_digital_only"]
    rows.append({
        "exec_id": r["exec_id"],
        "executive": r["name"],
        "step": r["step"],
        "digital-only (90 d)": r["digital_only"],
        "change": change,
        "trend (26 weeks)": r["digital_trend"] or [],
        "digital-only share": None if r["digital_share"] is None else round(100 * r["digital_share"]),
        "goals on track": f"{on} of {len(goals)}" if goals else "no goals",
        "last post": r["last_post"].date() if r["last_post"] else None,
        "stuck?": "; ".join(flags) if flags else "",
    })
table = pl.DataFrame(rows, schema={
    "exec_id": pl.String, "executive": pl.String, "step": pl.Int64, "digital-only (90 d)": pl.Int64,
    "change": pl.Int64, "trend (26 weeks)": pl.List(pl.Int64), "digital-only share": pl.Int64,
    "goals on track": pl.String, "last post": pl.Date, "stuck?": pl.String})

event = st.dataframe(
    table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="cohort_table",
    column_order=[c for c in table.columns if c != "exec_id"],
    column_config={
        "step": st.column_config.NumberColumn("step", help="ladder step 1-4 over the latest 90 days", format="%d"),
        "digital-only (90 d)": st.column_config.NumberColumn(help="digital-only people engaging in the latest 90 days"),
        "change": st.column_config.NumberColumn(help="against the 90 days before", format="%+d"),
        "trend (26 weeks)": st.column_config.LineChartColumn(
            help="digital-only people over the rolling 90-day window, week by week, the last 26 weeks"),
        "digital-only share": st.column_config.NumberColumn(format="%d%%"),
        "last post": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "stuck?": st.column_config.TextColumn(width="large", help="step unchanged for 13+ weeks, reach falling, "
                                              "no post in 30 days, goals off track"),
    },
)
st.caption("One row per mentee, as of the latest week in the warehouse. Digital-only: people who engaged in the "
           "90 days and are known to the executive only digitally. Sort by any column.")
frame.downloads(table.drop("trend (26 weeks)"), "cohort", key="cohort")

selected = event.selection.rows if event else []
if selected:
    exec_id = table["exec_id"][selected[0]]
    st.switch_page("views/overview.py", query_params={frame.EXEC_PARAM: exec_id})

st.markdown("**Open an executive**")
buttons = st.container(horizontal=True)
for r in rows:
    if buttons.button(f"Open {fmt.md_text(r['executive'])}", key=f"open_{r['exec_id']}", icon=":material/arrow_forward:"):
        st.switch_page("views/overview.py", query_params={frame.EXEC_PARAM: r["exec_id"]})

if data.has_marts("cohort_percentiles"):
    st.subheader("Against the cohort", anchor=False)
    parts = [data.cohort_percentiles(user, e) for e in table["exec_id"].to_list()]
    pct = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    if pct.height:
        names = dict(zip(table["exec_id"].to_list(), table["executive"].to_list(), strict=True))
        wide = (pct.unique(["exec_id", "metric"], keep="first", maintain_order=True).sort("metric")
                .with_columns(pl.col("exec_id").replace_strict(names, default=pl.col("exec_id")).alias("executive"),
                              pl.format("{} (p{})", pl.col("value").round(2), pl.col("percentile").round(0)
                                        .cast(pl.Int64)).alias("cell"))
                .pivot(on="metric", index="executive", values="cell"))
        st.dataframe(wide, hide_index=True, width="stretch")
        st.caption("Each executive's figure and, in brackets, its percentile within the cohort of the same mentor "
                   "(the model's cohort_percentiles; p100 is the highest).")
