"""Collect one Bluesky account through the public AppView (``https://public.api.bsky.app/xrpc``), without login.

Requests, in order:

1. ``com.atproto.identity.resolveHandle?handle=`` (skipped for a DID) → raw kind ``resolve_handle``.
2. ``app.bsky.actor.getProfile?actor=<did>`` → ``profile``. A profile labelled ``!no-unauthenticated`` asked not
   to be shown to logged-out readers: nothing about it is stored (not even the two answers above) and the run
   summary says so.
3. ``app.bsky.feed.getAuthorFeed?actor=<did>&limit=100&filter=posts_with_replies``, paging through ``cursor``
   → ``author_feed``. Items with a ``reason`` are reposts (the executive's reshares) or pins. The first run reads
   the whole feed; later runs stop at the first page that reaches both the newest post stored last time and the
   start of the lookback window.
4. For each own post inside the window whose count changed since last stored (or is absent: Bluesky counts are
   optional): ``app.bsky.feed.getLikes``, ``getRepostedBy``, ``getQuotes`` (``uri``, ``limit=100``, all pages)
   → ``likes`` / ``reposted_by`` / ``quotes``; ``getPostThread?uri=&depth=20&parentHeight=0`` → ``thread``.
5. ``app.bsky.graph.getFollowers`` / ``getFollows`` (``actor``, ``limit=100``, all pages) → ``followers`` /
   ``follows``, when the count changed or the last read is a week old.

Params stored with each raw record: ``exec_did`` always; ``uri`` (likes, reposted_by, quotes, thread); ``page``
(paged kinds). Cursors (keys ``bluesky:<exec>:<did>:…``): ``feed`` ``{"newest_at"}``, ``engaged``
``{uri: counts}``, ``followers`` / ``follows`` ``{"count", "at"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from collectors.bluesky.parse import OPT_OUT_LABEL, PLATFORM, is_opted_out
from collectors.common import OwnPost, Page, follows_due, refresh_engagement, window_start
from collectors.events import Checkpoint, Collector, Fetched, OptedOut, Progress, raw_record
from collectors.http import Http, redact
from collectors.text import parse_time
from influence.config import PlatformSettings
from influence.errors import ShapeError

PAGE = 100  # the API's maximum
THREAD_DEPTH = 20
ENGAGEMENT = (("likes", "app.bsky.feed.getLikes", "likes"),
              ("reposted_by", "app.bsky.feed.getRepostedBy", "repostedBy"),
              ("quotes", "app.bsky.feed.getQuotes", "posts"))


def _feed_time(item: dict[str, Any]) -> datetime | None:
    """When an item entered the feed: a repost's time, else the post's own time; None for a pin."""
    reason = item.get("reason") or {}
    rtype = str(reason.get("$type", ""))
    if rtype.endswith("#reasonPin"):
        return None
    if rtype.endswith("#reasonRepost"):
        return parse_time(reason.get("indexedAt"))
    post = item.get("post") or {}
    return parse_time((post.get("record") or {}).get("createdAt") or post.get("indexedAt"))


def collect(
    http: Http,
    *,
    exec_id: str,
    actor: str,
    settings: PlatformSettings,
    cursors: Mapping[str, Any],
    lookback_days: int,
    now: datetime | None = None,
) -> Collector:
    """Collect ``actor`` (a handle or a DID) for executive ``exec_id``; see the module docstring."""
    now = now or datetime.now(UTC)
    xrpc = f"{settings.base_url or 'https://public.api.bsky.app'}/xrpc"
    kw: dict[str, Any] = {"platform": PLATFORM, "allowed_redirect_hosts": settings.allowed_redirect_hosts}

    def get(method: str, **params: Any) -> Any:
        return http.get(f"{xrpc}/{method}", params, **kw)

    # 1-2. who it is, and whether they opted out
    yield Progress(0, None, f"resolving {actor}")
    held = []
    did = actor
    if not actor.startswith("did:"):
        resp = get("com.atproto.identity.resolveHandle", handle=actor)
        did = resp.data.get("did") if isinstance(resp.data, dict) else None
        if not did:
            raise ShapeError(f"Bluesky resolveHandle: field 'did' is missing in the response from {redact(resp.url)}",
                             url=redact(resp.url), hint="the server's answer is not an AppView's; check base_url")
        held.append(Fetched(raw_record(PLATFORM, "resolve_handle", exec_id, resp, {"exec_did": did})))
    resp = get("app.bsky.actor.getProfile", actor=did)
    profile = resp.data if isinstance(resp.data, dict) else {}
    if is_opted_out(profile):
        yield OptedOut(actor, f"Bluesky {actor} carries the {OPT_OUT_LABEL} label: not collected")
        return
    held.append(Fetched(raw_record(PLATFORM, "profile", exec_id, resp, {"exec_did": did})))
    for event in held:  # noqa: UP028 -- not `yield from`: the runner sends parsed records back
        yield event
    key = f"{PLATFORM}:{exec_id}:{did}"
    common = {"exec_did": did}

    # 3. the author feed, newest first
    cursor = cursors.get(f"{key}:feed") or {}
    known_until = parse_time(cursor.get("newest_at"))
    start = window_start(now, lookback_days)
    own: list[OwnPost] = []
    newest = known_until
    pages = http.cursor_pages(f"{xrpc}/app.bsky.feed.getAuthorFeed",
                              {"actor": did, "limit": PAGE, "filter": "posts_with_replies"}, items="feed", **kw)
    for page_no, resp in enumerate(pages):
        parsed = yield Fetched(raw_record(PLATFORM, "author_feed", exec_id, resp, {**common, "page": page_no}))
        for row in parsed.rows["posts"] if parsed else []:
            if row["author_account_id"] != did or row["created_at"] is None:
                continue
            newest = max(newest, row["created_at"]) if newest else row["created_at"]
            if row["created_at"] >= start:
                own.append(OwnPost(row["post_id"], row["created_at"],
                                   (row["like_count"], row["repost_count"], row["quote_count"], row["reply_count"])))
        times = [t for t in map(_feed_time, resp.data.get("feed") or []) if t is not None]
        yield Progress(0, None, f"feed page {page_no + 1}: {len(own)} posts in the window")
        if known_until is not None and times and min(times) < min(start, known_until):
            break  # reached what the last run stored, and the end of the window
    if newest is not None and newest != known_until:
        yield Checkpoint(f"{key}:feed", {"newest_at": newest.isoformat()})

    # 4. who engaged with the posts in the window
    def fetch(post: OwnPost, flags: list[bool]) -> list[Page]:
        out: list[Page] = []
        for i, (kind, method, items) in enumerate(ENGAGEMENT):
            if flags[i]:
                pages = http.cursor_pages(f"{xrpc}/{method}", {"uri": post.post_id, "limit": PAGE}, items=items,
                                          expect=post.counts[i], **kw)
                out.extend((kind, r, {**common, "uri": post.post_id, "page": n}) for n, r in enumerate(pages))
        if flags[3]:
            r = get("app.bsky.feed.getPostThread", uri=post.post_id, depth=THREAD_DEPTH, parentHeight=0)
            out.append(("thread", r, {**common, "uri": post.post_id}))
        return out

    yield from refresh_engagement(
        http, source=PLATFORM, exec_id=exec_id, posts=own, state_key=f"{key}:engaged",
        previous=cursors.get(f"{key}:engaged"), fetch=fetch,
    )

    # 5. followers and follows
    for kind, method, count_field in (("followers", "app.bsky.graph.getFollowers", "followersCount"),
                                      ("follows", "app.bsky.graph.getFollows", "followsCount")):
        count = profile.get(count_field)
        if not follows_due(cursors.get(f"{key}:{kind}"), count, now):
            continue
        yield Progress(0, None, f"{kind} ({count if count is not None else '?'})")
        pages = http.cursor_pages(f"{xrpc}/{method}", {"actor": did, "limit": PAGE}, items=kind, expect=count, **kw)
        for n, r in enumerate(pages):
            yield Fetched(raw_record(PLATFORM, kind, exec_id, r, {**common, "page": n}))
        yield Checkpoint(f"{key}:{kind}", {"count": count, "at": now.isoformat()})
