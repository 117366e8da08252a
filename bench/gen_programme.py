"""A synthetic mentoring programme in the raw store, for the model benchmark (bench/model_bench.py).

    .venv/bin/python bench/gen_programme.py DIR [--engagements 1000000] [--executives 100] [--days 730]
    .venv/bin/python bench/gen_programme.py DIR --add-day        # one more day of data, as a daily run would add
    .venv/bin/python bench/gen_programme.py DIR --engagements N --daily   # as the daily collector stores it

Two ways of collecting the same kind of programme:
- weekly (the default, the figures in the README's tables): one run per week stores each post's engagements once;
- ``--daily``: one run a day, as ``influence collect`` from cron stores them. Each run reads the feed of the last
  ``--lookback`` days (30, the config's default) with every post's counts, and fetches again the whole list of each
  kind whose count changed since the last run (collectors/common.py ``refresh_engagement``): an engagement is
  stored again each time its post's count of that kind changes, as long as the post is in the window. How often
  depends on when engagements arrive: here each post's come exponentially after it (mean 10 hours), so most lists
  are fetched on two or three days. ``--add-day`` continues whichever way DIR was made.

Writes DIR/influence.toml (100 executives on Bluesky, 10 mentors of 10, declared topics, a ties register each)
and DIR/raw/: raw records in the real shapes of Bluesky's AppView, as a weekly collector would have stored them
over two years (one run per week; ``--add-day`` adds one run holding one more day): ``profile`` (follower counts),
``author_feed`` (own posts with counts, hashtags, some quotes and reposts of others), ``likes`` (pages of 100, with
times), ``reposted_by``, ``quotes`` and ``thread`` (replies, some to other replies: second steps).

Distributions (fixed seed): post popularity is Zipf-like (a lognormal-Zipf mixture: most posts get a handful of
engagements, a few thousands); people are drawn from a Zipf distribution over a pool of engagements / 8 people,
mostly from the executive's own audience (70%) with the rest from everyone, capped at 2,000 engagements per person
per executive (PERF-NOTES: pure Zipf makes one "person" engage 84k times). 82% of engagements are likes, 9% reposts,
5% replies (a third of them to another reply), 4% quotes.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from collectors.rawstore import SCHEMA  # noqa: E402

START = datetime(2024, 11, 4, tzinfo=UTC)  # a Monday
XRPC = "https://public.api.bsky.app/xrpc"
TOPICS = ["ai", "leadership", "opensource", "climate", "fintech", "health", "security", "data", "design", "policy"]
BIO_WORDS = ["engineer", "researcher", "founder", "investor", "designer", "teacher", "nurse", "economist",
             "journalist", "student", "maintainer", "product", "marketing", "lawyer", "scientist", "artist"]
KINDS = np.array(["like", "repost", "reply", "quote"])
KIND_P = [0.82, 0.09, 0.05, 0.04]


def did(i: int) -> str:
    return f"did:plc:u{i:09d}"


def exec_did(e: int) -> str:
    return f"did:plc:exec{e:04d}"


def actor_json(i: int, audience: int) -> str:
    w1, w2 = BIO_WORDS[(i * 7 + audience) % len(BIO_WORDS)], BIO_WORDS[audience % len(BIO_WORDS)]
    return (f'{{"did":"{did(i)}","handle":"u{i}.bsky.social","displayName":"U{i}","labels":[],'
            f'"description":"{w1} and {w2} #{TOPICS[audience % len(TOPICS)]}"}}')


def post_view(uri: str, author: str, created: str, text: str, tags: list[str], counts: dict | None = None,
              reply: tuple[str, str] | None = None, quoted: str | None = None) -> dict:
    record: dict = {"$type": "app.bsky.feed.post", "createdAt": created, "text": text}
    if tags:
        record["tags"] = tags
    if reply:
        record["reply"] = {"root": {"uri": reply[0], "cid": "c"}, "parent": {"uri": reply[1], "cid": "c"}}
    if quoted:
        record["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": quoted, "cid": "c"}}
    view = {"uri": uri, "cid": "c", "author": json.loads(author), "record": record, "indexedAt": created, "labels": []}
    view.update(counts or {})
    return view


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Programme:
    def __init__(self, engagements: int, executives: int, days: int, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.n_exec = executives
        self.days = days
        self.pool = max(1000, engagements // 8)
        self.posts_per_exec_day = 1.0
        n_posts = int(executives * days * self.posts_per_exec_day)
        self._draw(engagements, n_posts, n_posts)
        self.post_exec = np.repeat(np.arange(executives), days)[:n_posts]
        self.post_day = np.tile(np.arange(days), executives)[:n_posts]

    def _draw(self, engagements: int, n_posts: int, scaled_over: int) -> None:
        """Zipf-like popularity of ``n_posts`` posts, scaled so that the first ``scaled_over`` hold the engagements
        asked for; people: Zipf ranks over the pool, each executive's audience a slice of it."""
        pop = self.rng.zipf(1.6, n_posts).astype(float) + self.rng.lognormal(2.0, 1.0, n_posts)
        pop = np.minimum(pop, 20_000)
        self.popularity = np.maximum(0, np.round(pop * engagements / pop[:scaled_over].sum())).astype(np.int64)
        ranks = np.arange(1, self.pool + 1, dtype=float)
        self.cdf = np.cumsum(1 / ranks**1.1)
        self.cdf /= self.cdf[-1]
        self.perm = [self.rng.permutation(self.pool) for _ in range(4)]

    def people(self, e: int, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = rng or self.rng
        r = np.searchsorted(self.cdf, rng.random(n))
        home = rng.random(n) < 0.7
        audience = (r + e * (self.pool // self.n_exec)) % self.pool
        who = np.where(home, audience, self.perm[e % 4][r])
        for _ in range(3):  # one engagement of each kind per person and post: redraw repeats
            order = np.argsort(who, kind="stable")
            dup = np.zeros(n, dtype=bool)
            dup[order[1:]] = who[order[1:]] == who[order[:-1]]
            if not dup.any():
                break
            who[dup] = (who[dup] + rng.integers(1, self.pool, int(dup.sum()))) % self.pool
        return who

    def config(self, out: Path) -> None:
        (out / "ties").mkdir(parents=True, exist_ok=True)
        lines = ['contact = "bench@example.org"', ""]
        for e in range(self.n_exec):
            topics = json.dumps([TOPICS[e % 10], TOPICS[(e + 3) % 10], "leadership"])
            lines += ["[[executives]]", f'id = "e{e:03d}"', f'name = "Executive {e}"', f"topics = {topics}",
                      f'ties = "ties/e{e:03d}.csv"', "[executives.accounts]", f'bluesky = ["exec{e:04d}.bsky.social"]', ""]
            ring = ["team"] * 10 + ["organisation"] * 10 + ["met_in_person"] * 20
            start = e * (self.pool // self.n_exec)
            rows = ["name,ring,bluesky"] + [f"P{start + k},{ring[k]},u{start + k}.bsky.social" for k in range(40)]
            (out / "ties" / f"e{e:03d}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        for m in range(max(1, self.n_exec // 10)):
            mentees = json.dumps([f"e{e:03d}" for e in range(m * 10, min(self.n_exec, m * 10 + 10))])
            lines += ["[[mentors]]", f'id = "m{m:02d}"', f'name = "Mentor {m}"', f"mentees = {mentees}", ""]
        (out / "influence.toml").write_text("\n".join(lines), encoding="utf-8")

    def records_for_days(self, day0: int, day1: int, observed: datetime) -> list[dict]:
        """Raw records a run at ``observed`` stores for the posts published on days [day0, day1)."""
        out: list[dict] = []
        sel = np.nonzero((self.post_day >= day0) & (self.post_day < day1))[0]
        by_exec: dict[int, list[int]] = {}
        for p in sel:
            by_exec.setdefault(int(self.post_exec[p]), []).append(int(p))
        for e, posts in sorted(by_exec.items()):
            edid = exec_did(e)
            me = json.dumps({"did": edid, "handle": f"exec{e:04d}.bsky.social", "displayName": f"Executive {e}",
                             "labels": [], "followersCount": 500 + 40 * e + 3 * day1})
            out.append(self._rec("profile", e, observed, me, {"exec_did": edid}))
            feed = []
            for p in posts:
                n = int(self.popularity[p])
                kinds = KINDS[np.searchsorted(np.cumsum(KIND_P), self.rng.random(n))]
                who = self.people(e, n)
                t0 = START + timedelta(days=int(self.post_day[p]), hours=9)
                when = [t0 + timedelta(minutes=int(m)) for m in self.rng.exponential(600, n)]
                uri = f"at://{edid}/app.bsky.feed.post/p{p}"
                tag = TOPICS[(e + p) % 10] if p % 3 else "leadership"
                mention = ""
                counts = {"likeCount": int((kinds == "like").sum()), "repostCount": int((kinds == "repost").sum()),
                          "replyCount": int((kinds == "reply").sum()), "quoteCount": int((kinds == "quote").sum())}
                feed.append({"post": post_view(uri, me, iso(t0), f"On {tag}{mention}: note {p} #{tag}", [tag], counts)})
                likes = [f'{{"actor":{actor_json(int(w), e)},"createdAt":"{iso(t)}","indexedAt":"{iso(t)}"}}'
                         for k, w, t in zip(kinds, who, when, strict=True) if k == "like"]
                for i in range(0, len(likes), 100):
                    out.append(self._rec("likes", e, observed, f'{{"uri":"{uri}","likes":[{",".join(likes[i:i + 100])}]}}',
                                         {"exec_did": edid, "uri": uri, "page": i // 100}))
                reposters = [actor_json(int(w), e) for k, w in zip(kinds, who, strict=True) if k == "repost"]
                for i in range(0, len(reposters), 100):
                    out.append(self._rec("reposted_by", e, observed,
                                         f'{{"uri":"{uri}","repostedBy":[{",".join(reposters[i:i + 100])}]}}',
                                         {"exec_did": edid, "uri": uri, "page": i // 100}))
                quotes = [post_view(f"at://{did(int(w))}/app.bsky.feed.post/q{p}x{j}", actor_json(int(w), e), iso(t),
                                    f"quoting #{tag}", [tag], quoted=uri)
                          for j, (k, w, t) in enumerate(zip(kinds, who, when, strict=True)) if k == "quote"]
                if quotes:
                    out.append(self._rec("quotes", e, observed, json.dumps({"uri": uri, "posts": quotes}),
                                         {"exec_did": edid, "uri": uri, "page": 0}))
                replies: list[dict] = []
                for j, (k, w, t) in enumerate(zip(kinds, who, when, strict=True)):
                    if k != "reply":
                        continue
                    ruri = f"at://{did(int(w))}/app.bsky.feed.post/r{p}x{j}"
                    node = {"$type": "app.bsky.feed.defs#threadViewPost", "replies": [],
                            "post": None}
                    if replies and self.rng.random() < 0.33:  # a reply to an earlier reply: a second step
                        parent = replies[int(self.rng.integers(len(replies)))]
                        node["post"] = post_view(ruri, actor_json(int(w), e), iso(t), "yes", [], reply=(uri, parent["post"]["uri"]))
                        parent["replies"].append(node)
                    else:
                        node["post"] = post_view(ruri, actor_json(int(w), e), iso(t), "indeed", [], reply=(uri, uri))
                    replies.append(node)
                if replies:
                    top = [r for r in replies if r["post"]["record"]["reply"]["parent"]["uri"] == uri]
                    thread = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost",
                                         "post": feed[-1]["post"], "replies": top}}
                    out.append(self._rec("thread", e, observed, json.dumps(thread), {"exec_did": edid, "uri": uri}))
            out.append(self._rec("author_feed", e, observed, json.dumps({"feed": feed[::-1]}), {"exec_did": edid, "page": 0}))
        return out

    @staticmethod
    def _rec(kind: str, e: int, observed: datetime, payload: str, params: dict) -> dict:
        return {"source": "bluesky", "kind": kind, "exec_id": f"e{e:03d}", "url": f"{XRPC}/{kind}",
                "params": json.dumps(params, sort_keys=True), "status": 200, "observed_at": observed, "payload": payload}


class DailyProgramme(Programme):
    """The programme as a daily collector stores it (``--daily``, module docstring). Posts are numbered day by day
    (post p is executive ``p % executives``'s post of day ``p // executives``) and each post's engagements come from
    a generator seeded by the post alone, so a run of any day (and ``--add-day``) can draw them again."""

    EXTRA_DAYS = 400  # posts drawn beyond ``days``, for --add-day

    def __init__(self, engagements: int, executives: int, days: int, lookback: int, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.n_exec = executives
        self.days = days
        self.lookback = lookback
        self.pool = max(1000, engagements // 8)
        self._draw(engagements, executives * (days + self.EXTRA_DAYS), executives * days)
        self._posts: dict[int, dict] = {}

    def post(self, p: int) -> dict:
        """Post p's engagements in the order they happen: kind, person, time, and each reply's parent (-1: the
        post itself, else the index of an earlier reply), with the JSON each list shows them in."""
        if p in self._posts:
            return self._posts[p]
        e, day = p % self.n_exec, p // self.n_exec
        rng = np.random.default_rng((self.seed, p))
        n = int(self.popularity[p])
        kinds = KINDS[np.searchsorted(np.cumsum(KIND_P), rng.random(n))]
        who = self.people(e, n, rng)
        minutes = np.sort(rng.exponential(600, n))
        t0 = START + timedelta(days=day, hours=9)
        when = [t0 + timedelta(minutes=float(m)) for m in minutes]
        edid = exec_did(e)
        uri = f"at://{edid}/app.bsky.feed.post/p{p}"
        tag = TOPICS[(e + p) % 10] if p % 3 else "leadership"
        parent = np.full(n, -1)
        replies_so_far: list[int] = []
        for j in range(n):
            if kinds[j] == "reply":
                if replies_so_far and rng.random() < 0.33:  # a reply to an earlier reply: a second step
                    parent[j] = replies_so_far[int(rng.integers(len(replies_so_far)))]
                replies_so_far.append(j)
        json_of = []
        for j, (k, w, t) in enumerate(zip(kinds, who, when, strict=True)):
            actor = actor_json(int(w), e)
            if k == "like":
                json_of.append(f'{{"actor":{actor},"createdAt":"{iso(t)}","indexedAt":"{iso(t)}"}}')
            elif k == "repost":
                json_of.append(actor)
            elif k == "quote":
                json_of.append(post_view(f"at://{did(int(w))}/app.bsky.feed.post/q{p}x{j}", actor, iso(t),
                                         f"quoting #{tag}", [tag], quoted=uri))
            else:
                json_of.append((f"at://{did(int(w))}/app.bsky.feed.post/r{p}x{j}", actor, iso(t)))
        me = json.dumps({"did": edid, "handle": f"exec{e:04d}.bsky.social", "displayName": f"Executive {e}",
                         "labels": []})
        # the post's view in the feed without its counts, as JSON text open at the end (the counts go after it)
        view = json.dumps(post_view(uri, me, iso(t0), f"On {tag}: note {p} #{tag}", [tag]))[:-1]
        # how many of each kind happened among the first j engagements, for every j
        cum = np.zeros((n + 1, len(KINDS)), dtype=np.int64)
        cum[1:] = np.cumsum(kinds[:, None] == KINDS[None, :], axis=0)
        info = {"e": e, "uri": uri, "t0": t0, "tag": tag, "kinds": kinds, "when": when, "parent": parent,
                "json": json_of, "view": view, "cum": cum}
        self._posts[p] = info
        return info

    def counts(self, info: dict, at: datetime) -> tuple[int, dict]:
        """How many of the post's engagements happened by ``at``, and those per kind."""
        upto = bisect.bisect_right(info["when"], at)
        return upto, dict(zip(KINDS, info["cum"][upto].tolist(), strict=True))

    def run(self, day: int) -> tuple[datetime, list[dict]]:
        """The raw records of the run early on day ``day + 1`` (03:00): each executive's profile and feed of the
        lookback window with its counts, and every engagement list whose count changed since the run before."""
        observed = START + timedelta(days=day + 1, hours=3)
        before = observed - timedelta(days=1)
        first_day = max(0, day + 1 - self.lookback)
        for p in [p for p in self._posts if p // self.n_exec < first_day]:
            del self._posts[p]  # out of the window: never fetched again
        out: list[dict] = []
        for e in range(self.n_exec):
            edid = exec_did(e)
            me = json.dumps({"did": edid, "handle": f"exec{e:04d}.bsky.social", "displayName": f"Executive {e}",
                             "labels": [], "followersCount": 500 + 40 * e + 3 * (day + 1)})
            out.append(self._rec("profile", e, observed, me, {"exec_did": edid}))
            feed = []
            for d in range(day, first_day - 1, -1):  # newest first
                info = self.post(d * self.n_exec + e)
                uri = info["uri"]
                upto, now = self.counts(info, observed)
                _, was = self.counts(info, before) if d < day else (0, None)
                view = (f'{info["view"]},"likeCount":{now["like"]},"repostCount":{now["repost"]},'
                        f'"replyCount":{now["reply"]},"quoteCount":{now["quote"]}}}')
                feed.append(view)
                changed = {k for k in KINDS if now[k] and (was is None or now[k] != was[k])}
                got = range(upto - 1, -1, -1)  # newest first, as the API lists them
                for kind, api_kind, field in (("like", "likes", "likes"), ("repost", "reposted_by", "repostedBy")):
                    if kind in changed:
                        items = [info["json"][j] for j in got if info["kinds"][j] == kind]
                        for i in range(0, len(items), 100):
                            out.append(self._rec(api_kind, e, observed,
                                                 f'{{"uri":"{uri}","{field}":[{",".join(items[i:i + 100])}]}}',
                                                 {"exec_did": edid, "uri": uri, "page": i // 100}))
                if "quote" in changed:
                    quotes = [info["json"][j] for j in got if info["kinds"][j] == "quote"]
                    out.append(self._rec("quotes", e, observed, json.dumps({"uri": uri, "posts": quotes}),
                                         {"exec_did": edid, "uri": uri, "page": 0}))
                if "reply" in changed:
                    nodes: dict[int, dict] = {}
                    top = []
                    for j in range(upto):
                        if info["kinds"][j] != "reply":
                            continue
                        ruri, actor, t = info["json"][j]
                        par = int(info["parent"][j])
                        parent_uri = nodes[par]["post"]["uri"] if par >= 0 else uri
                        node = {"$type": "app.bsky.feed.defs#threadViewPost", "replies": [],
                                "post": post_view(ruri, actor, t, "yes" if par >= 0 else "indeed", [],
                                                  reply=(uri, parent_uri))}
                        nodes[j] = node
                        (nodes[par]["replies"] if par >= 0 else top).append(node)
                    thread = (f'{{"thread":{{"$type":"app.bsky.feed.defs#threadViewPost","post":{view},'
                              f'"replies":{json.dumps(top)}}}}}')
                    out.append(self._rec("thread", e, observed, thread, {"exec_did": edid, "uri": uri}))
            feed_json = '{"feed":[' + ",".join(f'{{"post":{v}}}' for v in feed) + "]}"
            out.append(self._rec("author_feed", e, observed, feed_json, {"exec_did": edid, "page": 0}))
        return observed, out


def write_run(raw: Path, run_id: str, rows: list[dict]) -> int:
    """One segment per month observed, as RawStore.append would write them."""
    by_month: dict[str, list[dict]] = {}
    for r in rows:
        by_month.setdefault(r["observed_at"].strftime("%Y-%m"), []).append(r)
    for seq, (month, batch) in enumerate(sorted(by_month.items())):
        name = f"{run_id}-{seq:06d}-bench0"
        for i, r in enumerate(batch):
            r["record_id"] = f"{name}-{i:06d}"
            r["run_id"] = run_id
        path = raw / "source=bluesky" / f"month={month}" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(batch, schema=SCHEMA), path, compression="zstd")
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--engagements", type=int, default=1_000_000)
    ap.add_argument("--executives", type=int, default=100)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--add-day", action="store_true", help="add one more day after what DIR holds")
    ap.add_argument("--daily", action="store_true", help="one run a day, as the daily collector stores them")
    ap.add_argument("--lookback", type=int, default=30, help="with --daily: the days of posts each run refreshes")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    meta_path = a.dir / "bench-meta.json"
    if a.add_day and json.loads(meta_path.read_text()).get("daily"):
        meta = json.loads(meta_path.read_text())
        prog = DailyProgramme(meta["engagements"], meta["executives"], meta["days"], meta["lookback"])
        day = meta["days"] + meta.get("added", 0)
        observed, rows = prog.run(day)
        n = write_run(a.dir / "raw", observed.strftime("%Y%m%dT%H%M%SZ") + "-day", rows)
        meta["added"] = meta.get("added", 0) + 1
        meta_path.write_text(json.dumps(meta))
        print(f"added day {day}: {n} raw records in {time.perf_counter() - t0:.1f} s")
        return
    if a.add_day:
        meta = json.loads(meta_path.read_text())
        prog = Programme(meta["engagements"], meta["executives"], meta["days"] + 1 + meta.get("added", 0), seed=11 + meta.get("added", 0))
        day = meta["days"] + meta.get("added", 0)
        observed = START + timedelta(days=day + 1)
        rows = prog.records_for_days(day, day + 1, observed)
        n = write_run(a.dir / "raw", observed.strftime("%Y%m%dT%H%M%SZ") + "-day", rows)
        meta["added"] = meta.get("added", 0) + 1
        meta_path.write_text(json.dumps(meta))
        print(f"added day {day}: {n} raw records in {time.perf_counter() - t0:.1f} s")
        return
    a.dir.mkdir(parents=True, exist_ok=True)
    if a.daily:
        daily = DailyProgramme(a.engagements, a.executives, a.days, a.lookback)
        daily.config(a.dir)
        total = 0
        for day in range(a.days):
            observed, rows = daily.run(day)
            total += write_run(a.dir / "raw", observed.strftime("%Y%m%dT%H%M%SZ") + "-day", rows)
        meta_path.write_text(json.dumps({"engagements": a.engagements, "executives": a.executives, "days": a.days,
                                         "daily": True, "lookback": a.lookback}))
        planned = int(daily.popularity[: a.executives * a.days].sum())
        print(f"{total} raw records, {planned} engagements planned, in {time.perf_counter() - t0:.1f} s")
        return
    prog = Programme(a.engagements, a.executives, a.days)
    prog.config(a.dir)
    total = 0
    for week in range(0, a.days, 7):
        observed = START + timedelta(days=min(week + 7, a.days), hours=3)
        rows = prog.records_for_days(week, min(week + 7, a.days), observed)
        total += write_run(a.dir / "raw", observed.strftime("%Y%m%dT%H%M%SZ") + "-week", rows)
    meta_path.write_text(json.dumps({"engagements": a.engagements, "executives": a.executives, "days": a.days}))
    print(f"{total} raw records, {int(prog.popularity.sum())} engagements planned, in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
