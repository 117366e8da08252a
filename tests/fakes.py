"""Fake Mastodon and Bluesky servers on a :class:`~loopback.Loopback`, built from the real recorded responses.

Objects are copies of real bodies from ``../shared/real-samples`` (a Mastodon status and account, a Bluesky post and
actor) with ids, times and counts changed, so every field the real APIs send is there. Paging behaves like the real
servers: Mastodon ``limit``/``max_id`` with ``Link`` headers (none on an empty page), Bluesky ``limit``/``cursor``
(no ``cursor`` on the last page).
"""

from __future__ import annotations

import copy
import json
import os
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from loopback import Loopback, Reply, Seen, json_reply

SAMPLES = Path(os.environ.get("INFLUENCE_SAMPLES", Path(__file__).resolve().parents[2] / "shared" / "real-samples"))


@cache
def cassette(path: str) -> list[dict[str, Any]]:
    """Interactions of a recorded cassette (VCR.py or R vcr): [{method, uri, status, headers, body}]."""
    data = yaml.safe_load((SAMPLES / path).read_text(encoding="utf-8"))
    out = []
    for it in data.get("interactions") or data.get("http_interactions") or []:
        resp = it["response"]
        status = resp["status"]["code"] if isinstance(resp["status"], dict) else resp["status"]
        headers = {k: (v[0] if isinstance(v, list) else v) for k, v in (resp.get("headers") or {}).items()}
        out.append({"method": it["request"]["method"], "uri": it["request"]["uri"], "status": int(status),
                    "headers": headers, "body": resp["body"]["string"]})
    return out


def recorded(path: str, uri_contains: str) -> dict[str, Any]:
    for it in cassette(path):
        if uri_contains in it["uri"] and it["method"] == "GET":
            return it
    raise KeyError(f"{path}: no GET with {uri_contains!r}")


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


NOW = datetime.now(UTC).replace(microsecond=0)


# -- Mastodon --------------------------------------------------------------------------------------------------
@cache
def _mastodon_templates() -> tuple[dict[str, Any], dict[str, Any]]:
    status = json.loads(recorded("mastodon/cassettes/test_status.yaml", "/api/v1/statuses/")["body"])
    account = status.pop("account")
    return status, account


