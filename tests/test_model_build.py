"""How models are built, on the demo data: every view's declared grain holds (build-only views included), build-only
views end with the build, and the graph step gives the same spheres in worker processes as in one.

A build checks the grain of every table it writes; views are not checked there (that would compute them a second
time), so this test builds the demo the way `influence model` does, keeps the build-only views, and checks them all.
"""

from __future__ import annotations

import duckdb
import pytest

from collectors.rawstore import RawStore
from influence.config import load_config
from influence.demo import load_demo
from influence.errors import ModelError
from pipeline.load import load_observations
from pipeline.runner import Model, check_grain, discover, drop_ephemeral, run_models
from pipeline.seeds import write_seeds


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
    for m in views:
        assert built.execute(f"select count(*) from {m.name}").fetchall()[0][0] > 0, m.name
        check_grain(built, m)  # raises ModelError naming the model and a key


def test_the_grain_check_catches_a_duplicate(built):
    built.execute("create or replace view _dup as select * from stg_engagements union all "
                  "select * from (select * from stg_engagements limit 1)")
    with pytest.raises(ModelError, match="_dup: 2 rows share the declared grain"):
        check_grain(built, Model("_dup", "staging", None, ["exec_id", "platform", "engagement_key"]))


def test_spheres_are_the_same_computed_in_worker_processes(built, monkeypatch):
    from pipeline.models.marts import sphere_members as sm

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
    sm.build(built, {})
    assert len(pools) == 1
    assert built.execute("select * from sphere_members order by all").fetchall() == serial


def test_ephemeral_views_end_with_the_build(built):
    models = discover()
    ephemeral = [m.name for m in models if m.ephemeral]
    assert ephemeral == ["stg_engagements"]
    drop_ephemeral(built, models)
    names = {n for (n,) in built.execute("select table_name from information_schema.tables").fetchall()}
    assert not names & set(ephemeral)
    # its one reader was built from it and stays
    assert built.execute("select count(*) from int_engagements").fetchall()[0][0] > 0


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
    assert result.tables["int_engagements"] > 0 and set(result.phases) == {"load", "models", "publish"}
