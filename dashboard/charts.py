"""Charts: pure functions from a frame to an Altair chart, testable without Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboard.format import RING_LABELS

RING_ORDER = ("team", "organisation", "met_in_person", "digital_only")
# Face-to-face rings in quiet blues and greys; the digital-only ring, the one the product is about, stands out.
RING_COLOURS = ("#b0b7c3", "#8fb8de", "#3f6fa8", "#f28e2b")
# The height given is the plot's own; the width fits the container. (Streamlit's default, "fit", squeezes the
# title, axes and a bottom legend into the height, which flattens the plot.)
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")

REACH_TITLE = "Weekly engagers by ring: reach beyond face-to-face ties"
REACH_CAPTION = (
    "Distinct people who liked, reshared, quoted, replied to or mentioned the executive's posts each week (Monday "
    "to Sunday), stacked by relationship ring from the ties register. Orange is digital-only: people known only "
    "through digital channels. A person counts once a week, whatever the platform."
)
LADDER_TITLE = "Ladder step over time"
LADDER_CAPTION = (
    "The networked-leadership step (1 to 4) each week, over the 91 days ending that week. "
    "Hover for the reason."
)


def _ring_label(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("ring").replace_strict(RING_LABELS, default=pl.col("ring")).alias("ring_label"),
        pl.col("ring").replace_strict({r: i for i, r in enumerate(RING_ORDER)}, default=len(RING_ORDER))
        .alias("ring_order"),
    )


def reach_by_ring(frame: pl.DataFrame) -> alt.Chart:
    """Weekly engagers stacked by ring; `frame` has week, ring, engagers (and new_engagers for the tooltip)."""
    data = _ring_label(frame.select("week", "ring", "engagers", "new_engagers"))
    return (
        alt.Chart(data, title=alt.Title(REACH_TITLE, anchor="start"))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title="week", axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("engagers:Q", stack="zero", title="people engaging"),
            color=alt.Color(
                "ring_label:N",
                title="ring",
                scale=alt.Scale(domain=[RING_LABELS[r] for r in RING_ORDER], range=list(RING_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("ring_order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("week:T", title="week of", format="%d %b %Y"),
                alt.Tooltip("ring_label:N", title="ring"),
                alt.Tooltip("engagers:Q", title="people"),
                alt.Tooltip("new_engagers:Q", title="of them new"),
            ],
        )
        .properties(autosize=FIT_X, height=320)
    )


def ladder_steps(frame: pl.DataFrame) -> alt.Chart:
    """The ladder step each week as a step line; `frame` has week, step, reason."""
    data = frame.select("week", "step", "reason")
    return (
        alt.Chart(data, title=alt.Title(LADDER_TITLE, anchor="start"))
        .mark_line(interpolate="step-after", point=False, color="#3f6fa8", strokeWidth=2)
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=4)),
            y=alt.Y(
                "step:Q",
                title="step",
                scale=alt.Scale(domain=[1, 4], nice=False),
                axis=alt.Axis(values=[1, 2, 3, 4], format="d"),
            ),
            tooltip=[
                alt.Tooltip("week:T", title="week of", format="%d %b %Y"),
                alt.Tooltip("step:Q", title="step"),
                alt.Tooltip("reason:N", title="why"),
            ],
        )
        .properties(autosize=FIT_X, height=170)
    )


CUMULATIVE_TITLE = "Digital-only people reached so far"
CUMULATIVE_CAPTION = (
    "Running total of distinct people known only digitally who have engaged with the executive at least once, "
    "each counted once, in the week they first engaged (all platforms)."
)
FOLLOWERS_TITLE = "Followers by ring"
FOLLOWERS_CAPTION = (
    "People in each platform's public follower list, by relationship ring from the ties register. A platform "
    "whose list is hidden or was not collected is not drawn: not available, not 0."
)
FOLLOWERS_WEEKLY_CAPTION = (
    "Followers in each week's public follower lists, by ring, all platforms with a public list added up."
)


def cumulative_digital(frame: pl.DataFrame) -> alt.Chart:
    """`frame` has week, digital_only_people."""
    return (
        alt.Chart(frame.select("week", "digital_only_people"), title=alt.Title(CUMULATIVE_TITLE, anchor="start"))
        .mark_area(line={"color": RING_COLOURS[3]}, color=RING_COLOURS[3], opacity=0.35)
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=5)),
            y=alt.Y("digital_only_people:Q", title="people"),
            tooltip=[alt.Tooltip("week:T", title="week of", format="%d %b %Y"),
                     alt.Tooltip("digital_only_people:Q", title="digital-only people so far")],
        )
        .properties(autosize=FIT_X, height=220)
    )


def followers_by_ring(frame: pl.DataFrame) -> alt.Chart:
    """`frame` is data.followers(): one bar per platform with a public list, stacked by ring."""
    rows = frame.filter(pl.col("list_public"))
    long = rows.unpivot(index="platform", on=list(RING_ORDER), variable_name="ring", value_name="followers")
    data = _ring_label(long)
    return (
        alt.Chart(data, title=alt.Title(FOLLOWERS_TITLE, anchor="start"))
        .mark_bar()
        .encode(
            x=alt.X("platform:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("followers:Q", stack="zero", title="followers in the public list"),
            color=alt.Color("ring_label:N", title="ring",
                            scale=alt.Scale(domain=[RING_LABELS[r] for r in RING_ORDER], range=list(RING_COLOURS)),
                            legend=alt.Legend(orient="bottom")),
            order=alt.Order("ring_order:Q", sort="ascending"),
            tooltip=[alt.Tooltip("platform:N"), alt.Tooltip("ring_label:N", title="ring"),
                     alt.Tooltip("followers:Q")],
        )
        .properties(autosize=FIT_X, height=220)
    )


def followers_weekly(frame: pl.DataFrame) -> alt.Chart:
    """`frame` is the followers_weekly mart of one executive (week, ring, followers, hidden)."""
    if "hidden" in frame.columns:
        frame = frame.filter(~pl.col("hidden").fill_null(False))
    data = _ring_label(frame.group_by("week", "ring").agg(pl.col("followers").sum()))
    return (
        alt.Chart(data, title=alt.Title("Followers by ring over time", anchor="start"))
        .mark_area()
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("followers:Q", stack="zero", title="followers"),
            color=alt.Color("ring_label:N", title="ring",
                            scale=alt.Scale(domain=[RING_LABELS[r] for r in RING_ORDER], range=list(RING_COLOURS)),
                            legend=alt.Legend(orient="bottom")),
            order=alt.Order("ring_order:Q", sort="ascending"),
            tooltip=[alt.Tooltip("week:T", format="%d %b %Y"), alt.Tooltip("ring_label:N", title="ring"),
                     alt.Tooltip("followers:Q")],
        )
        .properties(autosize=FIT_X, height=220)
    )


SIGNAL_RATES_CAPTION = (
    "Per original post each week: replies received (conversation), reshares and quotes (amplification) and likes "
    "(applause), from the signals model."
)
OUTPUT_CAPTION = "The executive's own output each week: original posts, replies to others and reshares."
TOPICS_CAPTION = (
    "Each topic the executive declares or that their posts show (hashtags, keywords): distinct people engaging "
    "with posts on it, the digital-only ones in orange. Declared topics are marked ◆."
)
RATE_COLUMNS = {"conversation_rate": "conversation", "amplification_rate": "amplification",
                "applause_rate": "applause"}
OUTPUT_COLUMNS = {"original_posts": "original posts", "replies_to_others": "replies to others",
                  "reshares": "reshares"}


def _long(frame: pl.DataFrame, columns: dict[str, str], name: str) -> pl.DataFrame:
    present = [c for c in columns if c in frame.columns]
    return (frame.select("week", *[pl.col(c).cast(pl.Float64) for c in present])
            .unpivot(index="week", on=present, variable_name="series", value_name=name)
            .with_columns(pl.col("series").replace_strict(columns, default=pl.col("series"))))


def signal_rates(frame: pl.DataFrame) -> alt.Chart:
    """Lines of the three rates; a NULL rate (inputs not available) leaves a gap, never a 0."""
    data = _long(frame, RATE_COLUMNS, "rate")
    return (
        alt.Chart(data, title=alt.Title("Replies, reshares and likes per original post",
                                        anchor="start"))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("rate:Q", title="per original post"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("week:T", format="%d %b %Y"), "series:N", alt.Tooltip("rate:Q", format=".2f")],
        )
        .properties(autosize=FIT_X, height=260)
    )


def output_mix(frame: pl.DataFrame) -> alt.Chart:
    data = _long(frame, OUTPUT_COLUMNS, "posts")
    return (
        alt.Chart(data, title=alt.Title("Output: originals, replies, reshares", anchor="start"))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=alt.Y("posts:Q", stack="zero", title="posts"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                            scale=alt.Scale(range=["#3f6fa8", "#8fb8de", "#b0b7c3"])),
            tooltip=[alt.Tooltip("week:T", format="%d %b %Y"), "series:N", "posts:Q"],
        )
        .properties(autosize=FIT_X, height=260)
    )


def topics(frame: pl.DataFrame) -> alt.Chart:
    """`frame` is the topics mart: topic, declared, posts, engagers, digital_only_engagers."""
    data = frame.with_columns(
        (pl.when(pl.col("declared")).then(pl.lit("◆ ")).otherwise(pl.lit("")) + pl.col("topic")).alias("label"),
        (pl.col("engagers") - pl.col("digital_only_engagers")).alias("other"),
    ).head(25)
    long = data.unpivot(index=["label", "posts", "declared"], on=["digital_only_engagers", "other"],
                        variable_name="who", value_name="people").with_columns(
        pl.col("who").replace_strict({"digital_only_engagers": "digital-only", "other": "other rings"}))
    return (
        alt.Chart(long, title=alt.Title("Topics: declared against observed", anchor="start"))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=alt.EncodingSortField("people", op="sum", order="descending")),
            x=alt.X("people:Q", stack="zero", title="people engaging"),
            color=alt.Color("who:N", title=None, scale=alt.Scale(domain=["digital-only", "other rings"],
                                                                  range=[RING_COLOURS[3], RING_COLOURS[1]]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=["label:N", "who:N", "people:Q", "posts:Q"],
        )
        .properties(autosize=FIT_X, height=max(120, 22 * data.height))
    )


SPHERES_TITLE = "Spheres reached"
SPHERES_CAPTION = (
    "Each circle is a sphere: a community among the people engaging with the executive (linked by engaging the "
    "same posts, and by follows among them). Size: people in it; colour: its digital-only share; a line joins two "
    "spheres whose people engaged with the same posts. Click a sphere to see its people and the posts that "
    "reached it."
)
INFLUENCES_CAPTION = (
    "Accounts the executive reshared, quoted or replied to, grouped by the sphere they belong to: where their own "
    "influences come from."
)


def sphere_map(nodes: pl.DataFrame, links: pl.DataFrame, selected: str | None = None) -> alt.LayerChart:
    """`nodes` from layout.sphere_positions (sphere_id, label, people, digital_only_share, growth_90d, x, y)."""
    pos = {r["sphere_id"]: (r["x"], r["y"]) for r in nodes.iter_rows(named=True)}
    edges = pl.DataFrame(
        [{"x": pos[r["source"]][0], "y": pos[r["source"]][1], "x2": pos[r["target"]][0], "y2": pos[r["target"]][1],
          "shared_posts": r["shared_posts"]}
         for r in links.iter_rows(named=True) if r["source"] in pos and r["target"] in pos],
        schema={"x": pl.Float64, "y": pl.Float64, "x2": pl.Float64, "y2": pl.Float64, "shared_posts": pl.Int64},
    )
    pick = alt.selection_point(fields=["sphere_id"], name="sphere", on="click", empty=False,
                               value=[{"sphere_id": selected}] if selected else None)
    axis = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    lines = alt.Chart(edges).mark_rule(color="#c8ccd4").encode(
        x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis), x2="x2:Q", y2="y2:Q",
        strokeWidth=alt.StrokeWidth("shared_posts:Q", legend=None, scale=alt.Scale(range=[0.5, 4])))
    data = nodes.with_columns(pl.col("digital_only_share").cast(pl.Float64),
                              pl.col("growth_90d").cast(pl.Float64))
    circles = alt.Chart(data).mark_circle(opacity=0.9, stroke="#333333").encode(
        x=alt.X("x:Q", axis=axis, scale=alt.Scale(padding=40)),
        y=alt.Y("y:Q", axis=axis, scale=alt.Scale(padding=40)),
        size=alt.Size("people:Q", title="people", scale=alt.Scale(range=[200, 4000]), legend=None),
        color=alt.Color("digital_only_share:Q", title="digital-only share",
                        scale=alt.Scale(domain=[0, 1], scheme="oranges"),
                        legend=alt.Legend(format="%", orient="bottom")),
        strokeWidth=alt.condition(pick, alt.value(3), alt.value(0)),
        tooltip=[alt.Tooltip("label:N", title="sphere"), alt.Tooltip("people:Q"),
                 alt.Tooltip("digital_only_share:Q", title="digital-only", format=".0%"),
                 alt.Tooltip("growth_90d:Q", title="growth over 90 days", format="+.0%")],
    ).add_params(pick)
    labels = alt.Chart(data).mark_text(dy=-26, fontSize=11, color="#333333").encode(
        x="x:Q", y="y:Q", text="label:N")
    return alt.layer(lines, circles, labels, title=alt.Title(SPHERES_TITLE, anchor="start")).properties(autosize=FIT_X, height=420)


def influences_by_sphere(frame: pl.DataFrame) -> alt.Chart:
    """`frame` is data.influences(): one row per account the executive engages with, with its sphere."""
    kinds = {"reshared": "reshared", "quoted": "quoted", "replied_to": "replied to"}
    present = [k for k in kinds if k in frame.columns]
    long = (frame.select("sphere", *[pl.col(k).cast(pl.Float64).fill_null(0) for k in present])
            .unpivot(index="sphere", on=present, variable_name="how", value_name="times")
            .with_columns(pl.col("how").replace_strict(kinds))
            .group_by("sphere", "how").agg(pl.col("times").sum()))
    return (
        alt.Chart(long, title=alt.Title("Where their influences come from", anchor="start"))
        .mark_bar()
        .encode(
            y=alt.Y("sphere:N", title=None, sort=alt.EncodingSortField("times", op="sum", order="descending"),
                    axis=alt.Axis(labelLimit=150)),
            x=alt.X("times:Q", stack="zero", title="times the executive engaged"),
            color=alt.Color("how:N", title=None, legend=alt.Legend(orient="right"),
                            scale=alt.Scale(range=["#3f6fa8", "#8fb8de", "#b0b7c3"])),
            tooltip=["sphere:N", "how:N", "times:Q"],
        )
        .properties(autosize=FIT_X, height=max(140, 28 * long["sphere"].n_unique()))
    )


CHAIN_TITLE = "How the idea travelled"
CHAIN_CAPTION = (
    "The root is the executive's post; each step right is one hop: people who reshared or quoted it (step 1), then "
    "people who engaged with those reshares and quotes (step 2, and on). Orange: digital-only people."
)


def chain_tree(nodes: pl.DataFrame, edges: pl.DataFrame) -> alt.LayerChart:
    """`nodes`: id, label, x (depth), y, ring, kind; `edges`: x, y, x2, y2."""
    axis_x = alt.Axis(title="steps from the executive's post", tickMinStep=1, format="d", grid=False)
    hidden = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    depth = float(nodes["x"].max() or 1)
    lines = alt.Chart(edges).mark_rule(color="#b0b7c3").encode(
        x=alt.X("x:Q", axis=axis_x, scale=alt.Scale(domain=[-0.05, depth + 0.35], nice=False)),
        y=alt.Y("y:Q", axis=hidden), x2="x2:Q", y2="y2:Q")
    data = _ring_label(nodes)
    points = alt.Chart(data).mark_circle(size=120, opacity=1).encode(
        x="x:Q", y=alt.Y("y:Q", axis=hidden),
        color=alt.Color("ring_label:N", title="ring",
                        scale=alt.Scale(domain=[RING_LABELS[r] for r in RING_ORDER] + ["The executive"],
                                        range=[*RING_COLOURS, "#333333"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="who"), alt.Tooltip("kind:N", title="how"),
                 alt.Tooltip("ring_label:N", title="ring")],
    )
    text = alt.Chart(data).mark_text(align="left", dx=8, fontSize=10, color="#333333").encode(
        x="x:Q", y="y:Q", text="label:N")
    height = max(160, 18 * int(nodes["y"].abs().max() or 0) + 60)
    return alt.layer(lines, points, text, title=alt.Title(CHAIN_TITLE, anchor="start")).properties(autosize=FIT_X, height=height)