class FakeMastodon:
    def __init__(self, server: Loopback, instance: str = "social.example") -> None:
        self.server = server
        self.instance = instance
        self.accounts: dict[str, dict[str, Any]] = {}  # username -> account
        self.statuses: dict[str, list[dict[str, Any]]] = {}  # account id -> statuses, newest first
        self.engagers: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (status id, kind) -> accounts
        self.descendants: dict[str, list[dict[str, Any]]] = {}
        self.lists: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (account id, followers|following)
        self.login_required = False
        self._next_id = 110000000000000000
        s = server
        s.route("/api/v1/accounts/lookup", self._lookup)
        s.route(re.compile(r"/api/v1/accounts/(\d+)/statuses"), self._statuses)
        s.route(re.compile(r"/api/v1/statuses/(\d+)/(favourited_by|reblogged_by)"), self._engagers)
        s.route(re.compile(r"/api/v1/statuses/(\d+)/context"), self._context)
        s.route(re.compile(r"/api/v1/accounts/(\d+)/(followers|following)"), self._lists)

    def new_id(self, at: datetime | None = None) -> str:
        """Like Mastodon's snowflake ids: statuses' ids grow with their time."""
        self._next_id += 1
        if at is None:
            return str(self._next_id)
        return str((int(at.timestamp() * 1000) << 16) + self._next_id % 65536)

    def account(self, username: str, *, domain: str | None = None, followers: int | None = None,
                following: int | None = None, hide_collections: bool = False) -> dict[str, Any]:
        _, tmpl = _mastodon_templates()
        a = copy.deepcopy(tmpl)
        a.update(id=self.new_id(), username=username, acct=f"{username}@{domain}" if domain else username,
                 display_name=username.title(), url=f"https://{domain or self.instance}/@{username}",
                 hide_collections=hide_collections, followers_count=followers or 0, following_count=following or 0,
                 statuses_count=0, note=f"<p>I am {username}</p>")
        if not domain:
            self.accounts[username] = a
            self.statuses.setdefault(a["id"], [])
        return a

    def post(self, author: dict[str, Any], created_at: datetime, *, likes: list[dict[str, Any]] = (),
             boosts: list[dict[str, Any]] = (), replies: list[dict[str, Any]] = (), reblog: dict[str, Any] | None = None,
             in_reply_to: tuple[str, str] | None = None, quotes_count: int | None = 0, text: str = "Toot!") -> dict[str, Any]:
        tmpl, _ = _mastodon_templates()
        st = copy.deepcopy(tmpl)
        sid = self.new_id(created_at)
        st.update(id=sid, created_at=iso(created_at), account=author, content=f"<p>{text}</p>",
                  url=f"https://{self.instance}/@{author['username']}/{sid}", uri=f"https://{self.instance}/s/{sid}",
                  favourites_count=len(likes), reblogs_count=len(boosts), replies_count=len(replies),
                  quotes_count=quotes_count, reblog=reblog,
                  in_reply_to_id=in_reply_to[0] if in_reply_to else None,
                  in_reply_to_account_id=in_reply_to[1] if in_reply_to else None)
        if quotes_count is None:
            st.pop("quotes_count")
        self.engagers[(sid, "favourited_by")] = list(likes)
        self.engagers[(sid, "reblogged_by")] = list(boosts)
        self.descendants[sid] = list(replies)
        if author["id"] in self.statuses:
            self.statuses[author["id"]].insert(0, st)
            self.statuses[author["id"]].sort(key=lambda s: int(s["id"]), reverse=True)
            author["statuses_count"] += 1
        return st

    def reply(self, author: dict[str, Any], to: dict[str, Any], created_at: datetime) -> dict[str, Any]:
        tmpl, _ = _mastodon_templates()
        st = copy.deepcopy(tmpl)
        sid = self.new_id(created_at)
        st.update(id=sid, created_at=iso(created_at), account=author, in_reply_to_id=to["id"],
                  in_reply_to_account_id=to["account"]["id"], content="<p>Reply</p>")
        return st

    def set_list(self, account: dict[str, Any], kind: str, accounts: list[dict[str, Any]]) -> None:
        self.lists[(account["id"], kind)] = accounts

    # -- routes --------------------------------------------------------------------------------------------------
    def _page(self, req: Seen, items: list[Any], key: Any, limit_max: int, path: str) -> Reply:
        limit = min(int(req.params.get("limit", 20)), limit_max)
        if "max_id" in req.params:
            items = [x for x in items if key(x) < int(req.params["max_id"])]
        if "since_id" in req.params:
            items = [x for x in items if key(x) > int(req.params["since_id"])]
        page = items[:limit]
        headers = {}
        if page:
            base = f"{self.server.url}{path}?limit={limit}"
            headers["Link"] = f'<{base}&max_id={key(page[-1])}>; rel="next", <{base}&min_id={key(page[0])}>; rel="prev"'
        return json_reply([x[1] if isinstance(x, tuple) else x for x in page], headers=headers)

    def _lookup(self, req: Seen) -> Reply:
        a = self.accounts.get(req.params.get("acct", "").split("@")[0])
        return json_reply(a) if a else json_reply({"error": "Record not found"}, 404)

    def _statuses(self, req: Seen) -> Reply:
        if self.login_required:
            return json_reply({"error": "This API requires an authenticated user"}, 401)
        aid = req.path.split("/")[4]
        return self._page(req, self.statuses.get(aid, []), lambda s: int(s["id"]), 40, req.path)

    def _engagers(self, req: Seen) -> Reply:
        _, _, _, _, sid, kind = req.path.split("/")
        items = list(enumerate(self.engagers.get((sid, kind), [])))[::-1]  # (internal id, account), newest first
        return self._page(req, items, lambda x: x[0] + 1, 80, req.path)

    def _context(self, req: Seen) -> Reply:
        sid = req.path.split("/")[4]
        return json_reply({"ancestors": [], "descendants": self.descendants.get(sid, [])})

    def _lists(self, req: Seen) -> Reply:
        _, _, _, _, aid, kind = req.path.split("/")
        account = next(a for a in self.accounts.values() if a["id"] == aid)
        if account["hide_collections"]:
            return json_reply([])
        items = list(enumerate(self.lists.get((aid, kind), [])))[::-1]
        return self._page(req, items, lambda x: x[0] + 1, 80, req.path)


