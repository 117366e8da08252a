"""X / Twitter archive: reading its ``window.YTD.<name>.partN = [...]`` files, and parsing the stored rows.

Files read (``data/`` in the archive): ``tweets.js`` (older archives: ``tweet.js``) and its ``-partN`` siblings as
listed in ``manifest.js``; ``follower.js``; ``following.js``; ``account.js`` (the executive's own account id and
handle, needed to tell their own threads from replies to others). Every number in the archive is a string.

Accounts are identified by X's numeric id (``id_str`` / ``accountId``): handles change, ids do not.
Raw record ``params``: ``exec_account_id`` and ``exec_handle`` (from ``account.js`` when present).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from collectors.archive import ExportRow
from collectors.records import RawContext, Records, as_count, require
from collectors.registry import parser
from influence.errors import ArchiveError, ShapeError

PLATFORM = "x"

# data file stem -> raw record kind (part files: '<stem>-part<N>.js')
FILES = {
    "tweets": "tweet",
    "tweet": "tweet",
    "follower": "follower",
    "following": "following",
    "account": "account",
}
_FILE = re.compile(r"^(?P<stem>[a-z\-]+?)(?:-part(?P<part>\d+))?\.js$", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*window\.(?:YTD\.[A-Za-z0-9_\-]+\.part\d+|__THAR_CONFIG)\s*=\s*", re.ASCII)
_STATUS_URL = re.compile(r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:[A-Za-z0-9_]+|i/web)/status(?:es)?/(\d+)")
CHUNK = 256 * 1024
_PRIVATE = ("email", "phoneNumber", "createdVia")  # account.js fields that are not needed and not stored


def data_file(name: str) -> tuple[str, int] | None:
    """``('tweet', 2)`` for ``data/tweets-part2.js``; None for a file that is not one we read."""
    base = name.rsplit("/", 1)[-1]
    m = _FILE.match(base)
    if not m or m["stem"].lower() not in FILES:
        return None
    return FILES[m["stem"].lower()], int(m["part"] or 0)


def read_manifest(stream: IO[str], archive: str = "") -> dict[str, list[str]]:
    """``manifest.js``: data type -> the files that hold it (``{"tweets": ["data/tweets.js", ...]}``)."""
    text = stream.read(16 * 1024 * 1024)
    m = _PREFIX.match(text)
    body = text[m.end() :] if m else text
    try:
        config = json.loads(body.strip().rstrip(";"))
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            f"{archive}: data/manifest.js is not readable ({exc.msg} at {exc.pos}); nothing was imported",
            hint="download the archive again from X",
        ) from exc
    out: dict[str, list[str]] = {}
    types = config.get("dataTypes", {}) if isinstance(config, dict) else {}
    for dtype, spec in types.items():
        files = spec.get("files", []) if isinstance(spec, dict) else []
        out[dtype] = [f["fileName"] for f in files if isinstance(f, dict) and f.get("fileName")]
    return out


def read_rows(kind: str, name: str, stream: IO[str], archive: str = "") -> Iterator[ExportRow]:
    """The objects of one ``window.YTD...`` file, streamed one at a time (the file is never read whole)."""
    decoder = json.JSONDecoder()
    buf = stream.read(CHUNK)
    while len(buf) < 4096 and "[" not in buf:
        more = stream.read(CHUNK)
        if not more:
            break
        buf += more
    m = _PREFIX.match(buf)
    if not m or buf[m.end() : m.end() + 1] != "[":
        raise ArchiveError(
            f"{archive}: {name} does not start with 'window.YTD.<name>.part<N> = ['; nothing was imported",
            hint="this is not an X archive data file, or a newer format: report it with the file's first line",
        )
    pos = m.end() + 1
    eof = False
    index = 0

    def bad(detail: str) -> ArchiveError:
        return ArchiveError(
            f"{archive}: {name} is damaged after {index} entries ({detail}); nothing was imported",
            hint="the file was cut short or edited; download the archive again from X",
        )

    while True:
        # skip separators
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if pos < len(buf) or eof:
                break
            buf, pos = stream.read(CHUNK), 0
            eof = not buf
        if pos >= len(buf):
            raise bad("the closing ']' is missing")
        if buf[pos] == "]":
            return
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if eof:
                    raise bad(exc.msg) from exc
                more = stream.read(CHUNK)
                if not more:
                    eof = True
                buf = buf[pos:] + more
                pos = 0
        if not isinstance(obj, dict):
            raise bad("an entry is not an object")
        if kind == "account":
            inner = obj.get("account")
            if isinstance(inner, dict):
                obj = {"account": {k: v for k, v in inner.items() if k not in _PRIVATE}}
        yield ExportRow(kind, name, obj, index + 1)
        index += 1
        pos = end
        if pos > CHUNK:
            buf, pos = buf[pos:], 0


# -- parsing stored rows ------------------------------------------------------------------------------------


def _time(value: Any, ctx: RawContext) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        raise ShapeError(
            f"x {ctx.kind}: created_at '{value}' in {ctx.url} is not like 'Thu Nov 03 08:50:26 +0000 2022'",
            url=ctx.url,
            hint="the archive format changed; report it with this value",
        ) from None


def status_url(handle: str | None, status_id: str) -> str:
    return f"https://x.com/{handle}/status/{status_id}" if handle else f"https://x.com/i/web/status/{status_id}"


@parser(PLATFORM, "tweet")
def parse_tweet(payload: Any, ctx: RawContext) -> Records:
    """A tweet of the executive: a post; a retweet is also an outbound repost, a reply to someone else an
    outbound reply; mentioned accounts become accounts."""
    tweet = payload.get("tweet", payload) if isinstance(payload, dict) else payload
    tid = str(require(tweet, "id_str", ctx, "tweet"))
    text = html.unescape(str(tweet.get("full_text") or tweet.get("text") or ""))
    exec_account = ctx.params.get("exec_account_id")
    exec_handle = ctx.params.get("exec_handle")
    created = _time(tweet.get("created_at"), ctx)
    entities = tweet.get("entities") or {}
    mentions = [m for m in entities.get("user_mentions") or [] if isinstance(m, dict) and m.get("id_str")]
    tags = sorted({str(h.get("text", "")).lower() for h in entities.get("hashtags") or [] if isinstance(h, dict)} - {""})
    rec = Records()
    for m in mentions:
        if m["id_str"] != "-1":
            rec.add("accounts", platform=PLATFORM, account_id=m["id_str"], handle="@" + str(m.get("screen_name", "")),
                    display_name=m.get("name"), url=f"https://x.com/{m.get('screen_name')}")
    reply_to = tweet.get("in_reply_to_status_id_str") or None
    reply_user = tweet.get("in_reply_to_user_id_str") or None
    reply_handle = tweet.get("in_reply_to_screen_name") or None
    is_retweet = text.startswith("RT @")
    quoted = None
    if not is_retweet:
        for u in entities.get("urls") or []:
            hit = _STATUS_URL.match(str((u or {}).get("expanded_url") or ""))
            if hit and hit.group(1) != tid:
                quoted = hit.group(1)
                break
    if is_retweet:
        kind = "repost"
    elif reply_to:
        kind = "reply"
    elif quoted:
        kind = "quote"
    else:
        kind = "original"
    retweeted_account = None
    if is_retweet:
        handle = text[4:].split(":", 1)[0].strip()
        for m in mentions:
            if str(m.get("screen_name", "")).lower() == handle.lower():
                retweeted_account = m["id_str"]
        if retweeted_account is None and mentions:
            retweeted_account = mentions[0]["id_str"]
    rec.add(
        "posts",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        post_id=tid,
        author_account_id=exec_account,
        url=status_url(exec_handle, tid),
        created_at=created,
        text=text,
        kind=kind,
        reply_to_post_id=reply_to,
        reply_to_account_id=reply_user,
        quoted_post_id=quoted,
        # a retweet in the archive has no counts of its own (both '0'): unknown, not zero
        like_count=None if is_retweet else as_count(tweet.get("favorite_count")),
        repost_count=None if is_retweet else as_count(tweet.get("retweet_count")),
        reply_count=None,  # not in the archive
        quote_count=None,
        tags=json.dumps(tags, ensure_ascii=False),
        mentions=json.dumps([m["id_str"] for m in mentions]),
    )
    if is_retweet:
        rec.add("outbound", exec_id=ctx.exec_id, platform=PLATFORM, kind="repost", at=created,
                target_account_id=retweeted_account, outbound_key=f"x:repost:{tid}")
    elif reply_to and (reply_user is None or reply_user != exec_account):
        rec.add("outbound", exec_id=ctx.exec_id, platform=PLATFORM, kind="reply", at=created,
                target_url=status_url(reply_handle, reply_to), target_post_id=reply_to,
                target_account_id=reply_user, outbound_key=f"x:reply:{tid}")
    if quoted:
        rec.add("outbound", exec_id=ctx.exec_id, platform=PLATFORM, kind="quote", at=created,
                target_url=status_url(None, quoted), target_post_id=quoted, outbound_key=f"x:quote:{tid}")
    return rec


@parser(PLATFORM, "follower", "following")
def parse_follow(payload: Any, ctx: RawContext) -> Records:
    entry = require(payload, ctx.kind, ctx)
    account = str(require(entry, "accountId", ctx, ctx.kind))
    rec = Records()
    rec.add(
        "connections",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        account_id=account,
        profile_url=entry.get("userLink"),
        direction=ctx.kind,
    )
    return rec


@parser(PLATFORM, "account")
def parse_account(payload: Any, ctx: RawContext) -> Records:
    acc = require(payload, "account", ctx)
    aid = str(require(acc, "accountId", ctx, "account"))
    username = acc.get("username")
    rec = Records()
    rec.add("accounts", platform=PLATFORM, account_id=aid, handle=f"@{username}" if username else None,
            display_name=acc.get("accountDisplayName"), url=f"https://x.com/{username}" if username else None)
    return rec
