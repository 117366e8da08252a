"""Pure parsers for Bluesky XRPC responses stored in the raw store.

Accounts are identified by their DID (a handle can change, the DID does not); posts by their ``at://`` URI.
Raw records carry in ``params``: ``exec_did`` (author_feed, thread), ``uri`` (likes, reposted_by, quotes, thread),
``page`` (followers, follows). Counts absent from a post view are NULL: unknown, not zero.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.records import RawContext, Records, require
from collectors.registry import parser
from collectors.text import parse_time
from influence.errors import ShapeError

PLATFORM = "bluesky"
OPT_OUT_LABEL = "!no-unauthenticated"
QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


def is_opted_out(actor: dict[str, Any]) -> bool:
    return any(isinstance(lab, dict) and lab.get("val") == OPT_OUT_LABEL for lab in actor.get("labels") or [])


def post_url(uri: str, handle: str | None) -> str | None:
    # at://did:plc:xyz/app.bsky.feed.post/rkey -> https://bsky.app/profile/<handle or did>/post/rkey
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        return None
    return f"https://bsky.app/profile/{handle or parts[0]}/post/{parts[2]}"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def add_actor(rec: Records, actor: dict[str, Any], ctx: RawContext) -> str:
    did = require(actor, "did", ctx, "actor")
    opted_out = is_opted_out(actor)
    rec.add(
        "accounts",
        platform=PLATFORM,
        account_id=did,
        handle=None if opted_out else actor.get("handle"),
        display_name=None if opted_out else actor.get("displayName"),
        url=None if opted_out else f"https://bsky.app/profile/{actor.get('handle') or did}",
        bio=None if opted_out else actor.get("description"),
        followers_count=_int(actor.get("followersCount")),
        following_count=_int(actor.get("followsCount")),
        posts_count=_int(actor.get("postsCount")),
        hide_collections=None,
        opted_out=opted_out,
        profile_links=None,
    )
    handle = actor.get("handle")
    if handle and not opted_out and not handle.endswith(".bsky.social") and handle != "handle.invalid":
        # a custom domain handle is proven by DNS or /.well-known: the person controls that website
        rec.add("identity_links", platform=PLATFORM, account_id=did, link_kind="website", value=f"https://{handle}/", verified=True)
    return did


def _quoted_uri(record: dict[str, Any]) -> str | None:
    embed = record.get("embed") or {}
    t = embed.get("$type")
    if t == "app.bsky.embed.record":
        return (embed.get("record") or {}).get("uri")
    if t == "app.bsky.embed.recordWithMedia":
        return ((embed.get("record") or {}).get("record") or {}).get("uri")
    return None


def _tags(record: dict[str, Any]) -> list[str]:
    tags = {str(t).lower() for t in record.get("tags") or []}
    for facet in record.get("facets") or []:
        for feat in facet.get("features") or []:
            if feat.get("$type") == "app.bsky.richtext.facet#tag" and feat.get("tag"):
                tags.add(str(feat["tag"]).lower())
    return sorted(tags)


def _mentions(record: dict[str, Any]) -> list[str]:
    out = []
    for facet in record.get("facets") or []:
        for feat in facet.get("features") or []:
            if feat.get("$type") == "app.bsky.richtext.facet#mention" and feat.get("did"):
                out.append(feat["did"])
    return out


def add_post(rec: Records, post: dict[str, Any], ctx: RawContext, *, kind: str | None = None, root: str | None = None) -> tuple[str, str]:
    """A post view as a ``posts`` row; returns (uri, author did). ``kind`` is inferred when not given."""
    uri = require(post, "uri", ctx, "post")
    author = add_actor(rec, require(post, "author", ctx, "post"), ctx)
    record = require(post, "record", ctx, "post")
    reply = record.get("reply") or {}
    parent_uri = (reply.get("parent") or {}).get("uri")
    root_uri = (reply.get("root") or {}).get("uri")
    quoted = _quoted_uri(record)
    if kind is None:
        exec_did = ctx.params.get("exec_did")
        parent_author = parent_uri.removeprefix("at://").split("/")[0] if parent_uri else None
        if quoted:
            kind = "quote"
        elif parent_uri and parent_author != exec_did:
            kind = "reply"
        else:
            kind = "original"
    rec.add(
        "posts",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        post_id=uri,
        author_account_id=author,
        url=post_url(uri, (post.get("author") or {}).get("handle")),
        created_at=parse_time(record.get("createdAt") or post.get("indexedAt")),
        text=record.get("text") or "",
        kind=kind,
        reply_to_post_id=parent_uri,
        reply_to_account_id=parent_uri.removeprefix("at://").split("/")[0] if parent_uri else None,
        root_post_id=root or root_uri,
        quoted_post_id=quoted,
        reposted_post_id=None,
        like_count=_int(post.get("likeCount")),
        repost_count=_int(post.get("repostCount")),
        reply_count=_int(post.get("replyCount")),
        quote_count=_int(post.get("quoteCount")),
        tags=json.dumps(_tags(record)),
        mentions=json.dumps(_mentions(record)),
        deleted=False,
    )
    return uri, author


def _items(payload: Any, key: str, ctx: RawContext) -> list[Any]:
    if isinstance(payload, dict) and "error" in payload and key not in payload:
        raise ShapeError(f"Bluesky {ctx.kind}: error {payload.get('error')}: {payload.get('message')}", url=ctx.url)
    items = require(payload, key, ctx)
    if not isinstance(items, list):
        raise ShapeError(f"Bluesky {ctx.kind}: '{key}' is not a list in {ctx.url}", url=ctx.url)
    return items


@parser(PLATFORM, "resolve_handle")
def parse_resolve(payload: Any, ctx: RawContext) -> Records:
    require(payload, "did", ctx)
    return Records()


@parser(PLATFORM, "profile")
def parse_profile(payload: Any, ctx: RawContext) -> Records:
    rec = Records()
    if isinstance(payload, dict) and "profiles" in payload:  # getProfiles
        for p in _items(payload, "profiles", ctx):
            add_actor(rec, p, ctx)
    else:
        add_actor(rec, payload, ctx)
    return rec


@parser(PLATFORM, "author_feed")
def parse_author_feed(payload: Any, ctx: RawContext) -> Records:
    """The executive's feed. Items with a ``reason`` are reposts (their reshares) or pins, not new posts."""
    rec = Records()
    for item in _items(payload, "feed", ctx):
        post = require(item, "post", ctx, "feed[]")
        reason = item.get("reason")
        if reason is not None:
            rtype = reason.get("$type", "")
            if rtype.endswith("#reasonRepost"):
                uri, author = add_post(rec, post, ctx, kind="original")
                # the reposted post is someone else's: keep it for context, and record the executive's reshare
                rec.rows["posts"].pop()
                rec.add(
                    "outbound",
                    exec_id=ctx.exec_id,
                    platform=PLATFORM,
                    kind="repost",
                    at=parse_time(reason.get("indexedAt")),
                    target_url=post_url(uri, (post.get("author") or {}).get("handle")),
                    target_post_id=uri,
                    target_account_id=author,
                    outbound_key=f"repost:{uri}",
                )
            continue  # a pin repeats a post already in the feed
        uri, _author = add_post(rec, post, ctx)
        row = rec.rows["posts"][-1]
        at = row["created_at"]
        if row["kind"] == "reply":
            rec.add(
                "outbound", exec_id=ctx.exec_id, platform=PLATFORM, kind="reply", at=at,
                target_url=post_url(row["reply_to_post_id"], None), target_post_id=row["reply_to_post_id"],
                target_account_id=row["reply_to_account_id"], outbound_key=f"reply:{uri}",
            )
        elif row["kind"] == "quote":
            q = row["quoted_post_id"]
            rec.add(
                "outbound", exec_id=ctx.exec_id, platform=PLATFORM, kind="quote", at=at,
                target_url=post_url(q, None), target_post_id=q,
                target_account_id=q.removeprefix("at://").split("/")[0], outbound_key=f"quote:{uri}",
            )
    return rec


