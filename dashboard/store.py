"""What the dashboard writes: goals, review notes with their frozen figures, ties register edits, merges and splits.

Everything goes to the state store (`<data-dir>/state.sqlite`, WAL, safe for concurrent sessions) or to the
executive's ties register file through `influence.people`, never to the warehouse: the next `influence model`
build reads them. Every function checks access first (`data.check`), exactly like the warehouse reads.
Plain functions, callable without a Streamlit session.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from collectors.rawstore import write_atomic
from dashboard import data
from dashboard.access import AccessDenied, can_edit_goals
from dashboard.goals import METRICS, progress
from influence import people
from influence.config import CONFIG_ENV, Config, load_config, resolve_config_path
from influence.errors import InfluenceError
from influence.state import StateStore
from influence.users import User
from pipeline.ties import COLUMNS, HANDLE_COLUMNS, read_ties


def state() -> StateStore:
    return StateStore(data.data_dir())


def config() -> Config | None:
    """$INFLUENCE_CONFIG, else ./influence.toml, else the demo's config in the data dir; None if there is none."""
    path = resolve_config_path(None, data.data_dir())
    return load_config(path) if path.exists() else None


def _today() -> date:
    return datetime.now(UTC).date()


# --- goals -----------------------------------------------------------------------------------------------------

def goals(user: User | None, exec_id: str) -> list[dict[str, Any]]:
    """The executive's current goals, each with its progress against the latest figures."""
    data.check(user, exec_id)
    figures = data.goal_figures(user, exec_id)
    out = []
    for g in state().goals(exec_id):
        out.append({**g, **progress(g, figures.get(g["metric"]), _today())})
    return out


def _require_editor(user: User | None, exec_id: str) -> User:
    """The user, if they may see this executive and write goals and reviews (mentor, admin)."""
    data.check(user, exec_id)
    if user is None or not can_edit_goals(user):
        raise AccessDenied(user, exec_id)
    return user


def _require_user(user: User | None, exec_id: str) -> User:
    data.check(user, exec_id)
    if user is None:
        raise AccessDenied(user, exec_id)
    return user


def add_goal(user: User | None, exec_id: str, metric: str, target: float, due: date) -> int:
    editor = _require_editor(user, exec_id)
    if metric not in METRICS:
        raise InfluenceError(f"'{metric}' is not a goal metric", hint=f"use one of: {', '.join(METRICS)}")
    start = data.goal_figures(editor, exec_id).get(metric)
    return state().add_goal(exec_id, metric, float(target), due.isoformat(), start_value=start, by=editor.name)


def retire_goal(user: User | None, exec_id: str, goal_id: int) -> bool:
    _require_editor(user, exec_id)
    return state().retire_goal(exec_id, int(goal_id))


# --- reviews ---------------------------------------------------------------------------------------------------

def snapshot(user: User | None, exec_id: str) -> dict[str, Any]:
    """The figures a review freezes: the model's latest figures and every goal's progress."""
    figures = data.goal_figures(user, exec_id)
    return {
        "frozen_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "built_at": str(data.built_at()),
        "figures": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in figures.items()},
        "goals": [{"id": g["id"], "metric": g["metric"], "target": g["target"], "due": g["due"],
                   "current": g["current"], "status": g["status"]} for g in goals(user, exec_id)],
    }


def add_review(user: User | None, exec_id: str, review_date: date, note: str) -> int:
    editor = _require_editor(user, exec_id)
    frozen = json.dumps(snapshot(editor, exec_id), sort_keys=True)
    return state().add_review(exec_id, review_date.isoformat(), note, author=editor.name, snapshot=frozen)


def reviews(user: User | None, exec_id: str) -> list[dict[str, Any]]:
    """Newest first, each with its snapshot parsed."""
    data.check(user, exec_id)
    out = []
    for r in state().reviews(exec_id):
        out.append({**r, "snapshot": json.loads(r["snapshot"])})
    return out


