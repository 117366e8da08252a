"""Faults, through a real ``run_collect`` against fake Mastodon and Bluesky servers on loopback.

For every fault: the run ends (no exception, no hang) with a message that names the fault, what was stored is
readable, no request answered once is stored twice, the cursor of a failed stream has not moved past anything
unsaved, and a later run without the fault ends with exactly the data of a run that never met it. The README's
"Reliability" section lists these faults and outcomes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config, stored
from fakes import NOW, FakeBluesky, FakeMastodon
from loopback import (
    Loopback,
    Reply,
    Seen,
    always,
    drip,
    enormous,
    html_page,
    reset_mid_body,
    server_error,
    stall,
    too_many,
    truncated_json,
)

from collectors.events import parse_record
from collectors.http import Http
from collectors.rawstore import RawRecord, RawStore
from collectors.runner import run_collect
from influence.errors import InfluenceError

ADDRESS = "@ada@social.example"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
HANDLE = "ada.bsky.social"
MAX_BODY = 1_000_000


@dataclass
class World:
    masto: FakeMastodon
    bsky: FakeBluesky
    ms: Loopback  # the Mastodon server
    bs: Loopback  # the Bluesky server
    aid: str  # Ada's Mastodon id
    did: str
    liked: str  # a Mastodon status with likes

    @property
    def statuses(self) -> str:
        return f"/api/v1/accounts/{self.aid}/statuses"


def make_world(masto: FakeMastodon, bsky: FakeBluesky, ms: Loopback, bs: Loopback) -> World:
    ada = masto.account("ada", followers=3, following=1)
    fans = [masto.account(f"fan{i}", domain="elsewhere.example") for i in range(30)]
    for i in range(12):
        masto.post(ada, NOW - timedelta(days=i, hours=1), likes=fans[: (i * 3) % 25], boosts=fans[: i % 3],
                   replies=[masto.reply(fans[5], {"id": "0", "account": ada}, NOW)] if i % 5 == 0 else [])
    masto.set_list(ada, "followers", fans[:3])
    masto.set_list(ada, "following", fans[:1])
    b = bsky.actor(HANDLE, register=True, followers=2, follows=1)
    people = [bsky.actor(f"p{i}.bsky.social") for i in range(20)]
    for i in range(8):
        bsky.post(b, NOW - timedelta(days=i, hours=2), likes=people[: i * 2], reposts=people[: i % 3])
    bsky.set_graph(b["did"], "followers", people[:2])
    bsky.set_graph(b["did"], "follows", people[:1])
    liked = next(s["id"] for s in masto.statuses[ada["id"]] if s["favourites_count"] > 3)
    return World(masto, bsky, ms, bs, ada["id"], b["did"], liked)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Loopback, Loopback]]:
    with Loopback() as ms, Loopback() as bs:
        yield ms, bs


@pytest.fixture(scope="module")
def shared(servers: tuple[Loopback, Loopback], tmp_path_factory: pytest.TempPathFactory) -> tuple[World, dict]:
    """One world for every fault (it is only read), and what a run that meets no fault stores."""
    ms, bs = servers
    w = make_world(FakeMastodon(ms), FakeBluesky(bs), ms, bs)
    reference = tmp_path_factory.mktemp("reference")
    summary = collect(w, reference)
    assert not summary.failed, summary.errors
    return w, facts(reference)


@pytest.fixture
def world(shared: tuple[World, dict]) -> Iterator[World]:
    w = shared[0]
    yield w
    w.ms.clear_faults()
    w.bs.clear_faults()


def client(**kw: Any) -> Http:
    opts = {"contact": "ops@example.org", "max_wait": 3, "timeout": 0.5, "backoff": 0.01, "attempts": 3,
            "max_body_bytes": MAX_BODY, "request_deadline": 0.6} | kw
    return Http(**opts)


def collect(w: World, data: Path, **kw: Any):
    config = make_config(mastodon=(ADDRESS,), bluesky=(HANDLE,), mastodon_url=w.ms.url, bluesky_url=w.bs.url)
    with client(**kw) as http:
        return run_collect(config, data, http=http)


def _rec(row: dict) -> RawRecord:
    return RawRecord(source=row["source"], kind=row["kind"], exec_id=row["exec_id"], url=row["url"],
                     payload=row["payload"], observed_at=row["observed_at"], params=row["params"], status=row["status"])


def facts(data: Path) -> dict[str, set]:
    """What the stored responses say, by natural key (observation times left out: they are when we looked).

    A stored response no parser can read (the faulty one, kept for diagnosis) is left out, as the model's load
    step leaves it out (into ``load_errors``)."""
    out: dict[str, set] = {"posts": set(), "engagements": set(), "follows": set(), "accounts": set()}
    for row in stored(data):
        try:
            rows = parse_record(_rec(row)).rows
        except InfluenceError:
            continue
        out["posts"] |= {(r["platform"], r["post_id"], r["kind"], r["like_count"], r["repost_count"], r["reply_count"])
                         for r in rows["posts"]}
        out["engagements"] |= {(r["platform"], r["engagement_key"]) for r in rows["engagements"]}
        out["follows"] |= {(r["platform"], r["direction"], r["account_id"]) for r in rows["follows"]}
        out["accounts"] |= {(r["platform"], r["account_id"]) for r in rows["accounts"]}
    return out


def no_duplicates_within_a_run(data: Path) -> None:
    """A retried request is stored once: within one run, no response is stored twice."""
    seen: set[tuple] = set()
    for row in stored(data):
        key = (row["run_id"], row["kind"], row["url"], json.dumps(row["params"], sort_keys=True))
        assert key not in seen, f"stored twice in one run: {key}"
        seen.add(key)


# -- the faults ------------------------------------------------------------------------------------------------
Install = Callable[[World], None]


def _same_link_forever(w: World) -> None:
    """Mastodon: every page's Link rel=next names the same page (a server stuck on one max_id)."""
    fixed = sorted(int(s["id"]) for s in w.masto.statuses[w.aid])[6]

    def loop(reply: Reply, req: Seen) -> Reply:
        reply.headers["Link"] = f'<{w.ms.url}{w.statuses}?limit=40&max_id={fixed}>; rel="next"'
        return reply

    w.ms.mutate(w.statuses, loop)


