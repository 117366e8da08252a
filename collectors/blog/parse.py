"""Pure parsers for blogs: RSS / Atom feeds (source ``blog``), WordPress REST posts and comments and per-post
comment feeds (source ``wordpress``).

Every blog post, from a plain feed or from WordPress, is a post on platform ``blog`` whose ``post_id`` is its
canonical link (FeedBurner's ``origLink`` when the feed is proxied). The executive's blog is an account on
platform ``blog`` identified by the configured blog URL. Commenters are accounts on platform ``blog`` identified
by their URL (or, without one, by their name on that site). A pingback is another site citing a post: an
engagement of kind ``pingback`` by an account on platform ``web`` (the citing site).

Feeds are stored as text (decoded once, at collection, by :func:`decode_feed`) and handed to feedparser as UTF-8.

Raw record ``params``: ``blog`` (the configured URL) always; ``site`` (WordPress root); ``post_url`` and
``wp_post_id`` (comments, comment_feed); ``post_author`` (comments: the WordPress user id of the post's author,
whose own replies are not engagement); ``rest_comment_ids`` (comment_feed: the ids the REST API returned, so that
what is left in the feed is a pingback or trackback).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import feedparser

from collectors.records import RawContext, Records, require
from collectors.registry import parser
from collectors.text import html_to_text, parse_time
from influence.errors import ShapeError

PLATFORM = "blog"
WEB = "web"

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']", re.I)
_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._\-]+)([\"'])", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._\-]+)", re.I)
_COMMENT_ID = re.compile(r"(?:#comment-|[?&]replytocom=|[?&]p=\d+#comment-)(\d+)")


# -- decoding ----------------------------------------------------------------------------------------------


def decode_feed(body: bytes, content_type: str | None = None) -> str:
    """A feed's bytes as text: the HTTP charset, else the XML declaration, else a BOM, else UTF-8, else
    windows-1252 (a superset of ISO-8859-1 that decodes any byte). A declared encoding that does not decode the
    bytes (a feed that says UTF-8 and is Latin-1) is skipped, not trusted."""
    candidates: list[str] = []
    if content_type and (m := _CHARSET.search(content_type)):
        candidates.append(m.group(1))
    if m := _XML_DECL.match(body):
        candidates.append(m.group(1).decode("ascii"))
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            candidates.insert(0, enc)
    candidates += ["utf-8", "windows-1252"]
    for enc in candidates:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("latin-1")  # unreachable in practice: windows-1252 decodes almost all bytes


def parse_feed_text(text: str, ctx: RawContext | None = None) -> Any:
    """feedparser's result for a stored feed; raises ShapeError when the text is not a feed at all."""
    # the text is already decoded: say so in the XML declaration, then let feedparser read UTF-8 bytes
    utf8 = _XML_DECL_TEXT.sub(lambda m: m.group(1) + "utf-8" + m.group(3), text, count=1)
    result = feedparser.parse(io.BytesIO(utf8.encode("utf-8")), sanitize_html=False, resolve_relative_uris=False)
    if not result.entries and not result.feed and not result.get("version"):
        url = ctx.url if ctx else ""
        detail = result.get("bozo_exception")
        raise ShapeError(
            f"blog: {url or 'the document'} is not an RSS or Atom feed ({detail or 'no feed elements'})",
            url=url or None,
            hint="check the blog's feed address in influence.toml (often <site>/feed/ or <site>/rss)",
        )
    return result


# -- helpers -----------------------------------------------------------------------------------------------


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime(*value[:6], tzinfo=UTC)  # feedparser's *_parsed are UTC


_MONTHS = {
    # English, Portuguese, Spanish, German, French abbreviations, as feeds in the wild write them
    **{m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])},
    **{m: i + 1 for i, m in enumerate(["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"])},
    "ene": 1, "dic": 12, "mär": 3, "mrz": 3, "okt": 10, "janv": 1, "févr": 2, "fév": 2, "mars": 3, "avr": 4,
    "juin": 6, "juil": 7, "août": 8, "aoû": 8, "sept": 9, "déc": 12,
}
_LOOSE_DATE = re.compile(
    r"(\d{1,2})\s+([^\W\d_]+)\.?\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([+-])(\d{2}):?(\d{2})|GMT|UTC|Z)?"
)


