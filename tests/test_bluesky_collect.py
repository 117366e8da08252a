"""The Bluesky collector through the runner, against a fake AppView on loopback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import make_config, stored
from fakes import NOW, FakeBluesky
from loopback import Loopback, too_many
from test_mastodon_collect import _rec

from collectors.events import parse_record
from collectors.runner import run_collect

HANDLE = "ada.example.com"
X = "/xrpc/app.bsky."


def build(b: FakeBluesky, *, posts: int = 150) -> dict:
    ada = b.actor(HANDLE, register=True, followers=120, follows=1)
    fans = [b.actor(f"fan{i}.bsky.social") for i in range(150)]
    for i in range(posts):  # one a day; 30 in a 30-day window
        b.post(ada, NOW - timedelta(days=i, hours=1), likes=fans[: (130 if i == 2 else i % 3)],
               reposts=fans[:1] if i % 2 else [], replies=[b.post(fans[3], NOW, reply_to="x")] if i % 10 == 0 else [])
    other = b.post(fans[9], NOW - timedelta(days=40))
    b.repost(ada, other, NOW - timedelta(minutes=5))
    b.set_graph(ada["did"], "followers", fans[:120])
    b.set_graph(ada["did"], "follows", fans[:1])
    return {"ada": ada, "fans": fans, "reposted": other}


def cfg(srv: Loopback, lookback: int = 30):
    return make_config(bluesky=(HANDLE,), bluesky_url=srv.url, lookback_days=lookback)


def test_first_run_requests_and_records(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    srv = bluesky_server
    world = build(bsky)
    did = world["ada"]["did"]
    summary = run_collect(cfg(srv), tmp_path)
    assert not summary.failed, summary.errors

    assert srv.hits("/xrpc/com.atproto.identity.resolveHandle")[0].params == {"handle": HANDLE}
    assert srv.hits(X + "actor.getProfile")[0].params == {"actor": did}
    feed = srv.hits(X + "feed.getAuthorFeed")
    assert [r.params.get("cursor") for r in feed] == [None, "100"]  # 151 items: the second page has no cursor
    assert all(r.params["actor"] == did and r.params["limit"] == "100" and r.params["filter"] == "posts_with_replies"
               for r in feed)

    own = [i["post"] for i in bsky.feeds[did] if "reason" not in i]
    window = [p for p in own if p["record"]["createdAt"] >= (NOW - timedelta(days=30)).isoformat()[:19]]
    assert len(window) == 30
    liked = {r.params["uri"] for r in srv.hits(X + "feed.getLikes")}
    assert liked == {p["uri"] for p in window if p["likeCount"]}
    big = next(p for p in own if p["likeCount"] == 130)
    assert [r.params.get("cursor") for r in srv.hits(X + "feed.getLikes") if r.params["uri"] == big["uri"]] == [None, "100"]
    assert world["reposted"]["uri"] not in {r.params.get("uri") for r in srv.hits(X + "feed.")}  # not theirs
    threads = srv.hits(X + "feed.getPostThread")
    assert len(threads) == 3 and all(t.params["depth"] == "20" and t.params["parentHeight"] == "0" for t in threads)
    assert [r.params.get("cursor") for r in srv.hits(X + "graph.getFollowers")] == [None, "100"]

    feed_rows = [parse_record(_rec(r)) for r in stored(tmp_path, "author_feed")]
    reposts = [o for rec in feed_rows for o in rec.rows["outbound"] if o["kind"] == "repost"]
    assert [o["target_post_id"] for o in reposts] == [world["reposted"]["uri"]]
    assert summary.new_posts == 150 and summary.observations == 150
    likes = [e for r in stored(tmp_path, "likes") for e in parse_record(_rec(r)).rows["engagements"]]
    assert len(likes) == sum(p["likeCount"] for p in window) and all(e["engaged_at"] for e in likes)
    assert all(r["params"]["exec_did"] == did for r in stored(tmp_path))


def test_second_run_reads_one_feed_page(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    srv = bluesky_server
    world = build(bsky)
    run_collect(cfg(srv), tmp_path)
    srv.clear()
    new = bsky.post(world["ada"], NOW, likes=world["fans"][:1])
    summary = run_collect(cfg(srv), tmp_path)
    assert not summary.failed
    assert [r.path.rsplit(".", 1)[-1] for r in srv.requests] == ["resolveHandle", "getProfile", "getAuthorFeed", "getLikes"]
    assert srv.hits(X + "feed.getLikes")[0].params["uri"] == new["uri"]
    assert summary.new_posts == 1


def test_missing_optional_counts_are_fetched_and_kept_unknown(bsky: FakeBluesky, bluesky_server: Loopback,
                                                              tmp_path: Path) -> None:
    ada = bsky.actor(HANDLE, register=True)  # no followersCount / followsCount either
    fan = bsky.actor("fan.bsky.social")
    post = bsky.post(ada, NOW - timedelta(days=1), likes=[fan], counts=False)
    summary = run_collect(cfg(bluesky_server), tmp_path)
    assert not summary.failed, summary.errors
    for method in ("getLikes", "getRepostedBy", "getQuotes", "getPostThread"):
        assert [r.params["uri"] for r in bluesky_server.hits(X + "feed." + method)] == [post["uri"]]
    [row] = parse_record(_rec(stored(tmp_path, "author_feed")[0])).rows["posts"]
    assert row["like_count"] is None and row["quote_count"] is None  # unknown, not zero
    assert bluesky_server.hits(X + "graph.getFollowers")  # unknown count: read the list


def test_opt_out_label_collects_nothing(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    ada = bsky.actor(HANDLE, register=True, labels=["!no-unauthenticated"], followers=5)
    bsky.post(ada, NOW)
    summary = run_collect(cfg(bluesky_server), tmp_path)
    assert not summary.failed
    assert len(summary.opted_out) == 1 and "!no-unauthenticated" in summary.opted_out[0]
    assert [r.path.rsplit(".", 1)[-1] for r in bluesky_server.requests] == ["resolveHandle", "getProfile"]
    assert stored(tmp_path) == []


def test_unknown_handle_is_reported(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    summary = run_collect(cfg(bluesky_server), tmp_path)
    [(_, platform, message, hint)] = summary.errors
    assert platform == "bluesky" and "Unable to resolve handle" in message and "handle" in hint


def test_bluesky_style_429_in_the_feed(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    build(bsky, posts=120)
    bluesky_server.faults(X + "feed.getAuthorFeed", too_many(retry_after=None, style="bluesky", reset_in=0.5))
    summary = run_collect(cfg(bluesky_server), tmp_path)
    assert not summary.failed, summary.errors
    assert summary.retries == 1 and 0 < summary.waited_s <= 2.0  # waited for RateLimit-Reset (epoch seconds)
    assert len(bluesky_server.hits(X + "feed.getAuthorFeed")) == 3


def test_progress_protocol(bsky: FakeBluesky, bluesky_server: Loopback, tmp_path: Path) -> None:
    build(bsky, posts=5)
    calls = []
    run_collect(cfg(bluesky_server), tmp_path, progress=lambda *a: calls.append(a))
    assert all(c[0] == "ada" and c[1] == "bluesky" for c in calls)
    assert all(isinstance(c[2], int) and (c[3] is None or c[2] <= c[3]) for c in calls)
    assert calls[-1][4] == "done" and calls[-1][2] == calls[-1][3]