def _cursor_repeats(w: World) -> None:
    """Bluesky: the feed answers its first page again, with the same cursor, for every cursor."""
    first: dict[str, Any] = {}

    def loop(reply: Reply, req: Seen) -> Reply:
        if "cursor" not in req.params:
            first["body"] = {**reply.body, "cursor": "0"}
        return Reply(200, first["body"], reply.headers)

    w.bs.mutate("/xrpc/app.bsky.feed.getAuthorFeed", loop)


def _cursor_repeats_new_page(w: World) -> None:
    """Bluesky: the feed answers a different page each time (its items reversed), always with the cursor '0'."""

    def loop(reply: Reply, req: Seen) -> Reply:
        items = reply.body["feed"] if "cursor" not in req.params else reply.body["feed"][::-1]
        return Reply(200, {**reply.body, "feed": items, "cursor": "0"}, reply.headers)

    w.bs.mutate(FEED, loop)


def _rename_feed(w: World) -> None:
    def rename(reply: Reply, req: Seen) -> Reply:
        body = dict(reply.body)
        body["items"] = body.pop("feed")
        return Reply(reply.status, body, reply.headers)

    w.bs.mutate("/xrpc/app.bsky.feed.getAuthorFeed", rename)


def _drop_account_id(w: World) -> None:
    def drop(reply: Reply, req: Seen) -> Reply:
        return Reply(reply.status, {k: v for k, v in reply.body.items() if k != "id"}, reply.headers)

    w.ms.mutate("/api/v1/accounts/lookup", drop)


def _drop_created_at(w: World) -> None:
    def drop(reply: Reply, req: Seen) -> Reply:
        body = [{("published" if k == "created_at" else k): v for k, v in s.items()} for s in reply.body]
        return Reply(reply.status, body, reply.headers)

    w.ms.mutate(w.statuses, drop)


@dataclass(frozen=True)
class Fault:
    name: str
    install: Install
    failed: str | None = None  # 'mastodon' / 'bluesky': that stream fails; None: the run recovers
    message: str = ""  # regex the failure message must match
    retries: int = 0  # at least this many retries when it recovers
    timeline: bool = False  # the failure is in the timeline: its cursor must not exist afterwards


def on(path: str | Callable[[World], str], *replies: Any, server: str = "ms") -> Install:
    def install(w: World) -> None:
        where = path(w) if callable(path) else path
        getattr(w, server).faults(where, *replies)

    return install


STATUSES = lambda w: w.statuses  # noqa: E731
LIKES = lambda w: f"/api/v1/statuses/{w.liked}/favourited_by"  # noqa: E731

