"""Tables as the pages show them: pure functions from a data frame to a display frame and its column config.

Cells that hold text from the internet are shown by `st.dataframe`, which renders them as plain text.
Unknown counts become words ("not available", "not in the LinkedIn archive"), never 0.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import format as fmt

POSTS_COLUMNS = {
    "posted": st.column_config.DateColumn("posted", format="YYYY-MM-DD"),
    "platform": st.column_config.TextColumn("platform"),
    "post": st.column_config.TextColumn("post", width="large"),
    "people": st.column_config.NumberColumn("people", help="distinct people who engaged (collected)"),
    "digital_only": st.column_config.NumberColumn("digital-only", help="of them known only digitally"),
    "replies_seen": st.column_config.NumberColumn("replies seen"),
    "shares_seen": st.column_config.NumberColumn("reshares + quotes seen"),
    "likes": st.column_config.TextColumn("likes (platform)"),
    "replies": st.column_config.TextColumn("replies (platform)"),
    "reposts": st.column_config.TextColumn("reposts (platform)"),
    "link": st.column_config.LinkColumn("original", display_text="open"),
}


def _counter(platforms: list[str], values: list[int | None]) -> list[str]:
    return [fmt.count_on(p, v) for p, v in zip(platforms, values, strict=True)]


def posts_table(posts: pl.DataFrame) -> pl.DataFrame:
    """data.top_posts() as shown: one line of text, the breakdown, the platform's counters, the link."""
    platforms = posts["platform"].to_list()
    return pl.DataFrame({
        "posted": posts["created_at"].dt.date(),
        "platform": [fmt.platform(p) for p in platforms],
        "post": [fmt.one_line(t) for t in posts["text"].to_list()],
        "people": posts["people"],
        "digital_only": posts["digital_only"],
        "replies_seen": posts["replies_seen"],
        "shares_seen": posts["shares_seen"],
        "likes": _counter(platforms, posts["like_count"].to_list()),
        "replies": _counter(platforms, posts["reply_count"].to_list()),
        "reposts": _counter(platforms, posts["repost_count"].to_list()),
        "link": [u if isinstance(u, str) and u.startswith(("https://", "http://")) else None
                 for u in posts["url"].to_list()],
    }, schema_overrides={"link": pl.String})
