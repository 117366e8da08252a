"""How models are built, on the demo data: every view's declared grain holds (build-only views included), build-only
views end with the build, and the graph step gives the same spheres in worker processes as in one.

A build checks the grain of every table it writes; views are not checked there (that would compute them a second
time), so this test builds the demo the way `influence model` does, keeps the build-only views, and checks them all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers import query_differences, string_compressions

from collectors.rawstore import RawStore
from influence.config import load_config
from influence.demo import load_demo
from influence.errors import ModelError
from pipeline.load import load_observations
from pipeline.runner import Model, check_grain, discover, drop_ephemeral, run_models
from pipeline.seeds import define_is_suppressed, write_seeds


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("grain")
    cfg_path, _ = load_demo(data_dir)
    config = load_config(cfg_path)
    con = duckdb.connect(str(data_dir / "w.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    load_observations(con, RawStore(data_dir / "raw"), data_dir / "cache")
    write_seeds(con, config, data_dir)
    run_models(con, {"config": config}, keep_ephemeral=True)
    yield con
    con.close()


def test_every_view_keeps_its_declared_grain(built):
    views = [m for m in discover() if m.view]
    assert {"stg_engagements", "posts", "engagements"} <= {m.name for m in views}
    assert {"sphere_members", "identity_evidence"} <= {m.name for m in views}  # (views of int_ tables since session 25)
    for m in views:
        assert built.execute(f"select count(*) from {m.name}").fetchall()[0][0] > 0, m.name
        check_grain(built, m)  # raises ModelError naming the model and a key


def test_a_kept_grain_hash_is_the_hash_of_the_grain(built):
    """The grain check reads a model's ``-- grain hash:`` column for the hash of its grain: a repeat of the grain
    must repeat it, so it must be that hash."""
    kept = {m.name: m for m in discover() if m.grain_hash}
    assert "int_engagements" in kept
    for m in kept.values():
        rows, wrong = built.execute(f"select count(*), count(*) filter (where {m.grain_hash} is distinct from "
                                    f"hash({', '.join(m.grain)})) from {m.name}").fetchone()
        assert rows > 0 and wrong == 0, m.name


def test_the_grain_check_catches_a_duplicate(built):
    built.execute("create or replace view _dup as select * from stg_engagements union all "
                  "select * from (select * from stg_engagements limit 1)")
    with pytest.raises(ModelError, match="_dup: 2 rows share the declared grain"):
        check_grain(built, Model("_dup", "staging", None, ["exec_id", "platform", "engagement_key"]))
    # and by a kept hash of the grain
    built.execute("create or replace view _dup_hashed as select * from int_engagements union all "
                  "select * from (select * from int_engagements limit 1)")
    with pytest.raises(ModelError, match="_dup_hashed: 2 rows share the declared grain"):
        check_grain(built, Model("_dup_hashed", "intermediate", None, ["exec_id", "platform", "engagement_key"],
                                 grain_hash="key_hash"))


# What stg_engagements means, written the plain way: one aggregate over every observation, carrying the first
# observation's fields (where no observation has a time, the first row read). The model aggregates numbers alone
# and fetches the first observation by its row; it must give these rows exactly.
EVERY_OBSERVATION_AGGREGATED = """
    select exec_id, platform, engagement_key,
        f.post_id, f.account_id, coalesce(f.account_platform, platform) as account_platform, f.kind,
        coalesce(engaged_at, first_seen) as engaged_at, engaged_at is not null as time_known,
        first_seen, last_seen, f.via_post_id, depth
    from (
        select exec_id, platform, engagement_key,
            coalesce(arg_min({'post_id': post_id, 'account_id': account_id, 'account_platform': account_platform,
                              'kind': kind, 'via_post_id': via_post_id}, observed_at),
                     arg_min({'post_id': post_id, 'account_id': account_id, 'account_platform': account_platform,
                              'kind': kind, 'via_post_id': via_post_id}, source_row)) as f,
            min(engaged_at) as engaged_at, min(observed_at) as first_seen, max(observed_at) as last_seen,
            min(depth) as depth
        from obs_engagements where not is_suppressed(account_id)
        group by exec_id, platform, engagement_key
    )
