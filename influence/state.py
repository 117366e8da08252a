"""The small store for what people decide by hand, kept apart from the rebuilt warehouse.

``<data-dir>/state.sqlite`` (SQLite in WAL mode, so concurrent dashboard sessions and the command line can write
safely) holds manual identity decisions (merge, split) and the suppression list of erased people, and what the
dashboard keeps: its users (argon2 hashes), log-in attempts (for rate limiting), goals and dated reviews with
their frozen figures. The warehouse is
rebuilt from the raw store and this file; nothing here is ever derived from the warehouse.

The suppression list holds SHA-256 hashes of an erased person's identifiers (DIDs, addresses, URLs), never the
identifiers themselves: erasure must not leave their handle behind in the very list that remembers to skip them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from collectors.scrub import hash_id
from influence.errors import InfluenceError, StoreError, free_space, out_of_space, size_text

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
create table if not exists users (
    name text primary key,
    password_hash text,
    role text not null check (role in ('executive', 'mentor', 'admin')),
    exec_id text,
    mentor_id text,
    created_at text not null,
    updated_at text not null
);
create table if not exists login_attempts (
    id integer primary key autoincrement,
    name text not null,
    at text not null,
    ok integer not null
);
create index if not exists login_attempts_by_name on login_attempts (name, at);
create table if not exists goals (
    id integer primary key autoincrement,
    exec_id text not null,
    metric text not null,
    target real not null,
    due text not null,
    start_value real,
    set_at text not null,
    set_by text not null,
    retired_at text
);
create table if not exists reviews (
    id integer primary key autoincrement,
    exec_id text not null,
    review_date text not null,
    note text not null,
    author text not null,
    created_at text not null,
    snapshot text not null
);
"""


class StateStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "state.sqlite"

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation. What goes wrong with the file (a full disk, a damaged or locked
        database) comes out as a StoreError that names it and says what to do, for every caller alike."""
        try:
            with closing(self.connect()) as con:
                yield con
        except (sqlite3.Error, OSError) as exc:
            if out_of_space(exc, self.path.parent):
                raise StoreError(f"the state store {self.path} cannot be written: the disk holding it is full "
                                 f"({size_text(free_space(self.path.parent))} free)",
                                 hint="free some space, then try again") from exc
            raise StoreError(f"the state store {self.path} cannot be used: {exc}",
                             hint=f"try again; if it fails again, check the file (sqlite3 {self.path} "
                                  "'pragma integrity_check')") from exc

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("pragma journal_mode=wal")
        con.execute("pragma busy_timeout=30000")
        con.executescript(SCHEMA)
        return con

    # -- identity decisions ------------------------------------------------------------------------------------
    def add_decision(self, action: str, a: tuple[str, str], b: tuple[str, str] | None, *, by: str, note: str = "") -> int:
        """Save a merge (a, b) or split (a, None). One already in effect (the latest decision naming either account is
        this one, a merge either way round: a button clicked twice, a command run again) is refused, not saved twice;
        the check and the insert are one transaction."""
        with self._open() as con:
            con.execute("begin immediate")
            named = " or ".join(["(platform_a = ? and account_a = ?)", "(platform_b = ? and account_b = ?)"] * 2)
            latest = con.execute(
                "select action, platform_a, account_a, platform_b, account_b from identity_decisions "
                f"where {named} order by id desc limit 1", (*a, *a, *(b or a), *(b or a))).fetchone()
            if latest is not None and latest[0] == action and \
                    {(latest[1], latest[2]), (latest[3], latest[4])} - {(None, None)} == {a, b or a}:
                con.execute("rollback")
                raise InfluenceError(f"this {action} is already saved", hint="it applies from the next model build")
            cur = con.execute(
                "insert into identity_decisions (decided_at, action, platform_a, account_a, platform_b, account_b, "
                "decided_by, note) values (?, ?, ?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(), action, a[0], a[1], b[0] if b else None, b[1] if b else None, by, note),
            )
            con.execute("commit")
            return int(cur.lastrowid)

    def decisions(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._open() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("select * from identity_decisions order by id")]

    def forget_accounts(self, accounts: Iterable[tuple[str, str]]) -> None:
        """Remove every decision naming one of ``accounts`` (erasure)."""
        if not self.path.exists():
            return
        with self._open() as con:
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
        with self._open() as con:
            con.executemany(
                "insert or ignore into suppressed (id_hash, erased_at) values (?, ?)",
                [(hash_id(i), now) for i in identifiers if i and i.strip()],
            )

    def suppressed_hashes(self) -> frozenset[str]:
        if not self.path.exists():
            return frozenset()
        with self._open() as con:
            return frozenset(h for (h,) in con.execute("select id_hash from suppressed"))

    # -- dashboard users and log-in attempts ---------------------------------------------------------------------
    # Password hashes only (argon2, see influence/users.py); never a password.
    def put_user(self, name: str, *, role: str, password_hash: str | None, exec_id: str | None = None,
                 mentor_id: str | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        with self._open() as con:
            con.execute(
                "insert into users (name, password_hash, role, exec_id, mentor_id, created_at, updated_at) "
                "values (?, ?, ?, ?, ?, ?, ?) on conflict (name) do update set password_hash = excluded.password_hash, "
                "role = excluded.role, exec_id = excluded.exec_id, mentor_id = excluded.mentor_id, "
                "updated_at = excluded.updated_at",
                (name, password_hash, role, exec_id, mentor_id, now, now),
            )

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        with self._open() as con:
            cur = con.execute("update users set password_hash = ?, updated_at = ? where name = ?",
                              (password_hash, datetime.now(UTC).isoformat(), name))
            return cur.rowcount > 0

    def remove_user(self, name: str) -> bool:
        with self._open() as con:
            cur = con.execute("delete from users where name = ?", (name,))
            con.execute("delete from login_attempts where name = ?", (name,))
            return cur.rowcount > 0

    def user(self, name: str) -> dict | None:
        if not self.path.exists():
            return None
        with self._open() as con:
            con.row_factory = sqlite3.Row
            row = con.execute("select * from users where name = ?", (name,)).fetchone()
            return dict(row) if row else None

    def users(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._open() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(
                "select name, role, exec_id, mentor_id, created_at, updated_at from users order by name")]

    def record_login(self, name: str, ok: bool, at: datetime | None = None) -> None:
        with self._open() as con:
            con.execute("insert into login_attempts (name, at, ok) values (?, ?, ?)",
                        (name, (at or datetime.now(UTC)).isoformat(), int(ok)))

    def failed_logins_since(self, name: str, since: datetime) -> list[datetime]:
        """Times of the failed log-ins for ``name`` after ``since`` and after its last successful one."""
        if not self.path.exists():
            return []
        with self._open() as con:
            rows = con.execute(
                "select at from login_attempts where name = ? and ok = 0 and at > ? and at > coalesce("
                "(select max(at) from login_attempts where name = ? and ok = 1), '') order by at",
                (name, since.isoformat(), name),
            ).fetchall()
        return [datetime.fromisoformat(at) for (at,) in rows]

    # -- goals and reviews (dashboard) ---------------------------------------------------------------------------
    def add_goal(self, exec_id: str, metric: str, target: float, due: str, *, start_value: float | None,
                 by: str) -> int:
        with self._open() as con:
            cur = con.execute(
                "insert into goals (exec_id, metric, target, due, start_value, set_at, set_by) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (exec_id, metric, float(target), due, start_value, datetime.now(UTC).isoformat(), by),
            )
            return int(cur.lastrowid)

    def retire_goal(self, exec_id: str, goal_id: int) -> bool:
        with self._open() as con:
            cur = con.execute("update goals set retired_at = ? where id = ? and exec_id = ? and retired_at is null",
                              (datetime.now(UTC).isoformat(), goal_id, exec_id))
            return cur.rowcount > 0

    def goals(self, exec_id: str, *, include_retired: bool = False) -> list[dict]:
        if not self.path.exists():
            return []
        with self._open() as con:
            con.row_factory = sqlite3.Row
            sql = "select * from goals where exec_id = ?" + ("" if include_retired else " and retired_at is null")
            return [dict(r) for r in con.execute(sql + " order by due, id", (exec_id,))]

    def add_review(self, exec_id: str, review_date: str, note: str, *, author: str, snapshot: str) -> int:
        with self._open() as con:
            cur = con.execute(
                "insert into reviews (exec_id, review_date, note, author, created_at, snapshot) "
                "values (?, ?, ?, ?, ?, ?)",
                (exec_id, review_date, note, author, datetime.now(UTC).isoformat(), snapshot),
            )
            return int(cur.lastrowid)

    def reviews(self, exec_id: str) -> list[dict]:
        """Newest first."""
        if not self.path.exists():
            return []
        with self._open() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(
                "select * from reviews where exec_id = ? order by review_date desc, id desc", (exec_id,))]