@parser(PLATFORM, "likes")
def parse_likes(payload: Any, ctx: RawContext) -> Records:
    """Who liked a post, with the time of the like (getLikes)."""
    rec = Records()
    uri = ctx.params.get("uri") or require(payload, "uri", ctx)
    for like in _items(payload, "likes", ctx):
        did = add_actor(rec, require(like, "actor", ctx, "likes[]"), ctx)
        rec.add(
            "engagements", exec_id=ctx.exec_id, platform=PLATFORM, post_id=uri, account_id=did, kind="like",
            engaged_at=parse_time(like.get("createdAt") or like.get("indexedAt")),
            engagement_key=f"like:{uri}:{did}", via_post_id=None, depth=None,
        )
    return rec


@parser(PLATFORM, "reposted_by")
def parse_reposted_by(payload: Any, ctx: RawContext) -> Records:
    rec = Records()
    uri = ctx.params.get("uri") or require(payload, "uri", ctx)
    for actor in _items(payload, "repostedBy", ctx):
        did = add_actor(rec, actor, ctx)
        rec.add(
            "engagements", exec_id=ctx.exec_id, platform=PLATFORM, post_id=uri, account_id=did, kind="repost",
            engaged_at=None, engagement_key=f"repost:{uri}:{did}", via_post_id=None, depth=None,
        )
    return rec


