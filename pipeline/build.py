"""``influence model``: rebuild the warehouse from the raw store, then publish it atomically.

The new warehouse is built in a file beside the old one and renamed over it once complete, so a dashboard that
has the warehouse open never sees a half-built one: it keeps reading the old file until it reopens. One build runs
at a time (a lock file in the data dir).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from collectors.rawstore import RawStore, fsync_path
from influence import __version__
from influence.config import Config
from influence.errors import ModelError, ModelOutOfMemory, StoreError, free_space, out_of_space, size_text
from pipeline import spare
from pipeline.incremental import Increment, fingerprint, previous_state, record_state
from pipeline.load import LoadResult, load_observations, parse_pending, segment_keys
from pipeline.runner import run_models, unsorted_notices
from pipeline.seeds import write_seeds
from pipeline.spare import FICLONE, copy_file  # noqa: F401  (FICLONE: the tests' and the bench's)

WAREHOUSE = "warehouse.duckdb"


@dataclass
class BuildResult:
    path: Path
    load: LoadResult
    timings: dict[str, float]
    seconds: float
    tables: dict[str, int]
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent preparing, loading, building models, publishing
    full_because: str | None = None  # why the build recomputed every model; None when it was incremental
    up_to_date: bool = False  # nothing new since the last build, which stands as it was
    updated: set[str] = field(default_factory=set)  # the models an incremental build updated in place
    stats: dict[str, int] = field(default_factory=dict)  # what an incremental build's updaters found
    notices: list[str] = field(default_factory=list)  # what the user should know of this build (printed as warnings)


@contextmanager
def exclusive_lock(path: Path, what: str, *, wait: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise StoreError(
                f"another {what} is running on {path.parent} (lock {path.name})",
                hint="wait for it to finish, or pass --wait to queue behind it",
            ) from None
        yield


SPILL_DIR = ".model-spill"
# (connect_build) At 10M engagements a full build took 48.99-49.24 s with 2 GB against 51.24-51.33 s without (the
# system's share of its CPU time 7.0-7.3 s against 10.2-10.5 s; three pairs alternated), peaking at 2.52-2.58 GB
# against 2.44-2.45 GB; then, alternated, 49.32-49.86 s with 2 GB, 50.77-50.87 s with 1 GB (2.34-2.45 GB),
# 49.82-50.07 s with 4 GB (2.69-2.83 GB). Session 32, /tmp/s32/fb.py.
BLOCK_ALLOCATOR_MEMORY = "2GB"


def _why_full(config: Config, data_dir: Path, keys: set[str], before: tuple[str, set[str]] | None,
              full: bool) -> str | None:
    """Why this build must recompute every model, or None when it may update the last one
    (``pipeline/incremental.py``): the seeds are written into a scratch connection to take the fingerprint."""
    if full:
        return "asked for (--full)"
    if before is None:
        return "no earlier build to update"
    probe = duckdb.connect(":memory:")
    try:
        write_seeds(probe, config, data_dir)
        fp = fingerprint(probe)
    finally:
        probe.close()
    if before[0] != fp:
        return "the config, a ties register, an identity decision, the suppression list or the code changed"
    if not before[1] <= keys:
        return "raw segments were rewritten or removed (an erasure)"
    return None


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The warehouse's tables and their row counts (the build's own state, named with a leading '_', left out).
    Counted: DuckDB's estimated_size also counts the rows an update deleted until a checkpoint merges them away."""
    names = [n for (n,) in con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                       "and not starts_with(table_name, '_') order by 1").fetchall()]
    return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A published warehouse, read-only, in UTC as the build wrote it: DuckDB otherwise takes the machine's zone,
    and the times, days and weeks read from it would shift (the dashboard attaches it in its own UTC database)."""
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def connect_build(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """The connection a build writes the new warehouse with. ``memory_limit`` (the config's ``[model]
    memory_limit``) caps DuckDB's memory: past it, operators spill to ``<data>/.model-spill`` and the build is slower
    (at 10M engagements, "3GB" took 82 s and peaked at 3.9 GB against 70 s and 6.1 GB uncapped). Unset, DuckDB
    takes 80% of the machine's memory (of its cgroup's, in a container)."""
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    # The file is the build's own until it is published, and a build that fails or crashes leaves it to be deleted:
    # no commit or checkpoint of the build needs to reach the disk before the publication, which writes the whole
    # file to disk (fsync) before renaming it over the old one. So DuckDB does not wait for the disk at each commit
    # and checkpoint (fsync_mode, from DuckDB 2.0: an older one syncs as before). With the update's copy in the page
    # cache (copy_file, BackgroundCopy): a day's update at 10M engagements 9.54-10.47 s against 10.26-10.71 s, the
    # first day of a week 16.88-18.54 s against 17.39-18.89 s (3 alternated pairs each, README "Performance").
    with suppress(duckdb.CatalogException):
        con.execute("set fsync_mode = 'none'")
    if memory_limit is not None:
        con.execute(f"set memory_limit = '{memory_limit}'")  # validated by the config: digits and a unit
    # DuckDB's block allocator keeps the buffers it frees, up to BLOCK_ALLOCATOR_MEMORY, for the next ones, instead of
    # giving them back to the system (which zeroes fresh pages for every one it hands out again): the build's
    # statements allocate and free gigabytes of them. A buffer is kept only once used, so the build holds no more
    # than it used at its peak, and the connection gives it all back when it closes. (DuckDB 1.2+: the floor is 1.3)
    con.execute(f"set block_allocator_memory = '{BLOCK_ALLOCATOR_MEMORY}'")
    # (also where the sort of a model stored by a column spills: pipeline/runner.py). DuckDB removes the directory
    # when the connection closes if it made it, but keeps one that was there before (only its own files go), so a
    # build clears what a crashed one left before it connects, and DuckDB then clears its own
    spill = str(path.parent / SPILL_DIR).replace("'", "''")
    con.execute(f"set temp_directory = '{spill}'")
    return con


# An update deletes the rows it replaces; DuckDB keeps them in their row groups (skipped when read) until a
# checkpoint merges row groups that have room ("vacuum"), rewriting them whole. Run by every checkpoint, that merge
# cost an update whatever few rows it freed: at 10M engagements, a new week's first day replaced 9.7k of the
# 1.25M accounts, and rewriting the five account tables' merged row groups took 1.7 s of checkpoints (2.3 s of that
# update in all). So an update's checkpoints do not merge (DuckDB's max_vacuum_tasks = 0), and at its end the
# tables whose deleted rows reached COMPACT_DEAD_SHARE of their stored rows are rewritten without them, in their
# order, a few each update (compact). Merging by checkpoints only when deleted rows mount up would not do: a checkpoint merges
# only the tables that changed since the last one, so a table bloated by last week's update and untouched since
# would have every day merge the others again until it changed. (A row group whose rows are all deleted is dropped
# either way; a full build writes every table afresh.) Over 28 days of the 10M benchmark updated one by one: 276.0 s
# against 294.9 s merging at every checkpoint; the file grew to 1.62 GB against 1.49 GB (README, "How data flows").
COMPACT_DEAD_SHARE = 0.25
COMPACT_MIN_ROWS = 100_000
# at most this many stored rows rewritten by one update (the most bloated table first, and always one): the five
# account tables reach a quarter together, and rewriting all five at once took one day 15.4 s
COMPACT_ROWS_PER_UPDATE = 2_000_000


def dead_rows(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Each table's rows as stored (deleted ones too) and live, for tables of at least COMPACT_MIN_ROWS stored rows
    (smaller ones hold too few to matter): ``{table: (stored, live)}``."""
    stored = con.execute("select table_name, estimated_size from duckdb_tables() where schema_name = 'main' "
                         "and not temporary and estimated_size >= ?", [COMPACT_MIN_ROWS]).fetchall()
    return {name: (n, con.execute(f'select count(*) from "{name}"').fetchone()[0]) for name, n in stored}


