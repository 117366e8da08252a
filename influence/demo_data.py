"""Generate the bundled demo data (``data/demo/``): deterministic, fixed seed, a few MB.

Three fictional executives over 18 months, as a weekly collector would have seen them: every raw record is an API
response in the real shape of Mastodon's REST API, Bluesky's AppView or WordPress (REST API and comment feeds) (see ../shared/real-samples), stored with
the time it was observed, so the demo goes through the same parsers and pipeline as live collection.

- Ada Lindqvist (CTO, Mastodon + Bluesky + a WordPress blog whose posts draw comments and pingbacks): her
  digital-only audience grows; she climbs to step 4.
- Ben Okafor (COO, Mastodon, hides his follower list): reaches his organisation and people he met: step 3.
- Chloé Martin (Head of Operations, Bluesky): mostly her team engages: step 2.
- Maria Santos mentors Ada and Ben.

Regenerate with ``python -m influence.demo_data`` (writes data/demo/raw.jsonl.gz, influence.toml, ties/*.csv).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261124
START = datetime(2025, 5, 5, tzinfo=UTC)  # a Monday
WEEKS = 78  # 18 months
LOOKBACK = timedelta(days=30)
DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"

FIRST = ["Amara", "Björn", "Chen", "Dalia", "Emeka", "Fatima", "Gustavo", "Hana", "Ivan", "Jasmin", "Kofi", "Lena",
         "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tomoko", "Uma", "Viktor", "Wanjiru", "Xavier",
         "Yara", "Zeynep", "Aiko", "Bruno", "Carmen", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
LAST = ["Adeyemi", "Bergström", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ishikawa", "Jansen",
        "Kowalski", "Larsen", "Moreau", "Nakamura", "Oliveira", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka",
        "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Andersson", "Baptiste", "Cohen", "Diallo"]
INSTANCES = ["mastodon.example", "fedi.example.net", "hachyderm.example", "scholar.example.org", "tech.example.social"]
SPHERES = {
    "ai": (["machine learning", "AI safety", "LLMs", "data science"], ["ai", "machinelearning", "llm"]),
    "climate": (["climate tech", "energy transition", "sustainability"], ["climate", "netzero", "energy"]),
    "opensource": (["open source maintainer", "Rust", "Python", "infra"], ["opensource", "python", "rust"]),
    "leadership": (["people leader", "coach", "org design", "HR"], ["leadership", "management", "culture"]),
    "fintech": (["payments", "banking", "fintech founder"], ["fintech", "payments", "banking"]),
}


@dataclass
class Person:
    idx: int
    name: str
    sphere: str
    mastodon: str | None  # "user@instance"
    bluesky: str | None  # handle
    did: str | None
    popularity: float
    followers: int
    created: datetime
    labels_opt_out: bool = False
    website: str | None = None


@dataclass
class Exec:
    id: str
    name: str
    title: str
    topics: list[str]
    mastodon: str | None
    bluesky: str | None
    did: str | None
    posts_per_week: float
    engagement: dict[str, tuple[float, float]]  # ring -> (engagers per post at start, at end)
    hide_collections: bool = False
    blog: str | None = None
    ties: dict[str, list[int]] = field(default_factory=dict)
    followers: int = 0


def _did(rng: random.Random) -> str:
    return "did:plc:" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24))


def _cid(rng: random.Random) -> str:
    return "bafyrei" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(52))


_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(t: datetime, n: int) -> str:
    """A Bluesky record key (TID): microseconds since epoch and a clock id, base32-sortable."""
    v = (int(t.timestamp() * 1_000_000) << 10) | (n & 1023)
    return "".join(_B32[(v >> (5 * i)) & 31] for i in reversed(range(13)))


def _snowflake(t: datetime, n: int) -> str:
    return str((int(t.timestamp() * 1000) << 16) | (n & 0xFFFF))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.people = self._people(1800)
        self.execs = self._execs()
        self.records: list[dict] = []
        self.n = 0

    # -- the population ----------------------------------------------------------------------------------------
    def _people(self, n: int) -> list[Person]:
        rng = self.rng
        people = []
        for i in range(n):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            slug = name.lower().replace(" ", "").replace("ö", "o").replace("í", "i").replace("ç", "c")
            slug = "".join(c for c in slug if c.isalnum())[:14] + str(i)
            has_m = rng.random() < 0.7
            has_b = rng.random() < (0.5 if has_m else 1.0)
            pop = 1.0 / (1 + i) ** 0.6  # Zipf-like: a few people engage a lot, most once or twice
            people.append(Person(
                idx=i, name=name, sphere=rng.choice(list(SPHERES)),
                mastodon=f"{slug}@{rng.choice(INSTANCES)}" if has_m else None,
                bluesky=f"{slug}.bsky.social" if has_b else None,
                did=_did(rng) if has_b else None,
                popularity=pop, followers=int(rng.paretovariate(1.2) * 40),
                created=START - timedelta(days=rng.randint(100, 2500)),
                labels_opt_out=has_b and rng.random() < 0.02,
                website=f"https://{slug}.example.net" if rng.random() < 0.25 else None,
            ))
        rng.shuffle(people)  # popularity is not correlated with list position used for ties
        return people

    def _execs(self) -> list[Exec]:
        rng = self.rng
        ada = Exec("ada", "Ada Lindqvist", "CTO, Northwind", ["ai", "opensource", "leadership"],
                   "ada@social.northwind.example", "adalindqvist.bsky.social", _did(rng), 3.0,
                   {"team": (1.5, 1.5), "organisation": (1.5, 2.0), "met_in_person": (1.0, 2.5), "digital_only": (0.3, 9.0)},
                   blog="https://ada.northwind.example")
        ben = Exec("ben", "Ben Okafor", "COO, Northwind", ["leadership", "fintech"],
                   "ben@social.northwind.example", None, None, 2.0,
                   {"team": (1.0, 1.2), "organisation": (3.0, 4.0), "met_in_person": (2.0, 3.0), "digital_only": (0.5, 1.5)},
                   hide_collections=True)
        chloe = Exec("chloe", "Chloé Martin", "Head of Operations, Brightline", ["climate", "leadership"],
                     None, "chloemartin.bsky.social", _did(rng), 1.5,
                     {"team": (2.0, 2.5), "organisation": (0.4, 0.6), "met_in_person": (0.1, 0.2), "digital_only": (0.2, 0.4)})
        pool = list(range(len(self.people)))
        for e, sizes in ((ada, (8, 25, 30)), (ben, (9, 45, 40)), (chloe, (10, 12, 6))):
            chosen = rng.sample(pool, sum(sizes))
            e.ties = {"team": chosen[: sizes[0]], "organisation": chosen[sizes[0]: sizes[0] + sizes[1]],
                      "met_in_person": chosen[sizes[0] + sizes[1]:]}
        # Ada and Ben work together: Ben's team member is in Ada's organisation ring
        ada.ties["organisation"] = ada.ties["organisation"] + ben.ties["team"][:3]
        return [ada, ben, chloe]

    # -- response shapes -----------------------------------------------------------------------------------------
    def m_account(self, handle: str, home: str, *, name: str, note: str, followers: int, created: datetime,
                  hide: bool = False, fields: list | None = None, statuses: int = 0) -> dict:
        user, instance = handle.split("@")
        acct = user if instance == home else handle
        num = _snowflake(created, len(handle))
        return {
            "id": num, "username": user, "acct": acct, "display_name": name, "locked": False, "bot": False,
            "discoverable": True, "indexable": True, "group": False, "created_at": _iso(created),
            "note": f"<p>{note}</p>", "url": f"https://{instance}/@{user}", "uri": f"https://{instance}/users/{user}",
            "avatar": f"https://{instance}/avatars/original/missing.png",
            "avatar_static": f"https://{instance}/avatars/original/missing.png",
            "header": f"https://{instance}/headers/original/missing.png",
            "header_static": f"https://{instance}/headers/original/missing.png",
            "followers_count": followers, "following_count": max(10, followers // 3), "statuses_count": statuses,
            "last_status_at": None, "hide_collections": hide, "noindex": False, "emojis": [], "roles": [],
            "fields": fields or [],
        }

    def m_person(self, p: Person, home: str) -> dict:
        words, _ = SPHERES[p.sphere]
        fields = ([{"name": "Website", "value": f'<a href="{p.website}" rel="me nofollow noopener" target="_blank">{p.website}</a>',
                    "verified_at": _iso(p.created)}] if p.website else [])
        return self.m_account(p.mastodon, home, name=p.name, note=f"{words[p.idx % len(words)].capitalize()} · views my own",
                              followers=p.followers, created=p.created, statuses=p.followers * 3, fields=fields)

    def b_actor(self, p: Person | Exec, *, profile: bool = False) -> dict:
        if isinstance(p, Exec):
            did, handle, name, created, labels = p.did, p.bluesky, p.name, START - timedelta(days=900), []
            desc = p.title
        else:
            did, handle, name, created = p.did, p.bluesky, p.name, p.created
            labels = ([{"src": did, "uri": f"at://{did}/app.bsky.actor.profile/self", "cid": "bafyreiopt",
                        "val": "!no-unauthenticated", "cts": _iso(created)}] if p.labels_opt_out else [])
            desc = f"{SPHERES[p.sphere][0][0]} · {p.name.split()[0]}'s notes"
        a = {"did": did, "handle": handle, "displayName": name, "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/x@jpeg",
             "associated": {"chat": {"allowIncoming": "following"}}, "labels": labels, "createdAt": _iso(created),
             "description": desc, "indexedAt": _iso(created)}
        if profile:
            a.update({"followersCount": p.followers, "followsCount": 180, "postsCount": 400})
        return a

    def emit(self, source: str, kind: str, exec_id: str, url: str, at: datetime, payload: object, **params: object) -> None:
        self.records.append({
            "source": source, "kind": kind, "exec_id": exec_id, "url": url, "params": params, "status": 200,
            "observed_at": at.isoformat(), "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        })

    # -- the simulation -------------------------------------------------------------------------------------------
    def run(self) -> list[dict]:
        rng = self.rng
        for e in self.execs:
            self.simulate(e, rng)
        self.records.sort(key=lambda r: (r["observed_at"], r["exec_id"], r["source"], r["kind"], r["url"]))
        return self.records

    def engagers_for(self, e: Exec, progress: float, used_platforms: tuple[str, ...]) -> dict[str, list[Person]]:
        rng = self.rng
        out: dict[str, list[Person]] = {}
        for ring, (lo, hi) in e.engagement.items():
            mean = lo + (hi - lo) * progress
            k = min(int(rng.expovariate(1 / mean)) if mean > 0 else 0, 60)
            if ring == "digital_only":
                tied = {i for ids in e.ties.values() for i in ids}
                chosen: list[Person] = []
                while len(chosen) < k:
                    # popularity-weighted: the same digital-only people come back
                    p = self.people[min(int(rng.paretovariate(0.9)) * 7 + rng.randint(0, 6), len(self.people) - 1)]
                    if p.idx in tied or p in chosen:
                        if rng.random() < 0.3:
                            p = rng.choice(self.people)
                        else:
                            continue
                    if p.idx not in tied and p not in chosen:
                        chosen.append(p)
            else:
                ids = e.ties.get(ring, [])
                chosen = [self.people_by_idx[i] for i in rng.sample(ids, min(k, len(ids)))]
            out[ring] = [p for p in chosen if any(getattr(p, plat if plat != "bluesky" else "bluesky") for plat in used_platforms)]
        return out

    @property
    def people_by_idx(self) -> dict[int, Person]:
        if not hasattr(self, "_by_idx"):
            self._by_idx = {p.idx: p for p in self.people}
        return self._by_idx

    def simulate(self, e: Exec, rng: random.Random) -> None:
        home = e.mastodon.split("@")[1] if e.mastodon else ""
        platforms = tuple(p for p in ("mastodon", "bluesky") if getattr(e, p))
        posts: list[dict] = []  # every post with its engagement events (time, person, kind, platform)
        t = START
        n = 0
        while t < START + timedelta(weeks=WEEKS):
            t += timedelta(hours=rng.expovariate(e.posts_per_week / (7 * 24)))
            if t >= START + timedelta(weeks=WEEKS):
                break
            n += 1
            progress = (t - START) / timedelta(weeks=WEEKS)
            platform = rng.choice(platforms)
            topic = rng.choice(e.topics)
            kind = rng.choices(["original", "reply", "repost"], weights=[0.75, 0.15, 0.10])[0]
            target = rng.choice(self.people[:300])
            if platform == "mastodon" and not target.mastodon or platform == "bluesky" and not target.bluesky:
                kind = "original"
            post = {"n": n, "at": t, "platform": platform, "topic": topic, "kind": kind, "target": target, "events": []}
            if kind == "original":
                by_ring = self.engagers_for(e, progress, (platform,))
                for people in by_ring.values():
                    for p in people:
                        if platform == "mastodon" and not p.mastodon or platform == "bluesky" and not p.bluesky:
                            continue
                        ek = rng.choices(["like", "repost", "reply", "quote"], weights=[0.62, 0.18, 0.15, 0.05 if platform == "bluesky" else 0])[0]
                        post["events"].append((t + timedelta(hours=rng.expovariate(1 / 20)), p, ek))
                # mentions of two others now and then: an introduction
                if rng.random() < 0.1:
                    post["mentions"] = rng.sample(self.people[:200], 2)
            posts.append(post)
        e.followers = 150 + int(30 * sum(len(p["events"]) for p in posts) ** 0.5)
        # weekly collection runs, Sunday 21:00 UTC
        for week in range(1, WEEKS + 1):
            run_at = START + timedelta(weeks=week) - timedelta(hours=3)
            visible = [p for p in posts if p["at"] <= run_at]
            fresh = [p for p in visible if p["at"] > run_at - timedelta(weeks=1)]
            window = [p for p in visible if p["at"] > run_at - LOOKBACK and p["kind"] == "original"]
            if "mastodon" in platforms:
                self.mastodon_run(e, home, run_at, [p for p in fresh if p["platform"] == "mastodon"],
                                  [p for p in window if p["platform"] == "mastodon"], week, visible)
            if "bluesky" in platforms:
                self.bluesky_run(e, run_at, [p for p in fresh if p["platform"] == "bluesky"],
                                 [p for p in window if p["platform"] == "bluesky"], week, visible)
        if e.blog:
            self.blog(e, rng)

    # -- a WordPress blog: REST posts and comments, pingbacks in the comment feeds ------------------------------
    def blog(self, e: Exec, rng: random.Random) -> None:
        posts = []
        t = START + timedelta(days=9, hours=8)
        n = 0
        while t < START + timedelta(weeks=WEEKS):
            n += 1
            topic = e.topics[n % len(e.topics)]
            slug = f"notes-on-{topic}-{n}"
            link = f"{e.blog}/{t:%Y/%m}/{slug}/"
            progress = (t - START) / timedelta(weeks=WEEKS)
            commenters = []
            for ring, (lo, hi) in e.engagement.items():
                k = int(rng.expovariate(1 / max(0.05, (lo + (hi - lo) * progress) / 4)))
                pool = [self.people_by_idx[i] for i in e.ties.get(ring, [])] if ring != "digital_only" else self.people[:400]
                commenters += rng.sample(pool, min(k, len(pool)))
            comments = [(t + timedelta(hours=rng.expovariate(1 / 30)), p, 100 * n + j) for j, p in enumerate(commenters)]
            pingbacks = [(t + timedelta(days=rng.randint(1, 9)), rng.choice(["Tech Digest", "The Platform Letter",
                          "Open Leadership Weekly", "Data & People"]), 100 * n + 50 + j)
                         for j in range(rng.choice([0, 0, 1, 1, 2]))]
            posts.append({"id": 1000 + n, "at": t, "title": f"Notes on {topic}, part {n}", "link": link,
                          "topic": topic, "comments": comments, "pingbacks": pingbacks})
            t += timedelta(days=rng.randint(20, 40))
        api = f"{e.blog}/wp-json/wp/v2"
        for week in range(1, WEEKS + 1):
            run_at = START + timedelta(weeks=week) - timedelta(hours=3)
            obs = run_at + timedelta(minutes=5)
            visible = [p for p in posts if p["at"] <= run_at]
            window = [p for p in visible if p["at"] > run_at - LOOKBACK] if week > 1 else visible
            if not window:
                continue
            page = [self.wp_post(e, p) for p in sorted(window, key=lambda p: p["at"], reverse=True)]
            site = {"blog": e.blog, "site": e.blog}
            self.emit("wordpress", "posts", e.id, f"{api}/posts?per_page=100&orderby=date&order=desc&page=1", obs, page,
                      page=1, **site)
            for p in window:
                common = {**site, "post_url": p["link"], "wp_post_id": p["id"], "post_author": 1}
                comments = [self.wp_comment(e, p, c) for c in p["comments"] if c[0] <= run_at]
                self.emit("wordpress", "comments", e.id, f"{api}/comments?post={p['id']}&per_page=100&page=1", obs,
                          comments, page=1, **common)
                self.emit_text("wordpress", "comment_feed", e.id, p["link"] + "feed/", obs,
                               self.wp_comment_feed(e, p, run_at), rest_comment_ids=sorted(c["id"] for c in comments),
                               **common)

    def wp_post(self, e: Exec, p: dict) -> dict:
        body = (f"<p>Over the last month our teams kept returning to {p['topic']}. Three things stood out.</p>"
                f"<ul><li>Write it down.</li><li>Share it early.</li><li>Ask who is missing.</li></ul>")
        return {"id": p["id"], "date": p["at"].strftime("%Y-%m-%dT%H:%M:%S"), "date_gmt": p["at"].strftime("%Y-%m-%dT%H:%M:%S"),
                "guid": {"rendered": f"{e.blog}/?p={p['id']}"}, "modified": p["at"].strftime("%Y-%m-%dT%H:%M:%S"),
                "modified_gmt": p["at"].strftime("%Y-%m-%dT%H:%M:%S"), "slug": p["link"].rstrip("/").rsplit("/", 1)[1],
                "status": "publish", "type": "post", "link": p["link"], "title": {"rendered": p["title"]},
                "content": {"rendered": body, "protected": False}, "excerpt": {"rendered": body[:80], "protected": False},
                "author": 1, "featured_media": 0, "comment_status": "open", "ping_status": "open", "sticky": False,
                "template": "", "format": "standard", "meta": {"footnotes": ""}, "categories": [1], "tags": [],
                "class_list": ["post-" + str(p["id"]), "type-post", "status-publish"]}

    def wp_comment(self, e: Exec, p: dict, c: tuple) -> dict:
        at, person, cid = c
        return {"id": cid, "post": p["id"], "parent": 0, "author": 0, "author_name": person.name,
                "author_url": person.website or "", "date": at.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_gmt": at.strftime("%Y-%m-%dT%H:%M:%S"),
                "content": {"rendered": f"<p>Thank you, this is useful. We tried the same with {p['topic']}.</p>\n"},
                "link": f"{p['link']}#comment-{cid}", "status": "approved", "type": "comment",
                "author_avatar_urls": {"96": "https://secure.gravatar.com/avatar/0?s=96&d=mm&r=g"}, "meta": []}

    def wp_comment_feed(self, e: Exec, p: dict, until: datetime) -> str:
        items = []
        entries = [(at, person.name, cid) for at, person, cid in p["comments"] if at <= until]
        entries += [(at, name, cid) for at, name, cid in p["pingbacks"] if at <= until]
        for at, name, cid in sorted(entries):
            items.append(
                f"<item><title>By: {name}</title><link>{p['link']}#comment-{cid}</link>"
                f"<dc:creator><![CDATA[{name}]]></dc:creator><pubDate>{at:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
                f'<guid isPermaLink="false">{e.blog}/?p={p["id"]}#comment-{cid}</guid>'
                f"<description><![CDATA[[&#8230;] {e.name} on {p['topic']} [&#8230;]]]></description></item>")
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
                'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
                f"<title>Comments on: {p['title']}</title>"
                f'<atom:link href="{p["link"]}feed/" rel="self" type="application/rss+xml" />'
                f"<link>{p['link']}</link><description>{e.title}</description>"
                f"<lastBuildDate>{until:%a, %d %b %Y %H:%M:%S} +0000</lastBuildDate><sy:updatePeriod>hourly</sy:updatePeriod>"
                "<generator>https://wordpress.org/?v=6.6.2</generator>" + "".join(items) + "</channel></rss>")

    def emit_text(self, source: str, kind: str, exec_id: str, url: str, at: datetime, text: str, **params: object) -> None:
        self.records.append({"source": source, "kind": kind, "exec_id": exec_id, "url": url, "params": params,
                             "status": 200, "observed_at": at.isoformat(), "payload": text})

    def _events(self, post: dict, until: datetime, kind: str) -> list[tuple[datetime, Person, str]]:
        return sorted((ev for ev in post["events"] if ev[0] <= until and ev[2] == kind), key=lambda ev: ev[0])

    def _m_status(self, e: Exec, home: str, post: dict, until: datetime, me: dict) -> dict:
        sid = _snowflake(post["at"], post["n"])
        counts = {k: len(self._events(post, until, k)) for k in ("like", "repost", "reply")}
        tags = [post["topic"]] + SPHERES.get(post["topic"], ([], ["leadership"]))[1][:1]
        content = f"<p>Thoughts on {post['topic']} #{post['n']}: what we learned this week. " + " ".join(
            f'<a href="https://{home}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>' for t in tags) + "</p>"
        mentions = [{"id": "1", "username": p.mastodon.split("@")[0], "acct": p.mastodon,
                     "url": f"https://{p.mastodon.split('@')[1]}/@{p.mastodon.split('@')[0]}"}
                    for p in post.get("mentions", []) if p.mastodon]
        status = {
            "id": sid, "created_at": _iso(post["at"]), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": f"https://{home}/users/{e.mastodon.split('@')[0]}/statuses/{sid}",
            "url": f"https://{home}/@{e.mastodon.split('@')[0]}/{sid}",
            "replies_count": counts["reply"], "reblogs_count": counts["repost"], "favourites_count": counts["like"],
            "quotes_count": 0, "edited_at": None, "content": content, "reblog": None, "account": me,
            "media_attachments": [], "mentions": mentions,
            "tags": [{"name": t, "url": f"https://{home}/tags/{t}"} for t in tags], "emojis": [], "card": None, "poll": None,
        }
        if post["kind"] == "reply":
            status["in_reply_to_id"] = _snowflake(post["at"] - timedelta(hours=2), post["n"] + 7)
            status["in_reply_to_account_id"] = "9" + sid[-8:]
            status["content"] = f"<p>@{post['target'].mastodon.split('@')[0]} agreed — this matches what we see.</p>"
            status["mentions"] = [{"id": "9", "username": post["target"].mastodon.split("@")[0], "acct": post["target"].mastodon,
                                   "url": f"https://{post['target'].mastodon.split('@')[1]}/@x"}]
            status["replies_count"] = status["reblogs_count"] = status["favourites_count"] = 0
        if post["kind"] == "repost":
            orig = self._m_status(e, home, {**post, "kind": "original", "events": [], "mentions": []}, until, self.m_person(post["target"], home))
            orig["id"] = _snowflake(post["at"] - timedelta(hours=5), post["n"] + 3)
            orig["url"] = f"https://{post['target'].mastodon.split('@')[1]}/@{post['target'].mastodon.split('@')[0]}/{orig['id']}"
            orig["content"] = f"<p>A piece on {post['topic']} worth reading.</p>"
            status.update({"reblog": orig, "content": "", "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "tags": []})
        return status

    def mastodon_run(self, e: Exec, home: str, at: datetime, fresh: list, window: list, week: int, visible: list) -> None:
        base = f"https://{home}/api/v1"
        user = e.mastodon.split("@")[0]
        me = self.m_account(e.mastodon, home, name=e.name, note=e.title, followers=e.followers, created=START - timedelta(days=700),
                            hide=e.hide_collections, statuses=len(visible),
                            fields=[{"name": "Website", "value": f'<a href="https://{e.id}.example.com" rel="me">https://{e.id}.example.com</a>',
                                     "verified_at": _iso(START)}])
        acct_id = me["id"]
        common = {"instance": home, "exec_account_id": e.mastodon, "exec_numeric_id": acct_id}
        obs = at + timedelta(seconds=1)
        self.emit("mastodon", "account", e.id, f"{base}/accounts/lookup?acct={user}", obs, me, **common)
        statuses = [self._m_status(e, home, p, at, me) for p in sorted(fresh, key=lambda p: p["at"], reverse=True)]
        # refreshed posts in the lookback window come back through the statuses pages too (newest first, 40 a page)
        refreshed = [self._m_status(e, home, p, at, me) for p in sorted(window, key=lambda p: p["at"], reverse=True) if p not in fresh]
        pages = statuses + refreshed
        for i in range(0, max(len(pages), 1), 40):
            self.emit("mastodon", "statuses", e.id, f"{base}/accounts/{acct_id}/statuses?limit=40" + (f"&max_id={pages[i - 1]['id']}" if i else ""),
                      obs + timedelta(seconds=2 + i), pages[i: i + 40], **common)
        for k, p in enumerate(window):
            sid = _snowflake(p["at"], p["n"])
            for kind, endpoint in (("like", "favourited_by"), ("repost", "reblogged_by")):
                evs = self._events(p, at, kind)
                accounts = [self.m_person(pp, home) for _, pp, _ in reversed(evs)]
                for j in range(0, max(len(accounts), 1), 80):
                    self.emit("mastodon", endpoint, e.id, f"{base}/statuses/{sid}/{endpoint}?limit=80", obs + timedelta(seconds=100 + k),
                              accounts[j: j + 80], post_id=sid, **common)
            replies = []
            for j, (rt, pp, _) in enumerate(self._events(p, at, "reply")):
                rid = _snowflake(rt, j)
                replies.append({
                    "id": rid, "created_at": _iso(rt), "in_reply_to_id": sid, "in_reply_to_account_id": acct_id,
                    "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
                    "uri": f"https://{pp.mastodon.split('@')[1]}/users/x/statuses/{rid}", "url": None,
                    "replies_count": 0, "reblogs_count": 0, "favourites_count": 1, "edited_at": None,
                    "content": f"<p>@{user} great point about {p['topic']}!</p>", "reblog": None,
                    "account": self.m_person(pp, home), "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
                })
            self.emit("mastodon", "context", e.id, f"{base}/statuses/{sid}/context", obs + timedelta(seconds=200 + k),
                      {"ancestors": [], "descendants": replies}, post_id=sid, **common)
        if week % 4 == 0:  # followers monthly
            fl = [] if e.hide_collections else [self.m_person(p, home) for p in self.people[:e.followers // 6] if p.mastodon]
            for j in range(0, max(len(fl), 1), 80):
                self.emit("mastodon", "followers", e.id, f"{base}/accounts/{acct_id}/followers?limit=80", obs + timedelta(seconds=400 + j),
                          fl[j: j + 80], page=j // 80, followers_count=e.followers, **common)

    def _b_post(self, e: Exec, post: dict, until: datetime) -> dict:
        rkey = _tid(post["at"], post["n"])
        uri = f"at://{e.did}/app.bsky.feed.post/{rkey}"
        counts = {k: len(self._events(post, until, k)) for k in ("like", "repost", "reply", "quote")}
        record = {"$type": "app.bsky.feed.post", "createdAt": _iso(post["at"]), "langs": ["en"],
                  "text": f"On {post['topic']}: a note from this week (#{post['n']}) #{post['topic']}"}
        text_b = record["text"].encode()
        tag_at = text_b.rfind(b"#")
        record["facets"] = [{"index": {"byteStart": tag_at, "byteEnd": len(text_b)},
                             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": post["topic"]}]}]
        for p in post.get("mentions", []):
            if p.did:
                record["facets"].append({"index": {"byteStart": 0, "byteEnd": 2}, "features": [{"$type": "app.bsky.richtext.facet#mention", "did": p.did}]})
        view = {"uri": uri, "cid": _cid(self.rng), "author": self.b_actor(e), "record": record,
                "bookmarkCount": 0, "replyCount": counts["reply"], "repostCount": counts["repost"],
                "likeCount": counts["like"], "quoteCount": counts["quote"], "indexedAt": _iso(post["at"]), "labels": []}
        if post["n"] % 9 == 0:  # the AppView leaves optional counts out now and then: unknown, not zero
            del view["quoteCount"]
        return view

    def bluesky_run(self, e: Exec, at: datetime, fresh: list, window: list, week: int, visible: list) -> None:
        base = "https://public.api.bsky.app/xrpc"
        obs = at + timedelta(seconds=30)
        common = {"exec_did": e.did}
        if week == 1:
            self.emit("bluesky", "resolve_handle", e.id, f"{base}/com.atproto.identity.resolveHandle?handle={e.bluesky}", obs, {"did": e.did})
        self.emit("bluesky", "profile", e.id, f"{base}/app.bsky.actor.getProfile?actor={e.did}", obs, self.b_actor(e, profile=True) | {"followersCount": e.followers})
        items = []
        for p in sorted(fresh, key=lambda p: p["at"], reverse=True):
            if p["kind"] == "repost":
                target = p["target"]
                tview = {"uri": f"at://{target.did}/app.bsky.feed.post/{_tid(p['at'] - timedelta(hours=4), p['n'])}",
                         "cid": _cid(self.rng), "author": self.b_actor(target),
                         "record": {"$type": "app.bsky.feed.post", "createdAt": _iso(p["at"] - timedelta(hours=4)), "text": f"New essay on {p['topic']}"},
                         "replyCount": 3, "repostCount": 5, "likeCount": 20, "quoteCount": 0, "indexedAt": _iso(p["at"]), "labels": []}
                items.append({"post": tview, "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": self.b_actor(e), "indexedAt": _iso(p["at"])}})
                continue
            view = self._b_post(e, p, at)
            if p["kind"] == "reply":
                parent = f"at://{p['target'].did}/app.bsky.feed.post/{_tid(p['at'] - timedelta(hours=1), p['n'])}"
                view["record"]["reply"] = {"parent": {"uri": parent, "cid": _cid(self.rng)}, "root": {"uri": parent, "cid": _cid(self.rng)}}
            items.append({"post": view})
        self.emit("bluesky", "author_feed", e.id, f"{base}/app.bsky.feed.getAuthorFeed?actor={e.did}&limit=100", obs, {"feed": items, "cursor": _iso(at)}, **common)
        for k, p in enumerate(window):
            view = self._b_post(e, p, at)
            uri = view["uri"]
            o = obs + timedelta(seconds=10 + k)
            likes = [{"actor": self.b_actor(pp), "createdAt": _iso(t), "indexedAt": _iso(t)} for t, pp, _ in reversed(self._events(p, at, "like"))]
            self.emit("bluesky", "likes", e.id, f"{base}/app.bsky.feed.getLikes?uri={uri}&limit=100", o, {"uri": uri, "likes": likes}, uri=uri, **common)
            reposts = [self.b_actor(pp) for _, pp, _ in self._events(p, at, "repost")]
            self.emit("bluesky", "reposted_by", e.id, f"{base}/app.bsky.feed.getRepostedBy?uri={uri}&limit=100", o, {"uri": uri, "repostedBy": reposts}, uri=uri, **common)
            quotes = []
            for t, pp, _ in self._events(p, at, "quote"):
                quotes.append({"uri": f"at://{pp.did}/app.bsky.feed.post/{_tid(t, p['n'])}", "cid": _cid(self.rng), "author": self.b_actor(pp),
                               "record": {"$type": "app.bsky.feed.post", "createdAt": _iso(t), "text": f"This, from {e.name.split()[0]}:",
                                          "embed": {"$type": "app.bsky.embed.record", "record": {"uri": uri, "cid": view["cid"]}}},
                               "replyCount": 0, "repostCount": 0, "likeCount": 2, "quoteCount": 0, "indexedAt": _iso(t), "labels": []})
            self.emit("bluesky", "quotes", e.id, f"{base}/app.bsky.feed.getQuotes?uri={uri}&limit=100", o, {"uri": uri, "posts": quotes}, uri=uri, **common)
            replies = []
            for t, pp, _ in self._events(p, at, "reply"):
                ruri = f"at://{pp.did}/app.bsky.feed.post/{_tid(t, p['n'] + 1)}"
                replies.append({"$type": "app.bsky.feed.defs#threadViewPost", "replies": [], "post": {
                    "uri": ruri, "cid": _cid(self.rng), "author": self.b_actor(pp),
                    "record": {"$type": "app.bsky.feed.post", "createdAt": _iso(t), "text": "Well said.",
                               "reply": {"parent": {"uri": uri, "cid": view["cid"]}, "root": {"uri": uri, "cid": view["cid"]}}},
                    "replyCount": 0, "repostCount": 0, "likeCount": 1, "quoteCount": 0, "indexedAt": _iso(t), "labels": []}})
            if replies and k % 5 == 0:
                replies.append({"$type": "app.bsky.feed.defs#notFoundPost", "uri": f"at://{e.did}/app.bsky.feed.post/gone", "notFound": True})
            self.emit("bluesky", "thread", e.id, f"{base}/app.bsky.feed.getPostThread?uri={uri}&depth=10", o,
                      {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": replies}}, uri=uri, **common)
        if week % 4 == 0:
            fl = [self.b_actor(p) for p in self.people[: e.followers // 6] if p.did]
            for j in range(0, max(len(fl), 1), 100):
                self.emit("bluesky", "followers", e.id, f"{base}/app.bsky.graph.getFollowers?actor={e.did}&limit=100", obs + timedelta(seconds=300 + j),
                          {"subject": self.b_actor(e), "followers": fl[j: j + 100]}, page=j // 100)


def config_text() -> str:
    return '''# The demo programme: three fictional executives and their mentor (generated by influence/demo_data.py).
contact = "demo@influence-tracker.example"
lookback_days = 30

[[executives]]
id = "ada"
name = "Ada Lindqvist"
topics = ["ai", "opensource", "leadership"]
ties = "ties/ada.csv"
[executives.accounts]
mastodon = ["@ada@social.northwind.example"]
bluesky = ["adalindqvist.bsky.social"]
wordpress = ["https://ada.northwind.example"]

[[executives]]
id = "ben"
name = "Ben Okafor"
topics = ["leadership", "fintech"]
ties = "ties/ben.csv"
[executives.accounts]
mastodon = ["@ben@social.northwind.example"]

[[executives]]
id = "chloe"
name = "Chloé Martin"
topics = ["climate", "leadership"]
ties = "ties/chloe.csv"
[executives.accounts]
bluesky = ["chloemartin.bsky.social"]

[[mentors]]
id = "maria"
name = "Maria Santos"
mentees = ["ada", "ben"]
'''


def ties_csv(g: Generator, e: Exec) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "ring", "mastodon", "bluesky", "linkedin", "x", "website", "email", "since", "note"])
    for ring in ("team", "organisation", "met_in_person"):
        for i in e.ties[ring]:
            p = g.people_by_idx[i]
            w.writerow([p.name, ring, f"@{p.mastodon}" if p.mastodon else "", p.bluesky or "", "", "", "", "",
                        (START - timedelta(days=30 * (i % 40))).date().isoformat(), "met at a conference" if ring == "met_in_person" else ""])
    return buf.getvalue()


def generate(out: Path = DEMO_DIR) -> dict[str, int]:
    g = Generator()
    records = g.run()
    out.mkdir(parents=True, exist_ok=True)
    (out / "ties").mkdir(exist_ok=True)
    with gzip.GzipFile(out / "raw.jsonl.gz", "wb", mtime=0, compresslevel=9) as fh:
        for r in records:
            fh.write((json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n").encode())
    (out / "influence.toml").write_text(config_text(), encoding="utf-8")
    for e in g.execs:
        (out / "ties" / f"{e.id}.csv").write_text(ties_csv(g, e), encoding="utf-8")
    return {"records": len(records), "bytes": (out / "raw.jsonl.gz").stat().st_size}


if __name__ == "__main__":
    print(generate())
