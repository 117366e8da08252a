"""The small store for what people decide by hand, kept apart from the rebuilt warehouse.

``<data-dir>/state.sqlite`` (SQLite in WAL mode, so concurrent dashboard sessions and the command line can write
safely) holds manual identity decisions (merge, split) and the suppression list of erased people. The warehouse is
rebuilt from the raw store and this file; nothing here is ever derived from the warehouse.

The suppression list holds SHA-256 hashes of an erased person's identifiers (DIDs, addresses, URLs), never the
identifiers themselves: erasure must not leave their handle behind in the very list that remembers to skip them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from collectors.scrub import hash_id

SCHEMA = """
create table if not exists identity_decisions (
    id integer primary key autoincrement,
    decided_at text not null,
    action text not null check (action in ('merge', 'split')),
    platform_a text not null,
    account_a text not null,
    platform_b text,
    account_b text,
    decided_by text not null,
    note text
);
create table if not exists suppressed (
    id_hash text primary key,
    erased_at text not null
);
"""


class StateStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "state.sqlite"

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("pragma journal_mode=wal")
        con.execute("pragma busy_timeout=30000")
        con.executescript(SCHEMA)
        return con

    # -- identity decisions ------------------------------------------------------------------------------------
    def add_decision(self, action: str, a: tuple[str, str], b: tuple[str, str] | None, *, by: str, note: str = "") -> int:
        with closing(self.connect()) as con:
            cur = con.execute(
                "insert into identity_decisions (decided_at, action, platform_a, account_a, platform_b, account_b, "
                "decided_by, note) values (?, ?, ?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(), action, a[0], a[1], b[0] if b else None, b[1] if b else None, by, note),
            )
            return int(cur.lastrowid)

    def decisions(self) -> list[dict]:
        if not self.path.exists():
            return []
        with closing(self.connect()) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("select * from identity_decisions order by id")]

    def forget_accounts(self, accounts: Iterable[tuple[str, str]]) -> None:
        """Remove every decision naming one of ``accounts`` (erasure)."""
        if not self.path.exists():
            return
        with closing(self.connect()) as con:
            for platform, account in accounts:
                con.execute(
                    "delete from identity_decisions where (platform_a = ? and account_a = ?) "
                    "or (platform_b = ? and account_b = ?)",
                    (platform, account, platform, account),
                )
            con.execute("pragma wal_checkpoint(TRUNCATE)")
            con.execute("vacuum")  # deleted rows must not linger in free pages of the file

    # -- suppression -------------------------------------------------------------------------------------------
    def suppress(self, identifiers: Iterable[str]) -> None:
        now = datetime.now(UTC).isoformat()
        with closing(self.connect()) as con:
            con.executemany(
                "insert or ignore into suppressed (id_hash, erased_at) values (?, ?)",
                [(hash_id(i), now) for i in identifiers if i and i.strip()],
            )

    def suppressed_hashes(self) -> frozenset[str]:
        if not self.path.exists():
            return frozenset()
        with closing(self.connect()) as con:
            return frozenset(h for (h,) in con.execute("select id_hash from suppressed"))
