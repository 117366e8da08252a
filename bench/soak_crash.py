"""Soak test: SIGKILL ``influence collect`` and ``influence model`` at random points many times, then check that
running them to completion gives the warehouse of an uninterrupted run (not part of the test suite).

    .venv/bin/python bench/soak_crash.py --rounds 5 --kills 50 [--seed 1] [--mixed]

Each round starts from an empty data dir: ``--kills`` killed collections, one complete one, ``--kills`` killed
builds, one complete one, then the comparison (``tests/crashkit.py``). ``--mixed`` kills collect and model in
turn instead, so builds also die while the raw store is half collected. Prints one line per round; exits 1 if any
round ended with a different warehouse.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import crashkit as ck  # noqa: E402
from fakes import FakeBluesky, FakeMastodon  # noqa: E402
from loopback import Loopback  # noqa: E402
from test_faults import make_world  # noqa: E402

from collectors.rawstore import RawStore  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kills", type=int, default=50, help="killed runs per command per round")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--mixed", action="store_true", help="alternate killed collections and builds")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    print(f"seed {seed}")
    failures = 0
    with Loopback() as ms, Loopback() as bs, tempfile.TemporaryDirectory() as tmp:
        make_world(FakeMastodon(ms), FakeBluesky(bs), ms, bs)
        root = Path(tmp)
        config = root / "influence.toml"
        config.write_text(ck.config_text(ms.url, bs.url), encoding="utf-8")
        clean = root / "clean"
        collect_s = ck.timed(["collect"], config, clean)
        model_s = ck.timed(["model"], config, clean)
        print(f"uninterrupted: collect {collect_s:.2f} s, model {model_s:.2f} s")
        for n in range(args.rounds):
            t0 = time.monotonic()
            data = root / f"crashed-{n}"
            if args.mixed:
                kc = km = 0
                for _ in range(args.kills):
                    kc += ck.kill_repeatedly(["collect"], config, data, times=1, window=(0.3, collect_s), rng=rng).kills
                    km += ck.kill_repeatedly(["model"], config, data, times=1, window=(0.3, model_s), rng=rng).kills
                ck.run(["collect"], config, data)
                ck.run(["model"], config, data)
            else:
                kc = ck.kill_repeatedly(["collect"], config, data, times=args.kills, window=(0.3, collect_s), rng=rng).kills
                list(RawStore(data / "raw").records())
                ck.run(["collect"], config, data)
                km = ck.kill_repeatedly(["model"], config, data, times=args.kills, window=(0.3, model_s), rng=rng).kills
                ck.run(["model"], config, data)
            diff = ck.differences(clean / "warehouse.duckdb", data / "warehouse.duckdb")
            segments = len(RawStore(data / "raw").segments())
            status = "equal" if not diff else "DIFFERENT"
            failures += bool(diff)
            print(f"round {n + 1}: collect killed {kc}×, model killed {km}×, {segments} raw segments, "
                  f"{time.monotonic() - t0:.0f} s: {status}", flush=True)
            for line in diff:
                print("   ", line[:400])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
