"""Chains: the ideas that travelled beyond the first step, drawn as trees."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, frame, layout, tables
from dashboard import format as fmt

user = frame.user()
exec_id = frame.current_executive()
executive = data.executive(user, exec_id)

st.title("Chains", anchor=False)
st.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · ideas that travelled beyond the first "
           "step: someone reshared or quoted a post, and others engaged with that")

if not data.has_marts("chains"):
    st.info(data.MartMissing(["chains"]).args[0], icon=":material/construction:")
    st.stop()

chains = data.chains(user, exec_id)
travelled = chains.filter(pl.col("depth") > 1)
if travelled.is_empty():
    st.info("No idea has travelled beyond the first step yet: nobody engaged with a reshare or quote of this "
            "executive's posts (where the platform lets us see it).")
    shown = chains
else:
    shown = travelled

table = shown.select(
    pl.col("created_at").dt.date().alias("posted"),
    pl.col("platform").replace_strict(fmt.PLATFORM_LABELS, default=pl.col("platform")).alias("platform"),
    pl.col("text").map_elements(fmt.one_line, return_dtype=pl.String).alias("post"),
    "depth", "breadth", "people",
    pl.col("structural_virality").cast(pl.Float64).round(2).alias("structural virality"),
    pl.col("url").alias("link"),
)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"link": st.column_config.LinkColumn("original", display_text="open"),
                            "posted": st.column_config.DateColumn(format="YYYY-MM-DD"),
                            "post": tables.POSTS_COLUMNS["post"]})
st.caption("Per post: depth (the most steps the idea took), breadth (the most people at one step), people "
           "reached through the chain, and structural virality (the mean distance between two people in the tree: "
           "higher means it spread person to person rather than as one broadcast; empty where the tree is not "
           "known).")
frame.downloads(table, f"{exec_id}-chains", key="chains")

if shown.is_empty():
    st.stop()
roots = [f"{p}\t{r}" for p, r in zip(shown["root_platform"].to_list(), shown["root_post_id"].to_list(), strict=True)]
texts = dict(zip(roots, [fmt.one_line(t, 80) for t in shown["text"].to_list()], strict=True))
root = st.selectbox("Draw the tree of", roots[:50], format_func=lambda r: texts.get(r) or r.split("\t")[1],
                    key="chain_root")
edges = data.chain_edges(user, exec_id, *root.split("\t", 1))

nodes: list[tuple[str, str | None]] = [("root", None)]
info = {"root": ("The executive's post", "The executive", "post")}
for i, r in enumerate(edges.filter(pl.col("depth") <= 1).iter_rows(named=True)):
    nodes.append((f"1:{i}", "root"))
    info[f"1:{i}"] = (r["display_name"] or "someone", r["ring"], r["kind"])
for i, r in enumerate(edges.filter(pl.col("depth") > 1).iter_rows(named=True)):
    # the marts name the reshare or quote someone came through, not its author: one node per such post
    via = f"via:{r['via_post_id']}"
    if via not in info:
        nodes.append((via, "root"))
        info[via] = ("a reshare or quote", "digital_only", "carried the idea on")
    nodes.append((f"{r['depth']}:{i}", via))
    info[f"{r['depth']}:{i}"] = (r["display_name"] or "someone", r["ring"], r["kind"])
pos = layout.tree_positions(nodes)
node_frame = pl.DataFrame(
    [{"id": n, "label": info[n][0], "ring": info[n][1], "kind": info[n][2], "x": pos[n][0], "y": -pos[n][1]}
     for n, _ in nodes])
edge_frame = pl.DataFrame(
    [{"x": pos[p][0], "y": -pos[p][1], "x2": pos[n][0], "y2": -pos[n][1]} for n, p in nodes if p is not None],
    schema={"x": pl.Float64, "y": pl.Float64, "x2": pl.Float64, "y2": pl.Float64})
node_frame = node_frame.with_columns(
    pl.when(pl.col("id") == "root").then(pl.lit("The executive")).otherwise(pl.col("ring")).alias("ring"))
st.altair_chart(charts.chain_tree(node_frame, edge_frame), width="stretch")
st.caption(charts.CHAIN_CAPTION)