FAULTS = [
    Fault("429 Retry-After (seconds), Mastodon headers", on(STATUSES, too_many(retry_after=0.2)), retries=1),
    Fault("429 with only X-RateLimit-Reset (ISO time)", on(STATUSES, too_many(retry_after=None, reset_in=0.3)),
          retries=1),
    Fault("429 with only RateLimit-Reset (epoch s), Bluesky", on(FEED, too_many(None, style="bluesky", reset_in=0.2),
                                                                 server="bs"), retries=1),
    Fault("429 asking for longer than --max-wait", on(STATUSES, too_many(retry_after=600)), failed="mastodon",
          message=r"asked to wait 600 s, more than --max-wait", timeline=True),
    Fault("burst of 500, 502, 503", on(LIKES, server_error(500), server_error(502)), retries=2),
    Fault("503 on every attempt", on(STATUSES, always(server_error(503))), failed="mastodon",
          message=r"HTTP 503 .* after 3 attempts", timeline=True),
    Fault("connection reset mid-body, once", on(STATUSES, reset_mid_body()), retries=1),
    Fault("connection reset mid-body, every time", on(LIKES, always(reset_mid_body())), failed="mastodon",
          message=r"connection to 127\.0\.0\.1:\d+ was cut in the middle of the response"),
    Fault("stall past the read timeout, once", on(FEED, stall(1.0, Reply(200, {"feed": []})), server="bs"), retries=1),
    Fault("stall past the read timeout, every time", on(STATUSES, always(stall(1.0))), failed="mastodon",
          message=r"did not answer in time \(read timeout 0\.5 s\)", timeline=True),
    Fault("body dripping past the request deadline", on(STATUSES, always(drip([{"id": "1"}] * 100, 0.05))),
          failed="mastodon", message=r"did not answer in time", timeline=True),
    Fault("truncated JSON", on(STATUSES, truncated_json()), failed="mastodon",
          message=r"invalid JSON .* truncated\?", timeline=True),
    Fault("HTML page where JSON was expected", on(FEED, html_page(), server="bs"), failed="bluesky",
          message=r"expected JSON from .*getAuthorFeed.*, got text/html", timeline=True),
    Fault("field renamed (Bluesky feed -> items)", _rename_feed, failed="bluesky",
          message=r"field 'feed' is missing in the response from .*getAuthorFeed", timeline=True),
    Fault("field missing (Mastodon account id)", _drop_account_id, failed="mastodon",
          message=r"field 'id' is missing", timeline=True),
    Fault("field renamed (Mastodon created_at -> published)", _drop_created_at, failed="mastodon",
          message=r"field 'created_at' is missing", timeline=True),
    Fault("Link rel=next repeating the page just read", _same_link_forever, failed="mastodon",
          message=r"points back to a page already read \(endless paging\)", timeline=True),
    Fault("cursor repeating, same page again", _cursor_repeats, failed="bluesky",
          message=r"answered the same page as the one before it \(endless paging\)", timeline=True),
    Fault("cursor repeating, a different page each time", _cursor_repeats_new_page, failed="bluesky",
          message=r"cursor of .*getAuthorFeed.* repeats one already read \(endless paging\)", timeline=True),
    Fault("enormous response (Content-Length)", on(STATUSES, enormous(3 * MAX_BODY)), failed="mastodon",
          message=r"larger than 977 kB \(3 MB declared\); not read", timeline=True),
    Fault("enormous response (no Content-Length)", on(LIKES, enormous(3 * MAX_BODY, declare_length=False)),
          failed="mastodon", message=r"favourited_by.* is larger than 977 kB; not read"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault(fault: Fault, world: World, shared: tuple[World, dict], tmp_path: Path) -> None:
    expected = shared[1]

    data = tmp_path / "faulty"
    fault.install(world)
    summary = collect(world, data)
    if fault.failed is None:
        assert not summary.failed, summary.errors
        assert summary.retries >= fault.retries
        assert facts(data) == expected
    else:
        [(exec_id, platform, message, hint)] = summary.errors
        assert (exec_id, platform) == ("ada", fault.failed)
        assert re.search(fault.message, message), message
        assert hint
        other = "bluesky" if fault.failed == "mastodon" else "mastodon"
        assert f"ada/{other}" in summary.streams  # one platform failing does not stop the other
        cursors = RawStore(data / "raw").cursors()
        if fault.timeline:  # the timeline was not read to its end: its cursor has not moved
            assert not [k for k in cursors if k.startswith(fault.failed) and k.endswith((":statuses", ":feed"))]
    list(RawStore(data / "raw").records())  # every stored segment is readable
    no_duplicates_within_a_run(data)

    world.ms.clear_faults()
    world.bs.clear_faults()
    again = collect(world, data)
    assert not again.failed, again.errors
    assert facts(data) == expected  # nothing lost, nothing extra: the cursor never ran ahead of the data
    no_duplicates_within_a_run(data)