# --- the ties register -----------------------------------------------------------------------------------------

def register_path(user: User | None, exec_id: str) -> Path | None:
    data.check(user, exec_id)
    cfg = config()
    if cfg is None:
        source = data.ties_register_source(user, exec_id)
        # relative to the data dir where the register lies in it (pipeline/seeds.py); an absolute path stays one
        return data.data_dir() / source if source else None
    return people.register_path(cfg, exec_id, data.data_dir())


def ties_frame(user: User | None, exec_id: str) -> pl.DataFrame:
    """The register as a table with the CSV's columns (handles joined with ';'); empty if there is none yet."""
    path = register_path(user, exec_id)
    rows = []
    if path is not None and path.exists():
        for t in read_ties(path):
            cells = {c: ";".join(h for p, h in t.handles if p == c) for c in HANDLE_COLUMNS}
            rows.append({"name": t.name, "ring": t.ring, **cells,
                         "since": t.since.isoformat() if t.since else "", "note": t.note})
    return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS})


def save_ties(user: User | None, exec_id: str, rows: list[dict[str, Any]]) -> tuple[Path, int]:
    """Validate the edited rows (errors name the line and column) and make them the executive's register."""
    data.check(user, exec_id)
    cfg = config()
    if cfg is None:
        raise InfluenceError("no configuration file found, so the ties register's place is unknown",
                             hint=f"set {CONFIG_ENV} to the influence.toml the warehouse is built from")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        if not any(str(r.get(c) or "").strip() for c in COLUMNS):
            continue  # an empty row the editor left behind
        w.writerow([str(r.get(c) or "").strip() for c in COLUMNS])
    tmp = data.data_dir() / f".ties-{secrets.token_hex(4)}.csv"
    write_atomic(tmp, buf.getvalue().encode("utf-8"))  # (a failed write is a StoreError naming the file)
    try:
        return people.import_ties(cfg, exec_id, tmp, data.data_dir())
    finally:
        tmp.unlink(missing_ok=True)


# --- merge and split -------------------------------------------------------------------------------------------

def _account(user: User | None, exec_id: str, platform: str, account_id: str) -> tuple[str, str]:
    """The account, if it is one of the people around this executive; else AccessDenied."""
    if (platform, account_id) not in data.accounts_around(user, exec_id, [(platform, account_id)]):
        raise AccessDenied(user, f"{exec_id}: account {platform}:{account_id}")
    return platform, account_id


def merge(user: User | None, exec_id: str, a: tuple[str, str], b: tuple[str, str], note: str = "") -> int:
    who = _require_user(user, exec_id)
    ka, kb = _account(who, exec_id, *a), _account(who, exec_id, *b)
    if ka == kb:
        raise InfluenceError("both are the same account", hint="choose two different accounts")
    return state().add_decision("merge", ka, kb, by=f"dashboard:{who.name}", note=note)


def split(user: User | None, exec_id: str, account: tuple[str, str], note: str = "") -> int:
    who = _require_user(user, exec_id)
    key = _account(who, exec_id, *account)
    return state().add_decision("split", key, None, by=f"dashboard:{who.name}", note=note)


def decisions(user: User | None, exec_id: str) -> pl.DataFrame:
    """The manual merge/split decisions naming accounts around this executive."""
    every = state().decisions()
    named = [(d[f"platform_{s}"], d[f"account_{s}"]) for d in every for s in "ab" if d[f"account_{s}"] is not None]
    keys = data.accounts_around(user, exec_id, named)
    rows = [d for d in every if (d["platform_a"], d["account_a"]) in keys or (d["platform_b"], d["account_b"]) in keys]
    schema = {"decided_at": pl.String, "action": pl.String, "platform_a": pl.String, "account_a": pl.String,
              "platform_b": pl.String, "account_b": pl.String, "decided_by": pl.String, "note": pl.String}
    return pl.DataFrame([{k: d[k] for k in schema} for d in rows], schema=schema)