"""


def test_engagements_observed_many_times_take_the_first_observations_fields(built, tmp_path):
    stg = next(m for m in discover() if m.name == "stg_engagements").sql
    # the demo: some engagements are seen more than once (P1's likes), most once
    counts = built.execute("select count(*) filter (where n > 1), count(*) filter (where n = 1) from "
                           "(select count(*) as n from obs_engagements group by exec_id, platform, engagement_key)"
                           ).fetchall()[0]
    assert counts[0] > 0 and counts[1] > 0
    assert query_differences(built, "select * from stg_engagements", EVERY_OBSERVATION_AGGREGATED) == 0
    # the edge cases, on observations made up for them
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    con.execute("""create table obs_engagements as select *, 100 - row_number() over () as source_row from (values
        -- seen three times, saying different things: the first observation's account, post and kind hold
        ('e1', 'bluesky', 'p1', 'a1', null, 'like', timestamptz '2025-01-01 10:00+00', 'k1', null, null,
         timestamptz '2025-01-03 00:00+00'),
        ('e1', 'bluesky', 'p1', 'a1b', 'mastodon', 'reshare', null, 'k1', 'v1', 2, timestamptz '2025-01-02 00:00+00'),
        ('e1', 'bluesky', 'p9', 'a1c', null, 'like', timestamptz '2025-01-01 09:00+00', 'k1', null, 1,
         timestamptz '2025-01-04 00:00+00'),
        -- seen once, with and without a time of its own
        ('e1', 'bluesky', 'p1', 'a2', null, 'like', timestamptz '2025-01-01 11:00+00', 'k2', null, null,
         timestamptz '2025-01-02 00:00+00'),
        ('e1', 'mastodon', 'p2', 'a3', 'mastodon', 'reshare', null, 'k3', 'v3', 1, timestamptz '2025-01-02 00:00+00'),
        -- the same key under another executive and platform: other engagements
        ('e2', 'bluesky', 'p1', 'a1', null, 'like', null, 'k1', null, null, timestamptz '2025-01-05 00:00+00'),
        ('e1', 'mastodon', 'p1', 'a1', null, 'like', null, 'k1', null, null, timestamptz '2025-01-05 00:00+00'),
        -- no observation time (never written by a parser): arg_min ignores such a row and so must the model, and
        -- where no row has one, the row numbered first stands (a4, not a4b: the rows are numbered backwards here)
        ('e3', 'bluesky', 'p3', 'a4b', null, 'like', null, 'k4', null, null, null),
        ('e3', 'bluesky', 'p3', 'a4', null, 'like', null, 'k4', null, null, null),
        ('e3', 'bluesky', 'p3', 'a5', null, 'like', null, 'k5', null, null, null),
        ('e3', 'bluesky', 'p3', 'a5', null, 'quote', null, 'k5', null, null, timestamptz '2025-01-06 00:00+00')
        ) as t(exec_id, platform, post_id, account_id, account_platform, kind, engaged_at, engagement_key,
               via_post_id, depth, observed_at)""")
    assert query_differences(con, stg, EVERY_OBSERVATION_AGGREGATED) == 0
    got = {r[:3]: r[3:] for r in con.execute(
        f"select exec_id, platform, engagement_key, post_id, account_id, kind, time_known, depth from ({stg})"
    ).fetchall()}
    assert len(got) == 7
    assert got[("e1", "bluesky", "k1")] == ("p1", "a1b", "reshare", True, 1)
    assert got[("e3", "bluesky", "k5")] == ("p3", "a5", "quote", False, None)
    assert got[("e3", "bluesky", "k4")] == ("p3", "a4", "like", False, None)
    # suppressed accounts are left out on both paths
    con.execute("insert into cfg_suppressed select sha256(norm_id('a2')) union all select sha256(norm_id('a1c'))")
    define_is_suppressed(con)  # (as write_seeds does with a list: with none, the macro is false)
    assert query_differences(con, stg, EVERY_OBSERVATION_AGGREGATED) == 0
    assert con.execute(f"select count(*) from ({stg}) where account_id = 'a2'").fetchall() == [(0,)]


# What stg_accounts means for erased identifiers, written the plain way: every observation's id, handle and url
# checked (the model checks each distinct identifier once, then matches the observations against those found).
EVERY_ACCOUNT_OBSERVATION_CHECKED = """
    with kept as (
        select * from obs_accounts
        where not (is_suppressed(account_id) or is_suppressed(handle) or is_suppressed(url))
    )
    select o.platform, o.account_id, o.handle, o.display_name, o.url, o.bio, o.followers_count, o.following_count,
        o.posts_count, o.hide_collections, o.opted_out, o.profile_links,
        min(o.observed_at) over w as first_seen, max(o.observed_at) over w as last_seen, o.raw_id as last_raw_id
    from kept as o
    window w as (partition by o.platform, o.account_id)
    qualify row_number() over (partition by o.platform, o.account_id order by o.observed_at desc, o.raw_id desc) = 1
