"""The raw store: every API response and every imported export row, stored before it is parsed.

Layout under ``<data-dir>/raw/``::

    source=<source>/month=<YYYY-MM>/<run_id>-<seq>.parquet   one segment: a batch of raw records
    cursors.json                                              where each incremental stream stopped
    runs/<run_id>.json                                        what each run did (summary, errors)

A segment is written to a temporary file, flushed to disk and renamed into place: a crash in the middle of a
write leaves at most a ``*.tmp`` file that readers ignore, never a damaged segment. Segments are never modified
afterwards, except by erasure of a person (``rewrite_segments``), which writes the new segment aside and renames it
over the old one. ``influence model`` rebuilds everything from these files without the network.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from collectors.scrub import Matcher
from influence.errors import StoreError

SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("run_id", pa.string()),
        ("source", pa.string()),  # mastodon | bluesky | blog | wordpress | linkedin | x
        ("kind", pa.string()),  # what was asked for: statuses, favourited_by, author_feed, connections, ...
        ("exec_id", pa.string()),  # the executive whose collection or import produced it
        ("url", pa.string()),  # the URL requested, or the file inside an archive
        ("params", pa.string()),  # JSON: request parameters and context the parser needs
        ("status", pa.int32()),  # HTTP status (0 for archive rows)
        ("observed_at", pa.timestamp("us", tz="UTC")),
        ("payload", pa.large_string()),  # the body exactly as received (text), or the export row as JSON
    ]
)


@dataclass(frozen=True)
class RawRecord:
    source: str
    kind: str
    exec_id: str
    url: str
    payload: str
    observed_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    status: int = 200

    def __post_init__(self) -> None:
        if self.observed_at.tzinfo is None:
            raise StoreError(f"raw record from {self.url}: observed_at must carry a time zone (UTC)")


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def fsync_path(path: Path) -> None:
    """``path`` (a file, or a directory: its entries) written to disk, as far as the system lets: a path that cannot
    be opened or synced is left as it is (the caller's next write or sync reports a failing disk)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _written_aside(path: Path, data: bytes) -> Path:
    """``data`` in a new temporary file beside ``path``, on disk. A write that fails (a full disk) removes the
    partial file rather than leave it holding the room, and raises a StoreError naming ``path``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}",
                             hint="free some space on its disk, or check its permissions, and try again") from exc
        raise
    return tmp


def write_new(path: Path, data: bytes) -> None:
    """Like ``write_atomic``, but never replaces an existing file: raises FileExistsError instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _written_aside(path, data)
    try:
        os.link(tmp, path)  # atomic, and fails if the name is taken
    finally:
        os.unlink(tmp)
    fsync_path(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_written_aside(path, data), path)
    fsync_path(path.parent)


class RawStore:
    """Append-only store of raw records under ``root`` (normally ``<data-dir>/raw``)."""

    def __init__(self, root: str | os.PathLike[str], *, suppressed: frozenset[str] | None = None) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._suppressed = suppressed
        self._matcher: Matcher | None = None
        self.suppressed_records = 0  # records dropped or scrubbed because they are about an erased person

    def _suppression(self) -> Matcher:
        """Erased people (hashes from the state store beside the raw store): honoured on every append."""
        if self._matcher is None:
            hashes = self._suppressed
            if hashes is None:
                from influence.state import StateStore

                hashes = StateStore(self.root.parent).suppressed_hashes()
            self._matcher = Matcher(hashes=hashes)
        return self._matcher

    # -- writing ---------------------------------------------------------------------------------------------
    def append(self, records: Iterable[RawRecord], *, run_id: str) -> Path | None:
        """Store ``records`` as one segment per source and month; returns the last segment written.

        Returns only once the data is on disk. Nothing is written when ``records`` is empty.
        """
        groups: dict[tuple[str, str], list[RawRecord]] = {}
        matcher = self._suppression()
        for r in records:
            if matcher:
                payload = matcher.scrub_payload(r.payload)
                if payload is None or payload is not r.payload:
                    self.suppressed_records += 1
                if payload is None:
                    continue
                r = dataclasses.replace(r, payload=payload)
            groups.setdefault((r.source, r.observed_at.astimezone(UTC).strftime("%Y-%m")), []).append(r)
        last = None
        for (source, month), batch in sorted(groups.items()):
            last = self._write_segment(source, month, batch, run_id)
        return last

    def _write_segment(self, source: str, month: str, batch: list[RawRecord], run_id: str) -> Path:
        with self._lock:
            seq = self._seq.get(run_id, 0)
            self._seq[run_id] = seq + 1
        name = f"{run_id}-{seq:06d}-{secrets.token_hex(3)}"
        table = pa.Table.from_pylist(
            [
                {
                    "record_id": f"{name}-{i:06d}",
                    "run_id": run_id,
                    "source": r.source,
                    "kind": r.kind,
                    "exec_id": r.exec_id,
                    "url": r.url,
                    "params": json.dumps(r.params, sort_keys=True, default=str),
                    "status": r.status,
                    "observed_at": r.observed_at.astimezone(UTC),
                    "payload": r.payload,
                }
                for i, r in enumerate(batch)
            ],
            schema=SCHEMA,
        )
        path = self.root / f"source={source}" / f"month={month}" / f"{name}.parquet"
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        try:
            write_new(path, sink.getvalue().to_pybytes())  # a stored segment is never replaced by an append
        except OSError as exc:
            raise StoreError(f"cannot write raw segment {path}: {exc.strerror}", hint="check free disk space and permissions") from exc
        return path

    def writer(self, run_id: str, *, flush_every: int = 500) -> RawWriter:
        return RawWriter(self, run_id, flush_every)

    # -- reading ---------------------------------------------------------------------------------------------
    def segments(self) -> list[Path]:
        """Every complete segment, oldest run first (names sort by run time)."""
        if not self.root.exists():
            return []
        return sorted(self.root.glob("source=*/month=*/*.parquet"), key=lambda p: (p.name, str(p)))

    def read_segment(self, path: Path) -> pa.Table:
        """The segment's rows in ``SCHEMA``: a column an older segment lacks is NULL, one it has beyond is left
        out, and one of another type is cast (an error if it cannot be), as ``pq.read_table(schema=...)`` reads it.
        Read with ``ParquetFile``, not ``pq.read_table``: that imports pyarrow's datasets and pandas, 0.3 s, and a
        day's update reads one small segment (0.01 s)."""
        try:
            table = pq.ParquetFile(path).read()
            if table.schema.equals(SCHEMA):
                return table
            return pa.table([table.column(f.name).cast(f.type) if f.name in table.column_names
                             else pa.nulls(table.num_rows, f.type) for f in SCHEMA], schema=SCHEMA)
        except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError) as exc:  # (KeyError: a column twice)
            raise StoreError(
                f"raw segment {path} cannot be read: {exc}",
                hint="move the file aside and run `influence model` again; nothing else is affected",
            ) from exc

    def records(self) -> Iterator[dict[str, Any]]:
        for path in self.segments():
            yield from self.read_segment(path).to_pylist()

    def count(self) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.segments())

    # -- erasure ---------------------------------------------------------------------------------------------
    def rewrite_segments(self, keep: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
        """Rewrite every segment through ``keep`` (return the row, a changed row, or None to drop it).

        The only way stored records are changed: erasure of a person on request. Returns rows dropped or changed.
        """
        changed = 0
        for path in self.segments():
            rows = self.read_segment(path).to_pylist()
            out = []
            for row in rows:
                new = keep(row)
                if new is not row:
                    changed += 1
                if new is not None:
                    out.append(new)
            if len(out) == len(rows) and all(a is b for a, b in zip(out, rows, strict=True)):
                continue
            if not out:
                path.unlink()
                continue
            sink = pa.BufferOutputStream()
            pq.write_table(pa.Table.from_pylist(out, schema=SCHEMA), sink, compression="zstd")
            write_atomic(path, sink.getvalue().to_pybytes())
        return changed

    # -- cursors ---------------------------------------------------------------------------------------------
    @property
    def _cursor_path(self) -> Path:
        return self.root / "cursors.json"

    def cursors(self) -> dict[str, Any]:
        if not self._cursor_path.exists():
            return {}
        try:
            return json.loads(self._cursor_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(
                f"{self._cursor_path} is damaged: {exc}",
                hint="delete it; the next collection starts from the lookback window and stores nothing twice",
            ) from exc

    def cursor(self, key: str) -> Any:
        return self.cursors().get(key)

    def set_cursor(self, key: str, value: Any) -> None:
        """Move a cursor. Call only after the data it covers has been appended."""
        with self._lock:
            cursors = self.cursors()
            cursors[key] = value
            write_atomic(self._cursor_path, json.dumps(cursors, indent=1, sort_keys=True, default=str).encode())

    def delete_cursors(self, predicate: Callable[[str], bool]) -> None:
        with self._lock:
            cursors = {k: v for k, v in self.cursors().items() if not predicate(k)}
            write_atomic(self._cursor_path, json.dumps(cursors, indent=1, sort_keys=True, default=str).encode())

    # -- runs ------------------------------------------------------------------------------------------------
    def record_run(self, run_id: str, info: dict[str, Any]) -> None:
        write_atomic(self.root / "runs" / f"{run_id}.json", json.dumps(info, indent=1, default=str).encode())

    def runs(self) -> list[dict[str, Any]]:
        out = []
        for p in sorted((self.root / "runs").glob("*.json")) if (self.root / "runs").exists() else []:
            try:
                out.append(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, json.JSONDecodeError):
                out.append({"run_id": p.stem, "error": "run file unreadable"})
        return out


class RawWriter:
    """Buffers raw records and appends them in segments; ``flush()`` returns once they are on disk."""

    def __init__(self, store: RawStore, run_id: str, flush_every: int) -> None:
        self.store = store
        self.run_id = run_id
        self.flush_every = flush_every
        self._buffer: list[RawRecord] = []
        self._lock = threading.Lock()
        self.written = 0

    def add(self, record: RawRecord) -> None:
        with self._lock:
            self._buffer.append(record)
            full = len(self._buffer) >= self.flush_every
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if batch:
            self.store.append(batch, run_id=self.run_id)
            self.written += len(batch)

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
