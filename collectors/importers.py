"""Importing a downloaded archive (LinkedIn, X) into the raw store: every export row becomes one raw record.

``run_import`` works in three steps, and writes only in the last:

1. **Check** the archive (``collectors.archive``): zip slip, links, bombs, size limit, truncation, encoding.
2. **Read and parse** every row of every known file, streamed, through the same parsers the pipeline will use,
   so a row the pipeline could not read stops the import here. Nothing is kept in memory but a hash per row.
3. **Store** the rows not already in the raw store, under a new run id.

Importing the same archive twice changes nothing, and a newer archive adds only its new rows: a row is identified by
a hash of its kind and content, and the rows already stored for this executive and platform are read back from the
raw store itself (so the check survives a deleted cursor file). Identical rows are counted, not collapsed: a row
that appears twice in the archive is stored twice, once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.parquet as pq

from collectors.archive import DEFAULT_MAX_BYTES, DEFAULT_MAX_RATIO, Archive, ExportRow, open_archive
from collectors.linkedin import parse as linkedin
from collectors.rawstore import RawRecord, RawStore, new_run_id
from collectors.records import RawContext
from collectors.registry import lookup
from collectors.x import parse as x
from influence.config import Config
from influence.errors import ArchiveError, InfluenceError, StoreError

KINDS = ("linkedin", "x")
_COLLAPSE_AT = 10  # unknown files in one folder beyond this are listed as the folder and a count


@dataclass
class ImportSummary:
    """What an import did: the CLI prints it, the run file keeps it."""

    platform: str
    exec_id: str
    archive: str
    run_id: str | None = None
    rows: dict[str, int] = field(default_factory=dict)  # rows read per kind (connection, share, tweet, ...)
    added: dict[str, int] = field(default_factory=dict)  # rows stored by this import, per kind
    skipped: int = 0  # rows already in the raw store from an earlier import
    recovered: int = 0  # rows a strict CSV reader could not read, recovered (LinkedIn Comments.csv)
    recovered_lines: dict[str, list[int]] = field(default_factory=dict)  # file -> lines of recovered rows
    files: list[str] = field(default_factory=list)  # files read
    unknown_files: list[str] = field(default_factory=list)  # files in the archive this importer does not read
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_added(self) -> int:
        return sum(self.added.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "exec_id": self.exec_id,
            "archive": self.archive,
            "run_id": self.run_id,
            "rows": self.rows,
            "added": self.added,
            "skipped": self.skipped,
            "recovered": self.recovered,
            "recovered_lines": self.recovered_lines,
            "files": self.files,
            "unknown_files": self.unknown_files,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class _Plan:
    files: list[tuple[str, str]]  # (member, kind), in reading order
    unknown: list[str]
    params: dict[str, Any]  # params for every row's raw record
    read: Callable[[str, str, Any, str], Iterator[ExportRow]]


def run_import(
    kind: str,
    path: Path,
    exec_id: str,
    config: Config,
    data_dir: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
    now: datetime | None = None,
) -> ImportSummary:
    """Import the archive at ``path`` (a ZIP or its unpacked folder) of platform ``kind`` for ``exec_id``."""
    if kind not in KINDS:
        raise ArchiveError(f"unknown archive kind '{kind}'", hint=f"use one of: {', '.join(KINDS)}")
    executive = config.executive(exec_id)
    path = Path(path)
    observed_at = (now or datetime.now(UTC)).astimezone(UTC)
    summary = ImportSummary(platform=kind, exec_id=exec_id, archive=str(path))
    store = RawStore(Path(data_dir) / "raw")

    with open_archive(path, max_bytes=max_bytes, max_ratio=max_ratio) as archive:
        plan = _plan_linkedin(archive, executive) if kind == "linkedin" else _plan_x(archive, executive)
        summary.files = [name for name, _ in plan.files]
        summary.unknown_files = _collapse(plan.unknown)
        # 1. every byte of the files we read: checksum, real size, UTF-8
        archive.verify(summary.files)
        # 2. every row through its parser; only hashes are kept
        incoming: Counter[str] = Counter()
        for row in _rows(archive, plan):
            payload = _payload(row)
            _check_parses(kind, row, payload, plan.params, exec_id, observed_at, archive.path)
            incoming[_row_hash(row.kind, payload)] += 1
            summary.rows[row.kind] = summary.rows.get(row.kind, 0) + 1
            if row.recovered:
                summary.recovered += 1
                summary.recovered_lines.setdefault(row.file, []).append(row.line)
        # 3. store what is new
        existing = _stored_hashes(store, kind, exec_id)
        seen: Counter[str] = Counter()
        run_id = new_run_id(observed_at)
        with store.writer(run_id) as writer:
            for row in _rows(archive, plan):
                payload = _payload(row)
                h = _row_hash(row.kind, payload)
                seen[h] += 1
                if seen[h] <= existing.get(h, 0):
                    summary.skipped += 1
                    continue
                params = dict(plan.params)
                if row.recovered:
                    params["recovered"] = True
                if row.line:
                    params["line"] = row.line
                writer.add(
                    RawRecord(
                        source=kind,
                        kind=row.kind,
                        exec_id=exec_id,
                        url=row.file,
                        payload=payload,
                        observed_at=observed_at,
                        params=params,
                        status=0,
                    )
                )
                summary.added[row.kind] = summary.added.get(row.kind, 0) + 1
        if seen != incoming:  # the archive changed between the two reads
            raise ArchiveError(
                f"{path}: the archive changed while it was being imported",
                hint="import it again once it is no longer being written to",
            )
    if summary.total_added:
        summary.run_id = run_id
        store.record_run(
            run_id,
            {"run_id": run_id, "kind": "import", "started_at": observed_at.isoformat(), **summary.as_dict()},
        )
        store.set_cursor(
            f"import:{exec_id}:{kind}",
            {"at": observed_at.isoformat(), "archive": path.name, "rows": summary.total_rows, "run_id": run_id},
        )
    return summary


# -- what to read ------------------------------------------------------------------------------------------


def _plan_linkedin(archive: Archive, executive: Any) -> _Plan:
    files: dict[str, str] = {}
    unknown: list[str] = []
    for m in archive.members:
        kind = linkedin.FILES.get(m.basename.lower())
        if kind is None:
            unknown.append(m.name)
            continue
        if kind in files.values():
            other = next(n for n, k in files.items() if k == kind)
            raise ArchiveError(
                f"{archive.path}: two {m.basename} files ('{other}' and '{m.name}'); nothing was imported",
                hint="import one LinkedIn archive at a time, as downloaded",
            )
        files[m.name] = kind
    if not files:
        raise ArchiveError(
            f"{archive.path}: no LinkedIn export file in it (Connections.csv, Shares.csv, Comments.csv, "
            "Reactions.csv, Profile.csv)",
            hint="give the ZIP downloaded from LinkedIn's 'Get a copy of your data', or its unpacked folder",
        )
    order = list(linkedin.FILES.values())
    params: dict[str, Any] = {}
    if executive.accounts.linkedin:
        params["exec_account_id"] = executive.accounts.linkedin[0]
    return _Plan(
        files=sorted(files.items(), key=lambda kv: (order.index(kv[1]), kv[0])),
        unknown=unknown,
        params=params,
        read=linkedin.read_rows,
    )


def _plan_x(archive: Archive, executive: Any) -> _Plan:
    data: dict[str, tuple[str, int]] = {}
    manifest = None
    unknown: list[str] = []
    for m in archive.members:
        parent = PurePosixPath(m.name).parent.name
        if parent == "data" and m.basename == "manifest.js":
            manifest = m.name
            continue
        hit = x.data_file(m.name) if parent == "data" else None
        if hit is None:
            unknown.append(m.name)
        else:
            data[m.name] = hit
    if manifest is not None:
        with archive.open_text(manifest) as fh:
            listed = x.read_manifest(fh, str(archive.path))
        prefix = manifest[: -len("data/manifest.js")]
        names = set(archive.names())
        for dtype in ("tweets", "tweet", "follower", "following", "account"):
            for f in listed.get(dtype, []):
                if prefix + f not in names:
                    raise ArchiveError(
                        f"{archive.path}: manifest.js lists '{f}' but it is not in the archive; nothing was imported",
                        hint="the archive is incomplete; download it again from X",
                    )
    if not data:
        raise ArchiveError(
            f"{archive.path}: no X archive data file in it (data/tweets.js, data/tweet.js, data/follower.js, ...)",
            hint="give the ZIP downloaded from X's 'Download an archive of your data', or its unpacked folder",
        )
    params: dict[str, Any] = {}
    for name, (kind, _part) in data.items():
        if kind == "account":
            with archive.open_text(name) as fh:
                for row in x.read_rows(kind, name, fh, str(archive.path)):
                    acc = row.row.get("account")
                    if isinstance(acc, dict) and acc.get("accountId"):
                        params["exec_account_id"] = str(acc["accountId"])
                        if acc.get("username"):
                            params["exec_handle"] = str(acc["username"])
    if "exec_handle" not in params and executive.accounts.x:
        params["exec_handle"] = executive.accounts.x[0]
    order = ["account", "tweet", "follower", "following"]
    return _Plan(
        files=[(n, kp[0]) for n, kp in sorted(data.items(), key=lambda kv: (order.index(kv[1][0]), kv[1][1], kv[0]))],
        unknown=unknown,
        params=params,
        read=x.read_rows,
    )


# -- helpers -----------------------------------------------------------------------------------------------


def _rows(archive: Archive, plan: _Plan) -> Iterator[ExportRow]:
    for name, kind in plan.files:
        with archive.open_text(name) as fh:
            yield from plan.read(kind, name, fh, str(archive.path))


def _payload(row: ExportRow) -> str:
    return json.dumps(row.row, sort_keys=True, ensure_ascii=False)


def _row_hash(kind: str, payload: str) -> str:
    return hashlib.sha256(f"{kind}\0{payload}".encode()).hexdigest()


def _check_parses(
    source: str, row: ExportRow, payload: str, params: dict[str, Any], exec_id: str, at: datetime, archive: Path
) -> None:
    fn, how = lookup(source, row.kind)
    ctx = RawContext(source=source, kind=row.kind, exec_id=exec_id, url=row.file, params=params, observed_at=at,
                     status=0)
    try:
        fn(json.loads(payload) if how == "json" else payload, ctx)
    except (InfluenceError, KeyError, TypeError, ValueError) as exc:
        where = f"{row.file} line {row.line}" if row.line and source == "linkedin" else f"{row.file} entry {row.line}"
        message = exc.message if isinstance(exc, InfluenceError) else f"{type(exc).__name__}: {exc}"
        raise ArchiveError(
            f"{archive}: {where} cannot be read ({message}); nothing was imported",
            hint="the file was changed after download, or the export format changed; report it with this row",
        ) from exc


def _stored_hashes(store: RawStore, source: str, exec_id: str) -> Counter[str]:
    """Hashes of the archive rows already stored for this executive and platform (status 0 = archive row)."""
    out: Counter[str] = Counter()
    base = store.root / f"source={source}"
    if not base.exists():
        return out
    for path in sorted(base.glob("month=*/*.parquet")):
        try:
            table = pq.read_table(path, columns=["exec_id", "kind", "status", "payload"])
        except OSError as exc:
            raise StoreError(
                f"raw segment {path} cannot be read: {exc}",
                hint="move the file aside and import again; nothing else is affected",
            ) from exc
        for r in table.to_pylist():
            if r["exec_id"] == exec_id and r["status"] == 0:
                out[_row_hash(r["kind"], r["payload"])] += 1
    return out


def _collapse(names: list[str]) -> list[str]:
    """Unknown files, a folder with many of them (media, assets) shown as 'folder/ (N files)'."""
    by_dir: dict[str, list[str]] = {}
    for n in names:
        by_dir.setdefault(str(PurePosixPath(n).parent), []).append(n)
    out: list[str] = []
    for d, files in sorted(by_dir.items()):
        if len(files) > _COLLAPSE_AT and d != ".":
            out.append(f"{d}/ ({len(files)} files)")
        else:
            out.extend(sorted(files))
    return out
