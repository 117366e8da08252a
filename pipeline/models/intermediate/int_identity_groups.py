"""Accounts grouped into people: evidence edges (int_identity_edges) joined transitively, then manual decisions.

A manual decision overrides the rules and survives rebuilds (it lives in the state store, not the warehouse):
- ``split`` of an account cuts every edge touching it made before the split, rules included;
- ``merge`` of two accounts adds an edge, unless a later split of either account cut it.
Only accounts that belong to a group of two or more are listed; every other account is its own person
(int_people). A person's id is derived from the smallest of their account keys, so it is stable across rebuilds
as long as the group keeps that account.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import pyarrow as pa

DEPENDS = ["int_identity_edges", "stg_accounts"]
GRAIN = ["platform", "account_id"]


def person_id(key: str) -> str:
    return "p" + hashlib.md5(key.encode()).hexdigest()[:15]


def build(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    edges = con.execute(
        "select platform_a || ':' || account_a, platform_b || ':' || account_b, evidence, 'rule' "
        "from int_identity_edges"
    ).fetchall()
    # the accounts named by a manual decision that have been seen (only those are looked up: not every account)
    known = {k for (k,) in con.execute(
        "select a.platform || ':' || a.account_id from stg_accounts as a "
        "semi join (select platform_a as p, account_a as x from cfg_identity_decisions "
        "           union select platform_b, account_b from cfg_identity_decisions) as d "
        "on a.platform = d.p and a.account_id = d.x"
    ).fetchall()}
    decisions = con.execute(
        "select action, platform_a || ':' || account_a, platform_b || ':' || account_b, decided_by, decided_at, "
        "coalesce(note, '') from cfg_identity_decisions order by id"
    ).fetchall()

    # (a, b, evidence, decided_by) with rule edges first, then manual decisions in the order they were made
    live: list[tuple[str, str, str, str]] = [(a, b, ev, by) for a, b, ev, by in edges]
    for action, a, b, by, at, note in decisions:
        if action == "split":
            live = [e for e in live if a not in (e[0], e[1])]
        elif a in known and b in known:
            live.append((a, b, f"merged by hand by {by} on {at[:10]}" + (f": {note}" if note else ""), "manual"))

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _, _ in live:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    evidence: dict[str, list[tuple[str, str]]] = {}
    for a, b, ev, by in live:
        evidence.setdefault(a, []).append((ev, by))
        evidence.setdefault(b, []).append((ev, by))
    rows = []
    for group in members.values():
        if len(group) < 2:
            continue
        pid = person_id(min(group))
        for key in sorted(group):
            platform, account_id = key.split(":", 1)
            evs = sorted(set(evidence.get(key, [])))
            rows.append({
                "platform": platform, "account_id": account_id, "person_id": pid,
                "evidence": "; ".join(e for e, _ in evs),
                "decided_by": "manual" if any(by == "manual" for _, by in evs) else "rule",
            })
    schema = pa.schema([(c, pa.string()) for c in ("platform", "account_id", "person_id", "evidence", "decided_by")])
    con.register("_groups", pa.Table.from_pylist(rows, schema=schema))
    con.execute("create or replace table int_identity_groups as select * from _groups")
    con.unregister("_groups")
