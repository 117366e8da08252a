"""What parsers turn raw records into: normalized observation tables, one schema for every platform.

A parser (``collectors/<platform>/parse.py``) receives one raw record's payload and context and returns
``Records``: rows for the tables below. The pipeline's load step adds provenance (``raw_id``, ``observed_at``,
``run_id``) to every row and loads the tables into DuckDB as ``obs_<table>``; the SQL models in ``pipeline/models``
read only those. Column names carry units and zones: times are UTC ``datetime`` objects, counts are ``int`` or
``None`` where the platform does not give them (never 0 for "unknown").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from influence.errors import ShapeError

# table -> {column: DuckDB type}. Provenance columns are added by the loader and are not listed here.
TABLES: dict[str, dict[str, str]] = {
    # An account on a platform (an engager, a follower, the executive themself). Latest observation wins.
    "accounts": {
        "platform": "VARCHAR",  # mastodon | bluesky | blog | linkedin | x | web
        "account_id": "VARCHAR",  # stable id: Mastodon 'user@instance', Bluesky DID, blog commenter URL, ...
        "handle": "VARCHAR",
        "display_name": "VARCHAR",
        "url": "VARCHAR",
        "bio": "VARCHAR",  # plain text
        "followers_count": "BIGINT",
        "following_count": "BIGINT",
        "posts_count": "BIGINT",
        "hide_collections": "BOOLEAN",
        "opted_out": "BOOLEAN",  # e.g. Bluesky '!no-unauthenticated'
        "profile_links": "VARCHAR",  # JSON list of {"name", "url", "verified_at"}
    },
    # A post: the executive's own, or someone else's reply / quote / repost that engages with them.
    "posts": {
        "exec_id": "VARCHAR",
        "platform": "VARCHAR",
        "post_id": "VARCHAR",  # Mastodon status id, Bluesky at:// URI, blog post URL, ...
        "author_account_id": "VARCHAR",
        "url": "VARCHAR",
        "created_at": "TIMESTAMPTZ",
        "text": "VARCHAR",  # plain text
        "title": "VARCHAR",  # blog posts
        "kind": "VARCHAR",  # original | reply | repost | quote
        "reply_to_post_id": "VARCHAR",
        "reply_to_account_id": "VARCHAR",
        "root_post_id": "VARCHAR",
        "quoted_post_id": "VARCHAR",
        "reposted_post_id": "VARCHAR",
        "like_count": "BIGINT",
        "repost_count": "BIGINT",
        "reply_count": "BIGINT",
        "quote_count": "BIGINT",
        "tags": "VARCHAR",  # JSON list of lower-case hashtags
        "mentions": "VARCHAR",  # JSON list of account ids mentioned
        "deleted": "BOOLEAN",
    },
    # Someone engaging with one of the executive's posts. engagement_key is the natural key: the same like seen
    # twice is the same engagement.
    "engagements": {
        "exec_id": "VARCHAR",
        "platform": "VARCHAR",
        "post_id": "VARCHAR",  # the executive's post engaged with
        "account_id": "VARCHAR",  # who engaged
        "account_platform": "VARCHAR",  # where that account lives, when not on `platform` (a pingback's website: web)
        "kind": "VARCHAR",  # like | repost | reply | quote | comment | pingback | mention
        "engaged_at": "TIMESTAMPTZ",  # NULL where the platform gives no time (Mastodon likes): first seen is used
        "engagement_key": "VARCHAR",
        "via_post_id": "VARCHAR",  # for a second step: the quote or reply through which the idea travelled
        "depth": "INTEGER",  # reply depth under the executive's post (1 = direct reply)
    },
    # A follower or followed account of the executive, or a hidden list (account_id NULL, hidden TRUE).
    "follows": {
        "exec_id": "VARCHAR",
        "platform": "VARCHAR",
        "direction": "VARCHAR",  # followers | following
        "account_id": "VARCHAR",
        "hidden": "BOOLEAN",
    },
    # What the executive did to other people's posts: where their own influences come from.
    "outbound": {
        "exec_id": "VARCHAR",
        "platform": "VARCHAR",
        "kind": "VARCHAR",  # repost | quote | reply | like | comment | reaction
        "at": "TIMESTAMPTZ",
        "target_url": "VARCHAR",
        "target_post_id": "VARCHAR",
        "target_account_id": "VARCHAR",
        "outbound_key": "VARCHAR",
    },
    # Known ties from archives: LinkedIn connections, X follower/following ids.
    "connections": {
        "exec_id": "VARCHAR",
        "platform": "VARCHAR",
        "name": "VARCHAR",
        "company": "VARCHAR",
        "position": "VARCHAR",
        "profile_url": "VARCHAR",
        "account_id": "VARCHAR",
        "direction": "VARCHAR",  # connection | follower | following
        "connected_on": "DATE",
    },
    # Links that say two accounts belong to the same person (profile links, archive profile websites).
    "identity_links": {
        "exec_id": "VARCHAR",  # set when the link is about the executive themself
        "platform": "VARCHAR",
        "account_id": "VARCHAR",
        "link_kind": "VARCHAR",  # website | twitter | mastodon | bluesky | linkedin | email
        "value": "VARCHAR",
        "verified": "BOOLEAN",
    },
}


@dataclass(frozen=True)
class RawContext:
    """What a parser knows about the raw record besides its payload."""

    source: str
    kind: str
    exec_id: str
    url: str
    params: dict[str, Any]
    observed_at: datetime
    status: int = 200


class Records:
    """Rows for the observation tables, checked against ``TABLES`` as they are added."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def add(self, table: str, **values: Any) -> None:
        columns = TABLES.get(table)
        if columns is None:
            raise KeyError(f"no observation table {table!r}")
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"{table}: unknown columns {sorted(unknown)}")
        self.rows[table].append({c: _checked(table, c, t, values.get(c)) for c, t in columns.items()})

    def extend(self, other: Records) -> None:
        for t, rows in other.rows.items():
            self.rows[t].extend(rows)

    def count(self, table: str | None = None) -> int:
        return len(self.rows[table]) if table else sum(len(r) for r in self.rows.values())


