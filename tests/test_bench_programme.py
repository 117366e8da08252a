"""The benchmark's synthetic programme collected daily (bench/gen_programme.py --daily) stores what the collector
would: each run refreshes the posts of the lookback window, and stores a post's list of likes (reposts, quotes,
replies) again exactly when that count changed since the run before (collectors/common.py lists_to_fetch)."""

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

COUNT_OF = {"likes": "likeCount", "reposted_by": "repostCount", "quotes": "quoteCount", "thread": "replyCount"}


def _records(raw: Path) -> list[tuple]:
    return duckdb.sql(f"select kind, observed_at, params, payload from read_parquet('{raw}/**/*.parquet') "
                      "order by observed_at").fetchall()


def test_a_daily_programme_stores_a_list_again_when_its_count_changed(tmp_path):
    out = tmp_path / "daily"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_programme.py"), str(out), "--engagements", "20000",
                    "--executives", "5", "--days", "40", "--lookback", "10", "--daily"], check=True,
                   capture_output=True)
    assert json.loads((out / "bench-meta.json").read_text())["daily"] is True
    records = _records(out / "raw")
    runs = sorted({observed for _, observed, _, _ in records})
    assert len(runs) == 40  # one run a day
    # each run's feed: the counts of every post in the window
    counts: dict[tuple, dict[str, int]] = {}
    fetched: set[tuple] = set()
    likes_seen: dict[tuple, set] = defaultdict(set)
    for kind, observed, params, payload in records:
        data = json.loads(payload)
        if kind == "author_feed":
            posts = [item["post"] for item in data["feed"]]
            created = [p["record"]["createdAt"] for p in posts]
            assert created == sorted(created, reverse=True)  # newest first
            for post in posts:
                counts[(observed, post["uri"])] = {k: post[c] for k, c in COUNT_OF.items()}
                age = observed.date() - date.fromisoformat(post["record"]["createdAt"][:10])
                assert age.days <= 10  # the lookback window
        elif kind in COUNT_OF:
            fetched.add((observed, json.loads(params)["uri"], kind))
            if kind == "likes":
                for like in data["likes"]:
                    assert like["createdAt"] <= observed.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # no like yet to come
                    likes_seen[(like["actor"]["did"], data["uri"], like["createdAt"])].add(observed)
    assert counts and fetched
    # fetched exactly when the count is not 0 and differs from the run before's (or the post is new)
    for (observed, uri), now in counts.items():
        i = runs.index(observed)
        before = counts.get((runs[i - 1], uri)) if i else None
        for kind, n in now.items():
            expected = n != 0 and (before is None or before[kind] != n)
            assert ((observed, uri, kind) in fetched) == expected, (observed, uri, kind, n, before)
    # some likes are stored by more than one run (their post's count changed after them), none by more runs than
    # its post stays in the window (10)
    assert 1 < max(len(seen) for seen in likes_seen.values()) <= 10
