"""Load step: raw segments -> parsed observation tables (``obs_*``) in the warehouse being built.

Each raw segment is parsed once by the registered parsers and the result cached as Parquet files keyed by the
segment's name, size and modification time and by a hash of the parser code: a rebuild parses only segments it
has not seen, and a parser change re-parses everything. A raw record that cannot be parsed is not dropped: it lands
in ``load_errors`` with its source, URL and the error, and the build reports how many there were.

The high-volume kinds (Bluesky likes and reposts, Mastodon favourites and boosts) go through a vectorised fast path
in DuckDB SQL (``pipeline/fastparse.py``) that yields exactly the Python parsers' rows and leaves every raw row it is
not certain about to them. Segments not yet cached are parsed in parallel, one process per core.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import collectors
from collectors.rawstore import RawStore, write_atomic
from collectors.records import TABLES, RawContext, Records
from collectors.registry import lookup
from influence.errors import InfluenceError
from pipeline import fastparse
from pipeline.workers import worker_pool

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

# The observation tables whose rows carry ``source_row``, a number that tells each row apart from every other row
# of the table within one build (its file's place in the list, then its place in the file; not stable from build
# to build): stg_engagements aggregates each engagement's observations into numbers alone and then fetches the
# first observation's fields by its row; stg_accounts names the observations holding an erased identifier by theirs
# (the Spark engine: pipeline/spark/build.py, the file's path and place).
# (Not named obs_*: the incremental build reads a staging model's obs_X as obs_new_X.)
ROW_IDS = ("engagements", "accounts")
SOURCE_ROW = "(file_index::bigint << 32) | file_row_number"  # (virtual columns of read_parquet, DuckDB 1.3+)


def arrow_schema(table: str) -> pa.Schema:
    cols = [(c, _ARROW[t]) for c, t in TABLES[table].items()]
    return pa.schema(cols + list(PROVENANCE.items()))


def parser_version() -> str:
    """A hash of every parser's source and of the fast path's: cached parses are reused only while they are
    unchanged."""
    root = Path(collectors.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name in ("parse.py", "records.py", "text.py", "registry.py"):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    fast = Path(fastparse.__file__)
    h.update(f"pipeline/{fast.name}".encode())
    h.update(fast.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class LoadResult:
    segments: int
    parsed_now: int
    raw_records: int
    errors: int
    rows: dict[str, int]
    keys: list[str] = field(default_factory=list)  # the cache key of every segment loaded, in the store's order


def _decode(text: str, how: str) -> Any:
    return json.loads(text) if how == "json" else text


def parse_segment(table: pa.Table) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Every raw row through the registered Python parsers: the reference the fast path is held to."""
    return _parse_python(table)


