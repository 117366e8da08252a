"""Concurrency: dashboard reads while collect and model run in a loop; two collections (or builds) at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import crashkit as ck
import pytest
from fakes import FakeBluesky, FakeMastodon
from loopback import Loopback
from test_faults import make_world

from collectors.rawstore import RawStore

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[Loopback, Loopback]]:
    with Loopback() as ms, Loopback() as bs:
        make_world(FakeMastodon(ms), FakeBluesky(bs), ms, bs)
        yield ms, bs


@pytest.fixture(scope="module")
def reference(fake: tuple[Loopback, Loopback], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse of one uninterrupted collect and model."""
    root = tmp_path_factory.mktemp("reference")
    path = root / "influence.toml"
    path.write_text(ck.config_text(fake[0].url, fake[1].url), encoding="utf-8")
    ck.run(["collect"], path, root / "data")
    ck.run(["model"], path, root / "data")
    return root / "data" / "warehouse.duckdb"


@pytest.fixture
def config(fake: tuple[Loopback, Loopback], tmp_path: Path) -> Path:
    path = tmp_path / "influence.toml"
    path.write_text(ck.config_text(fake[0].url, fake[1].url), encoding="utf-8")
    return path


def start(args: list[str], config: Path, data: Path) -> subprocess.Popen:
    return subprocess.Popen([*ck.INFLUENCE, *args, "--config", str(config), "--data-dir", str(data), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ck.env(), cwd=ck.ROOT)


def test_dashboard_queries_while_collect_and_model_loop(config: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ck.run(["collect"], config, data)
    ck.run(["model"], config, data)
    stop, result = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, str(HERE / "dashboard_reader.py"), str(data), str(stop), str(result)],
                              env=ck.env(), cwd=ck.ROOT)
    try:
        for _ in range(3):
            ck.run(["collect"], config, data)
            ck.run(["model"], config, data)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    got = json.loads(result.read_text())
    assert got["n_errors"] == 0, got["errors"]
    assert got["rounds"] > 20 and got["versions"] >= 3, got  # it read continuously, across published builds
    for name, values in got["seen"].items():  # every build it saw was whole: the same figures each time
        assert len(values) == 1, (name, values)


def test_two_collections_at_once(fake: tuple[Loopback, Loopback], config: Path, reference: Path,
                                 tmp_path: Path) -> None:
    for srv in fake:
        srv.latency = 0.03  # long enough that the two runs overlap
    try:
        data = tmp_path / "data"
        first, second = start(["collect"], config, data), start(["collect"], config, data)
        outs = [(p.wait(timeout=60), p.stderr.read()) for p in (first, second)]
        codes = sorted(code for code, _ in outs)
        assert codes == [0, 1], outs
        refused = next(err for code, err in outs if code == 1)
        assert "another collection is running" in refused and "--wait" in refused, refused

        waited = tmp_path / "waited"
        first, second = start(["collect", "--wait"], config, waited), start(["collect", "--wait"], config, waited)
        t0 = time.monotonic()
        outs = [(p.wait(timeout=60), p.stderr.read()) for p in (first, second)]
        assert [code for code, _ in outs] == [0, 0], outs
        assert time.monotonic() - t0 > 0.5
    finally:
        for srv in fake:
            srv.latency = 0.0
    # neither corrupted anything: both stores read whole and build the warehouse of one uninterrupted run
    for d in (data, waited):
        list(RawStore(d / "raw").records())
        assert RawStore(d / "raw").cursors()
        ck.run(["model"], config, d)
    assert ck.differences(reference, waited / "warehouse.duckdb") == []
    assert ck.differences(reference, data / "warehouse.duckdb") == []


def test_two_builds_at_once(config: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ck.run(["collect"], config, data)
    runs = [start(["model"], config, data) for _ in range(2)]
    outs = [(p.wait(timeout=60), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _ in outs)
    assert codes in ([0, 0], [0, 1]), outs  # both, if the first finished before the second asked for the lock
    if codes == [0, 1]:
        assert "another model build is running" in next(e for c, e in outs if c == 1)
    runs = [start(["model", "--wait"], config, data) for _ in range(2)]
    assert [p.wait(timeout=60) for p in runs] == [0, 0]
