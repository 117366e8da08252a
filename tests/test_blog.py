"""Blogs: real-world feeds from shared/real-samples/feeds, and a WordPress site served on a loopback server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from loopback import Loopback, Reply, Seen, json_reply
from test_linkedin import parse

from collectors.blog.collect import collect_blogs, comment_feed_url, discover_feed
from collectors.blog.parse import decode_feed, parse_feed
from collectors.http import Http
from collectors.rawstore import RawStore, new_run_id
from collectors.records import RawContext
from influence.config import Accounts, Executive
from influence.errors import ShapeError

FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "real-samples" / "feeds"
ALL_FEEDS = sorted(p.name for p in FEEDS.glob("*") if p.suffix in (".rss", ".atom"))


def ctx(url: str = "https://blog.example/feed/", **params: object) -> RawContext:
    return RawContext("blog", "feed", "ada", url, {"blog": "https://blog.example", **params}, datetime.now(UTC))


def parse_file(name: str) -> dict[str, list[dict]]:
    return parse_feed(decode_feed((FEEDS / name).read_bytes()), ctx()).rows


def test_samples_are_there() -> None:
    assert len(ALL_FEEDS) == 10, f"expected the shared feed samples in {FEEDS}"


@pytest.mark.parametrize("name", ALL_FEEDS)
def test_every_real_feed_gives_one_post_per_item(name: str) -> None:
    raw = (FEEDS / name).read_bytes()
    items = len(re.findall(rb"<(?:item|entry)[\s>]", raw))
    posts = parse_file(name)["posts"]
    assert len(posts) == items
    for p in posts:
        assert p["platform"] == "blog" and p["post_id"].startswith("http")
        assert p["url"] == p["post_id"]
        assert not re.search(r"<(p|div|br|span|a)\b[^>]*>", p["text"]), p["text"][:200]
        assert p["like_count"] is None  # feeds have no likes: unknown, not zero


def test_iso_8859_1_feed_decodes_accents() -> None:
    raw = (FEEDS / "encoding.rss").read_bytes()
    first_title = re.search(rb"<item>.*?<title>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</title>", raw, re.S).group(1)
    first_title = first_title.decode("iso-8859-1")
    posts = parse_file("encoding.rss")["posts"]
    assert posts[0]["title"] == first_title
    assert "Raríssimas" in posts[0]["title"]
    assert not any("\ufffd" in (p["title"] or "") + p["text"] for p in posts)


def test_feed_declared_utf8_but_latin1_still_decodes() -> None:
    posts = parse_file("uolNoticias.rss")["posts"]
    assert not any("\ufffd" in p["text"] + (p["title"] or "") for p in posts)
    # 'Seg, 24 Set 2018 19:42:40 -0300' (Portuguese day and month names) is 22:42:40 UTC
    assert posts[0]["created_at"] == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)


def test_thr_total_comment_counts_and_canonical_links() -> None:
    raw = (FEEDS / "many-links.rss").read_text(encoding="utf-8")
    expected = {
        m.group(2): int(m.group(1))
        for m in re.finditer(r"<thr:total>(\d+)</thr:total><feedburner:origLink>([^<]+)</feedburner:origLink>", raw)
    }
    assert len(expected) == 25
    posts = {p["post_id"]: p for p in parse_file("many-links.rss")["posts"]}
    assert {k: posts[k]["reply_count"] for k in expected} == expected  # post_id is the origLink, not feedproxy


def test_slash_comments_and_html_to_text() -> None:
    feed = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Ada's notes</title>
<link>https://blog.example</link>
<item><title>On &lt;b&gt;engines&lt;/b&gt;</title><link>https://blog.example/engines/</link>
<pubDate>Mon, 01 Jan 2024 10:00:00 +0100</pubDate><category>Computing</category>
<content:encoded><![CDATA[<p>First <b>para</b>.</p><script>alert(1)</script><p>Second&nbsp;para.</p>]]></content:encoded>
<slash:comments>7</slash:comments></item>
<item><title>No comments element</title><link>https://blog.example/quiet/</link></item>
</channel></rss>"""
    rows = parse_feed(feed, ctx())
    first, second = rows.rows["posts"]
    assert first["reply_count"] == 7 and second["reply_count"] is None
    assert first["text"] == "First para.\nSecond\xa0para." or first["text"] == "First para.\nSecond para."
    assert "alert" not in first["text"]
    assert first["created_at"] == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    assert json.loads(first["tags"]) == ["computing"]
    (blog,) = rows.rows["accounts"]
    assert blog["account_id"] == "https://blog.example" and blog["display_name"] == "Ada's notes"