_LIMITS = {"BIGINT": 2**63, "INTEGER": 2**31}
_WORDS = {"VARCHAR": "text", "BIGINT": "a whole number", "INTEGER": "a whole number", "BOOLEAN": "true/false",
          "TIMESTAMPTZ": "a time", "DATE": "a date"}


def _checked(table: str, column: str, sql_type: str, value: Any) -> Any:
    """``value`` as the column's type allows, or a ShapeError: a row that would break the warehouse build never
    leaves a parser (a list where text belongs, a count of 10**30, a string that is not valid Unicode)."""
    if value is None:
        return None
    ok = True
    if sql_type == "VARCHAR":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # a numeric id where a string id is documented
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates from a JSON "\ud800" escape
                return value.encode("utf-8", "replace").decode("utf-8")
            return value
        ok = False
    elif sql_type in _LIMITS:
        ok = isinstance(value, int) and not isinstance(value, bool) and -_LIMITS[sql_type] <= value < _LIMITS[sql_type]
    elif sql_type == "BOOLEAN":
        ok = isinstance(value, bool)
    elif sql_type == "TIMESTAMPTZ":
        ok = isinstance(value, datetime) and value.tzinfo is not None
    elif sql_type == "DATE":
        ok = isinstance(value, date) and not isinstance(value, datetime)
    if not ok:
        shown = repr(value)
        raise ShapeError(f"{table}.{column}: expected {_WORDS[sql_type]}, got {type(value).__name__} "
                         f"{shown[:60] + '…' if len(shown) > 60 else shown}",
                         hint="the platform changed its response; report it with this URL")
    return value


def as_count(value: Any) -> int | None:
    """A count as an int (platforms give numbers, X archives strings); None where it is missing or not a whole
    number: unknown, never 0."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def require(obj: Any, key: str, ctx: RawContext, where: str = "") -> Any:
    """``obj[key]``, or a ShapeError that names the URL and the missing field."""
    if not isinstance(obj, dict):
        raise ShapeError(
            f"{ctx.source} {ctx.kind}: expected an object{' at ' + where if where else ''}, got {type(obj).__name__}",
            url=ctx.url,
            hint="the platform changed its response; report it with this URL",
        )
    if key not in obj:
        field_name = f"{where}.{key}" if where else key
        raise ShapeError(
            f"{ctx.source} {ctx.kind}: field '{field_name}' is missing in the response from {ctx.url}",
            url=ctx.url,
            hint="the platform changed its response or this is not the expected endpoint",
        )
    return obj[key]