# -- Bluesky ---------------------------------------------------------------------------------------------------
@cache
def _bluesky_templates() -> tuple[dict[str, Any], dict[str, Any]]:
    feed = json.loads(recorded("bluesky/f_autfeed.yml", "getAuthorFeed")["body"])["feed"]
    post = next(i["post"] for i in feed if "reason" not in i and "reply" not in i["post"]["record"])
    actor = json.loads(recorded("bluesky/f_reposts.yml", "getRepostedBy")["body"])["repostedBy"][0]
    return post, actor


class FakeBluesky:
    def __init__(self, server: Loopback) -> None:
        self.server = server
        self.handles: dict[str, str] = {}  # handle -> did
        self.profiles: dict[str, dict[str, Any]] = {}  # did -> profile
        self.feeds: dict[str, list[dict[str, Any]]] = {}  # did -> feed items, newest first
        self.likes: dict[str, list[dict[str, Any]]] = {}  # uri -> likes
        self.reposts: dict[str, list[dict[str, Any]]] = {}
        self.quotes: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.graph: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._n = 0
        x = "/xrpc/"
        server.route(x + "com.atproto.identity.resolveHandle", self._resolve)
        server.route(x + "app.bsky.actor.getProfile", self._profile)
        server.route(x + "app.bsky.feed.getAuthorFeed", self._feed)
        server.route(x + "app.bsky.feed.getLikes", lambda r: self._list(r, self.likes, "likes", "uri"))
        server.route(x + "app.bsky.feed.getRepostedBy", lambda r: self._list(r, self.reposts, "repostedBy", "uri"))
        server.route(x + "app.bsky.feed.getQuotes", lambda r: self._list(r, self.quotes, "posts", "uri"))
        server.route(x + "app.bsky.feed.getPostThread", self._thread)
        server.route(x + "app.bsky.graph.getFollowers", lambda r: self._graph(r, "followers"))
        server.route(x + "app.bsky.graph.getFollows", lambda r: self._graph(r, "follows"))

    def actor(self, handle: str, *, labels: list[str] = (), followers: int | None = None, follows: int | None = None,
              register: bool = False) -> dict[str, Any]:
        _, tmpl = _bluesky_templates()
        self._n += 1
        did = f"did:plc:fake{self._n:06d}{handle.split('.')[0]}"
        a = copy.deepcopy(tmpl)
        a.update(did=did, handle=handle, displayName=handle.split(".")[0].title(),
                 labels=[{"src": did, "uri": f"at://{did}/app.bsky.actor.profile/self", "val": v, "cts": iso(NOW)}
                         for v in labels])
        if register:
            profile = {**a, "followersCount": followers, "followsCount": follows, "postsCount": 0}
            for k in ("followersCount", "followsCount"):
                if profile[k] is None:
                    profile.pop(k)
            self.handles[handle] = did
            self.profiles[did] = profile
            self.feeds[did] = []
        return a

    def post(self, author: dict[str, Any], created_at: datetime, *, likes: list[dict[str, Any]] = (),
             reposts: list[dict[str, Any]] = (), quotes: list[dict[str, Any]] = (), replies: list[dict[str, Any]] = (),
             counts: bool = True, reply_to: str | None = None, text: str = "post") -> dict[str, Any]:
        tmpl, _ = _bluesky_templates()
        self._n += 1
        p = copy.deepcopy(tmpl)
        uri = f"at://{author['did']}/app.bsky.feed.post/3k{self._n:011d}"
        record = {"$type": "app.bsky.feed.post", "createdAt": iso(created_at), "text": text, "langs": ["en"]}
        if reply_to:
            record["reply"] = {"root": {"uri": reply_to, "cid": "x"}, "parent": {"uri": reply_to, "cid": "x"}}
        p.update(uri=uri, author={k: v for k, v in author.items() if k not in ("followersCount", "followsCount", "postsCount")},
                 record=record, indexedAt=iso(created_at), likeCount=len(likes), repostCount=len(reposts),
                 quoteCount=len(quotes), replyCount=len(replies))
        p.pop("embed", None)
        if not counts:
            for k in ("likeCount", "repostCount", "quoteCount", "replyCount"):
                p.pop(k)
        self.likes[uri] = [{"actor": a, "createdAt": iso(created_at + timedelta(minutes=i + 1)),
                            "indexedAt": iso(created_at + timedelta(minutes=i + 1))} for i, a in enumerate(likes)]
        self.reposts[uri] = list(reposts)
        self.quotes[uri] = list(quotes)
        self.replies[uri] = list(replies)
        if author["did"] in self.feeds:
            self.feeds[author["did"]].append({"post": p})
            self.feeds[author["did"]].sort(key=lambda i: (i.get("reason") or {}).get("indexedAt") or i["post"]["record"]["createdAt"],
                                           reverse=True)
            self.profiles[author["did"]]["postsCount"] += 1
        return p

    def repost(self, by: dict[str, Any], post: dict[str, Any], at: datetime) -> None:
        self.feeds[by["did"]].insert(0, {"post": post, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                                                  "by": by, "indexedAt": iso(at)}})

    def set_graph(self, did: str, kind: str, actors: list[dict[str, Any]]) -> None:
        self.graph[(did, kind)] = actors

    # -- routes --------------------------------------------------------------------------------------------------
    @staticmethod
    def _slice(req: Seen, items: list[Any]) -> tuple[list[Any], str | None]:
        limit = min(int(req.params.get("limit", 50)), 100)
        start = int(req.params.get("cursor") or 0)
        page = items[start:start + limit]
        return page, (str(start + limit) if start + limit < len(items) else None)

    @staticmethod
    def _err(message: str) -> Reply:
        return json_reply({"error": "InvalidRequest", "message": message}, 400)

    def _resolve(self, req: Seen) -> Reply:
        did = self.handles.get(req.params.get("handle", ""))
        return json_reply({"did": did}) if did else self._err("Unable to resolve handle")

    def _profile(self, req: Seen) -> Reply:
        p = self.profiles.get(req.params.get("actor", ""))
        return json_reply(p) if p else self._err("Profile not found")

    def _feed(self, req: Seen) -> Reply:
        if req.params.get("actor") not in self.feeds:
            return self._err("Profile not found")
        page, cursor = self._slice(req, self.feeds[req.params["actor"]])
        return json_reply({"feed": page, **({"cursor": cursor} if cursor else {})})

    def _list(self, req: Seen, table: dict[str, list[Any]], key: str, param: str) -> Reply:
        page, cursor = self._slice(req, table.get(req.params.get(param, ""), []))
        return json_reply({"uri": req.params.get(param), key: page, **({"cursor": cursor} if cursor else {})})

    def _thread(self, req: Seen) -> Reply:
        uri = req.params.get("uri", "")
        root = next((i["post"] for f in self.feeds.values() for i in f if i["post"]["uri"] == uri), None)
        if root is None:
            return json_reply({"error": "NotFound", "message": f"Post not found: {uri}"}, 400)
        node = "app.bsky.feed.defs#threadViewPost"
        return json_reply({"thread": {"$type": node, "post": root,
                                      "replies": [{"$type": node, "post": r, "replies": []} for r in self.replies.get(uri, [])]}})

    def _graph(self, req: Seen, kind: str) -> Reply:
        did = req.params.get("actor", "")
        page, cursor = self._slice(req, self.graph.get((did, kind), []))
        return json_reply({"subject": self.profiles.get(did), kind: page, **({"cursor": cursor} if cursor else {})})
