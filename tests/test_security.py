"""Security: planted secrets never reach the raw store, the warehouse, the state store, logs or messages; only
configured hosts are contacted, and redirects or next-page links to other hosts are refused unless allowed."""

from __future__ import annotations

import base64
import re
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import crashkit as ck
import duckdb
import pyarrow.parquet as pq
import pytest
from fakes import FakeBluesky, FakeMastodon
from loopback import Loopback, Reply, Seen, always, redirect
from test_faults import ADDRESS, make_world

from collectors.runner import run_collect
from influence.config import Accounts, Config, Executive, PlatformSettings

PASSWORD = "pw-Config-7f3a9c1e"  # in a configured base_url: http://admin:<password>@host
ENV_SECRETS = {
    "INFLUENCE_API_TOKEN": "tok-Env-51b2e8d0",
    "HTTP_AUTHORIZATION": "Bearer tok-Bearer-0c9d4e7a",
    "MASTODON_ACCESS_TOKEN": "tok-Masto-a1b2c3d4",
    "BSKY_APP_PASSWORD": "pw-Bsky-e5f6a7b8",
}
NETRC_PASSWORD = "pw-Netrc-99c0ffee"
CLI_PASSWORD = "pw-Cli-3e1f5d7c9"


def secrets_() -> list[str]:
    values = [PASSWORD, NETRC_PASSWORD, CLI_PASSWORD, *ENV_SECRETS.values()]
    values += [v.split()[-1] for v in ENV_SECRETS.values()]  # the token without "Bearer"
    values.append(base64.b64encode(f"admin:{PASSWORD}".encode()).decode())  # as a Basic auth header carries it
    return values


