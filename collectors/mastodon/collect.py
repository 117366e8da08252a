"""Collect one Mastodon account through the public REST API, without login (SOURCES.md).

Requests, in order:

1. ``GET /api/v1/accounts/lookup?acct=<user>`` → raw kind ``account``.
2. ``GET /api/v1/accounts/:id/statuses?limit=40``, paging through ``Link: rel="next"`` → ``statuses``. The first
   run reads the whole timeline; later runs stop at the first page that reaches both the stored ``since_id`` and
   the start of the lookback window (every run re-reads the window: each read is a new observation of the counts).
   The timeline holds the executive's boosts and replies to others too (their outbound activity).
3. For each own post inside the window whose count changed since last stored (see ``collectors.common``):
   ``/api/v1/statuses/:id/favourited_by?limit=80`` and ``/reblogged_by?limit=80`` (all pages) →
   ``favourited_by`` / ``reblogged_by``; ``/api/v1/statuses/:id/context`` → ``context``. ``quotes_count`` comes with
   the status (the quotes list needs a user token).
4. ``/api/v1/accounts/:id/followers?limit=80`` and ``/following`` (all pages) → ``followers`` / ``following``, when
   the count changed or the last read is a week old. A hidden list answers ``[]`` while the count is positive;
   the parser records it as hidden, never as zero.

Params stored with each raw record (the parser contract, see ``parse.py``): ``instance`` always; ``exec_account_id``
and ``exec_numeric_id`` (statuses, context); ``post_id`` (favourited_by, reblogged_by, context); ``page`` (paged
kinds); ``followers_count`` / ``following_count`` and ``hide_collections`` (followers, following).

Cursors (keys ``mastodon:<exec>:<account>:…``): ``statuses`` ``{"since_id"}``, ``engaged`` ``{post_id: counts}``,
``followers`` / ``following`` ``{"count", "at"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from collectors.common import OwnPost, Page, follows_due, refresh_engagement, window_start
from collectors.events import Checkpoint, Collector, Fetched, Progress, raw_record
from collectors.http import Http, redact
from collectors.mastodon.parse import PLATFORM, account_id
from influence.config import MASTODON_RE, PlatformSettings
from influence.errors import ShapeError

STATUS_PAGE = 40  # the API's maximum
LIST_PAGE = 80  # the API's maximum for account lists


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def collect(
    http: Http,
    *,
    exec_id: str,
    address: str,
    settings: PlatformSettings,
    cursors: Mapping[str, Any],
    lookback_days: int,
    now: datetime | None = None,
) -> Collector:
    """Collect ``address`` ('@user@instance') for executive ``exec_id``; see the module docstring."""
    now = now or datetime.now(UTC)
    m = MASTODON_RE.match(address)
    if not m:
        raise ShapeError(f"'{address}' is not a Mastodon address", hint="write it as '@user@instance'")
    user, instance = m.group("user"), m.group("instance").lower()
    base = settings.base_url or f"https://{instance}"
    api = f"{base}/api/v1"
    key = f"{PLATFORM}:{exec_id}:{user.lower()}@{instance}"
    kw: dict[str, Any] = {"platform": PLATFORM, "allowed_redirect_hosts": settings.allowed_redirect_hosts}
    common = {"instance": instance}

    def record(kind: str, resp: Any, **params: Any) -> Fetched:
        return Fetched(raw_record(PLATFORM, kind, exec_id, resp, {**common, **params}))

    # 1. the account
    yield Progress(0, None, f"looking up {address}")
    resp = http.get(f"{api}/accounts/lookup", {"acct": user}, **kw)
    yield record("account", resp)  # the parser checks the shape
    account = resp.data
    numeric_id = str(account.get("id") or "")
    if not numeric_id:
        raise ShapeError(f"Mastodon account: field 'id' is missing in the response from {redact(resp.url)}", url=redact(resp.url),
                         hint="the server's answer is not a Mastodon account; check the address and base_url")
    exec_account = account_id(account, instance)

    # 2. the timeline, newest first
    since = (cursors.get(f"{key}:statuses") or {}).get("since_id")
    start = window_start(now, lookback_days)
    own: list[OwnPost] = []
    newest = _id(since)
    pages = http.link_pages(f"{api}/accounts/{numeric_id}/statuses", {"limit": STATUS_PAGE}, **kw)
    for page_no, resp in enumerate(pages):
        parsed = yield record("statuses", resp, exec_account_id=exec_account, exec_numeric_id=numeric_id, page=page_no)
        rows = parsed.rows["posts"] if parsed else []
        for row in rows:
            newest = max(newest, _id(row["post_id"]))
            if row["kind"] != "repost" and row["author_account_id"] == exec_account and row["created_at"] >= start:
                own.append(OwnPost(row["post_id"], row["created_at"], (row["like_count"], row["repost_count"], row["reply_count"])))
        yield Progress(0, None, f"timeline page {page_no + 1}: {len(own)} posts in the window")
        if since is not None and rows and min(_id(r["post_id"]) for r in rows) <= _id(since) \
                and min(r["created_at"] for r in rows) < start:
            break  # reached what the last run stored, and the end of the window
    if newest and str(newest) != str(since):
        yield Checkpoint(f"{key}:statuses", {"since_id": str(newest)})

    # 3. who engaged with the posts in the window
    def fetch(post: OwnPost, flags: list[bool]) -> list[Page]:
        out: list[Page] = []
        for i, kind in enumerate(("favourited_by", "reblogged_by")):
            if flags[i]:
                pages = http.link_pages(f"{api}/statuses/{post.post_id}/{kind}", {"limit": LIST_PAGE},
                                        expect=post.counts[i], **kw)
                for n, r in enumerate(pages):
                    out.append((kind, r, {**common, "post_id": post.post_id, "page": n}))
        if flags[2]:
            r = http.get(f"{api}/statuses/{post.post_id}/context", **kw)
            out.append(("context", r, {**common, "post_id": post.post_id, "exec_account_id": exec_account,
                                       "exec_numeric_id": numeric_id}))
        return out

    yield from refresh_engagement(
        http, source=PLATFORM, exec_id=exec_id, posts=own, state_key=f"{key}:engaged",
        previous=cursors.get(f"{key}:engaged"), fetch=fetch,
    )

    # 4. followers and following
    for kind in ("followers", "following"):
        count = account.get(f"{kind}_count")
        if not follows_due(cursors.get(f"{key}:{kind}"), count, now):
            continue
        yield Progress(0, None, f"{kind} ({count if count is not None else '?'})")
        url = f"{api}/accounts/{numeric_id}/{kind}"
        for n, r in enumerate(http.link_pages(url, {"limit": LIST_PAGE}, expect=count, **kw)):
            yield record(kind, r, page=n, hide_collections=account.get("hide_collections"), **{f"{kind}_count": count})
        yield Checkpoint(f"{key}:{kind}", {"count": count, "at": now.isoformat()})