def loose_date(value: str | None) -> datetime | None:
    """An RFC-822-like date with month names in another language (``Seg, 24 Set 2018 19:42:40 -0300``), which
    feedparser leaves unparsed; None when it still cannot be read."""
    if not value:
        return None
    m = _LOOSE_DATE.search(value)
    if not m:
        return None
    month = _MONTHS.get(m.group(2).lower()) or _MONTHS.get(m.group(2).lower()[:3])
    if not month:
        return None
    try:
        dt = datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), int(m.group(5)), int(m.group(6) or 0),
                      tzinfo=UTC)
    except ValueError:
        return None
    if m.group(7):
        offset = timedelta(hours=int(m.group(8)), minutes=int(m.group(9)))
        dt = dt - offset if m.group(7) == "+" else dt + offset
    return dt


def _entry_time(entry: Any) -> datetime | None:
    with warnings.catch_warnings():  # feedparser warns about its updated -> published fallback
        warnings.simplefilter("ignore", DeprecationWarning)
        return (
            _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
            or loose_date(entry.get("published"))
            or loose_date(entry.get("updated"))
        )


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def normalize_url(url: str | None) -> str | None:
    """A URL as an account id: scheme and host lower case, no fragment, no trailing slash on the path."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.\-]*://", url, re.I):
        url = "http://" + url
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def site_of(url: str | None) -> str | None:
    """``https://example.org`` for any URL on that site."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else "http://" + url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else None


def _entry_link(entry: Any) -> str | None:
    return entry.get("feedburner_origlink") or entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)


def _entry_html(entry: Any) -> str:
    for c in entry.get("content") or []:
        if c.get("value"):
            return str(c["value"])
    return str(entry.get("summary") or entry.get("description") or "")


_TAG = re.compile(r"<(?:p|div|br|a|span|table|img|ul|li|!--)\b[^>]*>", re.I)


def clean_text(html: str | None) -> str:
    """Visible text of an entry's HTML. Some feeds (reddit's) escape their HTML twice: what is left looking like
    markup after one pass is read once more."""
    text = html_to_text(html)
    if _TAG.search(text):
        text = html_to_text(text)
    return text


def _comment_count(entry: Any) -> int | None:
    for key in ("slash_comments", "thr_total"):
        if entry.get(key) not in (None, ""):
            return _int(entry.get(key))
    return None


def _rendered(obj: Any, key: str) -> str:
    v = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(v, dict):
        v = v.get("rendered")
    return str(v or "")


def _gmt(value: Any) -> datetime | None:
    """WordPress ``date_gmt`` (no zone, UTC) as aware UTC."""
    if not value:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        return None


# -- parsers -----------------------------------------------------------------------------------------------


@parser(PLATFORM, "feed", payload="text")
def parse_feed(payload: Any, ctx: RawContext) -> Records:
    """One fetch of a blog's RSS / Atom feed: the blog as an account, each entry as a post."""
    result = parse_feed_text(str(payload), ctx)
    blog = ctx.params.get("blog") or ctx.url
    blog_id = normalize_url(blog)
    rec = Records()
    feed = result.feed
    rec.add(
        "accounts",
        platform=PLATFORM,
        account_id=blog_id,
        display_name=html_to_text(feed.get("title")) or None,
        url=feed.get("link") or blog,
        bio=html_to_text(feed.get("subtitle")) or None,
    )
    for entry in result.entries:
        link = _entry_link(entry)
        if not link:
            continue  # an entry without any link cannot be identified; feeds in the wild do this for ads
        tags = sorted({str(t.get("term", "")).strip().lower() for t in entry.get("tags") or []} - {""})
        rec.add(
            "posts",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=link,
            author_account_id=blog_id,
            url=link,
            created_at=_entry_time(entry),
            text=clean_text(_entry_html(entry)),
            title=html_to_text(entry.get("title")) or None,
            kind="original",
            reply_count=_comment_count(entry),  # slash:comments / thr:total; None where the feed has none
            tags=json.dumps(tags, ensure_ascii=False),
        )
    return rec


@parser("wordpress", "posts")
def parse_wp_posts(payload: Any, ctx: RawContext) -> Records:
    """A page of ``/wp-json/wp/v2/posts``."""
    if not isinstance(payload, list):
        raise ShapeError(f"wordpress posts: expected a list from {ctx.url}", url=ctx.url,
                         hint="the site's REST API answered something else; check the WordPress address")
    blog_id = normalize_url(ctx.params.get("blog") or ctx.params.get("site"))
    rec = Records()
    for post in payload:
        link = require(post, "link", ctx, "post")
        rec.add(
            "posts",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=link,
            author_account_id=blog_id,
            url=link,
            created_at=_gmt(post.get("date_gmt")) or _gmt(post.get("date")),
            text=clean_text(_rendered(post, "content")),
            title=html_to_text(_rendered(post, "title")) or None,
            kind="original",
            reply_count=None,  # the REST API gives no comment count: the feed's slash:comments does
        )
    return rec


