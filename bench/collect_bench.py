"""Collection benchmark (not a test): one executive, 2,000 posts and 20,000 engagements on two loopback platforms.

    .venv/bin/python bench/collect_bench.py [--posts 2000] [--engagements 20000] [--latency 0.05]

A fake Mastodon and a fake Bluesky (tests/fakes.py) run in a separate process, each answering after ``--latency``
seconds and advertising a fixed-window rate limit (``--limit`` requests per ``--window`` seconds per host, Mastodon
and Bluesky header styles) that they enforce and count. Each collection run is a fresh process, so its peak RSS is
the collector's own. Reported: wall time, requests, peak memory for a first run and for a second run with nothing
new; requests over the advertised limit; and the same first-run requests made one after another (a measured
sample of them, sequentially, extrapolated to all).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def serve(args: argparse.Namespace, ready: mp.Queue, stop: mp.Event) -> None:
    from fakes import NOW, FakeBluesky, FakeMastodon
    from loopback import Loopback, RateLimit, json_reply

    rng = random.Random(7)
    per_platform = args.posts // 2
    engagements = args.engagements // 2
    m_limit, b_limit = RateLimit(args.limit, args.window), RateLimit(args.limit, args.window, style="bluesky")
    ms, bs = Loopback(latency=args.latency, rate_limit=m_limit), Loopback(latency=args.latency, rate_limit=b_limit)
    m, b = FakeMastodon(ms), FakeBluesky(bs)

    def split(total: int, n: int) -> list[int]:  # engagements spread unevenly over n posts (a few popular ones)
        weights = [rng.paretovariate(1.5) for _ in range(n)]
        s = sum(weights)
        return [int(total * w / s) for w in weights]

    ada = m.account("ada", followers=800, following=200)
    fans = [m.account(f"fan{i}", domain=f"i{i % 40}.example") for i in range(3000)]
    m.set_list(ada, "followers", fans[:800])
    m.set_list(ada, "following", fans[800:1000])
    for i, n in enumerate(split(engagements, per_platform)):
        likes, boosts, replies = int(n * 0.7), int(n * 0.2), n - int(n * 0.7) - int(n * 0.2)
        m.post(ada, NOW - timedelta(hours=4 * i + 1), likes=rng.sample(fans, min(likes, 3000)),
               boosts=rng.sample(fans, boosts), replies=[m.reply(f, {"id": "0", "account": ada}, NOW) for f in rng.sample(fans, replies)])
    bada = b.actor("ada.example.com", register=True, followers=800, follows=200)
    bfans = [b.actor(f"fan{i}.bsky.social") for i in range(3000)]
    b.set_graph(bada["did"], "followers", bfans[:800])
    b.set_graph(bada["did"], "follows", bfans[800:1000])
    for i, n in enumerate(split(engagements, per_platform)):
        likes, reposts, quotes = int(n * 0.7), int(n * 0.15), int(n * 0.05)
        replies = n - likes - reposts - quotes
        b.post(bada, NOW - timedelta(hours=4 * i + 1), likes=rng.sample(bfans, min(likes, 3000)),
               reposts=rng.sample(bfans, reposts), quotes=[b.post(f, NOW) for f in rng.sample(bfans, quotes)],
               replies=[b.post(f, NOW, reply_to="x") for f in rng.sample(bfans, replies)])
    for srv, limit in ((ms, m_limit), (bs, b_limit)):
        srv.route("/__stats", lambda r, lim=limit, s=srv: json_reply(
            {"exceeded": lim.exceeded, "max_in_window": lim.max_in_window, "requests": len(s.requests)}))
    ready.put((ms.url, bs.url))
    stop.wait()
    ms.close()
    bs.close()


def collect_once(mastodon_url: str, bluesky_url: str, data_dir: str, lookback: int) -> None:
    from conftest import make_config

    from collectors.runner import run_collect

    config = make_config(mastodon=("@ada@social.example",), bluesky=("ada.example.com",), mastodon_url=mastodon_url,
                         bluesky_url=bluesky_url, lookback_days=lookback)
    t0 = time.perf_counter()
    s = run_collect(config, Path(data_dir), max_wait=60)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": round(wall, 2), "requests": s.requests, "retries": s.retries, "waited_s": s.waited_s,
                      "records": s.records, "new_posts": s.new_posts, "errors": s.errors,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--posts", type=int, default=2000)
    p.add_argument("--engagements", type=int, default=20000)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--limit", type=int, default=300, help="requests per window per host, advertised and enforced")
    p.add_argument("--window", type=float, default=2.0)
    p.add_argument("--lookback", type=int, default=365)
    p.add_argument("--sequential-sample", type=int, default=200)
    p.add_argument("--run", nargs=3, metavar=("MASTODON_URL", "BLUESKY_URL", "DATA_DIR"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.run:
        collect_once(*args.run, args.lookback)
        return

    ctx = mp.get_context("fork")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(args, ready, stop), daemon=True)
    t0 = time.perf_counter()
    server.start()
    murl, burl = ready.get(timeout=300)
    print(f"fake platforms ready in {time.perf_counter() - t0:.1f} s: {args.posts} posts, {args.engagements} engagements, "
          f"latency {args.latency * 1000:.0f} ms, limit {args.limit}/{args.window:g} s per host")
    data = tempfile.mkdtemp(prefix="collect-bench-")
    results = {}
    for name in ("first run", "second run (nothing new)"):
        out = subprocess.run([sys.executable, __file__, "--lookback", str(args.lookback), "--run", murl, burl, data],
                             capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:26s} {results[name]}")

    import httpx

    stats = {u: httpx.get(f"{u}/__stats").json() for u in (murl, burl)}
    print(f"requests over the advertised limit: mastodon {stats[murl]['exceeded']}, bluesky {stats[burl]['exceeded']}")

    # the same requests one after another: a sample of the first run's URLs, timed sequentially, extrapolated
    from collectors.rawstore import RawStore

    urls = [r["url"] for r in RawStore(Path(data) / "raw").records() if r["run_id"] == min(
        x["run_id"] for x in RawStore(Path(data) / "raw").runs())]
    sample = random.Random(1).sample(urls, min(args.sequential_sample, len(urls)))
    with httpx.Client() as client:
        t0 = time.perf_counter()
        for u in sample:
            client.get(u)
        per = (time.perf_counter() - t0) / len(sample)
    first = results["first run"]
    sequential = per * first["requests"]
    print(f"one after another: {per * 1000:.1f} ms a request x {first['requests']} requests = {sequential:.0f} s "
          f"-> first run is {sequential / first['wall_s']:.1f}x faster")
    print(f"second run: {results['second run (nothing new)']['requests'] / first['requests'] * 100:.2f}% "
          "of the first run's requests")
    stop.set()
    server.join(timeout=10)


if __name__ == "__main__":
    main()
