"""``influence demo``: the bundled demo programme loaded into a data dir through the normal raw store."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime
from pathlib import Path

from collectors.rawstore import RawRecord, RawStore
from influence.config import DEMO_CONFIG
from influence.errors import StoreError

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"

# The demo's people are fictional, and so are its log-ins: one shared password, printed by `influence demo` and
# given in the README. Created only in a data dir holding the demo, and only while it has no users at all.
DEMO_PASSWORD = "demo-only-password"
DEMO_USERS = (  # (name, role, exec_id, mentor_id)
    ("maria", "mentor", None, "maria"),
    ("ada", "executive", "ada", None),
    ("ben", "executive", "ben", None),
    ("chloe", "executive", "chloe", None),
    ("admin", "admin", None, None),
)


def ensure_demo_users(data_dir: Path, config) -> list[str]:
    """Create the demo log-ins if the data dir has no users yet; returns the names created."""
    from influence.state import StateStore
    from influence.users import add_user

    if StateStore(data_dir).users():
        return []
    for name, role, exec_id, mentor_id in DEMO_USERS:
        add_user(data_dir, name, role, DEMO_PASSWORD, exec_id=exec_id, mentor_id=mentor_id, config=config)
    return [u[0] for u in DEMO_USERS]


def demo_config_path(data_dir: Path) -> Path:
    return data_dir / DEMO_CONFIG


def load_demo(data_dir: Path) -> tuple[Path, int]:
    """Copy the demo config and ties into ``data_dir/demo`` and store the demo's raw responses, once.

    Returns the config path and how many raw records were stored now (0 when the demo was already loaded).
    """
    src = DEMO_DIR / "raw.jsonl.gz"
    if not src.exists():
        raise StoreError(f"demo data not found at {src}", hint="run `python -m influence.demo_data` to generate it")
    target = data_dir / "demo"
    # the repository's own data/ (the first command's data dir) already holds the bundled demo there: nothing to copy
    if target.resolve() != DEMO_DIR.resolve():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(DEMO_DIR / "influence.toml", target / "influence.toml")
        shutil.copytree(DEMO_DIR / "ties", target / "ties", dirs_exist_ok=True)
    store = RawStore(data_dir / "raw")
    marker = data_dir / "raw" / "demo-loaded"
    if marker.exists():
        return demo_config_path(data_dir), 0
    # one simulated weekly collection run per observation day, so runs look like a collector's
    by_run: dict[str, list[RawRecord]] = {}
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            at = datetime.fromisoformat(r["observed_at"])
            run_id = at.strftime("%Y%m%dT%H0000Z") + "-demo"
            by_run.setdefault(run_id, []).append(RawRecord(
                source=r["source"], kind=r["kind"], exec_id=r["exec_id"], url=r["url"], payload=r["payload"],
                observed_at=at, params=r["params"], status=r["status"],
            ))
    n = 0
    for run_id, records in sorted(by_run.items()):
        store.append(records, run_id=run_id)
        n += len(records)
    marker.write_text("the bundled demo data is in this raw store\n")
    return demo_config_path(data_dir), n
