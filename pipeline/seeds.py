"""Config and ties registers as ``cfg_*`` tables, the only inputs to the models besides ``obs_*``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow as pa

from influence.config import Config
from influence.state import StateStore
from pipeline.ties import normalize_handle, read_ties

# The SQL macros every model may use (write_seeds defines them; the Spark transpiler expands them inline).
# norm_id(x): the normalization of collectors/scrub.normalize_id, for matching identifiers against the suppression list
NORM_ID = "rtrim(ltrim(regexp_replace(lower(trim(x)), '^[a-z][a-z0-9+.\\-]*://(www\\.)?', ''), '@'), '/')"
# account_person_id(platform, account_id): the person an account is on its own (no identity group joins it to
# others), int_identity_groups.person_id of its key 'platform:account_id'; an account that joins a group whose
# smallest key it is keeps its id
ACCOUNT_PERSON_ID = "'p' || substr(md5(platform || ':' || account_id), 1, 15)"
# A person id's 15 hex digits are a 60-bit number: the intermediate tables that hold a row per engagement or per
# person-week (int_engagements, int_person_weeks, the spheres' state, the diffusion trees) key people by it, a
# BIGINT, and the marts show the id. Integers group, join and sort faster than 16-character strings, which DuckDB
# cannot inline (at 10M engagements int_person_weeks 3.2-4.0 s against 6.3-7.1 s; int_engagements written sorted
# 8.6-9.3 s against 10.4-13.3 s). Fixed-width lowercase hex sorts as its number does, so an order by key is the
# order by id.
# person_key(person_id): the key of a person id of accounts ('p...'); NULL for a ties-register person no account
# matched ('t...'), who engages with nothing
PERSON_KEY = "case when left(person_id, 1) = 'p' then cast('0x' || substr(person_id, 2) as bigint) end"
# account_person_key(platform, account_id): person_key(account_person_id(platform, account_id))
ACCOUNT_PERSON_KEY = "cast('0x' || substr(md5(platform || ':' || account_id), 1, 15) as bigint)"
# person_id_of(person_key): the person id again (printf is DuckDB's fastest way; Spark gets lpad(lower(hex(...))))
PERSON_ID_OF = "printf('p%015x', person_key)"


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict], schema: pa.Schema) -> None:
    con.register("_seed", pa.Table.from_pylist(rows, schema=schema))
    con.execute(f"create or replace table {name} as select * from _seed")
    con.unregister("_seed")


def _register_source(register: Path, data_dir: Path | None) -> str:
    """How ``cfg_ties.source`` names a register: relative to the data dir when it lies in it (the registers that
    `influence ties import` keeps there), else as the config names it. The seeds are part of the fingerprint, so a
    data dir copied or moved elsewhere would otherwise build in full once (10M engagements: 70 s, not a day's
    ~10 s update) for a path that says nothing new. The dashboard resolves it against the data dir."""
    if data_dir is not None:
        try:
            return register.resolve().relative_to(data_dir.resolve()).as_posix()
        except ValueError:
            pass  # a register outside the data dir
    return str(register)


def write_seeds(con: duckdb.DuckDBPyConnection, config: Config, data_dir: Path | None = None) -> None:
    s = pa.string()
    _table(
        con, "cfg_executives",
        [{"exec_id": e.id, "name": e.name, "topics": list(e.topics)} for e in config.executives],
        pa.schema([("exec_id", s), ("name", s), ("topics", pa.list_(s))]),
    )
    accounts = []
    for e in config.executives:
        for platform in ("mastodon", "bluesky", "x"):
            for h in getattr(e.accounts, platform):
                accounts.append({"exec_id": e.id, "platform": platform, "handle": normalize_handle(platform, h)})
        for url in (*e.accounts.blogs, *e.accounts.wordpress):
            accounts.append({"exec_id": e.id, "platform": "blog", "handle": url.rstrip("/").lower()})
    _table(con, "cfg_exec_accounts", accounts, pa.schema([("exec_id", s), ("platform", s), ("handle", s)]))
    _table(
        con, "cfg_mentees",
        [{"mentor_id": m.id, "mentor_name": m.name, "exec_id": x} for m in config.mentors for x in m.mentees],
        pa.schema([("mentor_id", s), ("mentor_name", s), ("exec_id", s)]),
    )
    ladder = dataclasses.asdict(config.ladder)
    con.execute("create or replace table cfg_ladder as select " + ", ".join(f"{v!r} as {k}" for k, v in ladder.items()))
    con.execute("create or replace table cfg_spheres as select ? as through", [config.model.spheres_through])
    ties = []
    for e in config.executives:
        # the register named in the config, else the one `influence ties import` keeps in the data dir
        register = e.ties if e.ties is not None else (data_dir / "ties" / f"{e.id}.csv" if data_dir else None)
        if register is None or (e.ties is None and not register.exists()):
            continue
        source = _register_source(register, data_dir)
        for t in read_ties(register):
            for platform, handle in t.handles or (("", ""),):
                ties.append({
                    "exec_id": e.id, "tie_line": t.line, "name": t.name, "ring": t.ring,
                    "platform": platform or None, "handle": handle or None, "since": t.since, "note": t.note,
                    "source": source,
                })
    _table(
        con, "cfg_ties", ties,
        pa.schema([("exec_id", s), ("tie_line", pa.int32()), ("name", s), ("ring", s), ("platform", s), ("handle", s),
                   ("since", pa.date32()), ("note", s), ("source", s)]),
    )
    decisions = StateStore(data_dir).decisions() if data_dir is not None else []
    _table(
        con, "cfg_identity_decisions",
        [{k: d[k] for k in ("id", "decided_at", "action", "platform_a", "account_a", "platform_b", "account_b",
                            "decided_by", "note")} for d in decisions],
        pa.schema([("id", pa.int64()), ("decided_at", s), ("action", s), ("platform_a", s), ("account_a", s),
                   ("platform_b", s), ("account_b", s), ("decided_by", s), ("note", s)]),
    )
    hashes = sorted(StateStore(data_dir).suppressed_hashes()) if data_dir is not None else []
    _table(con, "cfg_suppressed", [{"id_hash": h} for h in hashes], pa.schema([("id_hash", s)]))
    con.execute(f"create or replace macro norm_id(x) as {NORM_ID}")
    con.execute(f"create or replace macro account_person_id(platform, account_id) as {ACCOUNT_PERSON_ID}")
    con.execute(f"create or replace macro person_key(person_id) as {PERSON_KEY}")
    con.execute(f"create or replace macro account_person_key(platform, account_id) as {ACCOUNT_PERSON_KEY}")
    con.execute(f"create or replace macro person_id_of(person_key) as {PERSON_ID_OF}")
    # the Monday of t's ISO week, in UTC (date_trunc('week', t) as a date when the time zone is UTC, as a build's is):
    # by arithmetic on the epoch, since DuckDB's date_trunc of a timestamp with time zone goes through ICU's
    # calendar (at 10M engagements int_person_weeks took 9.3 s with it, 7.1 s with this; medians of 2, slow machine)
    con.execute(
        "create or replace macro iso_week(t) as date '1970-01-01' + cast("
        "floor(epoch_us(t) / 86400000000) - ((cast(floor(epoch_us(t) / 86400000000) as bigint) % 7 + 10) % 7) "
        "as integer)"
    )
    define_is_suppressed(con)


def define_is_suppressed(con: duckdb.DuckDBPyConnection) -> None:
    """The macro ``is_suppressed(x)`` for the suppression list as ``cfg_suppressed`` holds it now (written again
    whenever the list is). No one erased (the usual case): ``false``, which DuckDB folds away with whatever it filters
    (the staging models' sets of erased identifiers are then empty, never computed), as Spark's inlined list does
    (pipeline/spark/transpile.py). Otherwise each identifier is normalized and hashed; the staging models with many
    observations per identifier check each distinct identifier once (stg_accounts, stg_engagements)."""
    (erased,) = con.execute("select count(*) from cfg_suppressed").fetchone()
    con.execute("create or replace macro is_suppressed(x) as " + (
        "x is not null and sha256(norm_id(x)) in (select id_hash from cfg_suppressed)" if erased else "false"))
