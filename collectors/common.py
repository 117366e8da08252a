"""What the Mastodon and Bluesky collectors share: the lookback window, and the engagement refresh.

Engagement refresh. For each of the executive's own posts inside the lookback window, a list of who engaged is
fetched when its count differs from the count seen when that list was last stored (or is unknown). The counts
come from the timeline pages every run re-reads anyway (they are the post's new observation), so a run with
nothing new costs the timeline pages only. The per-post counts are a cursor like any other: moved only after the
lists they describe are flushed to disk, so an interrupted run re-fetches what it had not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.events import Checkpoint, Collector, Fetched, Progress, raw_record
from collectors.http import Http, Response

CHECKPOINT_EVERY = 50  # posts between two saves of the engagement cursor
FOLLOW_REFRESH_DAYS = 7  # follower lists are re-read when their count changes, or after this many days


@dataclass(frozen=True)
class OwnPost:
    post_id: str
    created_at: datetime
    counts: tuple[int | None, ...]  # one per engagement list, in the collector's order


# One fetched page of an engagement list: (raw kind, response, params for the parser).
Page = tuple[str, Response, dict[str, Any]]


def window_start(now: datetime, lookback_days: int) -> datetime:
    return now.astimezone(UTC) - timedelta(days=lookback_days)


def lists_to_fetch(post: OwnPost, previous: Sequence[Any] | None) -> list[bool]:
    """Which engagement lists of ``post`` need fetching: count unknown, or changed since last stored; never 0."""
    out = []
    for i, count in enumerate(post.counts):
        before = previous[i] if previous is not None and i < len(previous) else None
        out.append(count is None or (count != 0 and count != before))
    return out


def refresh_engagement(
    http: Http,
    *,
    source: str,
    exec_id: str,
    posts: list[OwnPost],
    state_key: str,
    previous: dict[str, Any] | None,
    fetch: Callable[[OwnPost, list[bool]], list[Page]],
) -> Collector:
    """Fetch the changed engagement lists of ``posts`` concurrently; yield them, then checkpoint their counts."""
    previous = previous or {}
    keep = {p.post_id for p in posts}
    state: dict[str, Any] = {k: v for k, v in previous.items() if k in keep}  # posts that left the window drop out
    todo = []
    for post in posts:
        flags = lists_to_fetch(post, state.get(post.post_id))
        if any(flags):
            todo.append((post, flags))
        else:
            state[post.post_id] = list(post.counts)
    total = len(todo)
    yield Progress(0, total, f"engagement on {total} of {len(posts)} posts in the window")
    for done, ((post, _flags), pages) in enumerate(http.map(lambda job: fetch(*job), todo), start=1):
        for kind, resp, params in pages:
            yield Fetched(raw_record(source, kind, exec_id, resp, params))
        state[post.post_id] = list(post.counts)
        yield Progress(done, total, "engagement")
        if done % CHECKPOINT_EVERY == 0:
            yield Checkpoint(state_key, dict(state))
    if state != previous:
        yield Checkpoint(state_key, state)


def follows_due(cursor: dict[str, Any] | None, count: int | None, now: datetime) -> bool:
    """Re-read a follower list when its count changed, it was never read, or it is older than a week."""
    if not cursor or count is None or cursor.get("count") != count:
        return True
    try:
        at = datetime.fromisoformat(cursor["at"])
    except (KeyError, TypeError, ValueError):
        return True
    return now - at > timedelta(days=FOLLOW_REFRESH_DAYS)
