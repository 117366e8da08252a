"""Model benchmark (not a test): wall time and peak memory of `influence model` on a synthetic programme.

    .venv/bin/python bench/gen_programme.py /tmp/bench1m --engagements 1000000
    .venv/bin/python bench/model_bench.py /tmp/bench1m [--runs 3] [--skip-cold]

Measured, each `influence model` in a fresh process. Peak memory twice: the largest resident set of any one process
(the build or one of its workers: ``ru_maxrss``), and the largest sum over the build and its worker processes,
sampled every 0.2 s (the parse and graph steps run one worker per core beside the build):
- cold: the first build, parsing every raw segment (the parse cache emptied first; `--full`);
- full: a full rebuild of every model with the parse cache warm (`influence model --full`: what a build costs
  when the code, the config or the ties change), median of --runs;
- new day: `gen_programme.py --add-day` then `influence model` (parses the new segment only and updates the last
  build: an incremental build), for seven days one after the other, reported by how many executives' spheres took
  in the week that ended (none, some: the staggered default takes in a seventh of them each day, or all: the
  aligned setting's Monday, whose update is run --runs times, the last warehouse put back before each), and all
  seven days together. Each day starts from the spare copy the build before it left (pipeline/spare.py) where its
  copier is done by then, as a day's run finds it; the warehouse put back for a rerun is not the file a spare was
  made of, so a rerun copies;
- each dashboard query: every `dashboard.data` function the pages call, for the largest executive, as the dashboard
  runs it (its cache cleared before each call), median of 7 after one warm-up, and the first (cold) run
  (``--queries-only``: these alone, on the warehouse there);
- the machine's speed before and after, as the time of a fixed DuckDB query (figures of different hours compare
  only beside it). Each run starts after os.sync(), so no run flushes what the one before it (or a copy) wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
INFLUENCE = str(Path(PY).parent / "influence")

sys.path.insert(0, str(ROOT))
from pipeline.build import copy_file  # noqa: E402  (a reflink where the file system makes one, as an update copies)

MEASURE = """
import json, os, resource, subprocess, sys, time

def tree_rss(root):
    # resident memory of root and every process below it, in KiB (the load and graph steps run worker processes)
    parent, rss = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                parent[int(pid)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/statm") as fh:
                rss[int(pid)] = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        below = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= below
        grew = bool(below)
    return sum(rss.get(p, 0) for p in tree)

t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
peak = 0
while p.poll() is None:
    peak = max(peak, tree_rss(p.pid))
    time.sleep(0.2)
out, err = p.communicate()
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": p.returncode, "wall": wall, "rss_mb": rss, "tree_mb": peak / 1024, "out": out[-400:],
                  "err": err[-2000:]}))
