"""The ties register: a CSV per executive saying who they know and in which ring.

Columns (header required, order free; only ``name`` and ``ring`` must be filled)::

    name,ring,mastodon,bluesky,linkedin,x,website,email,since,note
    Grace Hopper,team,@grace@hachyderm.io,grace.bsky.social,https://www.linkedin.com/in/grace,,https://grace.dev,,2023-01-15,

``ring`` is ``team``, ``organisation`` or ``met_in_person`` (everyone not in the register is ``digital_only``).
A cell may hold several handles separated by ``;``. Errors name the file, the line and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from influence.errors import ConfigError

TIE_RINGS = ("team", "organisation", "met_in_person")
HANDLE_COLUMNS = ("mastodon", "bluesky", "linkedin", "x", "website", "email")
COLUMNS = ("name", "ring", *HANDLE_COLUMNS, "since", "note")


@dataclass(frozen=True)
class Tie:
    line: int
    name: str
    ring: str
    handles: tuple[tuple[str, str], ...]  # (platform, handle)
    since: date | None
    note: str


def read_ties(path: Path) -> list[Tie]:
    if not path.exists():
        raise ConfigError(f"{path}: ties register not found", hint="create it (see README, 'Ties register') or remove 'ties' from the config")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save the CSV as UTF-8") from exc
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ConfigError(f"{path}: the file is empty", hint=f"start it with the header line: {','.join(COLUMNS)}") from None
    for i, h in enumerate(header):
        if h not in COLUMNS:
            raise ConfigError(f"{path}: line 1, column {i + 1}: unknown column '{h}'", hint=f"use: {','.join(COLUMNS)}")
    for required in ("name", "ring"):
        if required not in header:
            raise ConfigError(f"{path}: line 1: no '{required}' column", hint=f"start it with the header line: {','.join(COLUMNS)}")
    ties: list[Tie] = []
    for lineno, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ConfigError(f"{path}: line {lineno}: {len(cells)} cells but {len(header)} columns", hint="quote cells that contain commas")
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        col = {h: i + 1 for i, h in enumerate(header)}
        if not row["name"]:
            raise ConfigError(f"{path}: line {lineno}, column {col['name']} (name): empty", hint="every tie needs a name")
        if row["ring"] not in TIE_RINGS:
            raise ConfigError(
                f"{path}: line {lineno}, column {col['ring']} (ring): '{row['ring']}' is not a ring",
                hint=f"use one of: {', '.join(TIE_RINGS)} (people not listed are digital_only)",
            )
        since = None
        if row.get("since"):
            try:
                since = date.fromisoformat(row["since"])
            except ValueError:
                raise ConfigError(
                    f"{path}: line {lineno}, column {col['since']} (since): '{row['since']}' is not a date",
                    hint="write dates as YYYY-MM-DD",
                ) from None
        handles = []
        for platform in HANDLE_COLUMNS:
            for h in (row.get(platform) or "").split(";"):
                if h.strip():
                    handles.append((platform, normalize_handle(platform, h.strip())))
        ties.append(Tie(lineno, row["name"], row["ring"], tuple(handles), since, row.get("note", "")))
    return ties


def normalize_handle(platform: str, handle: str) -> str:
    """The form account ids take in the warehouse: Mastodon 'user@instance', Bluesky handle or DID, lower case."""
    h = handle.strip()
    if platform == "mastodon":
        return h.lstrip("@").lower()
    if platform in ("bluesky", "x"):
        return h.lstrip("@").lower() if not h.startswith("did:") else h
    if platform in ("linkedin", "website"):
        return h.rstrip("/").lower()
    return h.lower()