"""


def test_erased_identifiers_are_checked_once_each_and_leave_out_every_observation_holding_one(tmp_path):
    model = next(m for m in discover() if m.name == "stg_accounts").sql
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    con.execute("""create table obs_accounts as select platform, account_id, handle, display_name, url,
        null::varchar as bio, null::bigint as followers_count, null::bigint as following_count,
        null::bigint as posts_count, null::boolean as hide_collections, null::boolean as opted_out,
        null::varchar as profile_links, raw_id, 'run' as run_id, observed_at, row_number() over () as source_row
        from (values
        -- an erased handle in the last observation: the account is as it was seen before
        ('bluesky', 'did:1', 'old.example', 'A', null, 'r1', timestamptz '2025-01-01 00:00+00'),
        ('bluesky', 'did:1', 'Erased.Example', 'A', null, 'r2', timestamptz '2025-01-02 00:00+00'),
        -- an erased url (normalized: scheme, www and slash) in every observation: the account is gone
        ('mastodon', '77', 'b@x.social', 'B', 'https://www.x.social/@b/', 'r3', timestamptz '2025-01-01 00:00+00'),
        ('mastodon', '77', 'b@x.social', 'B', 'https://www.x.social/@b/', 'r4', timestamptz '2025-01-03 00:00+00'),
        -- an erased account id, whatever its handle
        ('bluesky', 'did:erased', 'c.example', 'C', null, 'r5', timestamptz '2025-01-01 00:00+00'),
        -- no handle or url at all: nothing to match, kept
        ('bluesky', 'did:4', null, 'D', null, 'r6', timestamptz '2025-01-01 00:00+00'),
        ('bluesky', 'did:4', null, 'D2', null, 'r7', timestamptz '2025-01-04 00:00+00')
        ) as t(platform, account_id, handle, display_name, url, raw_id, observed_at)""")
    everyone = con.execute(f"select account_id from ({model}) order by 1").fetchall()
    assert everyone == [("77",), ("did:1",), ("did:4",), ("did:erased",)]
    con.execute("insert into cfg_suppressed select sha256(norm_id(x)) from "
                "(values ('erased.example'), ('x.social/@b'), ('did:erased')) as t(x)")
    define_is_suppressed(con)
    assert query_differences(con, model, EVERY_ACCOUNT_OBSERVATION_CHECKED) == 0
    got = {r[0]: r[1:] for r in con.execute(f"select account_id, handle, last_raw_id, display_name from ({model})"
                                             ).fetchall()}
    assert got == {"did:1": ("old.example", "r1", "A"), "did:4": (None, "r7", "D2")}


# What int_person_weeks means, written the plain way: every engagement grouped by week, each pair's least week joined
# back. The model groups by week only the pairs of more than one week (or of an undated engagement).
EVERY_WEEK_GROUPED = """
    with pw as (
        select exec_id, person_key, any_value(ring) as ring, iso_week(engaged_at) as week
        from int_engagements group by exec_id, person_key, iso_week(engaged_at)
    )
    select pw.*, f.first_week from pw
    join (select exec_id, person_key, min(week) as first_week from pw group by all) as f using (exec_id, person_key)
