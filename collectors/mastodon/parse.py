"""Pure parsers for Mastodon API responses (``/api/v1/...``) stored in the raw store.

Every account is identified by its full address ``user@instance`` (lower case): Mastodon's numeric ids are local
to the instance that answered, the address is the same from everywhere. Raw records carry in ``params``:
``instance`` (the host that answered), and per kind ``post_id`` (favourited_by, reblogged_by, context),
``exec_account_id`` (statuses, context), ``followers_count`` / ``page`` (followers, following), and optionally
``exec_numeric_id`` (statuses), ``hide_collections`` (followers, following: an empty first page of an account
that hides its lists is hidden even when the count is 0).
"""

from __future__ import annotations

import json
from typing import Any

from bs4 import BeautifulSoup

from collectors.records import RawContext, Records, as_count, require
from collectors.registry import parser
from collectors.text import html_to_text, parse_time
from influence.errors import ShapeError

PLATFORM = "mastodon"


def account_id(account: dict[str, Any], instance: str) -> str:
    acct = str(account.get("acct") or account.get("username") or "")
    if not acct:
        raise ShapeError("Mastodon account without 'acct'", hint="the response is not a Mastodon account object")
    if "@" not in acct:
        acct = f"{acct}@{instance}"
    return acct.lower()


def add_account(rec: Records, account: dict[str, Any], ctx: RawContext) -> str:
    instance = ctx.params.get("instance", "")
    aid = account_id(account, instance)
    links = []
    for f in account.get("fields") or []:
        if isinstance(f, dict):
            value_html = f.get("value") or ""
            a = BeautifulSoup(value_html, "html.parser").find("a")
            url = a.get("href") if a is not None else html_to_text(value_html)
            links.append({"name": f.get("name"), "url": url, "verified_at": f.get("verified_at")})
    rec.add(
        "accounts",
        platform=PLATFORM,
        account_id=aid,
        handle="@" + aid,
        display_name=account.get("display_name") or account.get("username"),
        url=account.get("url"),
        bio=html_to_text(account.get("note")),
        followers_count=as_count(account.get("followers_count")),
        following_count=as_count(account.get("following_count")),
        posts_count=as_count(account.get("statuses_count")),
        hide_collections=account.get("hide_collections"),
        opted_out=bool(account.get("noindex")) if "noindex" in account else None,
        profile_links=json.dumps(links) if links else None,
    )
    for link in links:
        if link["url"]:
            rec.add(
                "identity_links",
                platform=PLATFORM,
                account_id=aid,
                link_kind="website",
                value=link["url"],
                verified=link["verified_at"] is not None,
            )
    return aid


def _quoted(status: dict[str, Any]) -> dict[str, Any] | None:
    q = status.get("quote")
    if isinstance(q, dict):
        inner = q.get("quoted_status")
        if isinstance(inner, dict):
            return inner
    return None


def _status_row(rec: Records, status: dict[str, Any], ctx: RawContext, *, kind: str, author: str, root: str | None) -> None:
    quoted = _quoted(status)
    is_repost = kind == "repost"
    rec.add(
        "posts",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        post_id=str(require(status, "id", ctx)),
        author_account_id=author,
        url=status.get("url") or status.get("uri"),
        created_at=parse_time(require(status, "created_at", ctx)),
        text=html_to_text(status.get("content")),
        kind=kind,
        reply_to_post_id=status.get("in_reply_to_id"),
        reply_to_account_id=None,
        root_post_id=root,
        quoted_post_id=str(quoted["id"]) if quoted and quoted.get("id") else None,
        reposted_post_id=str(status["reblog"]["id"]) if is_repost else None,
        like_count=None if is_repost else as_count(status.get("favourites_count")),
        repost_count=None if is_repost else as_count(status.get("reblogs_count")),
        reply_count=None if is_repost else as_count(status.get("replies_count")),
        quote_count=None if is_repost else as_count(status.get("quotes_count")),
        tags=json.dumps(sorted({str(t.get("name", "")).lower() for t in status.get("tags") or [] if isinstance(t, dict)})),
        mentions=json.dumps([account_id(m, ctx.params.get("instance", "")) for m in status.get("mentions") or [] if isinstance(m, dict)]),
        deleted=False,
    )


def _list(payload: Any, ctx: RawContext) -> list[Any]:
    if not isinstance(payload, list):
        if isinstance(payload, dict) and "error" in payload:
            raise ShapeError(f"Mastodon {ctx.kind}: the server answered an error: {payload['error']}", url=ctx.url)
        raise ShapeError(
            f"Mastodon {ctx.kind}: expected a list from {ctx.url}, got {type(payload).__name__}",
            url=ctx.url,
            hint="the server did not answer like a Mastodon instance",
        )
    return payload


@parser(PLATFORM, "account")
def parse_account(payload: Any, ctx: RawContext) -> Records:
    rec = Records()
    require(payload, "acct", ctx)
    add_account(rec, payload, ctx)
    return rec


