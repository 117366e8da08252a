"""The registered parsers against real recorded responses (../shared/real-samples), and the HTTP layer replaying them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fakes import SAMPLES, recorded
from loopback import Loopback, Reply

from collectors.events import parse_record
from collectors.http import Http
from collectors.rawstore import RawRecord
from influence.errors import LoginRequiredError, NotFoundError

pytestmark = pytest.mark.skipif(not SAMPLES.exists(), reason="real samples not available")
M = "mastodon/cassettes/"


def parse(source: str, kind: str, body: str, **params):
    rec = RawRecord(source=source, kind=kind, exec_id="ex", url="https://h/x", payload=body,
                    observed_at=datetime.now(UTC), params=params)
    return parse_record(rec)


def test_mastodon_account_lookup() -> None:
    body = recorded(M + "test_account_lookup.yaml", "acct=mastodonpy_test")["body"]
    [acc] = parse("mastodon", "account", body, instance="localhost:3000").rows["accounts"]
    assert acc["account_id"] == "mastodonpy_test@localhost:3000"
    assert acc["hide_collections"] is True and acc["opted_out"] is False
    assert acc["bio"] == "I walk funny"


def test_mastodon_statuses_page() -> None:
    body = recorded(M + "test_fetch_next_previous.yaml", "statuses?limit=5")["body"]
    rec = parse("mastodon", "statuses", body, instance="localhost:3000", exec_numeric_id="117020565966271181")
    posts = rec.rows["posts"]
    assert len(posts) == 5 and {p["author_account_id"] for p in posts} == {"mastodonpy_test@localhost:3000"}
    assert posts[0]["post_id"] == "117020580518794573"
    assert all(p["like_count"] == 0 and p["quote_count"] == 0 for p in posts)


def test_mastodon_engagers_context_and_hidden_followers() -> None:
    fav = recorded(M + "test_status_favourited_by.yaml", "favourited_by")["body"]
    [e] = parse("mastodon", "favourited_by", fav, instance="localhost:3000", post_id="117020585802289163").rows["engagements"]
    assert e["kind"] == "like" and e["engaged_at"] is None and e["engagement_key"].startswith("like:117020585802289163:")
    ctx = recorded(M + "test_status_context.yaml", "context")["body"]
    assert parse("mastodon", "context", ctx, instance="localhost:3000", post_id="1").count() == 0
    followers = recorded(M + "test_account_followers.yaml", "/followers")["body"]
    assert followers == "[]"
    assert parse("mastodon", "followers", followers, instance="h", followers_count=0, page=0).count() == 0
    [hidden] = parse("mastodon", "followers", followers, instance="h", followers_count=4, page=0).rows["follows"]
    assert hidden["hidden"] is True and hidden["account_id"] is None


def test_bluesky_author_feed() -> None:
    body = recorded("bluesky/f_autfeed.yml", "getAuthorFeed")["body"]
    did = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
    rec = parse("bluesky", "author_feed", body, exec_did=did)
    feed = json.loads(body)["feed"]
    reposts = [i for i in feed if "reason" in i]
    assert len(feed) == 50 and len(reposts) == 7  # from the sample's INDEX.md
    assert len(rec.rows["posts"]) == 43
    assert len([o for o in rec.rows["outbound"] if o["kind"] == "repost"]) == 7
    assert all(p["author_account_id"] == did for p in rec.rows["posts"])


def test_bluesky_likes_reposts_quotes_thread_graph_profile() -> None:
    likes = parse("bluesky", "likes", recorded("bluesky/f_postlikes.yml", "getLikes")["body"]).rows["engagements"]
    assert likes and all(e["kind"] == "like" and e["engaged_at"] is not None for e in likes)
    assert likes[0]["account_id"] == "did:plc:uzthbl6ktojhxfpzb4hrvilk"
    [rp] = parse("bluesky", "reposted_by", recorded("bluesky/f_reposts.yml", "getRepostedBy")["body"]).rows["engagements"]
    assert rp["account_id"] == "did:plc:jyolltxtyl2yq2jamky6mwjn" and rp["post_id"].endswith("3kaa2gxjhzr2a")
    quotes = parse("bluesky", "quotes", recorded("bluesky/f_getquotes.yml", "getQuotes")["body"]).rows["engagements"]
    assert quotes and all(q["kind"] == "quote" for q in quotes)
    thread = parse("bluesky", "thread", recorded("bluesky/f_postthread.yml", "getPostThread")["body"])
    assert all(e["depth"] >= 1 for e in thread.rows["engagements"])
    followers = parse("bluesky", "followers", recorded("bluesky/g_followers.yml", "getFollowers")["body"], page=0)
    assert followers.rows["follows"] and {f["direction"] for f in followers.rows["follows"]} == {"followers"}
    [prof] = parse("bluesky", "profile", recorded("bluesky/a_profile.yml", "getProfiles")["body"]).rows["accounts"]
    assert (prof["followers_count"], prof["following_count"], prof["posts_count"]) == (554, 296, 65)


def _replay(srv: Loopback, path: str, it: dict) -> None:
    headers = {k: v for k, v in it["headers"].items() if k.lower() not in ("content-length", "content-encoding",
                                                                              "transfer-encoding", "connection")}
    srv.route(path, lambda r: Reply(it["status"], it["body"], headers))


def test_http_layer_on_recorded_errors_and_headers() -> None:
    with Loopback() as srv, Http(max_wait=5) as client:
        _replay(srv, "/api/v1/accounts/lookup", recorded(M + "test_account_lookup.yaml", "kljadklajsdkljlkjlkjlkjasdasd"))
        _replay(srv, "/api/v1/timelines/home", recorded(M + "test_home_tl_anonymous_throws.yaml", "timelines/home"))
        _replay(srv, "/xrpc/com.atproto.identity.resolveHandle", recorded("bluesky/i_resolveh.yml", "resolveHandle"))
        with pytest.raises(NotFoundError, match="Record not found"):
            client.get(f"{srv.url}/api/v1/accounts/lookup", {"acct": "x"})
        with pytest.raises(LoginRequiredError):
            client.get(f"{srv.url}/api/v1/timelines/home")
        # a recorded Bluesky answer: RateLimit-Reset in epoch seconds from 2025 (past) must not block anything
        resp = client.get(f"{srv.url}/xrpc/com.atproto.identity.resolveHandle", {"handle": "chriskenny.bsky.social"})
        assert resp.data == {"did": "did:plc:wpe35pganb6d4pg4ekmfy6u5"}
        assert client.stats.rate_limit_wait_s == 0 and len(srv.requests) == 3