def _parse_python(
    table: pa.Table, row_ids: list[int] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """``parse_segment``; with ``row_ids`` (each row's position in its batch), every output row and error also carries
    it as ``_row``."""
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    errors: list[dict[str, Any]] = []
    for i, row in enumerate(table.to_pylist()):
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
            if row_ids is not None:
                errors[-1]["_row"] = row_ids[i]
            continue
        prov = {"raw_id": row["record_id"], "run_id": row["run_id"], "observed_at": row["observed_at"]}
        for t, rows in recs.rows.items():
            for r in rows:
                r.update(prov)
                if row_ids is not None:
                    r["_row"] = row_ids[i]
            out[t].extend(rows)
    return out, errors


PYTHON_SLICE = 2000  # raw rows parsed by Python at a time


def parse_segment_tables(table: pa.Table, *, threads: int | None = None) -> tuple[dict[str, pa.Table], pa.Table]:
    """The segment's observation tables (``arrow_schema``) and load errors (``ERRORS_SCHEMA``): the rows of
    ``parse_segment``, the covered kinds through the fast path, every other row through Python (their order: see
    ``parse_segments``)."""
    return parse_segments([table], threads=threads)[0]


def parse_segments(tables: list[pa.Table], *, threads: int | None = None) -> list[tuple[dict[str, pa.Table], pa.Table]]:
    """``parse_segment_tables`` of each segment, parsed together: the fast path's queries cost milliseconds to plan
    whatever their size, so small segments are better read in one go.

    A segment's table holds its fast-path rows, then its Python-parsed rows, each in raw-row order: the rows of
    ``parse_segment``, in a deterministic order that is not quite its order (nothing depends on it)."""
    schemas = {t: arrow_schema(t) for t in TABLES}
    raw = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    bounds = [0]
    for t in tables:
        bounds.append(bounds[-1] + t.num_rows)
    try:
        mask, fast = fastparse.parse_fast(raw, schemas, threads=threads)
    except duckdb.Error:  # a fast-path failure costs time, never rows: the Python parsers read every row
        mask, fast = pa.array([False] * raw.num_rows, pa.bool_()), {}
    # the other rows through Python, a slice at a time (Python objects are big), kept as Arrow
    rest_rows = pc.indices_nonzero(pc.invert(mask)).to_pylist()
    rest = raw.filter(pc.invert(mask))  # filter, not take: take would first join the segments' chunks
    python: dict[str, list[pa.Table]] = {t: [] for t in schemas}
    error_tables = []
    for start in range(0, rest.num_rows, PYTHON_SLICE):
        rows, errors = _parse_python(rest.slice(start, PYTHON_SLICE), rest_rows[start:start + PYTHON_SLICE])
        for t, schema in schemas.items():
            python[t].append(pa.Table.from_pylist(rows[t], schema=pa.schema([pa.field("_row", pa.int64()), *schema])))
        error_rows = pa.array([e.pop("_row") for e in errors], pa.int64())
        error_tables.append(pa.Table.from_pylist(errors, schema=ERRORS_SCHEMA).add_column(0, "_row", error_rows))
    parts = {t: [*fast.get(t, []), *python[t]] or [pa.schema([pa.field("_row", pa.int64()), *schema]).empty_table()]
             for t, schema in schemas.items()}
    parts["_errors"] = error_tables or [ERRORS_SCHEMA.empty_table().add_column(0, "_row", pa.array([], pa.int64()))]
    # every part is ordered by _row: a segment's lines are one slice of each
    cuts = {t: [[bisect.bisect_left(rows, b) for b in bounds] for rows in (p["_row"].to_pylist() for p in ps)]
            for t, ps in parts.items()}
    out = []
    for i in range(len(tables)):
        seg = {t: pa.concat_tables([p.slice(c[i], c[i + 1] - c[i]) for p, c in zip(ps, cuts[t], strict=True)])
               .drop_columns(["_row"]) for t, ps in parts.items()}
        out.append(({t: seg[t] for t in schemas}, seg["_errors"]))
    return out


def _write_segment_caches(segments: list[tuple[str, str]], version_dir: str, threads: int | None = None) -> int:
    """Parse raw segments (path, cache key) into the cache: per segment one Parquet file per table and one of load
    errors, each written atomically, then its ``.done`` marker, last: a crash before it re-parses the segment.
    Returns the number of raw rows."""
    vdir = Path(version_dir)
    raws = [RawStore(Path(path).parent).read_segment(Path(path)) for path, _ in segments]
    for (_, key), (tables, errors) in zip(segments, parse_segments(raws, threads=threads), strict=True):
        # one file per segment holding every table would need a union schema: write one per table instead
        for t in TABLES:
            sink = pa.BufferOutputStream()
            pq.write_table(tables[t], sink, compression="zstd")
            write_atomic(vdir / t / f"{key}.parquet", sink.getvalue().to_pybytes())
        sink = pa.BufferOutputStream()
        pq.write_table(errors, sink)
        write_atomic(vdir / f"{key}.errors.parquet", sink.getvalue().to_pybytes())
        write_atomic(vdir / f"{key}.done", b"done")  # marker written last: a crash before it re-parses the segment
    return sum(r.num_rows for r in raws)


def _batches(pending: list[tuple[int, Path, str]], max_bytes: int) -> list[list[tuple[str, str]]]:
    """Segments (size, path, key) in batches of up to ``max_bytes`` (a bigger segment alone), in the raw store's
    order within a batch, largest batches first."""
    batches: list[list[tuple[int, Path, str]]] = []
    for item in pending:
        if batches and sum(size for size, _, _ in batches[-1]) + item[0] <= max_bytes:
            batches[-1].append(item)
        else:
            batches.append([item])
    batches.sort(key=lambda b: -sum(size for size, _, _ in b))
    return [[(str(seg), key) for _, seg, key in b] for b in batches]


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


# Below this much raw data to parse, starting worker processes (a fresh interpreter each) costs more than it saves.
PARALLEL_MIN_BYTES = 8 << 20
# Segments are parsed in batches of up to this many bytes (on disk; in parallel, at least four batches per worker).
BATCH_MAX_BYTES = 4 << 20


def segment_keys(store: RawStore, segments: list[Path] | None = None) -> list[str]:
    """Each raw segment's cache key (its name, size and modification time): what a build records it read."""
    keys = []
    for seg in store.segments() if segments is None else segments:
        st = seg.stat()
        keys.append(hashlib.sha1(f"{seg.relative_to(store.root)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20])
    return keys


@dataclass
class Parsed:
    """What ``parse_pending`` found and did: every segment's cache key (in the store's order), how many it parsed,
    and where the parses are (the cache's directory for this parser version)."""
    keys: list[str]
    parsed_now: int
    raw_records: int
    version_dir: Path


def parse_pending(
    store: RawStore,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = None,
) -> Parsed:
    """Parse the segments not yet cached (in ``workers`` processes; by default one per core when there is enough
    to parse). ``progress(done, total)`` is called with a growing count of segments ready."""
    version_dir = cache_dir / f"parsed-{parser_version()}"
    sweep_temporary_files(store, cache_dir)
    segments = store.segments()
    wanted: list[Path] = []
    pending: list[tuple[int, Path, str]] = []
    for seg, key in zip(segments, segment_keys(store, segments), strict=True):
        st = seg.stat()
        target = version_dir / f"{key}.done"
        if not target.exists():
            pending.append((st.st_size, seg, key))
        wanted.append(target)
    done = len(segments) - len(pending)
    if progress and done:
        progress(done, len(segments))  # the segments already cached
    total = sum(size for size, _, _ in pending)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(pending)) if total >= PARALLEL_MIN_BYTES else 1
    workers = max(1, min(workers, len(pending)))
    per_batch = BATCH_MAX_BYTES if workers == 1 else max(1, min(BATCH_MAX_BYTES, total // (4 * workers)))
    batches = _batches(pending, per_batch)
    raw_records = 0
    if workers == 1:
        for batch in batches:
            raw_records += _write_segment_caches(batch, str(version_dir))
            done += len(batch)
            if progress:
                progress(done, len(segments))
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        # pipeline/workers.py says how workers start and end. Largest batches first, so that no worker is left
        # with a big one at the end.
        pool = worker_pool(workers)
        try:
            running = {pool.submit(_write_segment_caches, batch, str(version_dir), threads): len(batch)
                       for batch in batches}
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    raw_records += fut.result()
                    done += running.pop(fut)
                    if progress:
                        progress(done, len(segments))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return Parsed(keys=[p.stem for p in wanted], parsed_now=len(pending), raw_records=raw_records,
                  version_dir=version_dir)


def load_observations(
    con: duckdb.DuckDBPyConnection,
    store: RawStore,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = None,
    loaded_before: set[str] | None = None,
    parsed: Parsed | None = None,
) -> LoadResult:
    """Parse the segments not yet cached (``parse_pending``, unless ``parsed`` says it ran) and load every segment's
    cached tables as ``obs_*`` and ``load_errors``. With ``loaded_before`` (the keys an earlier build loaded),
    ``obs_new_*`` hold the observations of the other segments only: what an incremental build merges."""
    if parsed is None:
        parsed = parse_pending(store, cache_dir, progress, workers=workers)
    version_dir, keys = parsed.version_dir, parsed.keys
    rows: dict[str, int] = {}
    for t in TABLES:
        files = [str(version_dir / t / f"{k}.parquet") for k in keys]
        _create_from_files(con, f"obs_{t}", files, arrow_schema(t), view=True, row_ids=t in ROW_IDS)
        rows[t] = con.execute(f"select count(*) from obs_{t}").fetchall()[0][0]
    if loaded_before is not None:
        new = [k for k in keys if k not in loaded_before]
        for t in TABLES:
            _create_from_files(con, f"obs_new_{t}", [str(version_dir / t / f"{k}.parquet") for k in new],
                               arrow_schema(t), view=True, row_ids=t in ROW_IDS)
    _create_from_files(con, "load_errors", [str(version_dir / f"{k}.errors.parquet") for k in keys], ERRORS_SCHEMA)
    n_errors = con.execute("select count(*) from load_errors").fetchall()[0][0]
    _prune(version_dir, set(keys), cache_dir)
    return LoadResult(segments=len(keys), parsed_now=parsed.parsed_now, raw_records=parsed.raw_records,
                      errors=n_errors, rows=rows, keys=keys)


def _create_from_files(
    con: duckdb.DuckDBPyConnection, name: str, files: list[str], schema: pa.Schema, *, view: bool = False,
    row_ids: bool = False,
) -> None:
    """``name`` holding the rows of the cached Parquet ``files`` (all written with ``schema``), and with
    ``row_ids`` a column ``source_row`` that tells the rows apart (``ROW_IDS``).

    As a view (``view=True``) nothing is copied: the staging models read the cache files where they lie, which at
    10M engagements saves writing (and later dropping) every observation into the warehouse being built.
    """
    row = f", {SOURCE_ROW} as source_row" if row_ids else ""
    if view and files:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"create or replace view {name} as select *{row} from read_parquet([{listed}])")
        return
    empty = pa.Table.from_pylist([], schema=schema)
    con.register("_empty", empty)
    con.execute(f"create or replace table {name} as select *{', null::bigint as source_row' if row_ids else ''} "
                f"from _empty")
    con.unregister("_empty")
    if files:
        con.execute(f"insert into {name} by name select *{row} from read_parquet(?)", [files])


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