"""


def calibration() -> float:
    """Seconds a fixed DuckDB query takes on two threads, median of 3: this machine's speed varied by a factor of
    two between hours, so figures of different runs compare only beside it."""
    import duckdb

    con = duckdb.connect()
    con.execute("set threads = 2")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        con.execute("select sum(hash(i)) from range(300000000) t(i)").fetchall()
        times.append(time.perf_counter() - t0)
    con.close()
    return statistics.median(times)


def measured(cmd: list[str]) -> dict:
    os.sync()  # (what an earlier step wrote, e.g. a copied data dir, is not left for the measured run to flush)
    out = subprocess.run([PY, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True).stdout
    res = json.loads(out)
    if res["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res['err']}")
    return res


def model(d: Path, *flags: str) -> dict:
    return measured([INFLUENCE, "model", "--quiet", *flags, "--data-dir", str(d), "--config", str(d / "influence.toml")])


def largest_executive(d: Path) -> str:
    import duckdb

    con = duckdb.connect(str(d / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select exec_id from engagements group by exec_id order by count(*) desc limit 1").fetchall()[0][0]
    finally:
        con.close()


def queries(d: Path, exec_id: str) -> dict[str, tuple[float, float]]:
    """Every query the dashboard's pages run for one executive, through `dashboard.data` as the pages call it: its
    cache cleared before each call, so each call runs its SQL on the dashboard's own read-only attach (opened by the
    first); the access check's queries, cached once per warehouse, run before the clock starts (``executives`` is
    the check's own query). The first call and the median of the 7 after it. The spheres page's for the
    executive's largest sphere (125k people for e039's at 10M engagements, the 1,000 most engaged listed), the
    chains page's edges for their widest chain, the ties page's account search empty (the first 200 by name),
    matching many, matching none, and the check of 20 accounts a merge or split names."""
    import duckdb
    import polars  # noqa: F401  (imported before the clock starts, as the dashboard has it loaded)

    from dashboard import data
    from influence.users import User

    os.environ[data.DATA_ENV] = str(d)  # read at each call (data.warehouse_path)

    con = duckdb.connect(str(d / "warehouse.duckdb"), read_only=True)
    try:
        sphere = con.execute("select sphere_id from spheres where exec_id = ? order by people desc limit 1",
                             [exec_id]).fetchall()[0][0]
        platform, root = con.execute("select platform, root_post_id from chains where exec_id = ? "
                                     "order by people desc, root_post_id limit 1", [exec_id]).fetchall()[0]
        named = con.execute("select platform, account_id from accounts using sample reservoir(20 rows) "
                            "repeatable (7)").fetchall()
        platforms = [p for (p,) in con.execute("select distinct platform from posts where exec_id = ? order by 1",
                                                [exec_id]).fetchall()]
    finally:
        con.close()
    admin = User("bench", "admin")
    calls = {
        "executives": lambda: data.executives(admin), "executive": lambda: data.executive(admin, exec_id),
        "headline": lambda: data.headline(admin, exec_id), "ladder": lambda: data.ladder(admin, exec_id),
        "weekly_reach": lambda: data.weekly_reach(admin, exec_id),
        "weekly_reach (one platform)": lambda: data.weekly_reach(admin, exec_id, platforms[:1]),
        "followers": lambda: data.followers(admin, exec_id),
        "followers_weekly": lambda: data.followers_weekly(admin, exec_id),
        "new_people_monthly": lambda: data.new_people_monthly(admin, exec_id),
        "cumulative_digital": lambda: data.cumulative_digital(admin, exec_id),
        "platforms": lambda: data.platforms(admin, exec_id), "last_activity": lambda: data.last_activity(admin, exec_id),
        "top_posts": lambda: data.top_posts(admin, exec_id, None, platforms),
        "goal_figures": lambda: data.goal_figures(admin, exec_id),
        "signals_weekly": lambda: data.signals_weekly(admin, exec_id),
        "connector_weekly": lambda: data.connector_weekly(admin, exec_id),
        "topics": lambda: data.topics(admin, exec_id), "spheres": lambda: data.spheres(admin, exec_id),
        "sphere_links": lambda: data.sphere_links(admin, exec_id),
        "sphere_people": lambda: data.sphere_people(admin, exec_id, sphere),
        "sphere_posts": lambda: data.sphere_posts(admin, exec_id, sphere),
        "influences": lambda: data.influences(admin, exec_id), "chains": lambda: data.chains(admin, exec_id),
        "chain_edges": lambda: data.chain_edges(admin, exec_id, platform, root),
        "cohort_percentiles": lambda: data.cohort_percentiles(admin, exec_id), "cohort": lambda: data.cohort(admin),
        "find_accounts (empty)": lambda: data.find_accounts(admin, exec_id, ""),
        "find_accounts ('u00')": lambda: data.find_accounts(admin, exec_id, "u00"),
        "find_accounts ('zz%')": lambda: data.find_accounts(admin, exec_id, "zz%"),
        "accounts_around (20)": lambda: data.accounts_around(admin, exec_id, named),
    }
    out = {}
    for name, call in calls.items():
        times = []
        for _ in range(8):
            data._cached.clear()
            data.check(admin, exec_id)  # the access check's and the list of marts' queries, which the dashboard
            data.has_marts()  # runs once per warehouse (cached), are not the page's query: run before the clock
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = (times[0], statistics.median(times[1:]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-cold", action="store_true", help="keep the parse cache (the cold build is the slowest)")
    ap.add_argument("--queries-only", action="store_true", help="only the dashboard queries, on the warehouse there")
    a = ap.parse_args()
    d: Path = a.dir
    if a.queries_only:
        print("| dashboard query | first run | median of 7 |\n|---|---|---|")
        for name, (first, med) in queries(d, largest_executive(d)).items():
            print(f"| {name} | {first:.0f} ms | {med:.0f} ms |")
        return
    rows: list[tuple[str, str, str, str]] = []
    speed = [calibration()]
    print(f"calibration query (select sum(hash(i)) from range(300000000) t(i), two threads): {speed[0]:.2f} s", flush=True)

    def report(what: str, runs: list[dict]) -> None:
        wall = statistics.median(r["wall"] for r in runs)
        rss = max(r["rss_mb"] for r in runs)
        tree = max(r["tree_mb"] for r in runs)
        rows.append((what, f"{wall:.1f} s" + (f" (median of {len(runs)})" if len(runs) > 1 else ""), f"{rss:,.0f} MB",
                     f"{tree:,.0f} MB"))
        print(f"{what}: {[round(r['wall'], 1) for r in runs]} s, peak {rss:,.0f} MB (all processes {tree:,.0f} MB)",
              flush=True)

    if not a.skip_cold:
        shutil.rmtree(d / "cache", ignore_errors=True)
        report("cold build (parse every raw segment, then every model)", [model(d, "--full")])
    report("full rebuild of every model (parse cache warm)", [model(d, "--full") for _ in range(a.runs)])
    import duckdb

    def spheres_through() -> dict[str, object]:
        con = duckdb.connect(str(d / "warehouse.duckdb"), read_only=True)
        try:
            return dict(con.execute("select exec_id, through_week from int_sphere_window").fetchall())
        finally:
            con.close()

    # Days are added one by one for a week (every executive's spheres take in a week on one of them) and each update
    # is reported by how many executives' spheres took in a week: none (a day of the same week, with
    # spheres_through = "last_complete_week"), some (the staggered default: a seventh of them each day) or all (the
    # aligned setting's Monday: that update is run --runs times, the last warehouse put back before each).
    by_kind: dict[str, list[dict]] = {}
    days: list[dict] = []  # each day's update, once
    warehouse, kept = d / "warehouse.duckdb", d / ".bench-before-day.duckdb"
    for _ in range(7):
        before = spheres_through()
        subprocess.run([PY, str(ROOT / "bench" / "gen_programme.py"), str(d), "--add-day"], check=True, capture_output=True)
        copy_file(warehouse, kept)
        run = model(d)
        after = spheres_through()
        moved = sum(after.get(x) != w for x, w in before.items())
        kind = "none" if moved == 0 else "all" if moved == len(before) else "some"
        print(f"day {run['wall']:.1f} s: the spheres of {moved} of {len(before)} executives took in a week", flush=True)
        by_kind.setdefault(kind, []).append({**run, "moved": moved})
        days.append(run)
        if kind == "all":
            for _ in range(a.runs - 1):
                # the same update again, the last warehouse put back (the day's segment is parsed by then: its load
                # is the cached one's)
                copy_file(kept, warehouse)
                by_kind[kind].append({**model(d), "moved": moved})
    kept.unlink(missing_ok=True)
    titles = {
        "none": "rebuild after one new day, no executive's spheres taking in a week",
        "some": "rebuild after one new day, some executives' spheres taking in a week (staggered: {moved})",
        "all": "rebuild after one new day, every executive's spheres taking in a week (aligned: the same update "
               "{n} times, the last warehouse put back)",
    }
    for kind, runs in by_kind.items():
        report(titles[kind].format(moved=", ".join(str(r["moved"]) for r in runs), n=len(runs)), runs)
    report(f"rebuild after one new day, each of the {len(days)} days once", days)

    con = duckdb.connect(str(d / "warehouse.duckdb"), read_only=True)
    engagements = con.execute("select count(*) from engagements").fetchall()[0][0]
    con.close()
    top = largest_executive(d)
    q = queries(d, top)
    speed.append(calibration())
    print(f"\n{engagements:,} engagements; the calibration query took {speed[0]:.2f} s before the runs and "
          f"{speed[1]:.2f} s after; dashboard queries for the largest executive ({top})\n")
    print("| run | wall time | peak memory, largest process | peak memory, all processes |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    print("\n| dashboard query | first run | median of 7 |\n|---|---|---|")
    for name, (first, med) in q.items():
        print(f"| {name} | {first:.0f} ms | {med:.0f} ms |")


if __name__ == "__main__":
    main()
