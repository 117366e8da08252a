"""Load step: raw segments -> parsed observation tables (``obs_*``) in the warehouse being built.

Each raw segment is parsed once by the registered parsers and the result cached as Parquet files keyed by the
segment's name, size and modification time and by a hash of the parser code: a rebuild parses only segments it
has not seen, and a parser change re-parses everything. A raw record that cannot be parsed is not dropped: it lands
in ``load_errors`` with its source, URL and the error, and the build reports how many there were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import collectors
from collectors.rawstore import RawStore, write_atomic
from collectors.records import TABLES, RawContext, Records
from collectors.registry import lookup
from influence.errors import InfluenceError

_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
}
PROVENANCE = {"raw_id": pa.string(), "run_id": pa.string(), "observed_at": pa.timestamp("us", tz="UTC")}
ERRORS_SCHEMA = pa.schema(
    [("raw_id", pa.string()), ("source", pa.string()), ("kind", pa.string()), ("exec_id", pa.string()),
     ("url", pa.string()), ("observed_at", pa.timestamp("us", tz="UTC")), ("error", pa.string())]
)


def arrow_schema(table: str) -> pa.Schema:
    cols = [(c, _ARROW[t]) for c, t in TABLES[table].items()]
    return pa.schema(cols + list(PROVENANCE.items()))


def parser_version() -> str:
    """A hash of every parser's source: cached parses are reused only while the parsers are unchanged."""
    root = Path(collectors.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name in ("parse.py", "records.py", "text.py", "registry.py"):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class LoadResult:
    segments: int
    parsed_now: int
    raw_records: int
    errors: int
    rows: dict[str, int]


def _decode(text: str, how: str) -> Any:
    return json.loads(text) if how == "json" else text


def parse_segment(table: pa.Table) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    errors: list[dict[str, Any]] = []
    for row in table.to_pylist():
        try:
            fn, how = lookup(row["source"], row["kind"])
            ctx = RawContext(
                source=row["source"], kind=row["kind"], exec_id=row["exec_id"], url=row["url"],
                params=json.loads(row["params"] or "{}"), observed_at=row["observed_at"], status=row["status"],
            )
            recs: Records = fn(_decode(row["payload"], how), ctx)
        except (InfluenceError, ValueError, RecursionError) as exc:
            # parsers raise only the product's errors (the registry wraps them); decoding the stored text can
            # still raise ValueError (malformed JSON) or RecursionError (absurdly deep nesting)
            errors.append({
                "raw_id": row["record_id"], "source": row["source"], "kind": row["kind"], "exec_id": row["exec_id"],
                "url": row["url"], "observed_at": row["observed_at"], "error": f"{type(exc).__name__}: {exc}",
            })
            continue
        prov = {"raw_id": row["record_id"], "run_id": row["run_id"], "observed_at": row["observed_at"]}
        for t, rows in recs.rows.items():
            for r in rows:
                r.update(prov)
            out[t].extend(rows)
    return out, errors


def sweep_temporary_files(store: RawStore, cache_dir: Path, *, older_than_s: float = 3600) -> int:
    """Remove the ``*.tmp`` files that a killed write leaves behind (readers ignore them anyway).

    The cache is only written under the model lock, which the caller holds; raw-store temporaries may belong to a
    collection running right now, so only old ones are removed.
    """
    import time

    removed = 0
    now = time.time()
    for root, min_age in ((cache_dir, 0.0), (store.root, older_than_s)):
        if not root.exists():
            continue
        for p in root.rglob(".*.tmp"):
            try:
                if now - p.stat().st_mtime >= min_age:
                    p.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
    return removed


def load_observations(
    con: duckdb.DuckDBPyConnection,
    store: RawStore,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> LoadResult:
    version_dir = cache_dir / f"parsed-{parser_version()}"
    sweep_temporary_files(store, cache_dir)
    segments = store.segments()
    wanted: list[Path] = []
    parsed_now = 0
    raw_records = 0
    for i, seg in enumerate(segments):
        st = seg.stat()
        key = hashlib.sha1(f"{seg.relative_to(store.root)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
        target = version_dir / f"{key}.done"
        errors_target = version_dir / f"{key}.errors.parquet"
        if not target.exists():
            raw = store.read_segment(seg)
            tables, errors = parse_segment(raw)
            raw_records += raw.num_rows
            # one file per segment holding every table would need a union schema: write one per table instead
            for t in TABLES:
                sink = pa.BufferOutputStream()
                pq.write_table(pa.Table.from_pylist(tables[t], schema=arrow_schema(t)), sink, compression="zstd")
                write_atomic(version_dir / t / f"{key}.parquet", sink.getvalue().to_pybytes())
            sink = pa.BufferOutputStream()
            pq.write_table(pa.Table.from_pylist(errors, schema=ERRORS_SCHEMA), sink)
            write_atomic(errors_target, sink.getvalue().to_pybytes())
            write_atomic(target, b"done")  # marker written last: a crash before it re-parses the segment
            parsed_now += 1
        wanted.append(target)
        if progress:
            progress(i + 1, len(segments))
    keys = [p.stem for p in wanted]
    rows: dict[str, int] = {}
    for t in TABLES:
        files = [str(version_dir / t / f"{k}.parquet") for k in keys]
        _create_from_files(con, f"obs_{t}", files, arrow_schema(t))
        rows[t] = con.execute(f"select count(*) from obs_{t}").fetchall()[0][0]
    _create_from_files(con, "load_errors", [str(version_dir / f"{k}.errors.parquet") for k in keys], ERRORS_SCHEMA)
    n_errors = con.execute("select count(*) from load_errors").fetchall()[0][0]
    _prune(version_dir, set(keys), cache_dir)
    return LoadResult(segments=len(segments), parsed_now=parsed_now, raw_records=raw_records, errors=n_errors, rows=rows)


def _create_from_files(con: duckdb.DuckDBPyConnection, name: str, files: list[str], schema: pa.Schema) -> None:
    empty = pa.Table.from_pylist([], schema=schema)
    con.register("_empty", empty)
    con.execute(f"create or replace table {name} as select * from _empty")
    con.unregister("_empty")
    if files:
        con.execute(f"insert into {name} by name select * from read_parquet(?)", [files])


def _prune(version_dir: Path, keep: set[str], cache_dir: Path) -> None:
    """Forget parses of segments that no longer exist (erased) and caches of older parser versions."""
    for old in cache_dir.glob("parsed-*"):
        if old != version_dir and old.is_dir():
            for p in sorted(old.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            old.rmdir()
    for p in version_dir.rglob("*"):
        if p.is_file() and p.name.split(".")[0] not in keep:
            p.unlink()
