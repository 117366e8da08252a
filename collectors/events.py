"""What a collector yields to the runner, and how a raw record is parsed with its registered parser.

A collector is a generator. It makes requests through the shared :class:`~collectors.http.Http` and yields:

- :class:`Fetched` — a response to store. The runner stores it first, then parses it with the registered parser and
  sends the parsed :class:`~collectors.records.Records` back into the generator (``parsed = yield Fetched(...)``),
  so the collector navigates (ids, times, counts) on validated data and a response of the wrong shape is stored
  for diagnosis before the error is raised.
- :class:`Checkpoint` — move a cursor. The runner flushes everything yielded before it to disk first.
- :class:`Progress` — for the progress bar.
- :class:`OptedOut` — the account asked not to be collected; the collector stops after yielding it.

Collectors never write to storage, print, sleep or keep state between runs; the runner passes them the cursors.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectors.http import Response, redact
from collectors.rawstore import RawRecord
from collectors.records import RawContext, Records
from collectors.registry import lookup


@dataclass(frozen=True)
class Fetched:
    record: RawRecord


@dataclass(frozen=True)
class Checkpoint:
    key: str
    value: Any


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    message: str


@dataclass(frozen=True)
class OptedOut:
    account: str
    reason: str


Event = Fetched | Checkpoint | Progress | OptedOut
# A collector: yields events, receives the parsed Records after each Fetched (None after the others).
Collector = Generator[Event, Records | None, None]


def raw_record(source: str, kind: str, exec_id: str, resp: Response, params: dict[str, Any]) -> RawRecord:
    """The response as a raw record: the body exactly as received, and the params the parser needs.

    The URL is stored without credentials (a password in a configured ``base_url``, a token parameter)."""
    return RawRecord(
        source=source,
        kind=kind,
        exec_id=exec_id,
        url=redact(resp.url),
        payload=resp.text,
        observed_at=datetime.now(UTC),
        params=params,
        status=resp.status,
    )


def parse_record(record: RawRecord) -> Records:
    """Parse a raw record exactly as the pipeline's load step will (params go through JSON, as stored)."""
    fn, how = lookup(record.source, record.kind)
    payload = json.loads(record.payload) if how == "json" else record.payload
    ctx = RawContext(
        source=record.source,
        kind=record.kind,
        exec_id=record.exec_id,
        url=record.url,
        params=json.loads(json.dumps(record.params, default=str)),
        observed_at=record.observed_at,
        status=record.status,
    )
    return fn(payload, ctx)
