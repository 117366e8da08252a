"""The `influence` command end to end: demo data -> warehouse, help for every command, errors in one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from influence.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["demo", "collect", "import", "model", "dashboard", "status"]


def influence(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influence.cli", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    r = influence("demo", "--no-serve", "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    return d


def test_demo_builds_the_warehouse(demo_dir):
    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    try:
        names = {n for (n,) in con.execute("select table_name from information_schema.tables").fetchall()}
        assert {"posts", "people", "accounts", "engagements", "weekly_reach", "ladder"} <= names
        execs = con.execute("select exec_id from cfg_executives order by 1").fetchall()
        assert execs == [("ada",), ("ben",), ("chloe",)]
        # the three executives sit at different steps now, as the demo promises
        steps = dict(con.execute(
            "select exec_id, arg_max(step, week) from ladder group by exec_id").fetchall())
        assert steps == {"ada": 4, "ben": 3, "chloe": 2}
        assert con.execute("select count(*) from load_errors").fetchall() == [(0,)]
        # all four rings every week, from each executive's first to last week
        bad = con.execute("""select exec_id, count(*) from weekly_reach group by exec_id
                             having count(*) <> 4 * (date_diff('week', min(week), max(week)) + 1)""").fetchall()
        assert bad == []
        # no engagement is lost between the parsed observations and the mart, whatever platform its account
        # lives on (staging is a build-only view: count from the parse cache the build read)
        parsed = [str(p) for p in sorted(demo_dir.glob("cache/parsed-*/engagements/*.parquet"))]
        assert parsed and "stg_engagements" not in names
        assert con.execute("""select count(distinct (exec_id, platform, engagement_key)) from read_parquet(?) as s
                              where not exists (
                                  select 1 from int_exec_accounts x where x.exec_id = s.exec_id
                                  and x.platform = coalesce(s.account_platform, s.platform)
                                  and x.account_id = s.account_id)""", [parsed]).fetchall() == (
            con.execute("select count(*) from engagements").fetchall())
        # Ada's WordPress blog: comments from the REST API, pingbacks from the comment feeds (citing websites)
        kinds = dict(con.execute("select kind, count(*) from engagements where platform = 'blog' group by kind").fetchall())
        assert kinds.get("comment", 0) > 0 and kinds.get("pingback", 0) > 0
        # weeks after a follower list was last read are unknown (NULL), never 0
        after = con.execute("""select count(*), count(followers) from followers_weekly f join stg_follow_lists l
                               using (exec_id, platform) where l.direction = 'followers'
                               and f.week > cast(date_trunc('week', l.last_collected) as date)""").fetchall()[0]
        assert after[0] > 0 and after[1] == 0
        # Ben hides his followers: recorded as hidden, not as zero followers
        assert con.execute("select count(*) from followers where exec_id = 'ben' and hidden").fetchall() == [(1,)]
    finally:
        con.close()


def test_demo_twice_stores_nothing_twice(demo_dir):
    from collectors.rawstore import RawStore

    before = RawStore(demo_dir / "raw").count()
    r = influence("demo", "--no-serve", "--data-dir", str(demo_dir))
    assert r.returncode == 0, r.stderr
    assert "already loaded" in r.stdout
    assert RawStore(demo_dir / "raw").count() == before


def test_status_reports_the_warehouse(demo_dir):
    # on a machine whose local zone is far from UTC, the times it prints are still UTC, as it says
    r = influence("status", "--data-dir", str(demo_dir), env={"TZ": "Pacific/Auckland"})
    assert r.returncode == 0, r.stderr
    assert "ada" in r.stdout and "engagements" in r.stdout
    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        built, last = con.execute("""select strftime(built_at, '%Y-%m-%d %H:%M'),
                                     (select max(engaged_at) from engagements where exec_id = 'ada')
                                     from build_info""").fetchall()[0]
    finally:
        con.close()
    assert f"built {built} UTC" in r.stdout, r.stdout
    assert f"last {last}" in r.stdout and str(last).endswith("+00:00"), r.stdout


def test_model_rebuilds_from_raw_alone(demo_dir, tmp_path):
    """`influence model` rebuilds the same warehouse from the raw store, without the network or the old cache."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_dir / "raw", copy / "raw")
    shutil.copytree(demo_dir / "demo", copy / "demo")
    r = influence("model", "--debug", "--data-dir", str(copy), "--config", str(copy / "demo" / "influence.toml"))
    assert r.returncode == 0, r.stderr
    # where the time went: the phases, and with --debug the slowest models
    assert re.search(r"\(prepare [\d.]+ s, load [\d.]+ s, models [\d.]+ s, publish [\d.]+ s\)", r.stdout), r.stdout
    assert re.search(r"slowest models: \w+ [\d.]+ s", r.stdout), r.stdout
    q = "select exec_id, week, ring, engagers, new_engagers from weekly_reach order by all"
    a = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    b = duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True)
    assert a.execute(q).fetchall() == b.execute(q).fetchall()


def test_every_command_has_help_with_an_example():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) >= set(COMMANDS)
    for name in COMMANDS:
        r = influence(name, "--help")
        assert r.returncode == 0
        assert "example:" in r.stdout and f"influence {name}" in r.stdout
        assert "--config" in r.stdout and "--data-dir" in r.stdout


