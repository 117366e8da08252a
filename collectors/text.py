"""Turning HTML from the internet into plain text, and times into UTC."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_SPACE = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str | None) -> str:
    """Visible text of an HTML fragment: paragraphs and line breaks kept as new lines, tags and scripts gone."""
    if not html:
        return ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.insert_after("\n")
    text = soup.get_text()
    text = "\n".join(_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return _LINES.sub("\n\n", text).strip()


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 time (``Z`` or an offset) as an aware UTC datetime; None stays None."""
    if not value:
        return None
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