"""


def test_person_weeks_of_one_week_skip_the_grouping_by_week_and_give_its_rows(built, tmp_path):
    model = next(m for m in discover() if m.name == "int_person_weeks").sql
    # the demo has pairs of one week and of several
    one, several = built.execute("select count(*) filter (where n = 1), count(*) filter (where n > 1) from "
                                 "(select count(distinct week) as n from int_person_weeks group by exec_id, person_key)"
                                 ).fetchone()
    assert one > 0 and several > 0
    assert query_differences(built, "select * from int_person_weeks", EVERY_WEEK_GROUPED) == 0
    # the edge cases, on engagements made up for them
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    con.execute("""create table int_engagements as select * from (values
        ('e1', 1, 'team', timestamptz '2025-01-06 10:00+00'),          -- one engagement
        ('e1', 2, 'digital_only', timestamptz '2025-01-06 10:00+00'),  -- two in one week (Monday and Sunday)
        ('e1', 2, 'digital_only', timestamptz '2025-01-12 23:00+00'),
        ('e1', 3, 'team', timestamptz '2025-01-13 10:00+00'),          -- three weeks, the first last
        ('e1', 3, 'team', timestamptz '2025-02-03 10:00+00'),
        ('e1', 3, 'team', timestamptz '2025-01-06 10:00+00'),
        ('e2', 3, 'organisation', timestamptz '2025-01-20 10:00+00'),  -- the same person, another executive
        ('e1', 4, 'team', null),                                       -- undated only: a week NULL
        ('e1', 5, 'team', null),                                       -- one week and undated
        ('e1', 5, 'team', timestamptz '2025-01-07 10:00+00')
        ) as t(exec_id, person_key, ring, engaged_at)""")
    assert query_differences(con, model, EVERY_WEEK_GROUPED) == 0
    got = {r[:3]: r[3:] for r in con.execute(f"select exec_id, person_key, week, ring, first_week from ({model})"
                                             ).fetchall()}
    assert len(got) == 9
    assert got[("e1", 2, date(2025, 1, 6))] == ("digital_only", date(2025, 1, 6))
    assert got[("e1", 3, date(2025, 2, 3))] == ("team", date(2025, 1, 6))
    assert got[("e1", 4, None)] == ("team", None)
    assert got[("e1", 5, None)] == ("team", date(2025, 1, 6)) and got[("e1", 5, date(2025, 1, 6))][1] == date(2025, 1, 6)


def test_spheres_are_the_same_computed_in_worker_processes(built, monkeypatch):
    from pipeline.models.intermediate import int_sphere_members as sm

    serial = built.execute("select * from sphere_members order by all").fetchall()
    assert len({r[0] for r in serial}) >= 2  # more than one executive: more than one job for the pool
    monkeypatch.setattr(sm, "PARALLEL_FROM_EDGES", 0)
    monkeypatch.setattr(sm.os, "cpu_count", lambda: 2)
    pools = []

    real_pool = sm.worker_pool

    def counted(workers):
        pools.append(workers)
        return real_pool(workers)

    monkeypatch.setattr(sm, "worker_pool", counted)
    # the graphs this process takes itself (a worker process runs the module unpatched)
    here: list[str] = []
    real_communities = sm.communities_of_nodes

    def in_this_process(exec_id, *args):
        here.append(exec_id)
        return real_communities(exec_id, *args)

    monkeypatch.setattr(sm, "communities_of_nodes", in_this_process)
    sm.build(built, {})
    assert len(pools) == 1
    assert built.execute("select * from sphere_members order by all").fetchall() == serial
    # one worker with two cores, and it always gets the largest graph: this process did not take them all
    (graphs,) = built.execute("select count(distinct exec_id) from _sphere_core").fetchone()
    assert pools == [1] and len(here) < graphs


def test_ephemeral_views_end_with_the_build(built):
    models = discover()
    ephemeral = [m.name for m in models if m.ephemeral]
    assert ephemeral == ["stg_engagements"]
    drop_ephemeral(built, models)
    names = {n for (n,) in built.execute("select table_name from information_schema.tables").fetchall()}
    assert not names & set(ephemeral)
    # its one reader was built from it and stays
    assert built.execute("select count(*) from int_engagements").fetchall()[0][0] > 0


def test_a_model_stored_by_a_column_is_sorted_by_it_in_capped_memory(built):
    """int_engagements says ``-- stored by: exec_id``: its rows lie in executive order (DuckDB then skips the row
    groups of other executives), sorted under ``SORT_MEMORY``; the limit is what it was afterwards: never raised
    by the cap, and back to the configured one or DuckDB's default."""
    from types import SimpleNamespace

    from pipeline.runner import SORT_MEMORY, _bytes, _memory_at_most

    assert {m.name: m.stored_by for m in discover() if m.stored_by} == {"int_engagements": ["exec_id"], "int_person_weeks": ["week"]}
    execs = [e for (e,) in built.execute("select exec_id from int_engagements order by rowid").fetchall()]
    assert len(set(execs)) > 1 and execs == sorted(execs)
    weeks = [w for (w,) in built.execute("select week from int_person_weeks order by rowid").fetchall()]
    assert len(set(weeks)) > 1 and weeks == sorted(weeks)

    def limit(con):
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    con = duckdb.connect()
    default = limit(con)
    with _memory_at_most(con, SORT_MEMORY, {}):
        assert _bytes(limit(con)) == pytest.approx(_bytes(SORT_MEMORY), rel=0.05)
    assert limit(con) == default
    config = SimpleNamespace(model=SimpleNamespace(memory_limit="3GB"))
    con.execute("set memory_limit = '3GB'")
    with _memory_at_most(con, SORT_MEMORY, {"config": config}):
        assert _bytes(limit(con)) == pytest.approx(_bytes(SORT_MEMORY), rel=0.05)
        assert _bytes(limit(con)) < _bytes("3GB")
    assert limit(con) == "2.7 GiB"  # (3 GB as DuckDB prints it)
    con.execute("set memory_limit = '1GB'")
    with _memory_at_most(con, SORT_MEMORY, {}):
        assert limit(con) == "953.6 MiB"  # a lower limit stays
    assert limit(con) == "953.6 MiB"
    con.execute("set memory_limit = '5GB'")  # set by whoever holds the connection, with no config
    with _memory_at_most(con, SORT_MEMORY, {}):
        assert _bytes(limit(con)) == pytest.approx(_bytes(SORT_MEMORY), rel=0.05)
    assert limit(con) == "4.6 GiB"  # (5 GB as DuckDB prints it), not DuckDB's default
    assert _bytes("18.8 GiB") == 18.8 * 2**30 and _bytes("3200MB") == 3.2e9


