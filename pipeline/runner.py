"""A small model runner: SQL models (one per file, the file name is the table name) and Python models.

- ``models/staging/*.sql`` read only ``obs_*`` and ``cfg_*`` tables (the load step's output and the config seeds);
  ``models/intermediate`` and ``models/marts`` read only other models.
- Every model declares its grain in a header comment, ``-- grain: exec_id, week, ring``; after the model is built
  the runner checks that no two rows share that grain, and fails naming the model and an offending key.
- A model that only renames another (a mart exposing an intermediate model under its public name) may say
  ``-- materialized: view``: it is created as a view, costs nothing to build, and its grain is its source's,
  already checked. A staging model read by one model only may say ``-- materialized: ephemeral``: a view while
  the build runs (its one reader computes it; at 10M engagements that saves writing 10M rows nobody reads
  twice), dropped when the build ends, since it reads the ``obs_*`` views that end with the build. Views are not
  grain-checked in a build (that would compute them a second time); tests/test_model_build.py checks every
  view's grain on the demo data.
- A model read mostly by one column's values may say ``-- stored by: exec_id``: its rows are sorted by it when the
  model is built in full, so that DuckDB skips the row groups of other values (at 10M engagements, one
  executive's engagements grouped by post took 50 ms against 264 ms unsorted; the updates' reads of the person-weeks
  of the weeks that changed, 0.03 s against 0.38 s). The sort runs in at most
  ``SORT_MEMORY`` and spills past it: uncapped, it took the full build's peak from 3.6 to 5.0 GB. An update leaves
  such a model's rows recomputed unchanged where they lie (``replace_rows``), so only changed rows go at the end.
  Where the sort runs out of that memory, the model is built unsorted and listed in ``UNSORTED``: every build
  and ``influence status`` say so until a build sorts it again.
- A model may say ``-- compression zstd: engagement_key, account_id``: those columns (strings nearly all distinct)
  are stored with DuckDB's ZSTD compression instead of the one it would choose (DICT_FSST, which analyses and
  builds a dictionary for every segment): written faster, and smaller. At 10M engagements, int_engagements' rows
  written again sorted with those two columns took 9.7-10.8 s against 11.8-14.0 s (the whole warehouse 4,725
  blocks used against 4,912), the model built 17.3-20.3 s against 18.0-21.7 s (session 27, alternated). ZSTD is
  slower to read a few rows from, which an update does (rows by row id): with the other tables' long strings in
  ZSTD as well (stg_accounts, stg_posts, accounts, the diffusion edges and tree; full builds 2-4 s quicker), a
  day's update took 9.0-10.6 s against 6.8-8.8 s, so only int_engagements' two columns are (a day 8.5-10.5 s
  against 8.6-10.5 s, alternated). The table is created from the query's columns and types (a ``describe`` of the
  query: 5.6-8.1 ms in seven full builds), those named ``using compression zstd``, then the rows inserted (an
  update's compaction keeps that definition).
- A model that keeps the hash of its grain (``hash()`` of the grain's columns, in order) in a column may say so,
  ``-- grain hash: key_hash``: the grain check reads it rather than hashing the columns again.
- Python models (``*.py`` beside the SQL) define ``DEPENDS``, ``GRAIN`` and ``build(con, settings)``.
- Models are ordered by their references (a model refers to another by using its name as a word).
"""

from __future__ import annotations

import graphlib
import importlib.util
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from influence.errors import ModelError, ModelOutOfMemory
from pipeline.incremental import UPDATERS, Increment

