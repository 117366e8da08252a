"""The raw store keeps everything it stored: crashes, damaged files and concurrent writers lose nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collectors.rawstore import SCHEMA, RawRecord, RawStore
from influence.errors import StoreError


def rec(i: int, source: str = "mastodon", month: int = 1) -> RawRecord:
    return RawRecord(source=source, kind="statuses", exec_id="ada", url=f"https://m.example/{i}", payload=f'["{i}"]',
                     observed_at=datetime(2026, month, 2, tzinfo=UTC), params={"page": i})


def test_append_and_read_back_with_provenance(tmp_path):
    store = RawStore(tmp_path)
    store.append([rec(1), rec(2), rec(3, "bluesky", month=2)], run_id="r1")
    rows = list(store.records())
    assert sorted(r["url"] for r in rows) == [f"https://m.example/{i}" for i in (1, 2, 3)]
    assert {r["run_id"] for r in rows} == {"r1"}
    assert all(r["observed_at"].tzinfo is not None for r in rows)
    assert len(store.segments()) == 2  # one per source and month
    assert {p.parent.name for p in store.segments()} == {"month=2026-01", "month=2026-02"}


def test_same_run_id_from_two_writers_never_overwrites(tmp_path):
    RawStore(tmp_path).append([rec(1)], run_id="same")
    RawStore(tmp_path).append([rec(2)], run_id="same")
    assert RawStore(tmp_path).count() == 2


def test_interrupted_write_leaves_only_ignored_temp_file(tmp_path):
    store = RawStore(tmp_path)
    store.append([rec(1)], run_id="r1")
    seg_dir = store.segments()[0].parent
    (seg_dir / ".r2-000000.parquet.abcd.tmp").write_bytes(b"PAR1 half a file")  # what a crash mid-write leaves
    assert store.count() == 1
    assert [r["url"] for r in store.records()] == ["https://m.example/1"]


def test_damaged_segment_is_named_with_a_fix(tmp_path):
    store = RawStore(tmp_path)
    store.append([rec(1)], run_id="r1")
    seg = store.segments()[0]
    seg.write_bytes(seg.read_bytes()[:40])
    with pytest.raises(StoreError) as info:
        list(store.records())
    assert str(seg) in info.value.message
    assert "move the file aside" in info.value.hint


def test_a_segment_of_another_shape_is_read_in_todays_schema(tmp_path):
    """A segment an older (or other) version wrote: a column missing, one extra, others of other types. It reads as
    pyarrow's datasets read it in SCHEMA (the reference the store used until session 28), without importing them."""
    store = RawStore(tmp_path)
    store.append([rec(1), rec(2, "bluesky")], run_id="r1")
    seg = store.segments()[0]
    now = pq.read_table(seg)
    older = pa.table({
        "record_id": now["record_id"], "run_id": now["run_id"], "source": now["source"], "kind": now["kind"],
        "exec_id": now["exec_id"], "url": now["url"],  # no params
        "status": now["status"].cast(pa.int64()), "observed_at": now["observed_at"],
        "payload": now["payload"].cast(pa.string()), "written_by": pa.array(["0.1"] * now.num_rows),
    })
    pq.write_table(older, seg)
    got = store.read_segment(seg)
    assert got.schema.equals(SCHEMA)
    assert got.equals(pq.read_table(seg, schema=SCHEMA))
    assert got.column("params").null_count == got.num_rows
    assert got.column("url").to_pylist() == now.column("url").to_pylist()
    # and what cannot be cast is the damaged-segment error, named
    status = older.schema.get_field_index("status")
    pq.write_table(older.set_column(status, "status", pa.array(["two hundred"] * now.num_rows)), seg)
    with pytest.raises(StoreError) as info:
        store.read_segment(seg)
    assert str(seg) in info.value.message
    # nor is a column twice (no store writes one) an error of another kind
    pq.write_table(pa.table([now["url"], now["url"]], names=["url", "url"]), seg)
    with pytest.raises(StoreError, match="exists 2 times"):
        store.read_segment(seg)
    # reading a segment imports neither pyarrow's datasets nor pandas (0.3 s of a day's update)
    code = (f"import sys; from pathlib import Path; from collectors.rawstore import RawStore; "
            f"RawStore(Path({str(tmp_path)!r})).read_segment(Path({str(store.segments()[-1])!r})); "
            f"print(sorted(m for m in ('pandas', 'pyarrow.dataset') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_writer_flushes_what_it_has_when_the_run_fails(tmp_path):
    store = RawStore(tmp_path)
    with pytest.raises(RuntimeError), store.writer("r1", flush_every=1000) as w:
        w.add(rec(1))
        w.add(rec(2))
        raise RuntimeError("the network went away")
    assert store.count() == 2


def test_cursors_survive_and_a_damaged_file_says_what_to_do(tmp_path):
    store = RawStore(tmp_path)
    store.set_cursor("mastodon:ada:statuses", "123")
    assert RawStore(tmp_path).cursor("mastodon:ada:statuses") == "123"
    (tmp_path / "cursors.json").write_text("{not json")
    with pytest.raises(StoreError, match="damaged"):
        store.cursors()


def test_naive_times_are_refused():
    with pytest.raises(StoreError, match="time zone"):
        RawRecord(source="x", kind="tweet", exec_id="a", url="f", payload="{}", observed_at=datetime(2026, 1, 1))


def test_build_sweeps_temporary_files_left_by_killed_writes(tmp_path):
    import os
    import time

    from pipeline.load import sweep_temporary_files

    store = RawStore(tmp_path / "raw")
    store.append([rec(1)], run_id="r1")
    seg_dir = store.segments()[0].parent
    old, fresh = seg_dir / ".a.parquet.1.tmp", seg_dir / ".b.parquet.2.tmp"
    cached = tmp_path / "cache" / "parsed-x" / ".c.parquet.3.tmp"
    for p in (old, fresh, cached):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert sweep_temporary_files(store, tmp_path / "cache") == 2
    assert not old.exists() and not cached.exists()
    assert fresh.exists()  # may belong to a collection running right now
    assert store.count() == 1