def test_the_columns_a_model_names_are_stored_with_zstd(built):
    """A model's ``-- compression zstd:`` columns (strings nearly all distinct: DuckDB's own choice builds a
    dictionary for each segment, slower to write and larger) are stored with ZSTD, its other strings as DuckDB
    chooses; a stored-by model's rows still lie in its order; a header naming a column the model does not have is
    an error naming it."""
    from pathlib import Path

    from pipeline.runner import _build

    declared = {m.name: m.zstd for m in discover() if m.zstd}
    assert declared["int_engagements"] == ["engagement_key", "account_id"]
    built.execute("checkpoint")
    for name, columns in declared.items():
        stored = string_compressions(built, name)
        assert all(stored[c] == ["ZSTD"] for c in columns), (name, stored)
        assert all("ZSTD" not in how for c, how in stored.items() if c not in columns), (name, stored)
    execs = [e for (e,) in built.execute("select exec_id from int_engagements order by rowid").fetchall()]
    assert len(set(execs)) > 1 and execs == sorted(execs)
    wrong = Model("_zstd_wrong", "marts", Path("_zstd_wrong.sql"), ["a"], sql="select 1 as a, 'x' as b", zstd=["c"])
    with pytest.raises(ModelError, match="_zstd_wrong names c in its compression header"):
        _build(built, wrong, {})
    right = Model("_zstd_right", "marts", Path("_zstd_right.sql"), ["a"], sql="select 1 as a, 'x' as b", zstd=["b"])
    _build(built, right, {})
    assert built.execute("select * from _zstd_right").fetchall() == [(1, "x")]
    built.execute("drop table _zstd_right")


def test_what_a_build_spills_goes_when_it_ends_and_a_crashed_builds_spill_when_the_next_starts(tmp_path):
    """A build's connection spills to <data>/.model-spill (connect_build); DuckDB removes that directory when the
    connection closes, having made it. A directory left by a build that crashed is cleared by the next build before
    it connects (DuckDB would keep a directory it did not make)."""
    import pipeline.build as build

    con = build.connect_build(tmp_path / "w.duckdb", "64MB")
    con.execute("create table t as select md5(i::varchar) as s from range(2000000) as r(i)")
    con.execute("create table u as select * from t order by s")  # ~70 MB to sort in 64 MB
    spill = tmp_path / build.SPILL_DIR
    assert spill.is_dir() and any(spill.iterdir())  # (it did spill)
    con.close()
    assert not spill.exists()

    cfg_path, _ = load_demo(tmp_path)
    left = tmp_path / build.SPILL_DIR / "duckdb_temp_block-4096-123"
    left.parent.mkdir()
    left.write_bytes(b"x" * 4096)
    build.build_warehouse(load_config(cfg_path), tmp_path)
    assert not (tmp_path / build.SPILL_DIR).exists()


