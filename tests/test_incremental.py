"""Incremental builds (pipeline/incremental.py): after new raw segments, updating the previous warehouse gives the
same tables, every one of them, as recomputing everything; anything that is not "only new segments" gives a full
build, and says why.

The demo's raw store is split: some segments are held back, the rest built, then the held-back ones put back and
the warehouse updated. Held-back segments are older and newer than the ones built, from every platform, so the
merge meets observations arriving out of order, accounts first seen late, identity evidence and tie matches that
come with the new data.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import query_differences, spare_of, string_compressions

from collectors.mastodon.parse import account_id as mastodon_account_id
from collectors.rawstore import RawRecord, RawStore
from influence.config import Config, load_config
from influence.demo import load_demo
from pipeline.build import BuildResult, build_warehouse
from pipeline.load import load_observations
from pipeline.runner import discover
from pipeline.seeds import write_seeds

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"build_info", "_build_state", "_build_segments"}
# the models every update below is expected to update in place rather than recompute
UPDATED = {"stg_accounts", "stg_posts", "stg_post_observations", "int_own_posts", "int_people", "int_engagements",
           "int_person_weeks", "accounts", "people", "post_observations", "int_sphere_members",
           "int_person_features", "int_diffusion_edges", "int_diffusion_tree", "chains", "stg_follows", "stg_follow_lists",
           "stg_exec_follower_counts", "int_sphere_features", "int_sphere_cohorts", "int_sphere_weeks"}
# updated in place whenever their inputs were (pipeline/update_weekly.py)
WEEKLY = {"int_exec_weeks", "int_window_reach", "weekly_reach", "ladder", "signals_weekly", "int_post_topics",
          "int_own_post_followers", "topics"}
# recomputed in full by every update, from counts kept by deltas (pipeline/update_weekly.py)
RECOUNTED = {"connector_weekly", "spheres", "cohort_percentiles"}


def differences(a: Path, b: Path) -> list[str]:
    """Every table of two warehouses compared row for row (as multisets; doubles to 9 decimals)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("attach ? as a (read_only)", [str(a)])
        con.execute("attach ? as b (read_only)", [str(b)])
        names = {db: {n for (n,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ?", [db]).fetchall()} for db in "ab"}
        out = [f"only in one: {sorted(names['a'] ^ names['b'])}"] if names["a"] != names["b"] else []
        for t in sorted((names["a"] & names["b"]) - SKIP):
            cols = {db: con.execute("select column_name, data_type from duckdb_columns() where database_name = ? "
                                    "and table_name = ? order by column_index", [db, t]).fetchall() for db in "ab"}
            if cols["a"] != cols["b"]:
                out.append(f"{t}: columns differ")
                continue
            expr = ", ".join(f'round("{c}", 9)' if ty == "DOUBLE" else f'"{c}"' for c, ty in cols["a"])
            n = con.execute(
                f"select count(*) from ((select {expr} from a.{t} except all select {expr} from b.{t}) "
                f"union all (select {expr} from b.{t} except all select {expr} from a.{t}))").fetchone()[0]
            if n:
                out.append(f"{t}: {n} rows differ")
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's data dir, and the warehouse a full build of all of it gives (built once)."""
    data_dir = tmp_path_factory.mktemp("inc")
    cfg_path, _ = load_demo(data_dir)
    config = load_config(cfg_path)
    result = build_warehouse(config, data_dir, full=True)
    reference = data_dir.parent / f"{data_dir.name}-full.duckdb"
    shutil.copyfile(result.path, reference)
    return data_dir, config, reference


def through_week(warehouse: Path) -> dict[str, date | None]:
    """The last week each executive's spheres take in, in a warehouse (int_sphere_window)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("select exec_id, through_week from int_sphere_window").fetchall())
    finally:
        con.close()


def _segments(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "raw").rglob("*.parquet"))


def _held_back(data_dir: Path, chosen: list[Path]) -> Path:
    aside = data_dir.parent / f"{data_dir.name}-aside"
    aside.mkdir(exist_ok=True)
    for seg in chosen:
        dest = aside / seg.relative_to(data_dir / "raw")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(seg, dest)  # a rename: size and modification time (the segment's cache key) are kept
    return aside


def _put_back(data_dir: Path, aside: Path) -> None:
    for seg in sorted(aside.rglob("*.parquet")):
        shutil.move(seg, data_dir / "raw" / seg.relative_to(aside))
    shutil.rmtree(aside)


def _built_in_full_without(data_dir: Path, config: Config, held: list[Path]) -> BuildResult:
    """A full build of ``data_dir`` without the raw segments ``held``, which are then put back: the next build is
    an update."""
    aside = _held_back(data_dir, held)
    try:
        return build_warehouse(config, data_dir, full=True)
    finally:
        _put_back(data_dir, aside)


def built_before_new_segments(data_dir: Path) -> tuple[Path, Config]:
    """The demo in ``data_dir``, its warehouse built without a third of its raw segments, which are then put back:
    the next build is an update. Returns the config's path and the config."""
    cfg_path, _ = load_demo(data_dir)
    config = load_config(cfg_path)
    _built_in_full_without(data_dir, config, _segments(data_dir)[::3])
    return cfg_path, config


@pytest.mark.parametrize("split", ["latest-week", "random-a", "random-b", "half"])
def test_an_update_with_new_segments_equals_a_full_build(demo, split):
    data_dir, config, reference = demo
    segments = _segments(data_dir)
    if split == "latest-week":  # what a daily run adds: the newest segments of every source
        newest = sorted({s.name[:8] for s in segments})[-1]
        chosen = [s for s in segments if s.name[:8] == newest]
    elif split == "half":
        chosen = segments[::2]
    else:
        chosen = random.Random(split).sample(segments, len(segments) // 3)
    assert chosen
    first = _built_in_full_without(data_dir, config, chosen)
    assert first.full_because == "asked for (--full)"
    new_week = through_week(first.path) != through_week(reference)
    result = build_warehouse(config, data_dir)
    assert result.full_because is None, result.full_because
    assert result.stats["tables_compacted"] == 0  # (the demo's tables are small: their deleted rows stay)
    assert result.load.parsed_now == len(chosen)  # the build without them forgot their parses
    assert result.updated >= UPDATED | WEEKLY
    assert not RECOUNTED & result.updated
    # the demo's newest segments observe again engagements stored before (each collection fetches a post's lists
    # again when its counts changed): those come out unchanged and go no further than int_engagements
    assert split != "latest-week" or result.stats["engagements_updated"] < result.stats["engagements_observed"]
    # new data that starts a new week: the spheres take in the week that ended, as new data
    assert (result.stats.get("sphere_weeks_taken_in", 0) > 0) == new_week
    assert new_week or split != "latest-week"  # the demo collects weekly: its newest segments start a new week
    # a day's windows (the latest weeks) are counted directly, windows from far back by the model's sweep: both
    # give the full build's rows
    if split in ("latest-week", "half"):
        assert result.stats["window_reach_counted_directly"] == {"latest-week": 1, "half": 0}[split]
    if split == "latest-week":  # a new week: its windows were never stored, so all are counted afresh
        assert result.stats["window_reach_rows"] > 0 and result.stats["window_reach_by_delta"] == 0
    assert differences(result.path, reference) == []
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        leftovers = con.execute("select table_name from duckdb_tables() where table_name like '\\_prev\\_%' escape '\\' "
                                "or table_name like '\\_inc\\_%' escape '\\' or table_name like 'obs\\_%' escape '\\'"
                                ).fetchall()
        assert leftovers == []
        # the row counts the build reports are the rows there (the deleted ones it deferred merging left out)
        assert result.tables == {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in result.tables}
        # the columns a model stores with ZSTD (pipeline/runner.py) still are, the rows the update put in as well
        zstd = {m.name: m.zstd for m in discover() if m.zstd}
        assert zstd and set(zstd) <= result.updated
        for model, columns in zstd.items():
            stored = string_compressions(con, model)
            assert all(stored[c] == ["ZSTD"] for c in columns), (model, stored)
    finally:
        con.close()


def executives_in(warehouse: Path, table: str) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {x for (x,) in con.execute(f"select distinct exec_id from {table}").fetchall()}
    finally:
        con.close()


def _update_counting_leiden(demo, segment: Path, monkeypatch) -> tuple:
    """Held back: one segment. Returns the update's result, the executives Leiden ran for, those whose graph of
    engagers (its nodes, the people linked on each post, or its weighted edges) differs from the last build's, and
    those with a graph."""
    data_dir, config, reference = demo
    _built_in_full_without(data_dir, config, [segment])
    before = data_dir.parent / f"{data_dir.name}-before-leiden.duckdb"
    shutil.copyfile(data_dir / "warehouse.duckdb", before)
    # communities_of_nodes seeds Python's random with "<SEED>:<exec_id>" right before each executive's Leiden (in
    # this process: the demo's graphs are far below PARALLEL_FROM_EDGES; worker runs would leave `ran` empty)
    from pipeline.models.intermediate.int_sphere_members import SEED
    ran: list[str] = []
    real_seed = random.seed

    def seed(a=None, *args, **kwargs):
        if isinstance(a, str) and a.startswith(f"{SEED}:"):
            ran.append(a.split(":", 1)[1])
        return real_seed(a, *args, **kwargs)

    monkeypatch.setattr(random, "seed", seed)
    result = build_warehouse(config, data_dir)
    monkeypatch.undo()
    con = duckdb.connect(":memory:")
    try:
        con.execute("attach ? as a (read_only)", [str(before)])
        con.execute("attach ? as b (read_only)", [str(result.path)])
        changed = {x for (x,) in con.execute("""
            select exec_id from ((select * from a._sphere_edges except all select * from b._sphere_edges)
                union all (select * from b._sphere_edges except all select * from a._sphere_edges))
            union select exec_id from ((select * from a._sphere_linked except all select * from b._sphere_linked)
                union all (select * from b._sphere_linked except all select * from a._sphere_linked))""").fetchall()}
        with_graph = {x for (x,) in con.execute("select distinct exec_id from b._sphere_people").fetchall()}
    finally:
        con.close()
    return result, ran, changed, with_graph


def test_leiden_runs_again_only_for_the_executives_whose_graph_changed(demo, monkeypatch):
    """Held back: the segment of one source from the last week the spheres take in (the demo collects on Sundays;
    the newest segments make the current week). The update must run Leiden for exactly the executives whose graph
    changed, and still equal a full build."""
    segment = [s for s in _segments(demo[0]) if "source=mastodon" in str(s)][-2]
    result, ran, changed, with_graph = _update_counting_leiden(demo, segment, monkeypatch)
    assert result.full_because is None and "int_sphere_members" in result.updated
    assert changed, "the held-back segment changed no graph: the test needs another segment"
    assert changed < with_graph, "every executive's graph changed: the test proves no skipping"
    assert sorted(ran) == sorted(changed) and result.stats["sphere_graphs_changed"] == len(changed)
    # the counts over the members: recounted for those executives alone, not recomputed in full
    assert result.stats["sphere_members_execs_recomputed"] < len(executives_in(result.path, "sphere_members"))
    assert {"int_sphere_features", "int_sphere_cohorts", "int_sphere_weeks"} <= result.updated
    assert differences(result.path, demo[2]) == []


def test_a_new_day_of_the_current_week_finds_no_communities_again(demo, monkeypatch):
    """Held back: the newest segment of one source, observed on the day the other sources' newest were (so the
    week the spheres take in stays the same). Its engagements are of the current week, which the spheres take in
    once it is complete: no graph changes, Leiden runs for nobody, and the warehouse equals a full build's."""
    segment = [s for s in _segments(demo[0]) if "source=mastodon" in str(s)][-1]
    result, ran, changed, with_graph = _update_counting_leiden(demo, segment, monkeypatch)
    assert result.full_because is None and "int_sphere_members" in result.updated
    assert with_graph and changed == set()
    assert ran == [] and result.stats["sphere_graphs_changed"] == 0
    # the members' counts the spheres mart reads: updated by the changes of the members' features alone; no
    # executive's members are recomputed (the segment's engagements that were stored before, observed again, come
    # out of int_engagements unchanged and go no further)
    assert {"int_sphere_features", "int_sphere_cohorts", "int_sphere_weeks"} <= result.updated
    assert result.stats["engagements_updated"] < result.stats["engagements_observed"]
    assert result.stats["sphere_members_execs_recomputed"] == 0
    # the windows of the current week were stored: their counts change by the day's people alone
    assert result.stats["window_reach_by_delta"] > 0
    assert differences(result.path, demo[2]) == []

def test_the_update_path_meets_identity_and_tie_changes(demo):
    """Held back: the segments that make two accounts one person. The update must re-person the stored engagements
    of those accounts (the split above may or may not hold such segments; this one does, by construction)."""
    data_dir, config, reference = demo
    con = duckdb.connect(str(reference), read_only=True)
    try:
        merged = con.execute("select count(*) from identity_evidence where evidence <> 'one account'").fetchone()[0]
    finally:
        con.close()
    assert merged > 0  # the demo has people with two accounts
    # without any blog, Bluesky or Mastodon profile segment, no evidence joins accounts
    chosen = [s for s in _segments(data_dir) if "source=blog" in str(s) or "source=wordpress" in str(s)]
    assert chosen
    first = _built_in_full_without(data_dir, config, chosen)
    members_before = _members(first.path)
    result = build_warehouse(config, data_dir)
    assert result.full_because is None
    assert result.stats.get("repersoned_accounts", 0) > 0 or result.stats.get("tie_pairs", 0) > 0
    # a sphere member whose account joined another person's is gone as that person: the update must take them out
    # (int_sphere_members' update finds them among the people whose engagements changed)
    assert members_before - _members(result.path, engaged=True)
    assert differences(result.path, reference) == []


def test_with_someone_erased_an_update_leaves_them_out_of_new_segments_as_a_full_build_does(demo, tmp_path,
                                                                                            monkeypatch):
    """The raw store may still hold an erased person (segments stored before the erasure, an archive restored): the
    staging models leave out their identifiers, checking each distinct one of the new segments in an update
    (stg_accounts, stg_engagements: session 30) and every observation in the others."""
    from collectors.scrub import hash_id
    from influence.state import StateStore

    data_dir = tmp_path / "data"
    config = load_config(load_demo(data_dir)[0])  # (stored before the erasure: the raw store still holds them)
    held = _segments(data_dir)[::3]
    # the busiest engager found in the segments held back below, and in others as well
    con = duckdb.connect(str(demo[2]), read_only=True)
    try:
        engagers = [a for (a,) in con.execute("select account_id from int_engagements group by all "
                                              "order by count(*) desc, 1 limit 20").fetchall()]
        payloads = str(con.execute("select list(payload) from read_parquet(?)", [[str(s) for s in held]]).fetchall())
    finally:
        con.close()
    erased = next(a for a in engagers if a in payloads)
    monkeypatch.setattr(StateStore, "suppressed_hashes", lambda self: frozenset({hash_id(erased)}))
    _built_in_full_without(data_dir, config, held)
    result = build_warehouse(config, data_dir)
    assert result.full_because is None, result.full_because
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    full = build_warehouse(config, data_dir, full=True)
    assert differences(updated, full.path) == []
    con = duckdb.connect(str(updated), read_only=True)
    try:
        for table, column in (("accounts", "account_id"), ("int_engagements", "account_id"), ("stg_posts",
                                                                                             "author_account_id")):
            assert con.execute(f"select count(*) from {table} where {column} = ?", [erased]).fetchone() == (0,)
        assert con.execute("select count(*) from int_engagements").fetchone()[0] > 0
    finally:
        con.close()


def test_an_update_finds_the_accounts_a_ties_register_names_when_they_first_appear(demo):
    """Held back: every segment that names an account a ties-register line matches. The update then sees those
    accounts for the first time: int_tie_accounts (updated by the accounts that changed, not recomputed) gains
    their rows, and the ties and everything after them come out as a full build's."""
    data_dir, config, reference = demo
    con = duckdb.connect(str(reference), read_only=True)
    try:
        tie_accounts = {a for (a,) in con.execute("select distinct account_id from int_tie_accounts").fetchall()}
    finally:
        con.close()
    assert tie_accounts  # the demo's registers name accounts it collects
    store = RawStore(data_dir / "raw")
    chosen = [seg for seg in _segments(data_dir)
              if any(a in str(row) for row in store.read_segment(seg).to_pylist() for a in tie_accounts)]
    assert chosen
    _built_in_full_without(data_dir, config, chosen)
    result = build_warehouse(config, data_dir)
    assert result.full_because is None and "int_tie_accounts" in result.updated
    assert result.stats["tie_accounts_changed"] > 0
    assert differences(result.path, reference) == []


def _members(warehouse: Path, engaged: bool = False) -> set[tuple[str, int]]:
    """The (exec_id, person_key) of a warehouse's sphere members, or (``engaged``) of everyone who engaged."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        table = "int_engagements" if engaged else "sphere_members"
        return set(con.execute(f"select distinct exec_id, person_key from {table}").fetchall())
    finally:
        con.close()


def test_a_data_dir_moved_elsewhere_is_updated_not_rebuilt(demo, tmp_path):
    """The ties registers kept in the data dir are named relative to it in the seeds (the fingerprint): a data dir
    copied or moved elsewhere is up to date there, and its next new data is an update, not a full build."""
    data_dir, config, reference = demo
    newest = _segments(data_dir)[-1]
    aside = _held_back(data_dir, [newest])
    moved = tmp_path / "moved"
    try:
        build_warehouse(config, data_dir, full=True)
        shutil.copytree(data_dir, moved)
    finally:
        _put_back(data_dir, aside)
    build_warehouse(config, data_dir)  # (the shared data dir left whole and built, as the other tests find it)
    moved_config = load_config(moved / config.path.relative_to(data_dir))
    assert moved_config.executives[0].ties.is_relative_to(moved)
    there = build_warehouse(moved_config, moved)
    assert there.full_because is None and there.up_to_date
    shutil.copy2(newest, moved / newest.relative_to(data_dir))
    updated = build_warehouse(moved_config, moved)
    assert updated.full_because is None and not updated.up_to_date
    assert differences(updated.path, reference) == []


def test_registers_are_named_relative_to_the_data_dir_they_lie_in_else_as_the_config_names_them(demo, tmp_path):
    data_dir, config, _ = demo
    named = {e.id: e.ties for e in config.executives if e.ties is not None}
    assert named and all(p.is_relative_to(data_dir) for p in named.values())

    def sources(seed_dir: Path) -> dict[str, str]:
        con = duckdb.connect(":memory:")
        try:
            write_seeds(con, config, seed_dir)
            return dict(con.execute("select distinct exec_id, source from cfg_ties").fetchall())
        finally:
            con.close()

    inside = sources(data_dir)
    assert inside == {x: p.relative_to(data_dir).as_posix() for x, p in named.items() if x in inside} and inside
    outside = sources(tmp_path / "another-data-dir")  # the same registers, outside this data dir: as named
    assert outside == {x: str(p) for x, p in named.items() if x in outside} and outside.keys() == inside.keys()


def test_a_changed_config_or_a_removed_segment_gives_a_full_build(demo, tmp_path):
    data_dir, config, reference = demo
    build_warehouse(config, data_dir)
    again = build_warehouse(config, data_dir)
    assert again.full_because is None and again.load.parsed_now == 0 and again.up_to_date
    assert not again.timings  # no model ran
    assert differences(again.path, reference) == []

    # a ties register edited: the seeds differ
    register = Path(config.executives[0].ties)
    saved = register.read_text(encoding="utf-8")
    try:
        register.write_text(saved.rstrip("\n") + "\nSomeone New,team,\n", encoding="utf-8")
        edited = build_warehouse(load_config(config.path), data_dir)
        assert edited.full_because is not None and "ties register" in edited.full_because
    finally:
        register.write_text(saved, encoding="utf-8")
    assert build_warehouse(config, data_dir).full_because is not None  # and back

    # a segment gone (as an erasure rewrites segments)
    seg = _segments(data_dir)[3]
    aside = tmp_path / seg.name
    shutil.move(seg, aside)
    try:
        gone = build_warehouse(config, data_dir)
        assert gone.full_because is not None and "removed" in gone.full_because
    finally:
        shutil.move(aside, seg)
    assert build_warehouse(config, data_dir, full=True).full_because == "asked for (--full)"
    assert differences(build_warehouse(config, data_dir).path, reference) == []


def _tree_case(con, edges: list[tuple], own: list[tuple]) -> None:
    con.execute("create or replace table int_diffusion_edges (exec_id varchar, platform varchar, node_id varchar, "
                "parent_id varchar, engaged_post_id varchar, person_key bigint, kind varchar, engaged_at timestamp)")
    con.executemany("insert into int_diffusion_edges values ('e', 'x', ?, ?, ?, ?, ?, timestamp '2025-01-01')", edges)
    con.execute("create or replace table int_own_posts (exec_id varchar, platform varchar, post_id varchar, "
                "kind varchar)")
    con.executemany("insert into int_own_posts values ('e', 'x', ?, ?)", own)


@pytest.mark.parametrize("node_hash", ["hash({}, {}, {})", "hash({}, {}, {}) % 3"], ids=["hash", "colliding"])
def test_the_tree_update_meets_placeholders_and_roots_that_come_and_go(node_hash, monkeypatch):
    """Cases the demo may not hold, on the tree alone: a reply's unseen parent arriving (its placeholder resolved,
    and moving the reply under another post), a new placeholder, an own post continuing another (no longer a
    root), an own post arriving under which replies hung from a placeholder, a repost (not a root), a new
    placeholder hanging from a stored reply of a tree nothing else changes (found by going up one link past the
    last changed node). Then again with the hash by which the update finds nodes cut to three values: nearly every
    node shares it with others, and the update must still give the model's trees."""
    from pipeline import update_diffusion
    from pipeline.incremental import Increment, _model_sql, replace_rows
    from pipeline.update_diffusion import NODE, update_chains, update_int_diffusion_tree

    monkeypatch.setattr(update_diffusion, "TREE_NODE_HASH", node_hash)

    # (person keys: 1-9 the p's, 11-12 the q's)
    old_edges = [("n1", "X", "r1", 1, "reply"), ("n2", "n1", "r1", 2, "reply"), ("n3", "r2", "r2", 3, "quote"),
                 ("n4", "R4", "r1", 4, "reply"), ("n5", "n4", "r1", 5, "reply"), ("n6", "r3", "r3", 6, "repost"),
                 ("m1", "r6", "r6", 11, "reply")]
    new_edges = [("X", "r2", "r2", 7, "reply"), ("n7", "Y", "r1", 8, "reply"), ("r3", "r1", "r1", None, "reply"),
                 ("m2", "Z", "m1", 12, "quote"), *old_edges]
    old_own = [("r1", "post"), ("r2", "post"), ("r3", "post"), ("r5", "repost"), ("r6", "post")]
    new_own = [*old_own, ("R4", "post")]
    model = _model_sql("intermediate", "int_diffusion_tree")
    con = duckdb.connect(":memory:")
    try:
        _tree_case(con, new_edges, new_own)
        expected = con.execute(f"select * from ({model}) order by all").fetchall()
        con.execute("create table new_edges as select * from int_diffusion_edges")
        con.execute("create table new_own as select * from int_own_posts")
        _tree_case(con, old_edges, old_own)
        con.execute(f"create table int_diffusion_tree as {model}")
        assert con.execute("select count(*) from int_diffusion_tree where kind = 'unseen'").fetchone()[0] == 2
        inc = Increment()
        inc.scratch(con, "dirty_nodes", "select distinct exec_id, platform, node_id from ((select * from new_edges "
                                        "except select * from int_diffusion_edges) union all (select * from "
                                        "int_diffusion_edges except select * from new_edges))")
        replace_rows(con, inc, "int_diffusion_edges", NODE, "dirty_nodes",
                     "select * from new_edges semi join dirty_nodes using (exec_id, platform, node_id)")
        inc.scratch(con, "dirty_posts", "select exec_id, platform, post_id from new_own where post_id = 'R4'")
        replace_rows(con, inc, "int_own_posts", ["exec_id", "platform", "post_id"], "dirty_posts",
                     "select * from new_own where post_id = 'R4'")
        assert update_int_diffusion_tree(con, inc)
        assert con.execute("select * from int_diffusion_tree order by all").fetchall() == expected
        assert ("Z", "unseen") in con.execute("select node_id, kind from int_diffusion_tree "
                                              "where root_post_id = 'r6'").fetchall()
        assert inc.stats["diffusion_trees_updated"] >= 3

        # chains, and a person who becomes the executive's
        con.execute("create table int_exec_people as select 'e' as exec_id, 'p9' as person_id, 9 as person_key")
        chains = _model_sql("marts", "chains")
        con.execute(f"create table chains as {chains}")
        con.execute("create table _prev_int_exec_people as select * from int_exec_people")
        con.execute("insert into int_exec_people values ('e', 'p5', 5)")
        assert update_chains(con, inc)
        assert con.execute("select * from chains order by all").fetchall() == \
            con.execute(f"select * from ({chains}) order by all").fetchall()
        inc.finish(con)
    finally:
        con.close()


def test_an_executive_whose_sources_flip_has_every_week_recomputed(demo):
    """Whether quotes are known is in every signals_weekly row of an executive (NULL or a count). The demo's data
    never flips it between builds, so the stored table is made to say "unknown" for one executive (one the new
    segments hold data of: a flip always comes with a changed week): the update must then recompute all their
    weeks, not only the ones the new data touched."""
    data_dir, config, reference = demo
    segments = _segments(data_dir)
    newest = sorted({s.name[:8] for s in segments})[-1]
    first = _built_in_full_without(data_dir, config, [s for s in segments if s.name[:8] == newest])
    con = duckdb.connect(str(first.path))
    try:
        (weeks,) = con.execute("update signals_weekly set inbound_quotes = null where exec_id = 'ada'").fetchone()
    finally:
        con.close()
    assert weeks > 1
    result = build_warehouse(config, data_dir)
    assert result.full_because is None and "signals_weekly" in result.updated
    assert result.stats.get("signals_sources_flipped") == 1
    assert differences(result.path, reference) == []


def test_a_new_interaction_of_the_executive_recomputes_the_connector_weeks_its_window_reaches(demo, tmp_path):
    """New data holds only one boost by the executive of someone who engaged with them the week after it (and whom
    they had not engaged with for a ladder window). No person-week changes, but that later week's reciprocity
    does: connector_weekly (recomputed in full by every update) must count the person as engaged back."""
    data_dir = tmp_path / "d"
    shutil.copytree(demo[0], data_dir)
    config = load_config(data_dir / "demo" / "influence.toml")
    first = build_warehouse(config, data_dir, full=True)
    # the executives' boosts on Mastodon in the demo's raw records: a boost to copy, of a known account
    boosts = {}
    with gzip.open(ROOT / "data" / "demo" / "raw.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["source"] == "mastodon" and record["kind"] == "statuses":
                for status in json.loads(record["payload"]):
                    if status.get("reblog"):
                        acct = mastodon_account_id(status["reblog"]["account"], record["params"]["instance"])
                        boosts.setdefault((record["exec_id"], acct), (record, status))
    con = duckdb.connect(str(first.path), read_only=True)
    try:
        # a week in which the boosted person engaged, with no interaction of the executive with them in its window
        # nor in the week before it, and not the executive's first week
        found = con.execute("""
            select x.exec_id, a.account_id, w.week from int_person_weeks as w
            join int_people as a on a.person_key = w.person_key and a.platform = 'mastodon'
            join (select exec_id, min(week) as first from int_exec_weeks group by all) as x using (exec_id)
            where w.week > x.first + 7
                and not exists (select 1 from int_exec_interactions as i where i.exec_id = w.exec_id
                    and i.person_key = w.person_key and cast(i."at" as date) >= w.week - 14 * 7)
            order by all""").fetchall()
        before = dict(((e, w), r) for e, w, r in con.execute(
            "select exec_id, week, reciprocity from connector_weekly").fetchall())
    finally:
        con.close()
    match = [(e, acct, week) for e, acct, week in found if (e, acct) in boosts]
    assert match, "the demo has no boosted person engaging later: the test needs another case"
    exec_id, acct, week = match[0]
    record, status = boosts[(exec_id, acct)]
    boosted_at = datetime.combine(week - timedelta(days=3), time(12), tzinfo=UTC)  # the Friday before that week
    boost = {**status, "id": "999999999999999999", "created_at": boosted_at.isoformat().replace("+00:00", "Z"),
             "uri": status["uri"] + "-again", "url": (status.get("url") or status["uri"]) + "-again"}
    RawStore(data_dir / "raw").append([RawRecord(
        source="mastodon", kind="statuses", exec_id=exec_id, url=record["url"], payload=json.dumps([boost]),
        observed_at=datetime(2026, 11, 30, 21, tzinfo=UTC), params=record["params"])], run_id="20261130T210000Z-test")
    result = build_warehouse(config, data_dir)
    assert result.full_because is None and "connector_weekly" not in result.updated
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        (after,) = con.execute("select reciprocity from connector_weekly where exec_id = ? and week = ?",
                               [exec_id, week]).fetchone()
    finally:
        con.close()
    assert after is not None and after > (before[(exec_id, week)] or 0)  # the boosted person now counts as engaged back
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    assert differences(updated, build_warehouse(config, data_dir, full=True).path) == []


def test_a_failing_update_gives_a_full_build_and_says_why(demo, monkeypatch):
    """An update that fails (here an updater reading a table that is not there) must not leave every later build
    failing: the build starts again in full, from an empty file, and says why."""
    import pipeline.incremental as incremental

    data_dir, config, reference = demo
    newest = sorted({s.name[:8] for s in _segments(data_dir)})[-1]
    _built_in_full_without(data_dir, config, [s for s in _segments(data_dir) if s.name[:8] == newest])

    def broken(con, inc):
        con.execute("select * from no_such_table")

    monkeypatch.setitem(incremental.UPDATERS, "int_person_weeks", broken)
    result = build_warehouse(config, data_dir)
    assert result.full_because is not None
    assert result.full_because.startswith("the update of the last build failed") and "no_such_table" in result.full_because
    assert not result.updated
    assert differences(result.path, reference) == []


def test_a_hidden_follower_list_seen_again_stays_one_row():
    """A hidden list is one stg_follows row whose account_id is NULL: merging a new sighting must replace that row
    (NULL = NULL is not true in a join), not add a second."""
    from pipeline.incremental import Increment, update_stg_follows

    con = duckdb.connect()
    con.execute("create macro is_suppressed(x) as false")
    con.execute("create table stg_follows as select 'ben' as exec_id, 'mastodon' as platform, 'followers' as direction, "
                "cast(null as varchar) as account_id, true as hidden, timestamptz '2025-06-01 00:00:00+00' as first_seen, "
                "timestamptz '2025-06-01 00:00:00+00' as last_seen")
    con.execute("create table obs_new_follows as select 'ben' as exec_id, 'mastodon' as platform, "
                "'followers' as direction, cast(null as varchar) as account_id, true as hidden, "
                "timestamptz '2025-07-01 00:00:00+00' as observed_at")
    inc = Increment()
    assert update_stg_follows(con, inc)
    inc.finish(con)
    assert con.execute("select hidden, first_seen::date, last_seen::date from stg_follows").fetchall() == [
        (True, date(2025, 6, 1), date(2025, 7, 1))]


def test_replace_rows_takes_out_the_rows_of_its_keys_by_row_id_all_or_nothing():
    """replace_rows deletes the rows it took out by their row ids, in one transaction with taking them: exactly
    the rows of the dirty keys go, whatever deletes and inserts came before; a failure on the way changes
    nothing and leaves the connection usable; an updater's own transaction holds replace_rows' too."""
    from pipeline.incremental import Increment, replace_rows

    con = duckdb.connect()
    con.execute("create table m as select i % 7 as k, i as v from range(700) t(i)")
    con.execute("delete from m where v % 10 = 0")  # (row ids are not row numbers any more)
    con.execute("insert into m select 3, 1000 + i from range(5) t(i)")
    con.execute("create table d as select * from (values (3), (5)) t(k)")
    before = con.execute("select k, v from m order by all").fetchall()
    inc = Increment()
    replace_rows(con, inc, "m", ["k"], "d", "select k, -v as v from _inc_old_m")
    after = con.execute("select k, v from m order by all").fetchall()
    assert after == sorted((k, -v if k in (3, 5) else v) for k, v in before)
    assert count_rows(con, "_inc_old_m") == sum(k in (3, 5) for k, _ in before) == 185
    assert "_inc_rowid" not in [c for (c,) in con.execute("select column_name from (describe _inc_old_m)").fetchall()]

    with pytest.raises(duckdb.Error, match="nope"):
        replace_rows(con, inc, "m", ["k"], "d", "select nope from _inc_old_m")
    assert con.execute("select k, v from m order by all").fetchall() == after

    with pytest.raises(RuntimeError), inc.transaction(con):
        replace_rows(con, inc, "m", ["k"], "d", "select k, 0 as v from _inc_old_m")
        assert con.execute("select count(*) from m where v = 0").fetchone() == (185,)
        raise RuntimeError("an updater failing after replace_rows")
    assert con.execute("select k, v from m order by all").fetchall() == after
    inc.finish(con)


def test_replace_rows_leaves_the_rows_recomputed_unchanged_where_they_lie():
    """For a model stored by a column (int_person_weeks, int_engagements), replace_rows deletes only the rows of the dirty
    keys that the recomputation did not give again and inserts only the rows it did not take out: the rest keep
    their row ids (the order a full build stored them in), NULLs compared as values; _inc_old_ and _inc_new_ still
    hold every row taken out and put in, for the updaters downstream."""
    from pipeline.incremental import Increment, replace_rows

    con = duckdb.connect()
    con.execute("create table m (k int, w int, note varchar, v int)")
    con.execute("insert into m select i % 4, i // 4, case when i % 3 = 0 then null else 'n' end, i from range(40) t(i)")
    con.execute("create table d as select * from (values (1), (2)) t(k)")
    ids = dict(con.execute("select v, rowid from m").fetchall())
    before = con.execute("select * from m order by all").fetchall()
    inc = Increment(stored_by={"m": ["w"]})
    # key 1: every row again, and one more; key 2: its rows of w >= 5 changed, the others again
    replace_rows(con, inc, "m", ["k"], "d", """
        select k, w, note, v from _inc_old_m where k = 1 union all select 1, 99, null, 1000
        union all select k, w, note, case when w >= 5 then -v else v end from _inc_old_m where k = 2
    """)
    after = con.execute("select * from m order by all").fetchall()
    expected = sorted([r for r in before if r[0] != 2 or r[1] < 5] + [(1, 99, None, 1000)]
                      + [(2, w, note, -v) for k, w, note, v in before if k == 2 and w >= 5])
    assert after == expected
    stayed = con.execute("select v, rowid from m where v >= 0 and v < 1000").fetchall()
    assert len(stayed) == 35 and all(ids[v] == rowid for v, rowid in stayed)  # (the rows not changed kept their ids)
    assert count_rows(con, "_inc_old_m") == 20 and count_rows(con, "_inc_new_m") == 21
    inc.finish(con)


def test_take_rows_finds_the_rows_and_row_ids_a_join_finds_in_two_steps_from_a_wide_table(tmp_path):
    """take_rows finds a wide table's rows by their row ids, after a first step reading only the columns the match
    reads: the same rows, with the row ids the table has (gaps left by deletes included), as one join gives; a
    narrow table's rows in one step; and without the row ids where the caller does not want them."""
    from pipeline.incremental import TWO_STEP_MIN_COLUMNS, Increment, take_rows

    con = duckdb.connect(str(tmp_path / "w.duckdb"))  # (a file: row ids of a persistent table, in row groups)
    extra = ", ".join(f"i * {n} as c{n}" for n in range(TWO_STEP_MIN_COLUMNS))
    con.execute(f"create table wide as select i % 97 as k, 'v' || i as v, {extra} from range(300000) t(i)")
    con.execute("create table narrow as select i % 97 as k, i as v from range(10000) t(i)")
    con.execute("delete from wide where c1 % 5 = 0")  # (gaps in the row ids)
    con.execute("create table keys as select * from (values (3), (50), (96)) t(k)")
    inc = Increment()
    for table in ("wide", "narrow"):
        with inc.transaction(con):
            take_rows(con, inc, f"_t_{table}", table, "semi join keys using (k)")
            got = con.execute(f"select * from _t_{table} order by _inc_rowid").fetchall()
            want = con.execute(f"select rowid, * from {table} semi join keys using (k) order by rowid").fetchall()
        assert got == want and len(want) > 100, table
    ids = con.execute("select table_name from duckdb_tables() where table_name like '\\_t\\_%\\_ids' escape '\\'")
    assert [name for (name,) in ids.fetchall()] == ["_t_wide_ids"]  # (the narrow table's in one step)
    take_rows(con, inc, "_t_rows", "wide", "semi join keys using (k)", with_rowid=False)
    assert (con.execute("select * from _t_rows order by all").fetchall()
            == con.execute("select * from wide semi join keys using (k) order by all").fetchall())
    inc.finish(con)


def test_engagements_found_by_their_key_hash_are_held_to_their_keys(tmp_path):
    """engagements_by_key finds the rows of the keys asked for by key_hash, as int_engagements.sql computes it, and
    leaves out a row whose hash is one of theirs but whose key is not (a collision, planted here): in two steps from
    the wide table, and in one from a narrow one."""
    from pipeline.incremental import Increment, _model_sql, engagements_by_key, take_rows

    assert "hash(e.exec_id, e.platform, e.engagement_key) as key_hash" in _model_sql("intermediate", "int_engagements")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    extra = ", ".join(f"i * {n} as c{n}" for n in range(8))
    for table, n in (("wide", 200000), ("narrow", 5000)):
        columns = "'e' || (i % 7) as exec_id, 'bluesky' as platform, 'like:' || i as engagement_key, i as n"
        con.execute(f"create table {table} as select *, hash(exec_id, platform, engagement_key) as key_hash from "
                    f"(select {columns}{', ' + extra if table == 'wide' else ''} from range({n}) t(i))")
        con.execute(f"create or replace table keys as select exec_id, platform, engagement_key from {table} "
                    "where n in (3, 1234, 4999)")
        # another engagement made to share the hash of the first key (a collision)
        con.execute(f"update {table} set key_hash = (select key_hash from {table} where n = 3) where n = 77")
        inc = Increment()
        take_rows(con, inc, f"_t_{table}", table, **engagements_by_key("keys"), with_rowid=False)
        assert [n for (n,) in con.execute(f"select n from _t_{table} order by n").fetchall()] == [3, 1234, 4999]
        # (without the keys held, the collision comes too: the hash alone is a superset)
        take_rows(con, inc, f"_h_{table}", table, engagements_by_key("keys")["match"], with_rowid=False)
        assert [n for (n,) in con.execute(f"select n from _h_{table} order by n").fetchall()] == [3, 77, 1234, 4999]
        inc.finish(con)


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.mark.slow
def test_a_killed_update_leaves_the_last_warehouse_and_the_next_build_completes_it(tmp_path):
    """SIGKILL in the middle of an update (a copy of the last warehouse being changed in place): the published
    warehouse is still the last one, whole; the next build updates it to what a full build gives. A kill that lands
    after the update published (the rename done, the process not yet gone) must leave the whole update."""
    import crashkit as ck

    data_dir = tmp_path / "data"
    cfg_path, config = built_before_new_segments(data_dir)
    warehouse = data_dir / "warehouse.duckdb"
    last = tmp_path / "last.duckdb"
    shutil.copyfile(warehouse, last)
    # parse the new segments first, so that the kills fall in the update rather than in parsing
    load_observations(duckdb.connect(), RawStore(data_dir / "raw"), data_dir / "cache")

    rng = random.Random(20261203)
    kills = finished = 0
    published: list[Path] = []  # what updates killed after publishing left, checked against a full build below
    while kills < 3 and kills + finished + len(published) < 10:
        log = ck.kill_repeatedly(["model"], cfg_path, data_dir, times=1, window=(0.6, 2.4), rng=rng)
        if not log.finished_first and differences(last, warehouse) == []:
            kills += log.kills  # killed before it published: the last build, untouched
            continue
        if not log.finished_first:
            published.append(tmp_path / f"published-{len(published)}.duckdb")
            shutil.copyfile(warehouse, published[-1])
        else:  # the update completed before its kill
            finished += 1
        shutil.copyfile(last, warehouse)  # start again from the last build
    assert kills >= 3, f"{finished} runs finished before their kill, {len(published)} were killed after publishing"

    result = build_warehouse(config, data_dir)
    assert result.full_because is None and not result.up_to_date  # the update itself, not a fallback
    assert not list(data_dir.glob(".warehouse.duckdb.building-*"))  # the killed runs' copies are gone
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    full = build_warehouse(config, data_dir, full=True).path
    assert differences(updated, full) == []
    for whole in published:
        assert differences(whole, full) == [], whole


def test_an_executive_span_recounted_when_activity_leaves_either_end(tmp_path):
    """int_exec_weeks' updater: an end of an executive's span stays unless the activity there left it. Here one
    executive's only activity in their last week moves earlier (an engagement re-dated by an earlier observation),
    another's only activity in their first week goes, a third gains a later week: the updated table must equal the
    model's, with both shrunk spans recounted."""
    from pipeline.incremental import Increment
    from pipeline.runner import discover
    from pipeline.seeds import write_seeds
    from pipeline.update_weekly import update_int_exec_weeks

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    con.execute("create table int_own_posts as select * from (values "
                "('a', timestamptz '2025-03-04 10:00+00'), ('b', timestamptz '2025-03-20 10:00+00'), "
                "('c', timestamptz '2025-03-04 10:00+00')) as t(exec_id, created_at)")
    weeks = {  # (exec_id, person_key) -> the Monday of a week they engaged
        ("a", 1): "2025-03-10", ("a", 9): "2025-03-31",  # a: 9 alone in a's last week
        ("b", 2): "2025-03-03", ("b", 3): "2025-03-24",  # b: 2 alone in b's first week
        ("c", 4): "2025-03-10",
    }
    con.execute("create table int_person_weeks (exec_id varchar, person_key bigint, ring varchar, week date, "
                "first_week date)")
    for (x, p), w in weeks.items():
        con.execute("insert into int_person_weeks values (?, ?, 'digital_only', ?, ?)", [x, p, w, w])
    model = next(m for m in discover() if m.name == "int_exec_weeks").sql
    con.execute(f"create table int_exec_weeks as {model}")
    # the update: a's 9 re-dated two weeks earlier, b's 2 gone (their account erased), c engaged two weeks later
    old = [("a", 9, "2025-03-31"), ("b", 2, "2025-03-03")]
    new = [("a", 9, "2025-03-17"), ("c", 5, "2025-03-24")]
    for name, rows in (("_inc_old_int_person_weeks", old), ("_inc_new_int_person_weeks", new)):
        con.execute(f"create table {name} as select * from int_person_weeks limit 0")
        for x, p, w in rows:
            con.execute(f"insert into {name} values (?, ?, 'digital_only', ?, ?)", [x, p, w, w])
    con.execute("delete from int_person_weeks where (exec_id, person_key) in (('a', 9), ('b', 2))")
    con.execute("insert into int_person_weeks select * from _inc_new_int_person_weeks")
    for name in ("_inc_old_int_own_posts", "_inc_new_int_own_posts"):
        con.execute(f"create table {name} as select * from int_own_posts limit 0")
    inc = Increment(updated={"int_own_posts", "int_person_weeks"}, stats={"exec_accounts_changed": 0})
    assert update_int_exec_weeks(con, inc)
    assert inc.stats["exec_weeks_recounted"] == 2 and inc.stats["exec_spans_changed"] == 3
    assert query_differences(con, "select exec_id, week from int_exec_weeks", model) == 0
    spans = dict((x, (lo.isoformat(), hi.isoformat())) for x, lo, hi in con.execute(
        "select exec_id, min(week), max(week) from int_exec_weeks group by all").fetchall())
    assert spans == {"a": ("2025-03-03", "2025-03-17"), "b": ("2025-03-17", "2025-03-24"),
                     "c": ("2025-03-03", "2025-03-24")}


def test_a_build_out_of_memory_says_which_setting_to_raise_and_the_last_warehouse_stands(tmp_path, capsys,
                                                                                           monkeypatch):
    """A model that needs more memory than DuckDB may take stops the build with the setting the user can change
    (not DuckDB's advice to SET threads); an update is not tried again in full (that needs more memory still), and
    the last warehouse stands as it was."""
    import pipeline.build as build
    from influence.cli import main

    cfg_path, _ = built_before_new_segments(tmp_path)
    runs = []
    run_models = build.run_models
    monkeypatch.setattr(build, "run_models", lambda *a, **k: runs.append(k.get("increment")) or run_models(*a, **k))
    before = (tmp_path / "warehouse.duckdb").read_bytes()
    cfg_path.write_text(cfg_path.read_text(encoding="utf-8") + '\n[model]\nmemory_limit = "8MB"\n', encoding="utf-8")
    assert main(["model", "--quiet", "--config", str(cfg_path), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "ran out of memory" in err and 'raise [model] memory_limit (now "8MB")' in err, err
    assert "the last warehouse stands as it was" in err and "SET threads" not in err and "built in full" not in err
    assert len(runs) == 1 and runs[0] is not None  # the update, and no full build after it
    assert (tmp_path / "warehouse.duckdb").read_bytes() == before
    assert not list(tmp_path.glob(".warehouse.duckdb.building-*"))


def _demo_built_in_full(tmp_path: Path) -> tuple[Path, Config, BuildResult]:
    """The demo data in ``tmp_path / "data"``, its config, and a full build of it."""
    data_dir = tmp_path / "data"
    cfg_path, _ = load_demo(data_dir)
    config = load_config(cfg_path)
    return data_dir, config, build_warehouse(config, data_dir, full=True)


def test_a_day_of_new_engagements_adds_only_new_people_to_a_topic(tmp_path):
    """A day that only adds engagements updates `topics` by a delta (update_topics): a topic's engagers grow by the
    people among the new engagements who had engaged with none of its posts before. Here a post on a topic gets three
    likes: from a person who liked another post on that topic (not a new engager of the topic), from a tie of the
    executive who never engaged with the topic (a new engager, not digital-only) and from a person never seen (a new,
    digital-only engager)."""
    data_dir, config, first = _demo_built_in_full(tmp_path)
    con = duckdb.connect(str(first.path), read_only=True)
    try:
        exec_id, topic, post, did, tie_did = con.execute("""
            select t2.exec_id, t2.topic_key, t2.post_id, e.account_id, a.account_id
            from int_post_topics as t2
            join int_post_topics as t1 on t1.exec_id = t2.exec_id and t1.topic_key = t2.topic_key
                and t1.platform = 'bluesky' and t1.post_id <> t2.post_id
            join int_engagements as e on e.exec_id = t1.exec_id and e.platform = 'bluesky' and e.post_id = t1.post_id
            -- a tie with a Bluesky account who liked the executive's posts, but none on the topic
            join int_ties as tie on tie.exec_id = t2.exec_id and tie.ring <> 'digital_only'
            join int_people as a on a.person_key = tie.person_key and a.platform = 'bluesky'
            where t2.platform = 'bluesky' and e.kind = 'like'
                and not exists (select 1 from int_engagements as f where f.exec_id = t2.exec_id
                                and f.post_id = t2.post_id and f.person_key = e.person_key)
                and not exists (select 1 from int_exec_people as x where x.exec_id = e.exec_id
                                and x.person_key = e.person_key)
                and exists (select 1 from int_engagements as g where g.exec_id = tie.exec_id
                            and g.person_key = tie.person_key and g.kind = 'like' and g.platform = 'bluesky')
                and not exists (select 1 from int_engagements as g
                                join int_post_topics as p using (exec_id, platform, post_id)
                                where g.exec_id = tie.exec_id and g.person_key = tie.person_key
                                    and p.topic_key = t2.topic_key)
            order by all limit 1""").fetchone()
        before = con.execute("select engagers, digital_only_engagers from topics where exec_id = ? and topic_key = ?",
                             [exec_id, topic]).fetchone()
        (latest,) = con.execute("select max(first_seen) from int_engagements").fetchone()
    finally:
        con.close()
    # the returning person's and the tie's profiles as likes of theirs showed them, and a like record to copy
    actors: dict[str, dict] = {}
    template = None
    with gzip.open(ROOT / "data" / "demo" / "raw.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["source"] == "bluesky" and record["kind"] == "likes" and record["exec_id"] == exec_id:
                template = template or record
                for like in json.loads(record["payload"])["likes"]:
                    if like["actor"]["did"] in (did, tie_did):
                        actors.setdefault(like["actor"]["did"], like["actor"])
    assert template and set(actors) == {did, tie_did}
    newcomer = {"did": "did:plc:topicnewcomer0000000000", "handle": "newcomer.bsky.social", "displayName": "New",
                "labels": []}
    at = latest + timedelta(minutes=1)
    when = (at - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    likes = [{"actor": a, "createdAt": when, "indexedAt": when} for a in (actors[did], actors[tie_did], newcomer)]
    RawStore(data_dir / "raw").append([RawRecord(
        source="bluesky", kind="likes", exec_id=exec_id, url=template["url"],
        payload=json.dumps({"uri": post, "likes": likes}), observed_at=at,
        params={**template["params"], "uri": post})], run_id=at.strftime("%Y%m%dT%H%M%SZ") + "-test")
    result = build_warehouse(config, data_dir)
    assert result.full_because is None
    assert result.stats["engagements_updated"] == 3 and result.stats["topics_by_delta"] > 0
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        after = con.execute("select engagers, digital_only_engagers from topics where exec_id = ? and topic_key = ?",
                            [exec_id, topic]).fetchone()
    finally:
        con.close()
    assert after == (before[0] + 2, before[1] + 1)  # the tie and the newcomer; the newcomer only is digital-only
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    assert differences(updated, build_warehouse(config, data_dir, full=True).path) == []



def _demo_bluesky_record(exec_id: str, kind: str) -> dict:
    """The demo's first raw Bluesky record of ``kind`` for the executive: a template for new ones."""
    with gzip.open(ROOT / "data" / "demo" / "raw.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["source"] == "bluesky" and record["kind"] == kind and record["exec_id"] == exec_id:
                return record
    raise AssertionError(f"the demo has no Bluesky {kind} record of {exec_id}")


def _post_on_bluesky(data_dir: Path, exec_id: str, at: datetime, rkey: str, tags: list[str]) -> str:
    """A raw author-feed record of one new post of the executive's, tagged with ``tags``, observed at ``at``; returns
    the post's URI."""
    template = _demo_bluesky_record(exec_id, "author_feed")
    item = json.loads(template["payload"])["feed"][0]["post"]
    created = (at - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    post = {**item, "uri": item["uri"].rsplit("/", 1)[0] + "/" + rkey, "cid": f"bafyrei{rkey}", "likeCount": 0,
            "repostCount": 0, "replyCount": 0, "quoteCount": 0, "indexedAt": created,
            "record": {"$type": "app.bsky.feed.post", "createdAt": created, "langs": ["en"],
                       "text": "A new note " + " ".join(f"#{t}" for t in tags),
                       "facets": [{"index": {"byteStart": 0, "byteEnd": 1},
                                   "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}]} for t in tags]}}
    RawStore(data_dir / "raw").append([RawRecord(
        source="bluesky", kind="author_feed", exec_id=exec_id, url=template["url"],
        payload=json.dumps({"feed": [{"post": post}]}), observed_at=at, params=template["params"])],
        run_id=at.strftime("%Y%m%dT%H%M%SZ") + "-" + rkey)
    return post["uri"]


def test_a_new_post_names_an_observed_topic_by_its_least_form_and_a_declared_one_as_declared(tmp_path):
    """update_topics by delta, on a day that only adds a post: an observed topic is named by the least of its posts'
    forms (the model's min), so a new post writing the topic in a form that sorts first renames it; a declared
    topic keeps its declared name whatever form a new post writes it in. Both against a full build."""
    data_dir, config, first = _demo_built_in_full(tmp_path)
    con = duckdb.connect(str(first.path), read_only=True)
    try:
        # a declared topic of a Bluesky executive's, named in lower-case letters only
        exec_id, declared, declared_name, declared_posts = con.execute("""
            select exec_id, topic_key, topic, posts from topics
            where declared and regexp_matches(topic, '^[a-z][a-z]+$')
                and exec_id in (select exec_id from int_own_posts where platform = 'bluesky')
            order by exec_id, topic_key limit 1""").fetchone()
        (latest,) = con.execute("select max(last_seen) from stg_posts").fetchone()
    finally:
        con.close()
    # the demo's topics are all declared: a post brings an observed one (a topic new to the executive: recounted)
    _post_on_bluesky(data_dir, exec_id, latest + timedelta(minutes=1), "3zzztopicone", ["teamwork"])
    assert build_warehouse(config, data_dir).full_because is None
    # then a post writes it "t_eamwork" (the key drops "_": the same topic; "_" sorts before "e") and the declared
    # topic with a "-" after its first letter (the same key; "-" sorts before any letter)
    written = declared_name[0] + "-" + declared_name[1:]
    assert "t_eamwork" < "teamwork" and written < declared_name
    _post_on_bluesky(data_dir, exec_id, latest + timedelta(minutes=2), "3zzztopictwo", ["t_eamwork", written])
    result = build_warehouse(config, data_dir)
    assert result.full_because is None
    assert result.stats["topics_by_delta"] == 2
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        got = dict(con.execute("select topic_key, (topic, posts) from topics where exec_id = ? and topic_key in (?, ?)",
                               [exec_id, "teamwork", declared]).fetchall())
    finally:
        con.close()
    assert got["teamwork"] == ("t_eamwork", 2)
    assert got[declared] == (declared_name, declared_posts + 1)
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    assert differences(updated, build_warehouse(config, data_dir, full=True).path) == []


def test_a_person_linked_alone_on_the_posts_they_engaged_joins_the_graph_and_makes_a_sphere(tmp_path):
    """Leiden's graph is the linked people and their edges. A person who engaged with two posts, on each of which
    they are the only one linked (the others engaged once), adds a node and no edge: the update must still find the
    executive's communities again. Here two new posts of the last week the spheres take in: one liked by three
    newcomers, A, B and N, the other by N alone, collected in the current week. N is a community of one, and the
    first post's one-time engagers A and B join it: a sphere of three, as a full build finds."""
    data_dir, config, first = _demo_built_in_full(tmp_path)
    con = duckdb.connect(str(first.path), read_only=True)
    try:
        exec_id = con.execute("select min(exec_id) from int_own_posts where platform = 'bluesky'").fetchone()[0]
        (latest,) = con.execute("select max(first_seen) from int_engagements").fetchone()
        (through,) = con.execute("select through_week from int_sphere_window where exec_id = ?", [exec_id]).fetchone()
    finally:
        con.close()
    template = _demo_bluesky_record(exec_id, "likes")
    assert through is not None
    # posted and liked in the spheres' last week (its Wednesday), collected a minute after the latest collection
    posted = datetime.combine(through + timedelta(days=2), time(12), tzinfo=UTC)
    collected = latest + timedelta(minutes=1)
    uris = [_post_on_bluesky(data_dir, exec_id, posted, rkey, ["alone"]) for rkey in ("3zzzalonea", "3zzzaloneb")]
    people = {name: {"did": f"did:plc:alone{name.lower()}000000000000000", "handle": f"alone-{name}.bsky.social",
                     "displayName": name, "labels": []} for name in ("A", "B", "N")}
    liked = (posted + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for uri, who in ((uris[0], "ABN"), (uris[1], "N")):
        likes = [{"actor": people[n], "createdAt": liked, "indexedAt": liked} for n in who]
        RawStore(data_dir / "raw").append([RawRecord(
            source="bluesky", kind="likes", exec_id=exec_id, url=template["url"],
            payload=json.dumps({"uri": uri, "likes": likes}), observed_at=collected,
            params={**template["params"], "uri": uri})], run_id=collected.strftime("%Y%m%dT%H%M%SZ") + "-alone" + who)
    result = build_warehouse(config, data_dir)
    assert result.full_because is None and through_week(result.path)[exec_id] == through
    assert result.stats["engagements_updated"] == 4
    # no edge changed (N is linked with no one), yet the executive's graph changed: Leiden ran for it
    assert result.stats["sphere_graphs_changed"] == 1
    con = duckdb.connect(str(result.path), read_only=True)
    try:
        spheres = con.execute("""
            select m.sphere_id, list(a.handle order by a.handle) from sphere_members as m
            join accounts as a on a.person_id = m.person_id and a.handle like 'alone-%'
            where m.exec_id = ? group by m.sphere_id""", [exec_id]).fetchall()
    finally:
        con.close()
    assert [handles for _, handles in spheres] == [[f"alone-{n}.bsky.social" for n in "ABN"]]
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(result.path, updated)
    assert differences(updated, build_warehouse(config, data_dir, full=True).path) == []


def test_an_update_copies_the_last_warehouse_by_reflink_where_it_can_else_by_bytes(tmp_path, monkeypatch):
    """copy_file (the update's copy of the last warehouse): the file system's reflink where it makes one (no byte
    copied by Python), the bytes where it refuses (ext4, tmpfs: EOPNOTSUPP; another device: EXDEV), by the kernel
    where it can and through Python for the rest; the copy equals the source either way, here on whatever file
    system the tests run on too."""
    import errno
    import fcntl
    import os

    import pipeline.build as build

    src, dst = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    src.write_bytes(os.urandom(3_000_000))
    build.copy_file(src, dst)
    assert dst.read_bytes() == src.read_bytes()
    reflinks: list[int] = []

    def refusing(refusal: int):
        def ioctl(fd, request, arg):
            reflinks.append(request)
            raise OSError(refusal, os.strerror(refusal))
        return ioctl

    for refusal in (errno.EOPNOTSUPP, errno.EXDEV):
        dst.unlink()
        monkeypatch.setattr(fcntl, "ioctl", refusing(refusal))
        build.copy_file(src, dst)
        assert dst.read_bytes() == src.read_bytes()
    assert reflinks == [build.FICLONE, build.FICLONE]

    # the bytes: in the kernel where it can (copy_file_range), else, or for what it left, through Python; always
    # into the file opened once (a second opening with "wb" has ext4 write the file out when it is closed)
    opened: list[str] = []
    real_open = open

    def counting_open(path, mode="r", *args, **kwargs):
        opened.append(f"{Path(path).name}:{mode}")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    real_range = getattr(os, "copy_file_range", None)
    ranges: list[int] = []

    def partial_range(src_fd, dst_fd, count, *args):
        if ranges:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))  # refuses after its first piece
        ranges.append(count)
        return os.write(dst_fd, os.read(src_fd, 1_000_000))

    for copy_range in (real_range, partial_range, None):
        dst.unlink()
        opened.clear()
        if copy_range is None:
            monkeypatch.delattr(os, "copy_file_range", raising=False)
        else:
            monkeypatch.setattr(os, "copy_file_range", copy_range, raising=False)
        build.copy_file(src, dst)
        assert dst.read_bytes() == src.read_bytes()
        assert opened == ["a.duckdb:rb", "b.duckdb:wb"]
    assert ranges == [3_000_000]
    monkeypatch.undo()

    # a file system that shares the blocks: no bytes are copied by Python
    def share(fd, request, arg):
        assert request == build.FICLONE
        os.write(fd, os.pread(arg, src.stat().st_size, 0))  # (what the file system does, for the test)

    def no_copy(*args, **kwargs):
        raise AssertionError("copied byte by byte where a reflink was made")

    dst.unlink()
    monkeypatch.setattr(fcntl, "ioctl", share)
    monkeypatch.setattr(os, "copy_file_range", no_copy, raising=False)
    monkeypatch.setattr(build.shutil, "copyfileobj", no_copy)
    build.copy_file(src, dst)
    assert dst.read_bytes() == src.read_bytes()


def test_a_build_syncs_its_file_once_whole_before_publishing_it(tmp_path, monkeypatch):
    """The file a build writes is its own until published, and deleted if the build fails: its connection does not
    sync at commits and checkpoints (DuckDB's fsync_mode none), and the publication writes the whole file to disk
    (fsync) before renaming it over the warehouse. An update's copy of the last warehouse is made in a thread, and
    goes to disk there while the models run, done before the publication's fsync."""
    import os
    import threading

    import pipeline.build as build

    _, config = built_before_new_segments(tmp_path)
    modes: list[str] = []
    connect = build.connect_build

    def spy_connect(path, memory_limit=None):
        con = connect(path, memory_limit)
        modes.append(con.execute("select current_setting('fsync_mode')").fetchone()[0])
        return con

    events: list[tuple[str, str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def spy_fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"), threading.current_thread().name))
        real_fsync(fd)

    def spy_replace(src, dst):
        events.append(("replace", str(src), str(dst)))
        real_replace(src, dst)

    copy = build.copy_file

    def spy_copy(src, dst):
        events.append(("copy", str(dst), threading.current_thread().name))
        copy(src, dst)

    monkeypatch.setattr(build, "connect_build", spy_connect)
    monkeypatch.setattr(build, "copy_file", spy_copy)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    result = build.build_warehouse(config, tmp_path)
    assert result.full_because is None and result.updated
    assert modes == ["none"]
    (_, building, _), = [e for e in events if e[0] == "replace" and e[2] == str(result.path)]
    assert Path(building).name.startswith(f".{build.WAREHOUSE}.building-")
    assert [(e[0], e[2]) for e in events if e[1] == building] == [
        ("copy", "warehouse-copy"), ("fsync", "warehouse-copy"), ("fsync", "MainThread"),
        ("replace", str(result.path))]


def test_an_update_leaves_freeing_the_warehouse_it_replaced_to_a_process_of_its_own(tmp_path, monkeypatch):
    """The rename that publishes an update does not free the old file (it keeps a second name until then, so the
    user does not wait for the file system): a process removes it afterwards. A full build (an erasure's) leaves
    nothing of the old file behind when it returns; a name left by a build that crashed goes at the next build."""
    import os
    import time as clock

    import pipeline.build as build

    _, config = built_before_new_segments(tmp_path)
    final = tmp_path / build.WAREHOUSE
    old_inode = final.stat().st_ino
    links_at_rename: list[int] = []
    real_replace = os.replace

    def spy_replace(src, dst):
        if Path(dst) == final:
            links_at_rename.append(os.stat(dst).st_nlink)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy_replace)
    result = build.build_warehouse(config, tmp_path)
    assert result.full_because is None and final.stat().st_ino != old_inode
    assert links_at_rename == [2]  # the old file still had its second name: the rename did not free it
    for _ in range(200):  # (a removal, not a timing: the process is given up to 20 s to do it)
        if not list(tmp_path.glob(f".{build.WAREHOUSE}.replaced-*")):
            break
        clock.sleep(0.1)
    assert not list(tmp_path.glob(f".{build.WAREHOUSE}.replaced-*"))
    monkeypatch.setattr(os, "replace", real_replace)
    stale = tmp_path / f".{build.WAREHOUSE}.replaced-1"
    stale.write_bytes(b"left by a build that crashed")
    build.build_warehouse(config, tmp_path, full=True)
    assert not list(tmp_path.glob(f".{build.WAREHOUSE}.*"))


def test_an_update_starts_from_the_spare_copy_the_last_build_left(tmp_path, monkeypatch):
    """Once a build has published a warehouse (of at least SPARE_MIN_BYTES: here any), a process of its own copies
    it to a spare named by the warehouse's stamp; the next update takes it (no copy while its user waits) and
    equals a full build. A spare of a warehouse written since it was made is never used: that update copies, and
    the stale spare goes."""
    import os
    import time as clock

    import pipeline.build as build
    from pipeline import spare

    monkeypatch.setattr(spare, "SPARE_MIN_BYTES", 0)
    cfg_path, _ = load_demo(tmp_path)
    config = load_config(cfg_path)
    segments = _segments(tmp_path)
    later = tmp_path.parent / f"{tmp_path.name}-later"
    for seg in segments[1::3]:  # (held back for the second update)
        (later / seg.relative_to(tmp_path / "raw")).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(seg, later / seg.relative_to(tmp_path / "raw"))
    aside = _held_back(tmp_path, segments[::3])
    build.build_warehouse(config, tmp_path, full=True)
    _put_back(tmp_path, aside)
    final = tmp_path / build.WAREHOUSE
    made = spare_of(final)
    assert made.read_bytes() == final.read_bytes()

    copies: list[str] = []
    real_copy = build.copy_file

    def spy_copy(src, dst):
        copies.append(Path(dst).name)
        real_copy(src, dst)

    monkeypatch.setattr(build, "copy_file", spy_copy)
    result = build.build_warehouse(config, tmp_path)
    assert result.full_because is None and result.updated
    assert copies == [] and not made.exists()  # taken: renamed to the update's file

    # the warehouse written after its spare was made (a user's own SQL, say): the spare is not of it any more
    stale = spare_of(final)
    st = final.stat()
    os.utime(final, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    _put_back(tmp_path, later)
    result = build.build_warehouse(config, tmp_path)
    assert result.full_because is None and result.updated
    assert len(copies) == 1 and copies[0].startswith(f".{build.WAREHOUSE}.building-")
    for _ in range(200):  # (a removal by a process of its own: up to 20 s)
        if not stale.exists():
            break
        clock.sleep(0.1)
    assert not stale.exists()
    assert differences(result.path, build_warehouse(config, tmp_path, full=True).path) == []


def test_a_spare_copy_is_made_only_of_the_warehouse_as_it_stays_and_a_full_build_leaves_none_of_the_old(
        tmp_path, monkeypatch):
    """The copier copies nothing when the warehouse is not the file it was asked for (a later build replaced it),
    and keeps nothing when the warehouse was written while it copied; a partial copy is never named a spare. A full
    build (an erasure is one) deletes the spare of the warehouse it replaces, and any copy of it, before it returns."""
    import os

    import pipeline.build as build
    from pipeline import spare

    monkeypatch.setattr(spare, "SPARE_MIN_BYTES", 0)
    cfg_path, _ = load_demo(tmp_path)
    config = load_config(cfg_path)
    final = build.build_warehouse(config, tmp_path, full=True).path
    old = spare_of(final)
    old_bytes = final.read_bytes()

    # asked for another stamp (the warehouse replaced since): nothing copied
    assert spare.make(final, "0-0-0-0") is False
    assert sorted(p.name for p in tmp_path.glob(f".{build.WAREHOUSE}.spare*")) == [old.name]  # (and the current spare kept)

    # written while it copies: the partial copy goes, no spare is named
    old.unlink()
    real = spare._copy_open

    def written_meanwhile(source, target):
        real(source, target)
        st = final.stat()
        os.utime(final, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    monkeypatch.setattr(spare, "_copy_open", written_meanwhile)
    assert spare.make(final, spare.stamp(final.stat())) is False
    assert sorted(p.name for p in tmp_path.glob(f".{build.WAREHOUSE}.spare*")) == []
    monkeypatch.setattr(spare, "_copy_open", real)

    # a spare of the old warehouse, and a partial copy of it left by a copier that died: a full build leaves none
    assert spare.make(final, spare.stamp(final.stat())) is True
    old = spare_of(final)
    dead = final.with_name(f".{final.name}.spare-999999")
    dead.write_bytes(old_bytes[:4096])
    result = build.build_warehouse(config, tmp_path, full=True)
    assert not old.exists() and not dead.exists()
    new = spare_of(result.path)  # (the new warehouse's own, made after it)
    assert new.read_bytes() == result.path.read_bytes()
    assert sorted(p.name for p in tmp_path.glob(f".{build.WAREHOUSE}.spare*")) == [new.name]


def test_an_update_copy_made_for_a_build_that_turns_out_full_is_not_its_start(tmp_path, monkeypatch):
    """The copy of the last warehouse starts before the fingerprint is taken (new segments, none gone: an update,
    unless the code or config changed). When the config changed, the build is a full one: it starts from an empty
    file, not from the copy, and equals a full build of the same data; the copy leaves nothing behind."""
    import pipeline.build as build

    _, config = built_before_new_segments(tmp_path)
    copies: list[str] = []
    copy = build.copy_file

    def spy_copy(src, dst):
        copies.append(str(dst))
        copy(src, dst)

    connected_to: list[bool] = []
    connect = build.connect_build

    def spy_connect(path, memory_limit=None):
        connected_to.append(Path(path).exists())
        return connect(path, memory_limit)

    monkeypatch.setattr(build, "copy_file", spy_copy)
    monkeypatch.setattr(build, "connect_build", spy_connect)
    changed = dataclasses.replace(config, model=dataclasses.replace(config.model, spheres_through="latest"))
    result = build.build_warehouse(changed, tmp_path)
    assert len(copies) == 1 and "changed" in result.full_because and not result.updated
    assert connected_to == [False]  # a new file
    assert not list(tmp_path.glob(f".{build.WAREHOUSE}.building-*"))
    kept = tmp_path / "built.duckdb"
    shutil.copy(result.path, kept)
    assert differences(kept, build.build_warehouse(changed, tmp_path, full=True).path) == []


def test_days_of_a_synthetic_programme_updated_one_by_one_equal_a_full_build(tmp_path):
    """The benchmark's programme collected daily (bench/gen_programme.py --daily): Zipf-popular posts with far more
    engagers who are nodes than a post links (FANOUT_CAP), people becoming nodes as the days come, engagements
    observed again. Days are added one at a time and each built as an update, through the first day that moves an
    executive's spheres window (one of the five); then every table equals a full build's. On the way the spheres' update chose the linked engagers of posts that
    only gained some from those stored and the gained ones (the demo's posts are too small to need it)."""
    from pipeline.models.intermediate.int_sphere_members import FANOUT_CAP

    data = tmp_path / "programme"
    generate = [sys.executable, str(ROOT / "bench" / "gen_programme.py"), str(data)]
    subprocess.run([*generate, "--engagements", "20000", "--executives", "5", "--days", "60", "--daily"], check=True,
                   capture_output=True)
    config = load_config(data / "influence.toml")
    build_warehouse(config, data, full=True)
    stats = []
    for _ in range(8):  # a new week comes within seven days
        subprocess.run([*generate, "--add-day"], check=True, capture_output=True)
        result = build_warehouse(config, data)
        assert result.full_because is None, result.full_because
        stats.append(result.stats)
        if result.stats.get("sphere_weeks_taken_in"):
            break
    assert stats[-1].get("sphere_weeks_taken_in") == 1
    # (staggered, the default: the five executives take in the week that ended on five different days)
    assert stats[-1]["sphere_windows_moved"] == 1 and stats[-1]["sphere_graphs_changed"] == 1
    assert sum(s["sphere_linked_posts_gained"] for s in stats) > 0
    # a day of the same week changes the windows stored by the changed people's person-weeks alone
    assert sum(s.get("window_reach_by_delta", 0) for s in stats) > 0
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        capped = con.execute("select count(*) from (select 1 from _sphere_linked group by exec_id, platform, post_id "
                             "having count(*) = ?)", [FANOUT_CAP]).fetchone()[0]
    finally:
        con.close()
    assert capped > 0
    updated = tmp_path / "updated.duckdb"
    shutil.copyfile(data / "warehouse.duckdb", updated)
    assert differences(updated, build_warehouse(config, data, full=True).path) == []