@parser(PLATFORM, "quotes")
def parse_quotes(payload: Any, ctx: RawContext) -> Records:
    rec = Records()
    uri = ctx.params.get("uri") or require(payload, "uri", ctx)
    for post in _items(payload, "posts", ctx):
        quote_uri, author = add_post(rec, post, ctx, kind="quote")
        rec.add(
            "engagements", exec_id=ctx.exec_id, platform=PLATFORM, post_id=uri, account_id=author, kind="quote",
            engaged_at=rec.rows["posts"][-1]["created_at"], engagement_key=f"quote:{quote_uri}",
            via_post_id=None, depth=None,
        )
    return rec


@parser(PLATFORM, "thread")
def parse_thread(payload: Any, ctx: RawContext) -> Records:
    """Replies under one of the executive's posts; ``notFoundPost`` / ``blockedPost`` nodes are skipped."""
    rec = Records()
    thread = require(payload, "thread", ctx)
    root_post = thread.get("post") if isinstance(thread, dict) else None
    if root_post is None:  # the post itself was deleted or blocked
        return rec
    root = root_post["uri"]
    exec_did = ctx.params.get("exec_did") or root.removeprefix("at://").split("/")[0]

    stack: list[tuple[dict[str, Any], int, str]] = [(r, 1, root) for r in thread.get("replies") or []]
    while stack:
        node, depth, parent = stack.pop()
        if not isinstance(node, dict) or not node.get("$type", "").endswith("#threadViewPost"):
            continue
        post = require(node, "post", ctx, "thread.replies[]")
        uri, author = add_post(rec, post, ctx, kind="reply", root=root)
        if author != exec_did:
            rec.add(
                "engagements", exec_id=ctx.exec_id, platform=PLATFORM, post_id=root, account_id=author,
                kind="reply", engaged_at=rec.rows["posts"][-1]["created_at"], engagement_key=f"reply:{uri}",
                via_post_id=parent if parent != root else None, depth=depth,
            )
        stack.extend((r, depth + 1, uri) for r in node.get("replies") or [])
    return rec


@parser(PLATFORM, "followers", "follows")
def parse_graph(payload: Any, ctx: RawContext) -> Records:
    rec = Records()
    key = "followers" if ctx.kind == "followers" else "follows"
    direction = "followers" if ctx.kind == "followers" else "following"
    for actor in _items(payload, key, ctx):
        did = add_actor(rec, actor, ctx)
        rec.add("follows", exec_id=ctx.exec_id, platform=PLATFORM, direction=direction, account_id=did, hidden=False)
    return rec