def defer_vacuum(con: duckdb.DuckDBPyConnection) -> None:
    """For an update's connection: its checkpoints keep deleted rows where they lie (``compact`` rewrites the tables
    where they mount up)."""
    con.execute("set max_vacuum_tasks = 0")


def compact(con: duckdb.DuckDBPyConnection) -> list[str]:
    """At the end of an update: rewrite the tables whose deleted rows reached COMPACT_DEAD_SHARE of their stored rows
    (in their order: a table stored sorted stays sorted), the most bloated first, until COMPACT_ROWS_PER_UPDATE
    stored rows are rewritten; the rest wait for the next update. Returns the tables rewritten."""
    bloated = sorted(((1 - live / n, name, n) for name, (n, live) in dead_rows(con).items()
                      if n - live >= COMPACT_DEAD_SHARE * n), reverse=True)
    done: list[str] = []
    rewritten = 0
    for _, name, n in bloated:
        if done and rewritten + n > COMPACT_ROWS_PER_UPDATE:
            break
        # made again by its own definition (a column a model stores with ZSTD stays so: pipeline/runner.py), the old
        # rows moved in, in their order
        (ddl,) = con.execute("select sql from duckdb_tables() where schema_name = current_schema() and table_name = ?",
                             [name]).fetchone()
        con.execute(f'alter table "{name}" rename to "_compact_{name}"')
        con.execute(ddl)
        con.execute(f'insert into "{name}" select * from "_compact_{name}"')
        con.execute(f'drop table "_compact_{name}"')
        done.append(name)
        rewritten += n
    return done


