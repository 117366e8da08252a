"""A process that reads the warehouse the way ``dashboard/data.py`` does, as fast as it can, until told to stop.

    python tests/dashboard_reader.py DATA_DIR STOP_FILE RESULT_FILE

Like the dashboard: an in-memory DuckDB with the warehouse file attached read-only, re-attached whenever the file's
inode or mtime changes (a new build was published), the previous version kept open meanwhile (the dashboard keeps
two). Each round runs dashboard-style queries with ``?`` parameters. Any error, a missing table or an inconsistent
warehouse (counts that disagree with each other, no ``build_info``) is recorded. Writes a JSON summary at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

QUERIES = [
    ("posts", "select count(*) from posts where exec_id = ?"),
    ("engagements", "select count(*) from engagements where exec_id = ?"),
    ("reach", "select count(*), coalesce(sum(engagers), 0) from weekly_reach where exec_id = ?"),
    ("ladder", "select count(*) from ladder where exec_id = ?"),
    ("people", "select count(*) from people"),
    ("followers", "select count(*) from followers where exec_id = ?"),
    ("observations", "select count(*) from post_observations where exec_id = ?"),
    ("build", "select count(*) from build_info"),
]


def main() -> int:
    data, stop, result = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    path = data / "warehouse.duckdb"
    errors: list[str] = []
    rounds = 0
    versions: set[tuple[int, int]] = set()
    seen: dict[str, set] = {}
    open_cons: list[tuple[tuple[int, int], duckdb.DuckDBPyConnection]] = []
    deadline = time.monotonic() + 300
    while not stop.exists() and time.monotonic() < deadline:
        try:
            st = path.stat()
        except FileNotFoundError:
            time.sleep(0.01)
            continue
        version = (st.st_ino, st.st_mtime_ns)
        con = next((c for v, c in open_cons if v == version), None)
        try:
            if con is None:
                con = duckdb.connect(":memory:")
                con.execute("attach ? as warehouse (read_only)", [str(path.resolve())]).fetchall()
                open_cons.append((version, con))
                versions.add(version)
                if len(open_cons) > 2:
                    open_cons.pop(0)[1].close()
            cur = con.cursor()
            cur.execute("use warehouse").fetchall()
            got = {}
            for name, sql in QUERIES:
                params = ["ada"] if "?" in sql else None
                got[name] = tuple(cur.execute(sql, params).fetchall()[0])
            cur.close()
            if got["build"] != (1,):
                errors.append(f"build_info has {got['build'][0]} rows")
            for name in ("posts", "engagements", "people", "followers"):
                seen.setdefault(name, set()).add(got[name])
            rounds += 1
        except duckdb.Error as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
    for _, con in open_cons:
        con.close()
    result.write_text(json.dumps({"rounds": rounds, "versions": len(versions), "errors": errors[:20],
                                  "n_errors": len(errors), "seen": {k: sorted(map(list, v)) for k, v in seen.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