def test_failure_is_one_clear_line_without_traceback(tmp_path):
    r = influence("model", "--data-dir", str(tmp_path), "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "configuration file not found" in lines[0] and "influence.example.toml" in lines[0]
    assert "Traceback" not in r.stderr


def test_config_from_environment(tmp_path):
    r = influence("model", "--data-dir", str(tmp_path), env={"INFLUENCE_CONFIG": str(tmp_path / "env.toml")})
    assert r.returncode == 1
    assert "env.toml" in r.stderr


def test_commands_after_the_demo_find_its_config(demo_dir, tmp_path):
    """Right after `make demo`, commands run where there is no influence.toml use the demo's config in the data dir
    (as the dashboard does) and say so on stderr; stdout stays the command's own (CSV for `ties export`)."""
    env = {"INFLUENCE_CONFIG": ""}
    r = influence("model", "--data-dir", str(demo_dir), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert f"config: {demo_dir / 'demo' / 'influence.toml'} (the demo's" in r.stderr and "warehouse" in r.stdout
    r = influence("ties", "export", "--exec", "ada", "--data-dir", str(demo_dir), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("name,ring,") and "config:" not in r.stdout
    # a data dir without the demo: nothing is guessed
    r = influence("model", "--data-dir", str(tmp_path / "empty"), cwd=tmp_path, env=env)
    assert r.returncode == 1 and "configuration file not found" in r.stderr


def test_open_dashboard_connection_never_sees_a_half_built_warehouse(demo_dir):
    """A reader holding the old warehouse keeps a complete one while `model` publishes a new one."""
    from influence.config import load_config
    from pipeline.build import build_warehouse

    reader = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    before = reader.execute("select count(*), sum(engagers) from weekly_reach").fetchall()
    build_warehouse(load_config(demo_dir / "demo" / "influence.toml"), demo_dir)
    assert reader.execute("select count(*), sum(engagers) from weekly_reach").fetchall() == before
    fresh = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    assert fresh.execute("select count(*), sum(engagers) from weekly_reach").fetchall() == before
    assert not list(demo_dir.glob(".warehouse.duckdb.building-*"))


def test_demo_can_be_logged_into(demo_dir):
    """The first command ends on a log-in page: the demo must come with log-ins that work."""
    import pytest

    from influence.demo import DEMO_PASSWORD
    from influence.users import LoginRefused, authenticate

    user = authenticate(demo_dir, "maria", DEMO_PASSWORD)
    assert user.role == "mentor" and user.mentor_id == "maria"
    assert authenticate(demo_dir, "ben", DEMO_PASSWORD).exec_id == "ben"
    with pytest.raises(LoginRefused):
        authenticate(demo_dir, "maria", "not-the-password")


def test_the_first_command_runs_in_a_fresh_checkout(tmp_path):
    """`make demo` runs `influence demo --data-dir data` in the checkout, where data/demo *is* the bundled demo.
    Run from a copy of the checkout (python -m imports the copy's packages), it must load and build there and leave
    the bundled files as they were (it once stopped at once: the demo's config copied onto itself)."""
    import shutil

    copy = tmp_path / "checkout"
    for part in ("influence", "collectors", "pipeline", "dashboard", "data/demo"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    bundled = {p.relative_to(copy): p.read_bytes() for p in (copy / "data" / "demo").rglob("*") if p.is_file()}
    r = influence("demo", "--no-serve", "--data-dir", "data", cwd=copy, env={"INFLUENCE_CONFIG": ""})
    assert r.returncode == 0, r.stderr + r.stdout
    assert "raw responses stored now" in r.stdout, r.stdout
    con = duckdb.connect(str(copy / "data" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from engagements").fetchall()[0][0] > 0
        assert con.execute("select exec_id from cfg_executives order by 1").fetchall() == [("ada",), ("ben",), ("chloe",)]
    finally:
        con.close()
    assert {p.relative_to(copy): p.read_bytes() for p in (copy / "data" / "demo").rglob("*") if p.is_file()} == bundled
    assert (copy / "data" / "raw" / "demo-loaded").exists()


def test_model_with_the_spark_engine_prints_what_spark_wrote(demo_dir, monkeypatch, capsys):
    """The command's side of `influence model --engine spark` (the Spark build itself is tests/test_spark_parity.py's):
    what it prints from the result the Spark build gives, which has fields of its own (no timings of phases, no
    notices of stored-by models)."""
    import pipeline.spark.build as spark_build
    from influence.cli import main
    from pipeline.load import LoadResult

    seen = {}

    def spark_built(config, data_dir, *, master, output, wait):
        seen.update(master=master, data_dir=data_dir, output=output)
        return spark_build.SparkBuildResult(
            path=data_dir / spark_build.OUTPUT, seconds=12.5, timings={}, tables={"posts": 3, "engagements": 7},
            load=LoadResult(segments=4, parsed_now=1, raw_records=20, errors=2, rows={}))

    monkeypatch.setattr(spark_build, "build_spark", spark_built)
    assert main(["model", "--engine", "spark", "--data-dir", str(demo_dir)]) == 0
    out, err = capsys.readouterr()
    assert seen == {"master": "local[2]", "data_dir": demo_dir, "output": None}
    assert "marts written by Spark (local[2])" in out and "in 12.5 s" in out and "2 marts as Parquet" in out
    assert "2 raw records could not be parsed" in err
