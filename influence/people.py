"""People: the ties register (import, export, adopt LinkedIn connections), manual merge and split, and erasure.

These are the operations behind ``influence ties …``, ``influence people …`` and ``influence erase``. They write
only to the ties register files, the state store and (erasure) the raw store, then the warehouse is rebuilt from
those: nothing here edits the warehouse in place.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from collectors.rawstore import RawStore, write_atomic
from collectors.scrub import Matcher, normalize_id
from influence.config import Config
from influence.errors import ConfigError, InfluenceError, StoreError
from influence.state import StateStore
from pipeline.ties import COLUMNS, HANDLE_COLUMNS, TIE_RINGS, Tie, normalize_handle, read_ties


# -- ties register -------------------------------------------------------------------------------------------
def register_path(config: Config, exec_id: str, data_dir: Path) -> Path:
    """The executive's ties register: the file named in the config, else ``<data-dir>/ties/<exec>.csv``."""
    e = config.executive(exec_id)
    return e.ties if e.ties is not None else data_dir / "ties" / f"{exec_id}.csv"


def ties_to_csv(ties: list[Tie]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for t in ties:
        cells = {c: ";".join(h for p, h in t.handles if p == c) for c in HANDLE_COLUMNS}
        w.writerow([t.name, t.ring, *(cells[c] for c in HANDLE_COLUMNS), t.since.isoformat() if t.since else "", t.note])
    return buf.getvalue()


def export_ties(config: Config, exec_id: str, data_dir: Path) -> str:
    path = register_path(config, exec_id, data_dir)
    return ties_to_csv(read_ties(path)) if path.exists() else ",".join(COLUMNS) + "\n"


def import_ties(config: Config, exec_id: str, source: Path, data_dir: Path) -> tuple[Path, int]:
    """Validate ``source`` (errors name line and column) and make it the executive's ties register."""
    ties = read_ties(source)
    target = register_path(config, exec_id, data_dir)
    write_atomic(target, ties_to_csv(ties).encode("utf-8"))
    return target, len(ties)


def adopt_linkedin(config: Config, exec_id: str, ring: str, data_dir: Path, *, company: str | None = None) -> tuple[Path, int]:
    """Add the executive's LinkedIn connections (from the warehouse) to their register with the chosen ring.

    A LinkedIn connection is a known tie, not proof of a meeting: the user chooses the ring. Connections already
    in the register (by LinkedIn URL) are left as they are.
    """
    if ring not in TIE_RINGS:
        raise ConfigError(f"'{ring}' is not a ring", hint=f"use one of: {', '.join(TIE_RINGS)}")
    con = _warehouse(data_dir)
    try:
        sql = ("select name, profile_url, connected_on from connections where exec_id = ? and platform = 'linkedin' "
               "and direction = 'connection'")
        params: list = [exec_id]
        if company:
            sql += " and lower(company) like ?"
            params.append(f"%{company.lower()}%")
        rows = con.execute(sql + " order by name", params).fetchall()
    finally:
        con.close()
    path = register_path(config, exec_id, data_dir)
    ties = read_ties(path) if path.exists() else []
    known = {h for t in ties for p, h in t.handles if p == "linkedin"}
    added = 0
    for name, url, connected_on in rows:
        handle = normalize_handle("linkedin", url) if url else ""
        if handle and handle in known:
            continue
        ties.append(Tie(line=0, name=name or url, ring=ring, handles=(("linkedin", handle),) if handle else (),
                        since=connected_on, note="adopted from LinkedIn connections"))
        known.add(handle)
        added += 1
    write_atomic(path, ties_to_csv(ties).encode("utf-8"))
    return path, added


# -- finding people ------------------------------------------------------------------------------------------
def _warehouse(data_dir: Path) -> duckdb.DuckDBPyConnection:
    path = data_dir / "warehouse.duckdb"
    if not path.exists():
        raise StoreError(f"no warehouse in {data_dir}", hint="run `influence model` first")
    # (imported here: the builder's own imports would cost the dashboard, which imports this module, ~90 ms to start)
    from pipeline.build import open_warehouse

    return open_warehouse(path)


def parse_account(spec: str) -> tuple[str | None, str]:
    """'mastodon:user@host', '@user@host', 'did:plc:…', 'name.bsky.social' or a URL -> (platform or None, id)."""
    s = spec.strip()
    for platform in ("mastodon", "bluesky", "blog", "web", "linkedin", "x"):
        if s.startswith(platform + ":") and not s.startswith("did:"):
            return platform, s[len(platform) + 1:]
    if s.startswith("@") and s.count("@") == 2:
        return "mastodon", s[1:].lower()
    if s.startswith("did:"):
        return "bluesky", s
    return None, s


@dataclass
class PersonRecord:
    person_id: str
    display_name: str | None
    accounts: list[tuple[str, str, str | None, str | None, str | None]] = field(default_factory=list)
    # (platform, account_id, handle, url, display_name)


def _matching_accounts(con: duckdb.DuckDBPyConnection, spec: str) -> list[tuple[str, str, str]]:
    """(platform, account_id, person_id) of every account whose id, handle or URL is ``spec`` (normalized)."""
    platform, ident = parse_account(spec)
    norm = normalize_id(ident)
    return con.execute(
        "select distinct platform, account_id, person_id from accounts where (? is null or platform = ?) and "
        "(norm_id(account_id) = ? or norm_id(handle) = ? or norm_id(url) = ?)",
        [platform, platform, norm, norm, norm],
    ).fetchall()


def find_person(data_dir: Path, spec: str) -> PersonRecord:
    con = _warehouse(data_dir)
    try:
        platform, _ = parse_account(spec)
        if spec.startswith("p") and not platform and con.execute("select 1 from people where person_id = ?", [spec]).fetchall():
            person_id = spec
        else:
            people = sorted({pid for _, _, pid in _matching_accounts(con, spec)})
            if not people:
                raise InfluenceError(f"no person or account matches '{spec}'",
                                     hint="give a person id from the warehouse, or a handle like @user@instance")
            if len(people) > 1:
                raise InfluenceError(f"'{spec}' matches {len(people)} people",
                                     hint="say the platform, e.g. mastodon:user@instance, or give the person id")
            person_id = people[0]
        rows = con.execute(
            "select platform, account_id, handle, url, display_name from accounts where person_id = ? order by 1, 2",
            [person_id],
        ).fetchall()
        name = con.execute("select display_name from people where person_id = ?", [person_id]).fetchall()
        return PersonRecord(person_id, name[0][0] if name else None, rows)
    finally:
        con.close()


# -- manual identity decisions -------------------------------------------------------------------------------
def _account_key(data_dir: Path, spec: str) -> tuple[str, str]:
    con = _warehouse(data_dir)
    try:
        hits = sorted({(p, a) for p, a, _ in _matching_accounts(con, spec)})
    finally:
        con.close()
    if not hits:
        raise InfluenceError(f"no account matches '{spec}'", hint="use a handle as shown by `influence people show`")
    if len(hits) > 1:
        raise InfluenceError(f"'{spec}' matches {len(hits)} accounts", hint="prefix the platform, e.g. bluesky:did:plc:…")
    return hits[0]


def merge(data_dir: Path, a: str, b: str, *, by: str, note: str = "") -> tuple[tuple[str, str], tuple[str, str]]:
    ka, kb = _account_key(data_dir, a), _account_key(data_dir, b)
    if ka == kb:
        raise InfluenceError("both names point to the same account", hint="give two different accounts")
    StateStore(data_dir).add_decision("merge", ka, kb, by=by, note=note)
    return ka, kb


def split(data_dir: Path, account: str, *, by: str, note: str = "") -> tuple[str, str]:
    key = _account_key(data_dir, account)
    StateStore(data_dir).add_decision("split", key, None, by=by, note=note)
    return key


# -- erasure -------------------------------------------------------------------------------------------------
@dataclass
class ErasureReport:
    person_id: str
    accounts: int
    raw_records_changed: int
    ties_rows_removed: int
    remaining_traces: list[str]


def erase_person(config: Config, data_dir: Path, spec: str, *, rebuild) -> ErasureReport:
    """Remove a person from the raw store, the ties registers, the state store and (through ``rebuild``) the
    warehouse; remember them, hashed, so later collections and imports leave them out. Returns what was done and
    any trace still found (there should be none)."""
    person = find_person(data_dir, spec)
    identifiers = set()
    names = set()
    for platform, account_id, handle, url, display_name in person.accounts:
        identifiers |= {account_id, handle or "", url or ""}
        if platform == "mastodon":
            user, _, host = account_id.partition("@")
            identifiers |= {f"https://{host}/@{user}", f"https://{host}/users/{user}"}
        if display_name:
            names.add(display_name)
    identifiers.discard("")
    matcher = Matcher(plain=identifiers, names=names)

    state = StateStore(data_dir)
    state.suppress(identifiers)
    state.forget_accounts((p, a) for p, a, *_ in person.accounts)

    def keep(row: dict) -> dict | None:
        payload = matcher.scrub_payload(row["payload"])
        url = matcher.redact(row["url"] or "")
        params = matcher.redact(row["params"] or "")
        if payload is None:
            return None
        if payload is row["payload"] and url == row["url"] and params == row["params"]:
            return row
        return {**row, "payload": payload, "url": url, "params": params}

    changed = RawStore(data_dir / "raw").rewrite_segments(keep)
    for path in [data_dir / "raw" / "cursors.json", *sorted((data_dir / "raw" / "runs").glob("*.json"))]:
        if path.exists():  # run summaries and cursors may name them in an error or a position
            text = path.read_text(encoding="utf-8")
            if matcher.redact(text) != text:
                write_atomic(path, matcher.redact(text).encode("utf-8"))

    removed = 0
    for e in config.executives:
        path = register_path(config, e.id, data_dir)
        if not path.exists():
            continue
        ties = read_ties(path)
        kept = [t for t in ties if not any(matcher.is_id(h) for _, h in t.handles)]
        if len(kept) != len(ties):
            removed += len(ties) - len(kept)
            write_atomic(path, ties_to_csv(kept).encode("utf-8"))

    shutil.rmtree(data_dir / "cache", ignore_errors=True)  # parsed copies of the old segments
    rebuild()
    return ErasureReport(person.person_id, len(person.accounts), changed, removed, find_traces(data_dir, matcher, config))


def find_traces(data_dir: Path, matcher: Matcher, config: Config) -> list[str]:
    """Every place under the data dir (and the ties registers) where one of the person's identifiers remains."""
    traces = []
    plain = [p for p in matcher.plain if len(p) >= 4]
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    files += [e.ties for e in config.executives if e.ties is not None and e.ties.exists()]
    for path in files:
        if path.suffix == ".parquet":
            text = str(pq.read_table(path).to_pylist())
        elif path.suffix == ".duckdb":
            text = _dump_duckdb(path)
        else:
            try:
                text = path.read_text(encoding="utf-8", errors="ignore")
            except OSError:
                continue
        low = text.lower()
        for p in plain:
            if p in low:
                traces.append(f"{path}: {p}")
    return traces


def _dump_duckdb(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for (table,) in con.execute("select table_name from duckdb_tables()").fetchall():
            parts.append(str(con.execute(f'select * from "{table}"').fetchall()))
        return "\n".join(parts)
    finally:
        con.close()