class BackgroundCopy:
    """``copy_file(src, dst)`` in a thread, then ``dst`` written to disk (fsync) there while the build goes on; or,
    where the last build left a spare copy of ``src`` as it is (``pipeline/spare.py``), that spare, renamed.

    An update starts it as soon as the last build's state allows an update: the copy (0.4-0.7 s at 10M engagements,
    in the kernel, so without the interpreter's lock) then overlaps the fingerprint and the parse of the new
    segments, and the flush the models; the publication's own fsync would otherwise wait for the whole file (1.4 GB,
    0.6-0.8 s here). ``copied()`` waits for the copy and raises its error (a full disk); ``join()`` waits for the
    flush too. A file gone meanwhile (a failed build, or one that turned out full, deletes it) is no error; a disk
    that fails is the publication's fsync's to report."""

    def __init__(self, src: Path, dst: Path) -> None:
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(src, dst), name="warehouse-copy", daemon=True)
        self._thread.start()

    def _run(self, src: Path, dst: Path) -> None:
        try:
            if not spare.take(src, dst):
                copy_file(src, dst)
        except BaseException as exc:  # raised again in the build's thread, by copied()
            self._error = exc
            return
        finally:
            self._done.set()
        fsync_path(dst)

    def copied(self) -> None:
        self._done.wait()
        if self._error is not None:
            raise self._error

    def join(self) -> None:
        self._thread.join()


_REMOVERS: list[subprocess.Popen] = []  # remove_later's processes, reaped as later calls find them done


