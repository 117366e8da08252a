"""Small builders for tests: raw records in the real API shapes, a config file, a warehouse build."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from collectors.rawstore import RawRecord, RawStore
from influence.config import load_config
from pipeline.build import build_warehouse

BSKY = "https://public.api.bsky.app/xrpc"


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC) if "+" not in s else datetime.fromisoformat(s)


def actor(did: str, handle: str | None = None, name: str | None = None) -> dict:
    handle = handle or did.split(":")[-1] + ".bsky.social"
    return {"did": did, "handle": handle, "displayName": name or handle.split(".")[0].title(), "labels": [],
            "createdAt": "2024-01-01T00:00:00.000Z"}


def bsky_post(did: str, rkey: str, created: str, text: str = "hello", **counts: int) -> dict:
    view = {"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": "bafyreitest" + rkey, "author": actor(did),
            "record": {"$type": "app.bsky.feed.post", "createdAt": created, "text": text}, "indexedAt": created,
            "labels": []}
    view.update(counts)
    return view


def bsky(store_or_dir, kind: str, exec_id: str, observed: str, payload: dict, run_id: str = "20260101T000000Z-test", **params) -> None:
    store = store_or_dir if isinstance(store_or_dir, RawStore) else RawStore(Path(store_or_dir) / "raw")
    store.append([RawRecord(source="bluesky", kind=kind, exec_id=exec_id, url=f"{BSKY}/{kind}", payload=json.dumps(payload),
                            observed_at=t(observed), params=params)], run_id=run_id)


def write_config(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def build(data_dir: Path, config_path: Path) -> duckdb.DuckDBPyConnection:
    build_warehouse(load_config(config_path), data_dir)
    return duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def query_differences(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int:
    """How many rows two queries do not share, compared as multisets (EXCEPT ALL both ways): 0 when equal."""
    a, b = f"select * from ({a})", f"select * from ({b})"
    return con.execute(f"select (select count(*) from ({a} except all {b})) + (select count(*) from ({b} except all {a}))"
                       ).fetchall()[0][0]


def m_account(acct: str, name: str = "Someone", fields: list[dict] | None = None, note: str = "") -> dict:
    user, host = acct.split("@")
    return {"id": str(int(hashlib.md5(acct.encode()).hexdigest()[:10], 16)), "username": user, "acct": acct, "display_name": name,
            "url": f"https://{host}/@{user}", "uri": f"https://{host}/users/{user}", "note": f"<p>{note}</p>",
            "followers_count": 10, "following_count": 5, "statuses_count": 3, "created_at": "2024-01-01T00:00:00.000Z",
            "bot": False, "hide_collections": False, "fields": fields or []}


def m_status(sid: str, account: dict, created: str, content: str = "<p>hi</p>", **extra) -> dict:
    s = {"id": sid, "created_at": created, "in_reply_to_id": None, "in_reply_to_account_id": None, "visibility": "public",
         "uri": f"https://m.example/statuses/{sid}", "url": f"https://m.example/@x/{sid}", "content": content,
         "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "reblog": None, "account": account,
         "mentions": [], "tags": []}
    s.update(extra)
    return s


def raw(data_dir, source: str, kind: str, exec_id: str, observed: str, payload, run_id: str = "20260101T000000Z-test",
        url: str | None = None, **params) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    RawStore(Path(data_dir) / "raw").append([RawRecord(
        source=source, kind=kind, exec_id=exec_id, url=url or f"https://{source}.example/{kind}", payload=text,
        observed_at=t(observed), params=params)], run_id=run_id)


def string_compressions(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, list[str]]:
    """Each string column of ``table`` and the compressions its stored segments use (sorted): what a model's
    ``-- compression zstd:`` header (pipeline/runner.py) must leave ZSTD, and DuckDB's own choice elsewhere."""
    return dict(con.execute(
        "select column_name, list(distinct compression order by compression) from pragma_storage_info(?) "
        "where segment_type = 'VARCHAR' group by all", [table]).fetchall())


def spare_of(final: Path) -> Path:
    """The spare copy of the warehouse ``final`` as it is now (pipeline/spare.py), once the process a build started
    has made it (a wait for a process, not a timing: up to 20 s)."""
    import time

    from pipeline import spare

    made = spare._named(final, spare.stamp(final.stat()))
    for _ in range(200):
        if made.exists():
            return made
        time.sleep(0.1)
    raise AssertionError(f"no spare of {final.name}: {sorted(p.name for p in final.parent.glob(f'.{final.name}.spare*'))}")
