"""Spheres: the communities the executive reaches, and where their own influences come from."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, frame, layout
from dashboard import format as fmt

user = frame.user()
exec_id = frame.current_executive()
executive = data.executive(user, exec_id)

st.title("Spheres", anchor=False)
caption = st.empty()
caption.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · all platforms")

if not data.has_marts("spheres", "sphere_members"):
    st.info(data.MartMissing([n for n in ("spheres", "sphere_members") if not data.has_marts(n)]).args[0],
            icon=":material/construction:")
    st.stop()

spheres = data.spheres(user, exec_id)
if spheres.is_empty():
    st.info("No spheres found yet: too few people engage with this executive for communities to show.")
    st.stop()

caption.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · all platforms · "
                f"{fmt.spheres_as_of(spheres['through_week'].max())}")
links = data.sphere_links(user, exec_id)
nodes = layout.sphere_positions(spheres, links)
labels = dict(zip(spheres["sphere_id"].to_list(), spheres["label"].to_list(), strict=True))

map_col, influence_col = st.columns([3, 2], gap="large")
with map_col:
    chosen = st.session_state.get("sphere_pick")
    event = st.altair_chart(charts.sphere_map(nodes, links, chosen), width="stretch", on_select="rerun",
                            key="sphere_map", selection_mode="sphere")
    clicked = [p.get("sphere_id") for p in (event.selection.get("sphere") or [])] if event else []
    if clicked and clicked[0] in labels and clicked[0] != chosen:
        st.session_state["sphere_pick"] = clicked[0]
        st.rerun()
    st.caption(charts.SPHERES_CAPTION)
with influence_col:
    if data.has_marts("influences"):
        influences = data.influences(user, exec_id)
        if influences.is_empty():
            st.caption("The executive has not reshared, quoted or replied to anyone yet.")
        else:
            st.altair_chart(charts.influences_by_sphere(influences), width="stretch")
            st.caption(charts.INFLUENCES_CAPTION)
    else:
        st.info(data.MartMissing(["influences"]).args[0], icon=":material/construction:")

ids = spheres["sphere_id"].to_list()
if st.session_state.get("sphere_pick") not in ids:
    st.session_state["sphere_pick"] = ids[0]
sphere_id = st.selectbox("Sphere", ids, key="sphere_pick", format_func=lambda s: labels.get(s) or s,
                         help="Or click a circle in the picture.")
row = spheres.filter(spheres["sphere_id"] == sphere_id).row(0, named=True)
st.subheader(fmt.md_text(row["label"]), anchor=False)
a, b, c = st.columns(3)
a.metric("People", fmt.count(row["people"]), border=True)
b.metric("Digital-only share", fmt.percent(row["digital_only_share"]), border=True)
growth = row["growth_90d"]
c.metric("Growth over 90 days", fmt.NOT_AVAILABLE if growth is None else f"{100 * growth:+.0f}%", border=True)


def people_table(members: pl.DataFrame) -> pl.DataFrame:
    return members.select(
        members["display_name"].fill_null("(no name)").alias("person"),
        members["ring"].replace_strict(fmt.RING_LABELS, default=members["ring"]).alias("ring"),
        "engagements", members["last_engaged"].dt.date().alias("last engaged"),
    )


people_col, posts_col = st.columns(2, gap="large")
with people_col:
    shown = people_table(data.sphere_people(user, exec_id, sphere_id))
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"last engaged": st.column_config.DateColumn(format="YYYY-MM-DD")})
    if shown.height < row["people"]:
        st.caption(f"The {fmt.count(shown.height)} most engaged of the sphere's {fmt.count(row['people'])} people "
                   "(by how often they engaged with the executive, then the most recent); the downloads hold "
                   "all of them.")
        frame.downloads(lambda: people_table(data.sphere_people(user, exec_id, sphere_id, everyone=True)),
                        f"{exec_id}-sphere-{sphere_id}-people", key="sphere-people")
    else:
        st.caption("The people in this sphere, with how often they engaged with the executive and when last.")
        frame.downloads(shown, f"{exec_id}-sphere-{sphere_id}-people", key="sphere-people")
with posts_col:
    posts = data.sphere_posts(user, exec_id, sphere_id)
    shown_posts = posts.select(
        posts["created_at"].dt.date().alias("posted"),
        posts["platform"].replace_strict(fmt.PLATFORM_LABELS, default=posts["platform"]).alias("platform"),
        posts["text"].map_elements(fmt.one_line, return_dtype=str).alias("post"),
        posts["sphere_people"].alias("people of the sphere"),
        posts["url"].alias("link"),
    )
    st.dataframe(shown_posts, hide_index=True, width="stretch",
                 column_config={"link": st.column_config.LinkColumn("original", display_text="open"),
                                "posted": st.column_config.DateColumn(format="YYYY-MM-DD")})
    st.caption("The executive's posts that reached this sphere: how many of its people engaged with each.")