def test_not_a_feed_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match="not an RSS or Atom feed"):
        parse_feed("this is not xml at all, just words", ctx())


def test_feed_discovery_and_comment_feed_url() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'
    assert discover_feed("https://ada.example/about/", page) == "https://ada.example/feed/"
    assert comment_feed_url("https://ada.example/2024/01/hello/") == "https://ada.example/2024/01/hello/feed/"
    assert comment_feed_url("https://ada.example/?p=12") == "https://ada.example/?p=12&feed=rss2"


# -- WordPress on a loopback server ---------------------------------------------------------------------------

BLOG_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"><channel><title>Ada</title>
<link>{base}</link><generator>https://wordpress.org/?v=6.4</generator>
<item><title>Hello</title><link>{base}/2024/01/hello/</link><pubDate>Tue, 02 Jan 2024 08:00:00 +0000</pubDate>
<description>Hello world</description><slash:comments>4</slash:comments></item>
</channel></rss>"""

COMMENT_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Comments on: Hello</title>
<item><title>By: Grace</title><link>{base}/2024/01/hello/#comment-5</link><dc:creator>Grace</dc:creator>
<pubDate>Wed, 03 Jan 2024 09:00:00 +0000</pubDate><guid isPermaLink="false">{base}/?p=1#comment-5</guid>
<description>Great post</description></item>
<item><title>By: Engines Weekly &#187; Links of the week</title><link>{base}/2024/01/hello/#comment-9</link>
<dc:creator>Engines Weekly &#187; Links of the week</dc:creator><pubDate>Thu, 04 Jan 2024 10:00:00 +0000</pubDate>
<guid isPermaLink="false">{base}/?p=1#comment-9</guid><description>[&#8230;] Ada wrote about engines [&#8230;]</description></item>
</channel></rss>"""


def wp_post(base: str, pid: int, slug: str) -> dict:
    return {"id": pid, "link": f"{base}/2024/01/{slug}/", "date_gmt": "2024-01-02T08:00:00", "author": 1,
            "title": {"rendered": slug.title()}, "content": {"rendered": f"<p>About {slug}</p>"}}


def wp_comment(base: str, cid: int, post: int, name: str, url: str, parent: int = 0, author: int = 0) -> dict:
    return {"id": cid, "post": post, "parent": parent, "author": author, "author_name": name, "author_url": url,
            "date_gmt": f"2024-01-03T0{cid}:00:00", "content": {"rendered": "<p>hi</p>"},
            "link": f"{base}/2024/01/hello/#comment-{cid}", "type": "comment"}


@pytest.fixture
def wp() -> Loopback:
    with Loopback() as srv:
        base = srv.url
        etag = '"feed-v1"'

        def blog_feed(req: Seen) -> Reply:
            if req.headers.get("if-none-match") == etag:
                return Reply(304, b"", {"ETag": etag})
            return Reply(200, BLOG_FEED.format(base=base).encode(), {"Content-Type": "application/rss+xml", "ETag": etag})

        def posts(req: Seen) -> Reply:
            page = int(req.params.get("page", "1"))
            body = [wp_post(base, 1, "hello")] if page == 1 else [wp_post(base, 2, "second")]
            return json_reply(body, headers={"X-WP-Total": "2", "X-WP-TotalPages": "2"})

        def comments(req: Seen) -> Reply:
            page = int(req.params.get("page", "1"))
            if req.params.get("post") != "1":
                return json_reply([], headers={"X-WP-Total": "0", "X-WP-TotalPages": "0"})
            body = (
                [wp_comment(base, 5, 1, "Grace", "https://grace.example/"),
                 wp_comment(base, 6, 1, "Alan", "", parent=5)]
                if page == 1
                else [wp_comment(base, 7, 1, "Ada", base, parent=6, author=1)]  # the executive answering
            )
            return json_reply(body, headers={"X-WP-Total": "3", "X-WP-TotalPages": "2"})

        def comment_feed(req: Seen) -> Reply:
            return Reply(200, COMMENT_FEED.format(base=base).encode(), {"Content-Type": "application/rss+xml"})

        srv.route("/feed/", blog_feed)
        srv.route("/wp-json/wp/v2/posts", posts)
        srv.route("/wp-json/wp/v2/comments", comments)
        srv.route("/2024/01/hello/feed/", comment_feed)  # /2024/01/second/feed/ answers 404: comments closed
        yield srv


