"""Kill ``influence collect`` and ``influence model`` with SIGKILL at random points, and compare warehouses.

Used by ``tests/test_crash.py`` (20+ kills per command) and ``bench/soak_crash.py`` (as many as you like). The
collection runs against the fake Mastodon and Bluesky of ``test_faults.make_world`` on loopback, served by the
process that imports this module; the commands run as real subprocesses of the installed CLI.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
INFLUENCE = [sys.executable, "-m", "influence.cli"]

# Columns whose values come from the wall clock of the run that produced them, not from the data: when a
# response was observed, when a warehouse was built. A killed-and-restarted collection looks again later, so these
# legitimately differ from an uninterrupted run; everything else must be equal.
WALL_CLOCK_COLUMNS = {"observed_at", "first_seen", "first_seen_at", "last_seen", "last_seen_at", "built_at"}
# What is compared: the marts (what the dashboard and anyone querying the warehouse read) and load_errors. Staging
# and intermediate tables are the pipeline's inner workings. build_info records the build itself.
MARTS_DIR = ROOT / "pipeline" / "models" / "marts"
EXTRA_TABLES = {"load_errors"}
FLOAT_DIGITS = 9  # DuckDB sums floats in parallel, in no fixed order: the last bits of a mean may differ
# Observations: every look at a post's counts is a row. A killed run that had read the timeline leaves one more
# look, so "equal" means: the same distinct counts were observed for the same posts (with the time left out).
OBSERVATION_TABLES = {"post_observations"}


def config_text(mastodon_url: str, bluesky_url: str) -> str:
    return f"""contact = "ops@example.org"
lookback_days = 30
[[executives]]
id = "ada"
name = "Ada"
[executives.accounts]
mastodon = ["@ada@social.example"]
bluesky = ["ada.bsky.social"]
[platforms.mastodon]
base_url = "{mastodon_url}"
[platforms.bluesky]
base_url = "{bluesky_url}"
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def run(args: list[str], config: Path, data: Path, *, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([*INFLUENCE, *args, "--config", str(config), "--data-dir", str(data), "--quiet"],
                          capture_output=True, text=True, env=env(), cwd=ROOT, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"influence {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


@dataclass
class KillLog:
    command: str
    kills: int = 0
    finished_first: int = 0  # runs that ended before the kill came
    delays: list[float] = field(default_factory=list)


def timed(args: list[str], config: Path, data: Path) -> float:
    t0 = time.monotonic()
    run(args, config, data)
    return time.monotonic() - t0


def kill_repeatedly(args: list[str], config: Path, data: Path, *, times: int, window: tuple[float, float],
                    rng: random.Random) -> KillLog:
    """Start ``influence <args>`` ``times`` times, each killed with SIGKILL after a random delay in ``window``."""
    log = KillLog(" ".join(args))
    for _ in range(times):
        delay = rng.uniform(*window)
        proc = subprocess.Popen([*INFLUENCE, *args, "--config", str(config), "--data-dir", str(data), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(), cwd=ROOT)
        try:
            proc.wait(timeout=delay)
            log.finished_first += 1
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            log.kills += 1
        log.delays.append(round(delay, 3))
    return log


# -- comparing warehouses ----------------------------------------------------------------------------------------
def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the warehouse, as sorted rows, wall-clock columns left out (see above)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("attach ? as w (read_only)", [str(path)])
        names = [n for (n,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'w' and table_schema = 'main' "
            "order by 1").fetchall()]
        out: dict[str, list[tuple[Any, ...]]] = {}
        marts = {p.stem for p in MARTS_DIR.glob("*.*") if p.suffix in (".sql", ".py")} | EXTRA_TABLES
        for name in names:
            if name not in marts:
                continue
            cols = dict(con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'w' "
                "and table_name = ? order by ordinal_position", [name]).fetchall())
            kept = [c for c in cols if c not in WALL_CLOCK_COLUMNS]
            expr = ", ".join(_value(c, cols[c], "time_known" in cols) for c in kept)
            distinct = "distinct " if name in OBSERVATION_TABLES else ""
            rows = con.execute(f'select {distinct}{expr} from w.main."{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def _value(column: str, sql_type: str, has_time_known: bool) -> str:
    q = f'"{column}"'
    if has_time_known and sql_type.startswith("TIMESTAMP"):
        # Mastodon likes and boosts, Bluesky reposts carry no time: they are dated when first seen (time_known
        # false), which is wall-clock time
        return f"case when time_known then {q} end"
    if sql_type in ("DOUBLE", "FLOAT", "REAL"):
        return f"round({q}, {FLOAT_DIGITS})"
    return q


def differences(a: Path, b: Path) -> list[str]:
    ta, tb = tables(a), tables(b)
    out = []
    for name in sorted(set(ta) | set(tb)):
        if name not in ta or name not in tb:
            out.append(f"{name}: only in {'the first' if name in ta else 'the second'}")
        elif ta[name] != tb[name]:
            extra = [r for r in tb[name] if r not in ta[name]][:3]
            missing = [r for r in ta[name] if r not in tb[name]][:3]
            out.append(f"{name}: {len(ta[name])} vs {len(tb[name])} rows; missing {missing}; extra {extra}")
    return out


def iso_week() -> tuple[int, int]:
    y, w, _ = datetime.now(UTC).isocalendar()
    return y, w
