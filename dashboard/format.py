"""Small, pure display helpers shared by the pages: numbers, "not available", and text from the internet."""

from __future__ import annotations

import re
from datetime import date, timedelta

NOT_AVAILABLE = "not available"

RING_LABELS = {
    "team": "Team",
    "organisation": "Organisation",
    "met_in_person": "Met in person",
    "digital_only": "Digital only",
}

STEP_NAMES = {
    1: ("individual contributor", "impact through their own output"),
    2: ("manager", "impact through their team"),
    3: ("senior manager", "influence beyond the team, with people they have met"),
    4: ("networked leader", "influence through people they know only digitally"),
}

PLATFORM_LABELS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "blog": "Blog", "linkedin": "LinkedIn", "x": "X"}

# Every ASCII punctuation character may be backslash-escaped in (GitHub-flavoured) Markdown; escaping them all
# also defuses Streamlit's own `:color[...]`, `:material/...:` and `$math$` directives and any HTML.
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def md_text(text: object) -> str:
    """Text from the internet (a name, a post) made safe to hand to anything that renders Markdown."""
    if text is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def count(value: int | None) -> str:
    """1,234, or "not available" for a figure the platform does not give (never 0)."""
    return NOT_AVAILABLE if value is None else f"{int(value):,}"


def percent(share: float | None) -> str:
    return NOT_AVAILABLE if share is None else f"{round(100 * share)}%"


def signed(delta: int | None) -> str | None:
    """+3, -2 or 0; None when there is nothing to compare with."""
    return None if delta is None else f"{delta:+,}" if delta else "0"


def signed_points(now: float | None, before: float | None) -> str | None:
    """The change of a share in percentage points, e.g. "+4.2 pts"; "0" (no arrow) when it did not move."""
    if now is None or before is None:
        return None
    points = round(100 * (now - before), 1)
    return f"{points:+.1f} pts" if points else "0"


def platform(name: str) -> str:
    return PLATFORM_LABELS.get(name, name)


def unavailable(platform_name: str | None) -> str:
    """What to say where a platform gives no figure: LinkedIn archives carry no counts at all."""
    return "not in the LinkedIn archive" if platform_name == "linkedin" else NOT_AVAILABLE


def count_on(platform_name: str | None, value: int | None) -> str:
    """A platform's counter as text: the number, or why there is none (never 0 for unknown)."""
    return unavailable(platform_name) if value is None else f"{int(value):,}"


def spheres_as_of(through_week: date | None) -> str:
    """When the spheres were found: as of the end of the ISO week starting ``through_week`` (a Monday)."""
    if through_week is None:
        return "spheres as the model found them"
    sunday = through_week + timedelta(days=6)
    return f"spheres as of the end of {sunday:%a} {sunday.day} {sunday:%b %Y}"


def one_line(text: object, limit: int = 140) -> str:
    """Post text flattened to one line for a table cell (tables render cells as plain text, never Markdown)."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