@parser(PLATFORM, "statuses")
def parse_statuses(payload: Any, ctx: RawContext) -> Records:
    """The executive's own timeline: originals, replies, quotes and boosts (a boost wraps the original)."""
    rec = Records()
    own_numeric_id = ctx.params.get("exec_numeric_id")
    for status in _list(payload, ctx):
        author = add_account(rec, require(status, "account", ctx), ctx)
        reblog = status.get("reblog")
        if isinstance(reblog, dict):
            target_author = add_account(rec, require(reblog, "account", ctx, "reblog"), ctx)
            _status_row(rec, status, ctx, kind="repost", author=author, root=None)
            rec.add(
                "outbound",
                exec_id=ctx.exec_id,
                platform=PLATFORM,
                kind="repost",
                at=parse_time(status.get("created_at")),
                target_url=reblog.get("url") or reblog.get("uri"),
                target_post_id=str(reblog.get("id")),
                target_account_id=target_author,
                outbound_key=f"repost:{status['id']}",
            )
            continue
        quoted = _quoted(status)
        reply_to_acct = status.get("in_reply_to_account_id")
        is_reply_to_other = status.get("in_reply_to_id") is not None and str(reply_to_acct) != str(own_numeric_id)
        kind = "quote" if quoted else ("reply" if is_reply_to_other else "original")
        _status_row(rec, status, ctx, kind=kind, author=author, root=None)
        at = parse_time(status.get("created_at"))
        if is_reply_to_other:
            rec.add(
                "outbound",
                exec_id=ctx.exec_id,
                platform=PLATFORM,
                kind="reply",
                at=at,
                target_url=None,
                target_post_id=str(status["in_reply_to_id"]),
                target_account_id=None,
                outbound_key=f"reply:{status['id']}",
            )
        if quoted:
            qa = quoted.get("account")
            rec.add(
                "outbound",
                exec_id=ctx.exec_id,
                platform=PLATFORM,
                kind="quote",
                at=at,
                target_url=quoted.get("url") or quoted.get("uri"),
                target_post_id=str(quoted.get("id")),
                target_account_id=add_account(rec, qa, ctx) if isinstance(qa, dict) else None,
                outbound_key=f"quote:{status['id']}",
            )
    return rec


@parser(PLATFORM, "favourited_by", "reblogged_by")
def parse_engagers(payload: Any, ctx: RawContext) -> Records:
    """Who liked or boosted a post. Mastodon gives no time: the pipeline uses when it was first seen."""
    rec = Records()
    post_id = str(ctx.params["post_id"])
    kind = "like" if ctx.kind == "favourited_by" else "repost"
    for account in _list(payload, ctx):
        aid = add_account(rec, account, ctx)
        rec.add(
            "engagements",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=post_id,
            account_id=aid,
            kind=kind,
            engaged_at=None,
            engagement_key=f"{kind}:{post_id}:{aid}",
            via_post_id=None,
            depth=None,
        )
    return rec


@parser(PLATFORM, "context")
def parse_context(payload: Any, ctx: RawContext) -> Records:
    """Replies under one of the executive's posts (``descendants``), with their depth in the thread."""
    rec = Records()
    root = str(ctx.params["post_id"])
    exec_acct = str(ctx.params.get("exec_account_id", "")).lower()
    descendants = require(payload, "descendants", ctx)
    if not isinstance(descendants, list):
        raise ShapeError(f"Mastodon context: 'descendants' is not a list in {ctx.url}", url=ctx.url)
    depth_of: dict[str, int] = {root: 0}
    for status in descendants:  # Mastodon returns descendants in thread order: parents first
        sid = str(require(status, "id", ctx, "descendants[]"))
        parent = str(status.get("in_reply_to_id"))
        depth = depth_of.get(parent, 0) + 1
        depth_of[sid] = depth
        author = add_account(rec, require(status, "account", ctx, "descendants[]"), ctx)
        _status_row(rec, status, ctx, kind="reply", author=author, root=root)
        if author == exec_acct:
            continue
        rec.add(
            "engagements",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=root,
            account_id=author,
            kind="reply",
            engaged_at=parse_time(status.get("created_at")),
            engagement_key=f"reply:{sid}",
            via_post_id=parent if parent != root else None,
            depth=depth,
        )
    return rec


@parser(PLATFORM, "followers", "following")
def parse_follows(payload: Any, ctx: RawContext) -> Records:
    """A page of followers or followed accounts. An empty first page while the count is positive means hidden."""
    rec = Records()
    accounts = _list(payload, ctx)
    count = ctx.params.get("followers_count" if ctx.kind == "followers" else "following_count")
    hidden = count or ctx.params.get("hide_collections")  # hide_collections: added by the live collector
    if not accounts and int(ctx.params.get("page", 0)) == 0 and hidden:
        rec.add("follows", exec_id=ctx.exec_id, platform=PLATFORM, direction=ctx.kind, account_id=None, hidden=True)
        return rec
    for account in accounts:
        aid = add_account(rec, account, ctx)
        rec.add("follows", exec_id=ctx.exec_id, platform=PLATFORM, direction=ctx.kind, account_id=aid, hidden=False)
    return rec