class ConditionalClient:
    """The minimal client interface the blog collector needs: ``get(url, params=None, headers=None)``."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=5)

    def get(self, url: str, params: dict | None = None, headers: dict | None = None) -> httpx.Response:
        return self.client.get(url, params=params, headers=headers)


def run(data: Path, executive: Executive, client: object) -> dict[str, int]:
    store = RawStore(data / "raw")
    with store.writer(new_run_id()) as writer:
        return collect_blogs(executive, client, writer, store)


def all_tables(data: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in RawStore(data / "raw").records():
        for t, rows in parse(r).items():
            out.setdefault(t, []).extend(rows)
    return out


def test_wordpress_site_posts_comments_pingbacks(wp: Loopback, tmp_path: Path) -> None:
    base = wp.url
    executive = Executive(id="ada", name="Ada", accounts=Accounts(blogs=(f"{base}/feed/",)))
    with Http(contact="ops@example.org", timeout=5, backoff=0.01) as http:
        counts = run(tmp_path, executive, http)
    # WordPress was detected from the feed's generator: posts (2 pages), comments of post 1 (2 pages) and of
    # post 2 (1 page), one comment feed (post 2's answers 404)
    assert counts == {"feed": 1, "posts": 2, "comments": 3, "comment_feed": 1}
    assert [s.params["page"] for s in wp.hits("/wp-json/wp/v2/posts")] == ["1", "2"]

    t = all_tables(tmp_path)
    posts = {(p["post_id"], p["title"]) for p in t["posts"]}
    assert (f"{base}/2024/01/hello/", "Hello") in posts and (f"{base}/2024/01/second/", "Second") in posts
    assert {p["platform"] for p in t["posts"]} == {"blog"}
    feed_post = next(p for p in t["posts"] if p["reply_count"] is not None)
    assert feed_post["reply_count"] == 4

    comments = sorted((e for e in t["engagements"] if e["kind"] == "comment"), key=lambda e: e["engagement_key"])
    assert [e["account_id"] for e in comments] == ["https://grace.example", f"{base.lower()}#commenter:alan"]
    assert [e["depth"] for e in comments] == [1, 2]
    assert {e["post_id"] for e in comments} == {f"{base}/2024/01/hello/"}

    (pingback,) = [e for e in t["engagements"] if e["kind"] == "pingback"]
    assert pingback["post_id"] == f"{base}/2024/01/hello/"
    assert pingback["engaged_at"] == datetime(2024, 1, 4, 10, 0, tzinfo=UTC)
    web = [a for a in t["accounts"] if a["platform"] == "web"]
    assert [a["display_name"] for a in web] == ["Engines Weekly » Links of the week"]
    assert pingback["account_id"] == web[0]["account_id"]
    commenters = {a["account_id"]: a for a in t["accounts"] if a["platform"] == "blog"}
    assert commenters["https://grace.example"]["display_name"] == "Grace"


def test_unchanged_feed_costs_one_304_and_stores_nothing(wp: Loopback, tmp_path: Path) -> None:
    base = wp.url
    executive = Executive(id="ada", name="Ada", accounts=Accounts(blogs=(f"{base}/feed/",)))
    client = ConditionalClient()
    assert run(tmp_path, executive, client) == {"feed": 1, "posts": 2, "comments": 3, "comment_feed": 1}
    before = RawStore(tmp_path / "raw").count()
    wp.clear()
    counts = run(tmp_path, executive, client)
    feed_hits = wp.hits("/feed/")
    assert len(feed_hits) == 1 and feed_hits[0].headers.get("if-none-match") == '"feed-v1"'
    assert "feed" not in counts and "comment_feed" not in counts  # the unchanged comment feed is not stored either
    assert RawStore(tmp_path / "raw").count() == before + counts.get("posts", 0) + counts.get("comments", 0)


def test_unchanged_feed_without_validators_stores_nothing_new(tmp_path: Path) -> None:
    with Loopback() as srv:
        srv.route("/rss", lambda req: Reply(200, (FEEDS / "encoding.rss").read_bytes(),
                                            {"Content-Type": "application/rss+xml; charset=ISO-8859-1"}))
        executive = Executive(id="ada", name="Ada", accounts=Accounts(blogs=(f"{srv.url}/rss",)))
        with Http(contact="ops@example.org", timeout=5, backoff=0.01) as http:
            assert run(tmp_path, executive, http) == {"feed": 1}
            assert run(tmp_path, executive, http) == {}
    (record,) = RawStore(tmp_path / "raw").records()
    posts = parse(record)["posts"]
    assert len(posts) == 40 and "Raríssimas" in posts[0]["title"]