MODELS_DIR = Path(__file__).parent / "models"
LAYERS = ("staging", "intermediate", "marts")
_GRAIN = re.compile(r"^--\s*grain:\s*(.+)$", re.MULTILINE)
_VIEW = re.compile(r"^--\s*materialized:\s*(view|ephemeral)\s*$", re.MULTILINE)
_STORED_BY = re.compile(r"^--\s*stored by:\s*(.+)$", re.MULTILINE)
_GRAIN_HASH = re.compile(r"^--\s*grain hash:\s*(\w+)\s*$", re.MULTILINE)
_ZSTD = re.compile(r"^--\s*compression zstd:\s*(.+)$", re.MULTILINE)
# (int_engagements at 10M, copied into a file by itself: unsorted 14.2 s and 1.2 GB; sorted 15.6 s and 4.7 GB,
# in 2 GB 19.5 s and 2.1 GB, in 1 GB 21.4 s and 1.1 GB. Session 33, 10M engagements collected daily, the model
# alone from a file built up to it: in 2 GB its sort ran out of memory in 1 run of 2 (the plan before it, 3 of
# 6), in 2.5 GB 16.0-16.1 s, peak 2.65 GB, 2 runs of 2, in 3 GB 16.7-17.0 s and 3.1 GB; collected weekly
# 10.3-10.4 s in 2.5 GB against 10.2-10.3 s in 2 GB, 2.6 GB against 2.1 GB; `/tmp/s33/ie.py`)
SORT_MEMORY = "2.5GB"
# the stored-by models whose sort ran out of SORT_MEMORY when they were last computed in full, so stored unsorted
# (a build state table: a full build starts it empty, an update keeps it with the rows it keeps)
UNSORTED = "_unsorted_models"
_UNIT = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    grain: list[str]
    sql: str | None = None
    build: Callable[[duckdb.DuckDBPyConnection, dict[str, Any]], None] | None = None
    update: Callable[[duckdb.DuckDBPyConnection, Any], bool] | None = None  # a Python model's incremental update
    depends: set[str] = field(default_factory=set)
    view: bool = False
    ephemeral: bool = False  # a view for the build only (see the module docstring)
    stored_by: list[str] = field(default_factory=list)  # the columns its rows are sorted by (module docstring)
    grain_hash: str | None = None  # the column holding hash() of its grain's columns, if it keeps one (docstring)
    zstd: list[str] = field(default_factory=list)  # the columns stored with ZSTD compression (module docstring)


def _listed(header: re.Pattern[str], sql: str) -> list[str]:
    """The columns a header comment lists (``-- grain: a, b``), or none if the model has no such header."""
    found = header.search(sql)
    return [c.strip() for c in found.group(1).split(",")] if found else []


