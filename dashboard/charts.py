"""Charts: pure functions from a frame to an Altair chart, testable without Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboard.format import RING_LABELS

RING_ORDER = ("team", "organisation", "met_in_person", "digital_only")
# Face-to-face rings in quiet blues and greys; the digital-only ring, the one the product is about, stands out.
RING_COLOURS = ("#b0b7c3", "#8fb8de", "#3f6fa8", "#f28e2b")

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
        .properties(height=320)
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
        .properties(height=170)
    )