def test_the_configured_memory_limit_caps_the_build(tmp_path, monkeypatch):
    import pipeline.build as build

    cfg_path, _ = load_demo(tmp_path)
    cfg_path.write_text(cfg_path.read_text(encoding="utf-8") + '\n[model]\nmemory_limit = "256MB"\n', encoding="utf-8")
    seen = []
    connect = build.connect_build

    def spy(path, memory_limit=None):
        con = connect(path, memory_limit)
        seen.append(con.execute("select current_setting('memory_limit'), current_setting('temp_directory')").fetchall())
        return con

    monkeypatch.setattr(build, "connect_build", spy)
    result = build.build_warehouse(load_config(cfg_path), tmp_path)
    assert seen == [[("244.1 MiB", str(tmp_path / ".model-spill"))]]
    assert result.tables["int_engagements"] > 0 and set(result.phases) == {"prepare", "load", "models", "publish"}
    # the phases are where the whole build's time went
    assert abs(sum(result.phases.values()) - result.seconds) < 0.01, (result.phases, result.seconds)


def test_an_update_keeps_deleted_rows_in_place_and_rewrites_a_table_once_they_reach_a_quarter(tmp_path):
    """An update's connection (defer_vacuum): DuckDB's checkpoints keep the deleted rows in their row groups, no
    rewrite. At the update's end, compact rewrites each table of 100k stored rows or more whose deleted rows reached
    a quarter of them, in its order, and no other."""
    import pipeline.build as build

    con = build.connect_build(tmp_path / "w.duckdb")
    con.execute("create table big (i bigint, s varchar using compression zstd)")
    con.execute("insert into big select i, md5(i::varchar) as s from range(1000000) as r(i) order by s")
    con.execute("create table mid as select i from range(150000) as r(i)")
    con.execute("create table small as select i from range(1000) as r(i)")
    con.execute("create view big_view as select s from big")
    con.execute("checkpoint")
    default = con.execute("select current_setting('max_vacuum_tasks')").fetchone()[0]
    build.defer_vacuum(con)
    assert default > 0 and con.execute("select current_setting('max_vacuum_tasks')").fetchone() == (0,)
    con.execute("delete from big where i % 10 < 3")  # 30%
    con.execute("delete from mid where i % 10 < 2")  # 20%: under a quarter
    con.execute("delete from small where i % 10 < 9")  # 90%, but a small table
    con.execute("checkpoint")
    assert build.dead_rows(con) == {"big": (1_000_000, 700_000), "mid": (150_000, 120_000)}  # still stored
    before = con.execute("select s from big").fetchall()
    assert build.compact(con) == ["big"]
    con.execute("checkpoint")
    assert build.dead_rows(con) == {"big": (700_000, 700_000), "mid": (150_000, 120_000)}  # (small: left as it is)
    assert con.execute("select s from big").fetchall() == before == sorted(before)  # the same rows, in order
    assert con.execute("select count(*) from big_view").fetchone() == (700_000,)
    # its definition kept: the column a model stores with ZSTD still is
    assert string_compressions(con, "big")["s"] == ["ZSTD"]
    assert build.compact(con) == []
    # several bloated tables: the most bloated first, up to the rows one update may rewrite (always one table)
    con.execute("create table big2 as select i from range(1500000) as r(i)")
    con.execute("create table big3 as select i from range(1500000) as r(i)")
    con.execute("checkpoint")
    con.execute("delete from big2 where i % 10 < 3")
    con.execute("delete from big3 where i % 10 < 4")
    con.execute("checkpoint")
    assert build.COMPACT_ROWS_PER_UPDATE == 2_000_000
    assert build.compact(con) == ["big3"]  # 40% deleted, 1.5M rows; big2 (30%, 1.5M) would pass 2M: next time
    assert build.compact(con) == ["big2"]
    assert build.compact(con) == []
    con.close()


