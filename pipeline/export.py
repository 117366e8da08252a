"""``influence export --format parquet DIR``: the raw store and the warehouse marts as hive-partitioned Parquet,
for Spark, Trino, DuckDB or anything else that reads a Parquet dataset.

Layout (``DIR`` is created if needed; what is exported replaces an earlier export of the same part):

- ``DIR/raw/source=<platform>/month=<YYYY-MM>/<segment>.parquet``: every raw segment as stored, one file per
  segment; the ``source`` column lives in the directory name only (Spark refuses a column that is both in the
  files and in the partition path).
- ``DIR/marts/<mart>/exec_id=<id>/*.parquet`` for every mart with an ``exec_id`` column,
  ``DIR/marts/<mart>/data_0.parquet`` for the others (``accounts``, ``people``, ``identity_evidence``).

Read back, e.g. ``spark.read.parquet("DIR/marts/weekly_reach")`` or DuckDB's
``read_parquet('DIR/marts/weekly_reach/**/*.parquet', hive_partitioning = true)``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from collectors.rawstore import RawStore
from influence.errors import StoreError
from pipeline.build import WAREHOUSE, open_warehouse
from pipeline.runner import discover

WHAT = ("raw", "marts", "all")


@dataclass
class ExportResult:
    path: Path
    raw_segments: int = 0
    marts: dict[str, int] = field(default_factory=dict)


def _replace_dir(tmp: Path, final: Path) -> None:
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def export_raw(data_dir: Path, out: Path) -> int:
    store = RawStore(data_dir / "raw")
    tmp = out / f".raw.exporting-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    n = 0
    for seg in store.segments():
        rel = seg.relative_to(store.root)  # source=<platform>/month=<YYYY-MM>/<run>-<seq>.parquet
        table = store.read_segment(seg)
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.drop_columns(["source"]), target, compression="zstd")
        n += 1
    tmp.mkdir(parents=True, exist_ok=True)
    _replace_dir(tmp, out / "raw")
    return n


def export_marts(data_dir: Path, out: Path) -> dict[str, int]:
    warehouse = data_dir / WAREHOUSE
    if not warehouse.exists():
        raise StoreError(f"no warehouse at {warehouse}", hint="run `influence model` first")
    marts = sorted(m.name for m in discover() if m.layer == "marts")
    tmp = out / f".marts.exporting-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows: dict[str, int] = {}
    con = open_warehouse(warehouse)
    try:
        for name in marts:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ?", [name]).fetchall()]
            if not cols:
                continue  # a mart added since this warehouse was built
            target = tmp / name
            rows[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            if "exec_id" in cols:
                con.execute(f"copy (select * from {name}) to '{target}' "
                            "(format parquet, compression zstd, partition_by (exec_id))")
                target.mkdir(exist_ok=True)  # an empty mart is an empty directory
            else:
                target.mkdir()
                con.execute(f"copy (select * from {name}) to '{target / 'data_0.parquet'}' (format parquet, compression zstd)")
    finally:
        con.close()
    _replace_dir(tmp, out / "marts")
    return rows


def export_parquet(data_dir: Path, out: Path, what: str = "all") -> ExportResult:
    if what not in WHAT:
        raise ValueError(what)
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult(path=out)
    if what in ("raw", "all"):
        result.raw_segments = export_raw(data_dir, out)
    if what in ("marts", "all"):
        result.marts = export_marts(data_dir, out)
    return result