def texts_under(root: Path) -> Iterator[tuple[Path, str]]:
    """The content of every file under ``root``, decoded: Parquet and DuckDB and SQLite files by their values."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        yield path, raw.decode("latin-1")
        if raw[:4] == b"PAR1":
            yield path, str(pq.read_table(path).to_pylist())
        elif raw[:16].startswith(b"SQLite format 3"):
            con = sqlite3.connect(path)
            for (name,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
                yield path, str(con.execute(f'select * from "{name}"').fetchall())
            con.close()
        elif path.suffix == ".duckdb" or raw[8:12] == b"DUCK":
            con = duckdb.connect(":memory:")
            con.execute("attach ? as w (read_only)", [str(path)])
            for (name,) in con.execute("select table_name from information_schema.tables where table_catalog = 'w'"
                                       ).fetchall():
                yield path, str(con.execute(f'select * from w."{name}"').fetchall())
            con.close()


@pytest.fixture
def fake() -> Iterator[tuple[Loopback, Loopback]]:
    with Loopback() as ms, Loopback() as bs:
        make_world(FakeMastodon(ms), FakeBluesky(bs), ms, bs)
        yield ms, bs


def test_planted_secrets_appear_nowhere(fake: tuple[Loopback, Loopback], tmp_path: Path) -> None:
    ms, bs = fake
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login robot password {NETRC_PASSWORD}\n")
    netrc.chmod(0o600)
    env = {**ck.env(), **ENV_SECRETS, "NETRC": str(netrc)}
    config = tmp_path / "influence.toml"
    config.write_text(ck.config_text(f"http://admin:{PASSWORD}@{ms.host}", bs.url), encoding="utf-8")
    data = tmp_path / "data"
    outputs: list[str] = []

    def influence(*args: str, stdin: str | None = None, cfg: Path = config) -> int:
        proc = subprocess.run([*ck.INFLUENCE, *args, "--config", str(cfg), "--data-dir", str(data)], input=stdin,
                              capture_output=True, text=True, env=env, cwd=ck.ROOT, timeout=120)
        outputs.append(f"$ influence {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
        return proc.returncode

    assert influence("collect") == 0, outputs[-1]
    assert ms.hits("/api/v1/accounts/lookup")[0].headers["authorization"].startswith("Basic ")  # as configured
    ms.faults("/api/v1/accounts/lookup", always(Reply(404, {"error": "Record not found"})))
    assert influence("collect") == 1  # an error path, with the URL in the message
    assert "not found" in outputs[-1] and "REDACTED@" in outputs[-1]
    ms.faults("/api/v1/accounts/lookup", always(Reply(500, "<html>boom</html>")))
    assert influence("collect", "--debug", "--max-wait", "0.1") != 0
    ms.clear_faults()
    assert influence("model") == 0, outputs[-1]
    assert influence("status") == 0, outputs[-1]
    archive = tmp_path / "linkedin.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Connections.csv", "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                                       "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,16 Jun 2021\n")
    assert influence("import", "linkedin", str(archive), "--exec", "ada") == 0, outputs[-1]
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../Connections.csv", "x")
    assert influence("import", "linkedin", str(evil), "--exec", "ada") == 1
    users = influence("users", "add", "root", "--role", "admin", "--password-stdin", stdin=CLI_PASSWORD + "\n")
    assert users in (0, 2), outputs[-1]  # 2: the users command (issue 7) is not there yet
    bad = tmp_path / "bad.toml"
    bad.write_text(ck.config_text(f"ftp://admin:{PASSWORD}@{ms.host}", bs.url), encoding="utf-8")
    assert influence("collect", cfg=bad) == 1 and "base_url" in outputs[-1]

    scanned = list(texts_under(data))
    assert [p for p, text in scanned if "ada@social.example" in text and p.suffix == ".parquet"]  # the scan sees inside
    found = []
    for secret in secrets_():
        found += [f"{p.relative_to(tmp_path)}" for p, text in scanned if secret in text]
        found += [f"output of {o.splitlines()[0]}" for o in outputs if secret in o]
    assert found == [], found
    assert len(list(data.rglob("*.parquet"))) > 5 and (data / "warehouse.duckdb").exists()

    # and nothing planted in the environment went out over the wire either
    for srv in fake:
        for req in srv.requests:
            sent = str(req.headers) + req.query
            assert not [s for s in [NETRC_PASSWORD, *ENV_SECRETS.values()] if s.split()[-1] in sent], req
    assert not [r for r in bs.requests if "authorization" in r.headers]  # netrc is not read


# -- hosts and redirects -----------------------------------------------------------------------------------------
@pytest.fixture
def hosts() -> Iterator[tuple[Loopback, Loopback, Loopback]]:
    """The configured Mastodon instance on 127.0.0.1, another host on 127.0.0.2, a trap on 127.0.0.3."""
    with Loopback() as ms, Loopback(host="127.0.0.2") as other, Loopback(host="127.0.0.3") as trap:
        yield ms, other, trap


def mastodon_config(ms: Loopback, allowed: tuple[str, ...] = (), blogs: tuple[str, ...] = ()) -> Config:
    return Config(path=Path("influence.toml"), contact="ops@example.org",
                  executives=(Executive(id="ada", name="Ada", accounts=Accounts(mastodon=(ADDRESS,), blogs=blogs)),),
                  platforms={"mastodon": PlatformSettings(base_url=ms.url, allowed_redirect_hosts=allowed)})


def test_redirect_to_another_host_refused_unless_allowed(hosts: tuple[Loopback, Loopback, Loopback],
                                                         tmp_path: Path) -> None:
    ms, other, trap = hosts
    masto = FakeMastodon(ms)
    make_world(masto, FakeBluesky(trap), ms, trap)
    statuses = re.compile(r"/api/v1/accounts/\d+/statuses")
    other.route(statuses, masto._statuses)  # the moved timeline; its next links point back to the instance

    def moved(reply: Reply, req: Seen) -> Reply:
        if statuses.fullmatch(req.path) and "max_id" not in req.params:
            return redirect(f"{other.url}{req.path}?{req.query}")
        return reply

    ms.mutate("/api/v1/accounts/", moved)
    summary = run_collect(mastodon_config(ms), tmp_path / "refused")
    [(_, platform, message, hint)] = summary.errors
    assert platform == "mastodon" and f"redirects to another host, {other.host}; not followed" in message
    assert "allowed_redirect_hosts" in hint
    assert other.requests == []

    summary = run_collect(mastodon_config(ms, allowed=("127.0.0.2",)), tmp_path / "allowed")
    assert not summary.failed, summary.errors
    assert other.hits("/api/v1/accounts/")  # followed, as the config allows
    assert trap.requests == []


def test_next_link_to_another_host_refused(hosts: tuple[Loopback, Loopback, Loopback], tmp_path: Path) -> None:
    ms, other, trap = hosts
    masto = FakeMastodon(ms)
    make_world(masto, FakeBluesky(other), ms, other)

    def elsewhere(reply: Reply, req: Seen) -> Reply:
        reply.headers["Link"] = f'<{trap.url}{req.path}?limit=40&max_id=1>; rel="next"'
        return reply

    ms.mutate("/api/v1/accounts/", elsewhere)
    summary = run_collect(mastodon_config(ms), tmp_path / "d")
    [(_, _, message, _)] = summary.errors
    assert f"points to another host, {trap.host}; not followed" in message
    assert trap.requests == []


def test_only_configured_hosts_are_contacted(hosts: tuple[Loopback, Loopback, Loopback], tmp_path: Path) -> None:
    """A blog page announcing its feed on a host the config does not name: not fetched."""
    ms, other, trap = hosts
    masto = FakeMastodon(ms)
    make_world(masto, FakeBluesky(other), ms, other)
    page = f'<html><head><link rel="alternate" type="application/rss+xml" href="{trap.url}/feed"></head></html>'
    ms.route("/blog", lambda r: Reply(200, page, {"Content-Type": "text/html"}))
    summary = run_collect(mastodon_config(ms, blogs=(f"{ms.url}/blog",)), tmp_path / "d")
    [(_, platform, message, hint)] = summary.errors
    assert platform == "blog" and f"{trap.host} is not a host named in the configuration" in message
    assert "allowed_redirect_hosts" in hint
    assert trap.requests == []
    assert "ada/mastodon" in summary.streams