def discover(models_dir: Path = MODELS_DIR) -> list[Model]:
    models: list[Model] = []
    for layer in LAYERS:
        for path in sorted((models_dir / layer).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            grain = _listed(_GRAIN, sql)
            if not grain:
                raise ModelError(f"model {path.name} declares no grain", hint="add a first line like '-- grain: exec_id, week'")
            how = _VIEW.search(sql)
            hashed = _GRAIN_HASH.search(sql)
            models.append(Model(path.stem, layer, path, grain, sql=sql,
                                view=bool(how), ephemeral=bool(how and how.group(1) == "ephemeral"),
                                stored_by=_listed(_STORED_BY, sql), grain_hash=hashed.group(1) if hashed else None,
                                zstd=_listed(_ZSTD, sql)))
        for path in sorted((models_dir / layer).glob("*.py")):
            if path.name.startswith("_"):
                continue
            spec = importlib.util.spec_from_file_location(f"pipeline.models.{layer}.{path.stem}", path)
            assert spec and spec.loader
            mod = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = mod  # importable by name, e.g. by worker processes unpickling its functions
            spec.loader.exec_module(mod)
            models.append(Model(path.stem, layer, path, list(mod.GRAIN), build=mod.build, depends=set(mod.DEPENDS),
                                update=getattr(mod, "update", None)))
    names = {m.name for m in models}
    for m in models:
        if m.sql is not None:
            m.depends = {n for n in _references(m.sql) if n in names and n != m.name}
        if m.layer != "staging":
            bad = sorted(n for n in _references(m.sql or "") if n.startswith(("obs_", "cfg_")) and m.layer == "marts")
            if bad:
                raise ModelError(f"model {m.name} ({m.layer}) reads {bad[0]}", hint="marts read only other models, never obs_* or cfg_* tables")
    return models


def _references(sql: str) -> set[str]:
    """Names a query reads: every identifier after FROM or JOIN (comments and string literals ignored)."""
    body = re.sub(r"--[^\n]*", "", sql)
    body = re.sub(r"'(?:[^']|'')*'", "''", body)
    return set(re.findall(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", body, flags=re.IGNORECASE))


def order(models: list[Model]) -> list[Model]:
    by_name = {m.name: m for m in models}
    ts = graphlib.TopologicalSorter({m.name: m.depends for m in models})
    try:
        return [by_name[n] for n in ts.static_order()]
    except graphlib.CycleError as exc:
        raise ModelError(f"models refer to each other in a cycle: {' -> '.join(exc.args[1])}") from exc


def check_grain(con: duckdb.DuckDBPyConnection, model: Model, table: str | None = None) -> None:
    """Fail if two rows of the model (or of ``table``, rows the model is about to hold) share its grain."""
    table = table or model.name
    cols = ", ".join(model.grain)
    # a model that keeps its grain's hash (``-- grain hash:``) has it read rather than computed again (10M
    # engagements: 0.83 s against 1.21 s, `/tmp/s22/gc.py` of session 22). It must be the hash of the grain, so
    # that a repeat of the grain repeats it (test_model_build.py holds every such model to that)
    hashed = model.grain_hash or f"hash({cols})"
    # First by one 64-bit hash of the grain per row, cheaper than the columns (at 10M engagements 0.9 s against
    # 1.8 s grouped), and by sorting the hashes and comparing neighbours rather than grouping them: nearly every
    # hash is distinct, and a hash table of 10M groups costs twice a sort of 10M integers (int_engagements 0.8 s
    # against 1.5-1.7 s, int_person_weeks 0.7-0.8 against 1.4-2.5 s). Only if a hash repeats are the columns
    # themselves grouped, so a collision is never reported.
    if not con.execute(
        f"select count(*) from (select h, lead(h) over (order by h) as next from "
        f"(select {hashed} as h from {table})) where h = next"
    ).fetchone()[0]:
        return
    bad = con.execute(
        f"select {cols}, count(*) as n from {table} group by all having count(*) > 1 limit 1"
    ).fetchall()
    if bad:
        bad = bad[0]
        key = ", ".join(f"{c}={v!r}" for c, v in zip(model.grain, bad[:-1], strict=True))
        raise ModelError(
            f"model {model.name}: {bad[-1]} rows share the declared grain ({key})",
            hint="the model's joins multiply rows; fix the model or its declared grain",
        )


def run_models(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], models_dir: Path = MODELS_DIR, *,
               keep_ephemeral: bool = False, increment: Increment | None = None) -> dict[str, float]:
    """Build every model in dependency order, then drop the build-only views (unless ``keep_ephemeral``, for tests
    that check them); returns seconds spent per model.

    With ``increment`` the connection holds the previous warehouse: the models ``pipeline/incremental.py`` knows
    how to update are updated in place from what changed (unless their updater declines), every other model is
    recomputed as in a full build."""
    timings: dict[str, float] = {}
    models = order(discover(models_dir))
    if increment is not None:  # (an update keeps their rows in that order: replace_rows)
        increment.stored_by = {m.name: m.stored_by for m in models if m.stored_by}
    for model in models:
        t0 = time.perf_counter()
        try:
            updater = UPDATERS.get(model.name) or model.update
            if increment is not None and updater is not None and updater(con, increment):
                increment.updated.add(model.name)
            else:
                if increment is not None and model.name in increment.SNAPSHOT:
                    # recomputed in full: the updaters downstream compare it with the table it replaces
                    con.execute(f"drop table if exists _prev_{model.name}")
                    con.execute(f"alter table {model.name} rename to _prev_{model.name}")
                _build(con, model, settings)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(con, model, settings) from exc
        except duckdb.Error as exc:
            raise ModelError(f"model {model.name} failed: {exc}", hint=f"see {model.path}") from exc
        if not model.view:
            keys = increment.replaced.get(model.name) if increment is not None else None
            if keys is not None and set(keys) <= set(model.grain):
                # rows were replaced by a key within the grain: the rows kept were checked by an earlier build, and
                # a duplicate can only be among the rows put in
                check_grain(con, model, f"_inc_new_{model.name}")
            else:
                check_grain(con, model)
        timings[model.name] = time.perf_counter() - t0
    if increment is not None:
        increment.finish(con)
    if not keep_ephemeral:
        drop_ephemeral(con, models)
    return timings


def _build(con: duckdb.DuckDBPyConnection, model: Model, settings: dict[str, Any]) -> None:
    if model.sql is not None and model.view:
        con.execute(f"create or replace view {model.name} as\n{model.sql}")
    elif model.sql is not None and model.stored_by:
        by = ", ".join(model.stored_by)
        con.execute(f"create table if not exists {UNSORTED} (model varchar, stored_by varchar)")
        con.execute(f"delete from {UNSORTED} where model = ?", [model.name])
        try:
            with _memory_at_most(con, SORT_MEMORY, settings):
                _create_as(con, model, f"select * from (\n{model.sql}\n) order by {by}")
        except duckdb.OutOfMemoryException:
            # DuckDB's sort now and then runs out of the capped memory instead of spilling (2.0.1, int_engagements
            # at 10M engagements in 2 GB: 2 runs in 21 failed, the same statement on the same data). The rows do
            # not depend on their order: they are built again unsorted, within the same cap (its joins and
            # aggregates spill; uncapped, int_engagements collected daily took the build's peak to 9.2 GB), else
            # within the connection's own limit, and the model is listed in UNSORTED until it is sorted again
            # (updates keep it as it lies)
            try:
                with _memory_at_most(con, SORT_MEMORY, settings):
                    _create_as(con, model, model.sql)
            except duckdb.OutOfMemoryException:
                _create_as(con, model, model.sql)
            con.execute(f"insert into {UNSORTED} values (?, ?)", [model.name, by])
    elif model.sql is not None:
        _create_as(con, model, model.sql)
    else:
        assert model.build is not None
        model.build(con, settings)


def _create_as(con: duckdb.DuckDBPyConnection, model: Model, query: str) -> None:
    """``create or replace table <model> as <query>``; with the model's ``zstd`` columns (module docstring) the
    table is created first, from the query's columns and types, those columns compressed with ZSTD."""
    if not model.zstd:
        con.execute(f"create or replace table {model.name} as\n{query}")
        return
    columns = con.execute(f"describe select * from (\n{query}\n)").fetchall()
    missing = sorted(set(model.zstd) - {c[0] for c in columns})
    if missing:
        raise ModelError(f"model {model.name} names {missing[0]} in its compression header but has no such column",
                         hint=f"see {model.path}")
    defs = ", ".join(f'"{name}" {kind}' + (" using compression zstd" if name in model.zstd else "")
                     for name, kind, *_ in columns)
    con.execute(f"create or replace table {model.name} ({defs})")
    con.execute(f"insert into {model.name}\n{query}")


def unsorted_notices(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What to tell the user of the models stored unsorted (``UNSORTED``), from a build or a published warehouse."""
    if not con.execute("select count(*) from duckdb_tables() where table_name = ?", [UNSORTED]).fetchone()[0]:
        return []
    return [f"{name} is stored unsorted: sorting it by {by} ran out of the {SORT_MEMORY} a sort may take; its rows "
            f"are whole, but reading one {by}'s rows is slower until `influence model --full` sorts them"
            for name, by in con.execute(f"select model, stored_by from {UNSORTED} order by 1").fetchall()]


def _out_of_memory(con: duckdb.DuckDBPyConnection, model: Model, settings: dict[str, Any]) -> ModelOutOfMemory:
    """What to tell the user when a model needed more memory than DuckDB may take: DuckDB's own advice (fewer
    threads, a SET statement) is not something they can act on; the config's ``[model] memory_limit`` is."""
    (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    config = settings.get("config")
    configured = config.model.memory_limit if config is not None else None
    stands = "; the last warehouse stands as it was"
    if configured:
        hint = (f"raise [model] memory_limit (now \"{configured}\") in the config, or remove it (DuckDB then takes 80% "
                f"of the machine's memory), and run influence model again{stands}")
    else:
        hint = f"free memory (DuckDB may take 80% of what the machine has) and run influence model again{stands}"
    return ModelOutOfMemory(f"model {model.name} ran out of memory: DuckDB may take {limit} here and needed more", hint=hint)


def _bytes(size: str) -> float:
    """A DuckDB memory size ("18.8 GiB", "3200MB") in bytes."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", size)
    if not m or m.group(2).lower() not in _UNIT:
        raise ModelError(f"cannot read the memory size {size!r}")
    return float(m.group(1)) * _UNIT[m.group(2).lower()]


def _within_printed(size: str) -> str:
    """A size DuckDB prints as ``size``. It truncates ("5GB" prints as "4.6 GiB", and "4.6GiB" set back prints as
    "4.5 GiB"), so half a printed step above: a 5 appended to the decimals ("4.65GiB")."""
    m = re.fullmatch(r"\s*([0-9]+\.[0-9]+)\s*([a-zA-Z]+)\s*", size)
    return f"{m.group(1)}5{m.group(2)}" if m else size


@contextmanager
def _memory_at_most(con: duckdb.DuckDBPyConnection, cap: str, settings: dict[str, Any]) -> Iterator[None]:
    """DuckDB's memory limit lowered to ``cap`` (never raised) while the block runs, then what it was: the
    config's ``[model] memory_limit`` (exact: DuckDB prints "3GB" as "2.7 GiB"), else DuckDB's default, else (a
    limit its caller set on the connection) the limit DuckDB printed before the block, to within its rounding."""
    (current,) = con.execute("select current_setting('memory_limit')").fetchone()
    if _bytes(current) <= _bytes(cap):
        yield
        return
    con.execute(f"set memory_limit = '{cap}'")
    try:
        yield
    finally:
        config = settings.get("config")
        configured = config.model.memory_limit if config is not None else None
        con.execute(f"set memory_limit = '{configured}'" if configured else "reset memory_limit")
        if not configured and con.execute("select current_setting('memory_limit')").fetchone()[0] != current:
            con.execute(f"set memory_limit = '{_within_printed(current)}'")


def drop_ephemeral(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    """Drop the build-only views (``-- materialized: ephemeral``) once every model is built."""
    for model in models:
        if model.ephemeral:
            con.execute(f"drop view if exists {model.name}")
