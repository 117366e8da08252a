"""LinkedIn archive: reading its CSV files into rows, and parsing stored rows into observation tables.

Readers (``read_rows``) turn one export file into ``ExportRow``s; the importer stores each row as a raw record
(payload: the row as JSON, keyed by the file's own header names). Parsers (registered for source ``linkedin``)
read those rows back. Both header generations are handled by looking columns up without regard to case
(``SharedUrl`` / ``SharedURL``) and treating absent columns (older ``Connections.csv`` has no ``URL``) as unknown.

Times in the archive carry no zone; LinkedIn writes them in UTC, and they are read as UTC.
Raw record ``params``: ``exec_account_id`` (the executive's LinkedIn profile URL when configured), ``recovered``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from collectors.archive import ExportRow
from collectors.records import RawContext, Records
from collectors.registry import parser
from influence.errors import ArchiveError, ShapeError

PLATFORM = "linkedin"

# file name in the archive (lower case) -> raw record kind
FILES = {
    "connections.csv": "connection",
    "shares.csv": "share",
    "comments.csv": "comment",
    "reactions.csv": "reaction",
    "profile.csv": "profile",
}

# the first columns of each file's header, both generations (how a header is recognised)
_HEADER_START = {
    "connection": ("first name", "last name"),
    "share": ("date", "sharelink"),
    "comment": ("date", "link", "message"),
    "reaction": ("date", "type", "link"),
    "profile": ("first name", "last name"),
}

_RECORD_START = re.compile(r'^"?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?"?,')
_COMMENT_RECOVER = re.compile(r'^(?P<date>"[^"]*"|[^,]*),(?P<link>"[^"]*"|[^,]*),(?P<message>.*)$', re.DOTALL)
_URN = re.compile(r"urn(?::|%3A)li(?::|%3A)(activity|share|ugcPost|comment)(?::|%3A)(\d+)", re.IGNORECASE)
_HASHTAG = re.compile(r"(?:^|\s)#(\w+)", re.UNICODE)


# -- reading export files -----------------------------------------------------------------------------------


def read_rows(kind: str, name: str, stream: IO[str], archive: str = "") -> Iterator[ExportRow]:
    """Rows of one LinkedIn export file (``kind`` from ``FILES``), streamed."""
    if kind == "comment":
        yield from _read_comments(name, stream, archive)
        return
    reader = csv.reader(stream)
    header: list[str] | None = None
    start = _HEADER_START[kind]
    for fields in reader:
        line = reader.line_num
        if header is None:
            # Connections.csv opens with a preamble ("Notes:", a quoted note, a blank line) before its header
            if tuple(f.strip().lower() for f in fields[: len(start)]) == start:
                header = [f.strip() for f in fields]
            continue
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise ArchiveError(
                f"{archive}: {name} line {line}: {len(fields)} fields where the header has {len(header)}; "
                "nothing was imported",
                hint="the file was changed after download; import the archive exactly as LinkedIn produced it",
            )
        yield ExportRow(kind, name, dict(zip(header, fields, strict=True)), line)
    if header is None:
        raise ArchiveError(
            f"{archive}: {name} has no header starting '{','.join(start)}'; nothing was imported",
            hint="this is not a LinkedIn export file, or a newer format: report it with the file's first lines",
        )


def _read_comments(name: str, stream: IO[str], archive: str) -> Iterator[ExportRow]:
    """Comments.csv: quotes escaped as ``\\"``, commas left unquoted. A row that a strict CSV reader cannot read
    is recovered (date, link, then everything else is the message) and flagged, never dropped."""
    header_line = stream.readline()
    header = [h.strip() for h in next(csv.reader([header_line]), [])]
    if tuple(h.lower() for h in header[:3]) != _HEADER_START["comment"]:
        raise ArchiveError(
            f"{archive}: {name} has no header 'Date,Link,Message'; nothing was imported",
            hint="this is not a LinkedIn Comments.csv, or a newer format: report it with the file's first lines",
        )
    block: list[str] = []
    start_line = 0
    line_no = 1
    for line in stream:
        line_no += 1
        if _RECORD_START.match(line):
            if block:
                yield _comment_row(name, "".join(block), start_line, header, archive)
            block, start_line = [line], line_no
        elif block:
            block.append(line)
        elif line.strip():
            raise ArchiveError(
                f"{archive}: {name} line {line_no}: a row that does not start with a date; nothing was imported",
                hint="the file was changed after download; import the archive exactly as LinkedIn produced it",
            )
    if block:
        yield _comment_row(name, "".join(block), start_line, header, archive)


def _comment_row(name: str, text: str, line: int, header: list[str], archive: str) -> ExportRow:
    text = text.rstrip("\r\n")
    keys = (header + ["Date", "Link", "Message"][len(header) :])[:3]
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error:
        rows = []
    if len(rows) == 1 and len(rows[0]) == 3 and not any('\\"' in f for f in rows[0]):
        return ExportRow("comment", name, dict(zip(keys, rows[0], strict=True)), line)
    m = _COMMENT_RECOVER.match(text)
    if m is None:  # cannot happen once a row starts with a date and a comma; kept as a loud guard
        raise ArchiveError(f"{archive}: {name} line {line}: row cannot be read even leniently", hint="report it")
    message = m["message"]
    if len(message) >= 2 and message.startswith('"') and message.endswith('"') and not message.endswith('\\"'):
        message = message[1:-1].replace('""', '"')
    message = message.replace('\\"', '"').replace("\r\n", "\n")
    values = [m["date"].strip('"'), m["link"].strip('"'), message]
    return ExportRow("comment", name, dict(zip(keys, values, strict=True)), line, recovered=True)


# -- parsing stored rows ------------------------------------------------------------------------------------


def _get(row: dict[str, Any], *names: str) -> str | None:
    """A column by any of its names, ignoring case; '' and absent are both None."""
    lowered = {k.strip().lower(): v for k, v in row.items()}
    for n in names:
        v = lowered.get(n.lower())
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _row(payload: Any, ctx: RawContext) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ShapeError(f"linkedin {ctx.kind}: expected a row object from {ctx.url}", url=ctx.url, hint="report it")
    return payload


def _time(value: str | None, ctx: RawContext) -> datetime | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ShapeError(
        f"linkedin {ctx.kind}: date '{value}' in {ctx.url} is not 'YYYY-MM-DD HH:MM:SS'",
        url=ctx.url,
        hint="the export format changed; report it with this value",
    )


def _day(value: str | None, ctx: RawContext) -> date | None:
    if value is None:
        return None
    for fmt in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ShapeError(
        f"linkedin {ctx.kind}: 'Connected On' date '{value}' in {ctx.url} is not like '16 Jun 2021'",
        url=ctx.url,
        hint="the export format changed; report it with this value",
    )


def post_id_of(url: str | None) -> str | None:
    """``urn:li:activity:123`` from a LinkedIn post URL (encoded or not), else the URL itself."""
    if not url:
        return None
    m = _URN.search(url)
    return f"urn:li:{m.group(1)}:{m.group(2)}" if m else url


@parser(PLATFORM, "connection")
def parse_connection(payload: Any, ctx: RawContext) -> Records:
    row = _row(payload, ctx)
    rec = Records()
    name = " ".join(p for p in (_get(row, "First Name"), _get(row, "Last Name")) if p) or None
    url = _get(row, "URL", "Profile URL")
    rec.add(
        "connections",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        name=name,
        company=_get(row, "Company"),
        position=_get(row, "Position"),
        profile_url=url,
        account_id=url,
        direction="connection",
        connected_on=_day(_get(row, "Connected On"), ctx),
    )
    if url:
        rec.add("accounts", platform=PLATFORM, account_id=url, display_name=name, url=url)
    return rec


@parser(PLATFORM, "share")
def parse_share(payload: Any, ctx: RawContext) -> Records:
    row = _row(payload, ctx)
    link = _get(row, "ShareLink")
    text = _get(row, "ShareCommentary") or ""
    rec = Records()
    rec.add(
        "posts",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        post_id=post_id_of(link) or f"{ctx.url}#{_get(row, 'Date')}",
        author_account_id=ctx.params.get("exec_account_id"),
        url=link,
        created_at=_time(_get(row, "Date"), ctx),
        text=text.replace("\r\n", "\n"),
        kind="original",
        # the archive holds no engagement counts for the member's own posts: unknown, not zero
        like_count=None,
        repost_count=None,
        reply_count=None,
        quote_count=None,
        tags=json.dumps(sorted({t.lower() for t in _HASHTAG.findall(text)}), ensure_ascii=False),
    )
    return rec


@parser(PLATFORM, "comment")
def parse_comment(payload: Any, ctx: RawContext) -> Records:
    row = _row(payload, ctx)
    link = _get(row, "Link")
    at = _time(_get(row, "Date"), ctx)
    rec = Records()
    rec.add(
        "outbound",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        kind="comment",
        at=at,
        target_url=link,
        target_post_id=post_id_of(link),
        outbound_key=f"linkedin:comment:{link}:{at.isoformat() if at else ''}",
    )
    return rec


@parser(PLATFORM, "reaction")
def parse_reaction(payload: Any, ctx: RawContext) -> Records:
    row = _row(payload, ctx)
    link = _get(row, "Link")
    reaction = (_get(row, "Type") or "").upper()
    rec = Records()
    rec.add(
        "outbound",
        exec_id=ctx.exec_id,
        platform=PLATFORM,
        kind="reaction",  # LIKE, PRAISE, EMPATHY, INTEREST, ENTERTAINMENT: in outbound_key
        at=_time(_get(row, "Date"), ctx),
        target_url=link,
        target_post_id=post_id_of(link),
        outbound_key=f"linkedin:reaction:{reaction}:{link}",
    )
    return rec


def _list_field(value: str | None) -> list[str]:
    """``[COMPANY:https://a.example,PERSONAL:b.example]`` or ``a, b`` -> the values, type prefixes dropped."""
    if not value:
        return []
    out = []
    for part in value.strip().strip("[]").split(","):
        part = part.strip()
        m = re.match(r"^([A-Z_]+):(?!//)(.+)$", part)
        if m:
            part = m.group(2).strip()
        if part:
            out.append(part)
    return out


@parser(PLATFORM, "profile")
def parse_profile(payload: Any, ctx: RawContext) -> Records:
    row = _row(payload, ctx)
    rec = Records()
    account = ctx.params.get("exec_account_id")
    for site in _list_field(_get(row, "Websites")):
        url = site if re.match(r"^[a-z]+://", site, re.IGNORECASE) else f"https://{site}"
        rec.add(
            "identity_links",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            account_id=account,
            link_kind="website",
            value=url,
            verified=False,
        )
    for handle in _list_field(_get(row, "Twitter Handles")):
        rec.add(
            "identity_links",
            exec_id=ctx.exec_id,
            platform=PLATFORM,
            account_id=account,
            link_kind="twitter",
            value=handle.lstrip("@").lower(),
            verified=False,
        )
    return rec
