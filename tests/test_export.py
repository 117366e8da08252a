"""``influence export --format parquet``: the raw store and the marts as hive-partitioned Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from influence.cli import main
from influence.demo import load_demo
from pipeline.runner import discover


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("export")
    assert main(["demo", "--no-serve", "--quiet", "--data-dir", str(data_dir)]) == 0
    load_demo(data_dir)
    return data_dir


def test_export_all(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "lake"
    assert main(["export", "--format", "parquet", str(out), "--data-dir", str(demo_dir), "--quiet"]) == 0
    con = duckdb.connect()
    # raw: one file per segment, partitioned by platform and month, every record kept
    raw_in = con.sql(f"select count(*) from read_parquet('{demo_dir}/raw/**/*.parquet')").fetchall()[0][0]
    got = con.sql(f"select source, month, count(*) from read_parquet('{out}/raw/**/*.parquet', hive_partitioning = true) "
                  "group by all").fetchall()
    assert sum(n for _, _, n in got) == raw_in
    assert {s for s, _, _ in got} <= {"mastodon", "bluesky", "blog", "wordpress", "linkedin", "x"}
    seg = next((out / "raw").rglob("*.parquet"))
    assert "source" not in pq.read_schema(seg).names  # in the path only: Spark refuses duplicates
    # marts: every mart, by exec_id where it has one, the same rows as the warehouse
    wh = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    for name in sorted(m.name for m in discover() if m.layer == "marts"):
        want = wh.execute(f"select count(*) from {name}").fetchall()[0][0]
        mart = out / "marts" / name
        assert mart.is_dir(), name
        files = list(mart.rglob("*.parquet"))
        if not want:
            continue
        n = con.sql(f"select count(*) from read_parquet({[str(f) for f in files]!r}, hive_partitioning = true)").fetchall()[0][0]
        assert n == want, name
    assert (out / "marts" / "weekly_reach" / "exec_id=ada").is_dir()
    got = con.sql(f"select exec_id, count(*) from read_parquet('{out}/marts/ladder/**/*.parquet', hive_partitioning = true, "
                  "hive_types = {'exec_id': varchar}) group by 1 order by 1").fetchall()
    assert got == wh.execute("select exec_id, count(*) from ladder group by 1 order by 1").fetchall()


def test_export_marts_needs_a_warehouse(tmp_path: Path, capsys):
    assert main(["export", "--format", "parquet", str(tmp_path / "out"), "--what", "marts",
                 "--data-dir", str(tmp_path / "empty")]) == 1
    assert "influence model" in capsys.readouterr().err


def test_export_raw_only_twice_replaces(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "lake"
    for _ in range(2):
        assert main(["export", str(out), "--what", "raw", "--data-dir", str(demo_dir), "--quiet"]) == 0
    assert not (out / "marts").exists()
    assert [p.name for p in out.iterdir()] == ["raw"]