def commenter_id(name: str | None, url: str | None, site: str | None) -> str:
    """A commenter's account id: their URL, or their name on this site when they gave none."""
    return normalize_url(url) or f"{site_of(site) or ''}#commenter:{(name or 'anonymous').strip().lower()}"


@parser("wordpress", "comments")
def parse_wp_comments(payload: Any, ctx: RawContext) -> Records:
    """A page of ``/wp-json/wp/v2/comments?post=ID``: comments (and, if shown, pingbacks) on one post."""
    if not isinstance(payload, list):
        raise ShapeError(f"wordpress comments: expected a list from {ctx.url}", url=ctx.url,
                         hint="the site's REST API answered something else; check the WordPress address")
    site = ctx.params.get("site") or site_of(ctx.url)
    post_url = ctx.params.get("post_url")
    post_author = _int(ctx.params.get("post_author"))
    parents = {_int(c.get("id")): _int(c.get("parent")) for c in payload if isinstance(c, dict)}
    rec = Records()
    for c in payload:
        cid = require(c, "id", ctx, "comment")
        if post_author and _int(c.get("author")) == post_author:
            continue  # the executive answering on their own blog
        kind = "pingback" if c.get("type") in ("pingback", "trackback") else "comment"
        name = c.get("author_name")
        url = c.get("author_url") or None
        aid = normalize_url(url) if kind == "pingback" else commenter_id(name, url, site)
        platform = WEB if kind == "pingback" else PLATFORM
        rec.add("accounts", platform=platform, account_id=aid or commenter_id(name, None, site),
                display_name=name or None, url=url)
        depth: int | None = 1
        parent = _int(c.get("parent"))
        seen: set[int | None] = set()
        while parent:
            if parent not in parents or parent in seen:
                depth = None  # the chain leaves this page: unknown
                break
            seen.add(parent)
            depth = (depth or 0) + 1
            parent = parents[parent]
        rec.add(
            "engagements",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=post_url or normalize_url(c.get("link", "").split("#")[0]),
            account_id=aid or commenter_id(name, None, site),
            account_platform=platform,
            kind=kind,
            engaged_at=_gmt(c.get("date_gmt")) or _gmt(c.get("date")),
            engagement_key=f"{site_of(site)}#comment-{cid}",
            depth=depth if kind == "comment" else None,
        )
    return rec


@parser("wordpress", "comment_feed", payload="text")
def parse_comment_feed(payload: Any, ctx: RawContext) -> Records:
    """``<permalink>/feed/``: every approved response to one post, pingbacks included (the logged-out REST API
    hides them). Items the REST API did not return (``rest_comment_ids``) are pingbacks or trackbacks."""
    result = parse_feed_text(str(payload), ctx)
    site = ctx.params.get("site") or site_of(ctx.params.get("post_url"))
    post_url = ctx.params.get("post_url")
    known = {int(i) for i in ctx.params.get("rest_comment_ids") or []}
    rec = Records()
    for entry in result.entries:
        ref = " ".join(str(entry.get(k) or "") for k in ("id", "guid", "link"))
        m = _COMMENT_ID.search(ref)
        cid = int(m.group(1)) if m else None
        if cid is not None and cid in known:
            continue  # an ordinary comment, already stored from the REST API
        name = entry.get("author") or html_to_text(entry.get("title", "")).removeprefix("By: ").strip() or None
        detail = entry.get("author_detail") or {}
        citing_url = detail.get("href") or None
        site_id = site_of(citing_url) or f"web#{(name or 'unknown').strip().lower()}"
        rec.add("accounts", platform=WEB, account_id=site_id, display_name=name, url=citing_url or None)
        key = f"{site_of(site)}#comment-{cid}" if cid is not None else f"pingback:{entry.get('id') or entry.get('link')}"
        rec.add(
            "engagements",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            post_id=post_url,
            account_id=site_id,
            account_platform=WEB,
            kind="pingback",
            engaged_at=_entry_time(entry),
            engagement_key=key,
        )
    return rec