def remove_later(path: Path) -> None:
    """Unlink ``path`` in a process of its own, not waited for. An update keeps the warehouse it replaces linked
    under a second name until the new one is published, so that the rename does not free the old file's blocks:
    ext4 took 0.25-0.5 s to free 1.4 GB (the file system here is mounted with ``discard``), while the build's user
    waited. Where no process can be started, the file goes now."""
    _REMOVERS[:] = [p for p in _REMOVERS if p.poll() is None]
    try:
        _REMOVERS.append(subprocess.Popen(["rm", "-f", "--", str(path)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
    except OSError:
        path.unlink(missing_ok=True)


def _discard_partial(data_dir: Path, tmp: Path) -> None:
    """What a failed build leaves: its half-built file, that file's write-ahead log and what it spilled."""
    for path in (tmp, tmp.with_name(tmp.name + ".wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(data_dir / SPILL_DIR, ignore_errors=True)


def _no_space(data_dir: Path, final: Path) -> StoreError:
    """The error of a build that ran out of disk: what stands, how much room there is, what a build needs."""
    free = free_space(data_dir)
    stands = "no warehouse was published before it"
    if final.exists():
        try:
            con = open_warehouse(final)
            try:
                (built,) = con.execute("select built_at from build_info").fetchone()
            finally:
                con.close()
            stands = f"the warehouse built {built:%Y-%m-%d %H:%M} UTC stands, whole"
        except (duckdb.Error, TypeError):
            stands = f"the last warehouse ({final}) stands as it was"
    copy = f"a second copy of the warehouse, {size_text(final.stat().st_size)} now," if final.exists() else "the warehouse"
    cache = data_dir / "cache"
    cached = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) if cache.exists() else 0
    return StoreError(
        f"the disk holding {data_dir} is full ({size_text(free)} free): the build stopped and removed its unfinished "
        f"warehouse; {stands}, and the raw store is untouched",
        hint=f"free some space and run influence model again: a build needs room for {copy} and more while it works"
             + (f"; its parse cache ({cache}, {size_text(cached)}) may be deleted, at the cost of parsing again"
                if cached else ""),
    )


def build_warehouse(
    config: Config,
    data_dir: Path,
    *,
    wait: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    full: bool = False,
) -> BuildResult:
    """Build the warehouse of ``data_dir`` and publish it. Incrementally (``pipeline/incremental.py``) where the
    previous warehouse allows it and ``full`` is not asked for, else every model from every observation."""
    t0 = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = RawStore(data_dir / "raw")
    final = data_dir / WAREHOUSE
    with exclusive_lock(data_dir / ".model.lock", "model build", wait=wait):
        tmp = data_dir / f".{WAREHOUSE}.building-{os.getpid()}"
        for stale in data_dir.glob(f".{WAREHOUSE}.building-*"):
            stale.unlink()  # left by a build that crashed; we hold the lock, so nobody else is writing it
        for stale in data_dir.glob(f".{WAREHOUSE}.replaced-*"):
            stale.unlink(missing_ok=True)  # a replaced warehouse whose removal (remove_later) did not happen
        replaced = None
        shutil.rmtree(data_dir / SPILL_DIR, ignore_errors=True)  # likewise what such a build spilled
        copying = None
        try:
            before = None if full else previous_state(final)
            keys = set(segment_keys(store))
            if before is not None and before[1] < keys:
                # new segments, none gone: an update unless the fingerprint differs (the code or config changed), so
                # the copy of the last warehouse, which it updates in place, starts now (the old file stays as it is),
                # or is there already: the spare the last build left (pipeline/spare.py)
                copying = BackgroundCopy(final, tmp)
            full_because = _why_full(config, data_dir, keys, before, full)
            # nothing new since the last build: it stands as it is (nothing copied, no model run)
            up_to_date = full_because is None and before is not None and keys == before[1]
            if not up_to_date:
                # spares of older warehouses, and for a full build (which has no use for one) every spare: its room
                # (it deletes every spare again once it has published)
                for old in spare.stale(final, every=full_because is not None):
                    remove_later(old)
            parsed = parse_pending(store, data_dir / "cache", (lambda i, n: progress("parse", i, n)) if progress else None)
            if copying is not None:
                copying.copied()
                if full_because is not None:  # (a full build starts from an empty file)
                    tmp.unlink()
                    copying = None
            con = duckdb.connect(":memory:") if up_to_date else connect_build(tmp, config.model.memory_limit)
            if full_because is None and not up_to_date:
                defer_vacuum(con)
            mark = time.perf_counter()
            # (prepare: the lock, the last build's state, the parse of new segments and for an update the copy of its
            # warehouse, made meanwhile: at 10M engagements 1.4-1.6 s for an update, the copy 0.4-2.4 s of it, before
            # the copy overlapped the rest)
            phases: dict[str, float] = {"prepare": mark - t0}

            def phase(name: str) -> None:
                nonlocal mark
                now = time.perf_counter()
                phases[name] = now - mark
                mark = now

            def load() -> LoadResult:
                return load_observations(
                    con, store, data_dir / "cache", parsed=parsed,
                    loaded_before=before[1] if full_because is None and before is not None else None,
                )

            try:
                loaded = load()
                if up_to_date:  # (loaded into memory: what the summary reports, and the parse cache kept tidy)
                    con.close()
                    con = open_warehouse(final)
                    tables = _tables(con)
                    con.close()
                    phase("load")
                    return BuildResult(path=final, load=loaded, timings={}, seconds=time.perf_counter() - t0,
                                       tables=tables, phases=phases, up_to_date=True)
                write_seeds(con, config, data_dir)
                # (an update: the fingerprint is the last build's, as _why_full found)
                fp = before[0] if full_because is None and before is not None else fingerprint(con)
                phase("load")
                increment = Increment() if full_because is None else None
                try:
                    timings = run_models(con, {"config": config}, increment=increment)
                except (ModelError, duckdb.Error) as exc:
                    if increment is None or out_of_space(exc, data_dir) or isinstance(exc, ModelOutOfMemory):
                        raise  # (a full build needs more room, and more memory, than the update that ran out of it)
                    # an update that fails (a bug, or a warehouse edited by hand) must not leave every later build
                    # failing the same way: build in full instead, from an empty file, and say why
                    full_because = f"the update of the last build failed ({exc}); built in full instead"
                    increment = None
                    con.close()
                    tmp.unlink()
                    con = connect_build(tmp, config.model.memory_limit)
                    loaded = load()  # (from the same parse: what it parsed stays counted)
                    write_seeds(con, config, data_dir)
                    timings = run_models(con, {"config": config})
                if increment is not None:
                    increment.stats["tables_compacted"] = len(compact(con))
                record_state(con, fp, loaded.keys)
                notices = unsorted_notices(con)
                phase("models")
            except BaseException:
                con.close()
                raise
            try:
                con.execute(
                    "create or replace table build_info as select ? as built_at, ? as version, ? as raw_segments, "
                    "? as load_errors",
                    [datetime.now(UTC), __version__, loaded.segments, loaded.errors],
                )
                for name, kind in con.execute(
                    "select table_name, table_type from information_schema.tables "
                    "where table_name like 'obs\\_%' escape '\\'"
                ).fetchall():
                    # parsed observations live in the cache (read through views while building); keep the warehouse lean
                    con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {name}")
                tables = _tables(con)
                con.execute("checkpoint")
            finally:
                con.close()
            if copying is not None:
                copying.join()  # (its flush long done: it started before the models)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)  # the whole file on disk before it is published (the build's commits did not sync)
            finally:
                os.close(fd)
            if increment is not None and final.exists():
                # an update: the warehouse it replaces keeps a second name for now, so that the rename does not wait
                # for the file system to free it; it goes in the background (remove_later). A full build (which an
                # erasure is) removes it before it returns.
                replaced = data_dir / f".{WAREHOUSE}.replaced-{os.getpid()}"
                try:
                    os.link(final, replaced)
                except OSError:
                    replaced = None  # a file system without hard links: the rename frees it
            os.replace(tmp, final)
            fsync_path(data_dir)
            if replaced is not None:
                remove_later(replaced)
                replaced = None
            if increment is None:
                spare.clear(final)  # (an erasure's build: no copy of the warehouse it replaced stays behind)
            spare.start(final)  # the next update's copy, made meanwhile
            phase("publish")
        except BaseException as exc:
            if copying is not None:
                copying.join()  # (not writing the file while it goes)
            if replaced is not None:
                replaced.unlink(missing_ok=True)
            # the half-built file, its log and its spill go now: on a full disk they hold the room a rerun needs
            _discard_partial(data_dir, tmp)
            if out_of_space(exc, data_dir):
                raise _no_space(data_dir, final) from exc
            raise
    return BuildResult(path=final, load=loaded, timings=timings, seconds=time.perf_counter() - t0, tables=tables,
                       phases=phases, full_because=full_because,
                       updated=increment.updated if increment else set(), stats=increment.stats if increment else {},
                       notices=notices)
