"""Removing a person from stored responses: used by erasure and, for erased people, on every later append.

An identifier (DID, Mastodon address, handle, profile URL) is matched in its normalized form (lower case, no
leading '@', no scheme, no 'www.', no trailing '/'), either against the plain identifiers (erasure knows them) or
against their SHA-256 hashes (the suppression list keeps only hashes). In a JSON payload:
- an object that *is* the person (an account, actor or export row naming them) is removed;
- an object *about* the person (a status whose account, a like whose actor, a thread node whose post is theirs)
  is removed with it;
- in other text, their plain identifiers and display names are replaced by ``[erased]``.
A payload that is itself about the person (their profile) is dropped whole.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

ERASED = "[erased]"
IDENTITY_KEYS = ("did", "acct", "handle", "url", "uri", "author_url", "URL", "profile_url", "accountId", "userLink",
                 "screen_name", "account_id")
CONTAINER_KEYS = {"account", "actor", "author", "by", "subject", "post", "reblog", "quoted_status", "tweet", "follower",
                  "following", "connection"}
_DROP = object()
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://(www\.)?")


def normalize_id(value: str) -> str:
    v = value.strip().lower()
    v = _SCHEME.sub("", v).lstrip("@").rstrip("/")
    return v


def hash_id(value: str) -> str:
    return hashlib.sha256(normalize_id(value).encode()).hexdigest()


class Matcher:
    """Knows one or more people by their identifiers (plain) or by hashes of them (suppression list)."""

    def __init__(self, *, plain: Iterable[str] = (), hashes: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        self.plain = {normalize_id(p) for p in plain if p and p.strip()}
        self.hashes = set(hashes) | {hashlib.sha256(p.encode()).hexdigest() for p in self.plain}
        # literal strings to redact in free text: identifiers as written, and display names long enough to be theirs
        texts = set()
        for p in plain:
            if p and p.strip():
                texts.add(p.strip())
                texts.add(normalize_id(p))
        texts |= {n.strip() for n in names if n and len(n.strip()) >= 6}
        self._redact = (re.compile("|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True)), re.IGNORECASE)
                        if texts else None)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def is_id(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value) and hash_id(value) in self.hashes

    def redact(self, text: str) -> str:
        return self._redact.sub(ERASED, text) if self._redact else text

    # -- JSON ------------------------------------------------------------------------------------------------
    def _scrub(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            if any(self.is_id(obj.get(k)) for k in IDENTITY_KEYS):
                return _DROP
            out = {}
            for k, v in obj.items():
                nv = self._scrub(v)
                if nv is _DROP:
                    if k in CONTAINER_KEYS:
                        return _DROP
                    continue
                out[k] = nv
            return out
        if isinstance(obj, list):
            return [x for x in (self._scrub(v) for v in obj) if x is not _DROP]
        if isinstance(obj, str):
            return ERASED if self.is_id(obj) else self.redact(obj)
        return obj

    def scrub_payload(self, payload: str) -> str | None:
        """The payload without the person (None: the whole record is about them). Unchanged text is returned as is."""
        try:
            data = json.loads(payload)
        except ValueError:
            return self.redact(payload)  # feeds and other text: plain identifiers and names only
        if isinstance(data, dict) and any(self.is_id(data.get(k)) for k in IDENTITY_KEYS):
            return None
        scrubbed = self._scrub(data)
        if scrubbed is _DROP:
            return None
        if scrubbed == data:
            return payload
        return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