def test_iso_week_is_the_monday_date_trunc_gives(tmp_path):
    """The models' iso_week(t) (a macro of pipeline/seeds.py, arithmetic on the epoch) against DuckDB's date_trunc:
    every 7 hours and a bit over 160 years from 1950 (before 1970 too), for timestamps with and without time zone
    and dates, and NULL."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    got = con.execute("""
        select count(*) filter (where iso_week(t) is distinct from cast(date_trunc('week', t) as date)),
            count(*) filter (where iso_week(t::timestamp) is distinct from cast(date_trunc('week', t::timestamp) as date)),
            count(*) filter (where iso_week(t::date) is distinct from cast(date_trunc('week', t::date) as date)),
            count(*) filter (where iso_week(t) is null), count(distinct isodow(iso_week(t)))
        from (select timestamptz '1950-01-01 00:00:00+00' + to_microseconds(i * 25200000000 + 1234567) as t
              from range(200000) as r(i) union all select null)""").fetchall()
    assert got == [(0, 0, 0, 1, 1)]
    assert con.execute("select iso_week(timestamptz '2026-12-06 23:59:59.999999+00'), "
                       "iso_week(timestamptz '2026-11-30 00:00:00+00'), iso_week(timestamptz '1969-12-31 12:00:00+00')"
                       ).fetchall()[0] == (date(2026, 11, 30), date(2026, 11, 30), date(1969, 12, 29))


def test_an_account_on_its_own_has_the_id_its_identity_group_would_give(tmp_path):
    """account_person_id (the SQL macro of pipeline/seeds.py for an account no group joins) and the Python
    int_identity_groups.person_id of the key 'platform:account_id' are one formula: an account that becomes the
    smallest key of a group keeps its person id. Odd keys too: a DID, a URL, non-ASCII, an empty id."""
    from pipeline.models.intermediate.int_identity_groups import person_id

    accounts = [("mastodon", "109384756"), ("bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur"),
                ("blog", "https://example.org/author/zoë"), ("x", "Ünïcødé 名前"), ("linkedin", "")]
    con = duckdb.connect()
    write_seeds(con, load_config(load_demo(tmp_path)[0]), tmp_path)
    got = con.execute("select account_person_id(p, a) from (select unnest(?) as p, unnest(?) as a)",
                      [[p for p, _ in accounts], [a for _, a in accounts]]).fetchall()
    assert [g for (g,) in got] == [person_id(f"{p}:{a}") for p, a in accounts]
    assert len({g for (g,) in got}) == len(accounts) and all(len(g) == 16 and g[0] == "p" for (g,) in got)
    assert con.execute("select account_person_id(null, 'a'), account_person_id('x', null)").fetchall() == [(None, None)]


def test_a_sort_that_runs_out_of_memory_stores_the_model_unsorted_and_says_so(built, tmp_path, monkeypatch, capsys):
    """DuckDB's sort now and then runs out of its capped memory instead of spilling (at 10M engagements, 2 runs in
    21): the model is built again unsorted, with every row, and the build warns, as every update (which keeps rows
    where they lie) and `influence status` do until a full build sorts it. Here the cap is too small for any sort, so
    both stored-by models take that way."""
    from test_incremental import _held_back, _put_back, _segments

    import pipeline.runner as runner
    from influence.cli import main
    from pipeline.build import open_warehouse

    cfg_path, _ = load_demo(tmp_path)
    args = ["--config", str(cfg_path), "--data-dir", str(tmp_path)]

    def warnings(*command):
        assert main([*command, *args]) == 0
        out, err = capsys.readouterr()
        return out, [line for line in err.splitlines() if line.startswith("warning:")]

    monkeypatch.setattr(runner, "SORT_MEMORY", "1MB")
    aside = _held_back(tmp_path, _segments(tmp_path)[::3])
    try:
        _, warned = warnings("model", "--full")
    finally:
        _put_back(tmp_path, aside)
    assert [w.split()[1] for w in warned] == ["int_engagements", "int_person_weeks"]
    assert "1MB" in warned[0] and "by exec_id" in warned[0] and "influence model --full" in warned[0]
    assert "by week" in warned[1]
    out, again = warnings("model")  # the held-back segments: an update, which sorts nothing
    assert "incremental: the last build updated" in out and again == warned
    assert warnings("status")[1] == warned
    con = open_warehouse(tmp_path / "warehouse.duckdb")
    try:
        for model in ("int_engagements", "int_person_weeks"):
            rows = con.execute(f"select * from {model}").fetchall()
            assert len(rows) > 100 and sorted(rows, key=repr) == sorted(
                built.execute(f"select * from {model}").fetchall(), key=repr), model
    finally:
        con.close()
    monkeypatch.setattr(runner, "SORT_MEMORY", "2GB")
    assert warnings("model", "--full")[1] == [] and warnings("status")[1] == []
    con = open_warehouse(tmp_path / "warehouse.duckdb")
    try:
        execs = [e for (e,) in con.execute("select exec_id from int_engagements order by rowid").fetchall()]
        assert execs == sorted(execs)
    finally:
        con.close()


def test_a_sort_that_runs_out_of_memory_builds_the_model_unsorted_within_the_same_cap(monkeypatch):
    """After the sort runs out of memory, the unsorted build runs under ``SORT_MEMORY`` too (uncapped, on data
    collected daily, it took a build's peak to 9.2 GB), and only if that runs out as well under the connection's own
    limit; the limit is the connection's again afterwards."""
    import pipeline.runner as runner
    from pipeline.runner import SORT_MEMORY, UNSORTED, _build, _bytes

    con = duckdb.connect()
    con.execute("set memory_limit = '8GB'")
    own = con.execute("select current_setting('memory_limit')").fetchone()[0]
    model = Model("_capped", "intermediate", Path("_capped.sql"), ["a"],
                  sql="select range as a, range % 3 as b from range(100)", stored_by=["b"])
    real = runner._create_as
    for unsorted_fails in (False, True):
        limits = []

        def create(con, model, query, unsorted_fails=unsorted_fails, limits=limits):
            limits.append(con.execute("select current_setting('memory_limit')").fetchone()[0])
            if "order by" in query or (unsorted_fails and len(limits) == 2):
                raise duckdb.OutOfMemoryException("out of memory (made up)")
            real(con, model, query)

        monkeypatch.setattr(runner, "_create_as", create)
        _build(con, model, {})
        assert [_bytes(x) == pytest.approx(_bytes(SORT_MEMORY), rel=0.05) for x in limits] == (
            [True, True, False] if unsorted_fails else [True, True])
        if unsorted_fails:
            assert limits[2] == own
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == own
        assert con.execute("select count(*) from _capped").fetchone()[0] == 100
        assert con.execute(f"select model, stored_by from {UNSORTED}").fetchall() == [("_capped", "b")]


def test_the_numbered_graph_gives_the_communities_of_the_graph_by_ids():
    """The DuckDB build numbers each executive's people in SQL (in the order of their ids) and hands Leiden the edges
    by those numbers; the Spark engine calls ``communities`` with the ids. Both must give Leiden the same graph, its
    nodes numbered alike: on random graphs, they find the same communities, where another numbering of the same
    graph finds others (so the agreement is not by chance)."""
    import random

    import numpy as np

    from pipeline.models.intermediate import int_sphere_members as sm

    def partition(membership) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for node, community in enumerate(membership):
            groups.setdefault(community, set()).add(node)
        return {frozenset(g) for g in groups.values()}

    rng = random.Random(7)
    con = duckdb.connect(":memory:")
    people, edges = [], {}
    for exec_id in ("e1", "e2"):
        ids = [rng.getrandbits(60) for _ in range(600)]  # person keys (pipeline/seeds.py PERSON_KEY)
        people += [(exec_id, p) for p in ids]
        for _ in range(4000):
            u, v = sorted(rng.sample(ids, 2))
            edges[(exec_id, u, v)] = rng.randint(1, 5)
    con.execute("create table nodes (exec_id varchar, person_key bigint)")
    con.executemany("insert into nodes values (?, ?)", people)
    con.execute("create table edges (exec_id varchar, u bigint, v bigint, w bigint)")
    con.executemany("insert into edges values (?, ?, ?, ?)", [(*k, w) for k, w in edges.items()])
    table = sm._communities_table(con, "select * from nodes", "select * from edges")
    got = {(r["exec_id"], r["person_key"]): r["community"] for r in table.to_pylist()}
    assert len(got) == len(people)
    for exec_id in ("e1", "e2"):
        ids = np.array(sorted(p for e, p in people if e == exec_id), dtype="int64")
        by_ids = sorted((u, v, w) for (e, u, v), w in edges.items() if e == exec_id)
        u, v, w = (np.array(col, dtype="int64") for col in zip(*by_ids, strict=True))
        membership = sm.communities(exec_id, ids, u, v, np.array(w, dtype=float))
        assert [got[(exec_id, p)] for p in ids] == membership.tolist()
        # the nodes numbered the other way round: another partition
        n = len(ids)
        ui, vi = np.searchsorted(ids, u), np.searchsorted(ids, v)
        reversed_ = sm.communities_of_nodes(exec_id, n, n - 1 - ui, n - 1 - vi, np.array(w, dtype=float))
        assert partition([reversed_[n - 1 - i] for i in range(n)]) != partition(membership)
