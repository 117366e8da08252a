"""Config and ties registers as ``cfg_*`` tables, the only inputs to the models besides ``obs_*``."""

from __future__ import annotations

import dataclasses

import duckdb
import pyarrow as pa

from influence.config import Config
from pipeline.ties import normalize_handle, read_ties


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict], schema: pa.Schema) -> None:
    con.register("_seed", pa.Table.from_pylist(rows, schema=schema))
    con.execute(f"create or replace table {name} as select * from _seed")
    con.unregister("_seed")


def write_seeds(con: duckdb.DuckDBPyConnection, config: Config) -> None:
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
    ties = []
    for e in config.executives:
        if e.ties is None:
            continue
        for t in read_ties(e.ties):
            for platform, handle in t.handles or (("", ""),):
                ties.append({
                    "exec_id": e.id, "tie_line": t.line, "name": t.name, "ring": t.ring,
                    "platform": platform or None, "handle": handle or None, "since": t.since, "note": t.note,
                    "source": str(e.ties),
                })
    _table(
        con, "cfg_ties", ties,
        pa.schema([("exec_id", s), ("tie_line", pa.int32()), ("name", s), ("ring", s), ("platform", s), ("handle", s),
                   ("since", pa.date32()), ("note", s), ("source", s)]),
    )
