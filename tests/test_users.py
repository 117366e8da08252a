"""Dashboard users: argon2 hashes in the state store, roles bound to the config, `influence users`, rate limit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from influence import users
from influence.config import load_config
from influence.errors import ConfigError, InfluenceError
from influence.state import StateStore

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "demo" / "influence.toml"


def influence(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influence.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ}, timeout=120)


def test_users_are_stored_with_argon2_hashes_only(tmp_path: Path) -> None:
    users.add_user(tmp_path, "Maria@Example.org", "mentor", "s3cret-password", mentor_id="maria",
                   config=load_config(CONFIG))
    raw = sqlite3.connect(tmp_path / "state.sqlite").execute("select name, password_hash, role, mentor_id from users")
    name, hashed, role, mentor = raw.fetchone()
    assert (name, role, mentor) == ("maria@example.org", "mentor", "maria")
    assert hashed.startswith("$argon2id$") and "s3cret" not in hashed
    assert b"s3cret-password" not in (tmp_path / "state.sqlite").read_bytes()
    assert users.authenticate(tmp_path, "maria@example.org", "s3cret-password") == users.User(
        "maria@example.org", "mentor", None, "maria")


def test_roles_are_bound_to_ids_from_the_config(tmp_path: Path) -> None:
    cfg = load_config(CONFIG)
    with pytest.raises(ConfigError, match="no mentor with id 'nobody'"):
        users.add_user(tmp_path, "x", "mentor", "password123", mentor_id="nobody", config=cfg)
    with pytest.raises(ConfigError, match="no executive with id 'zed'"):
        users.add_user(tmp_path, "x", "executive", "password123", exec_id="zed", config=cfg)
    with pytest.raises(ConfigError, match="needs --exec"):
        users.add_user(tmp_path, "x", "executive", "password123", config=cfg)
    with pytest.raises(ConfigError, match="only for the executive role"):
        users.add_user(tmp_path, "x", "admin", "password123", exec_id="ada", config=cfg)
    with pytest.raises(InfluenceError, match="shorter than"):
        users.add_user(tmp_path, "x", "admin", "short")
    with pytest.raises(InfluenceError, match="not a valid user name"):
        users.add_user(tmp_path, "a b", "admin", "password123")


def test_wrong_passwords_and_unknown_names_are_refused_alike(tmp_path: Path) -> None:
    users.add_user(tmp_path, "ada", "executive", "ada-password", exec_id="ada")
    for name, password in (("ada", "nope-nope"), ("nobody", "ada-password"), ("", "")):
        with pytest.raises(users.LoginRefused, match="wrong user name or password"):
            users.authenticate(tmp_path, name, password)


def test_failed_log_ins_lock_the_name_for_a_while(tmp_path: Path) -> None:
    users.add_user(tmp_path, "ada", "executive", "ada-password", exec_id="ada")
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    for i in range(users.MAX_FAILURES):
        with pytest.raises(users.LoginRefused):
            users.authenticate(tmp_path, "ada", "wrong-password", now=t0 + timedelta(seconds=i))
    with pytest.raises(users.LoginLocked, match="try again in 15 min") as locked:
        users.authenticate(tmp_path, "ada", "ada-password", now=t0 + timedelta(seconds=10))
    assert locked.value.retry_after == t0 + users.LOCK_WINDOW
    # a new store object (another process, another session) sees the same attempts
    assert len(StateStore(tmp_path).failed_logins_since("ada", t0 - timedelta(minutes=1))) == users.MAX_FAILURES
    # after the window the right password works, and a success clears the count
    later = t0 + users.LOCK_WINDOW + timedelta(seconds=5)
    assert users.authenticate(tmp_path, "ada", "ada-password", now=later).exec_id == "ada"
    with pytest.raises(users.LoginRefused):
        users.authenticate(tmp_path, "ada", "wrong-password", now=later + timedelta(seconds=1))
    assert users.authenticate(tmp_path, "ada", "ada-password", now=later + timedelta(seconds=2)).name == "ada"


def test_passwd_and_remove(tmp_path: Path) -> None:
    users.add_user(tmp_path, "ada", "executive", "old-password", exec_id="ada")
    users.set_password(tmp_path, "ada", "new-password")
    with pytest.raises(users.LoginRefused):
        users.authenticate(tmp_path, "ada", "old-password")
    assert users.authenticate(tmp_path, "ada", "new-password").name == "ada"
    users.remove_user(tmp_path, "ada")
    with pytest.raises(users.LoginRefused):
        users.authenticate(tmp_path, "ada", "new-password")
    with pytest.raises(InfluenceError, match="no user 'ada'"):
        users.remove_user(tmp_path, "ada")


def test_an_oidc_only_user_has_no_password_to_guess(tmp_path: Path) -> None:
    users.add_user(tmp_path, "maria@example.org", "mentor", None, mentor_id="maria")
    assert users.get_user(tmp_path, "Maria@example.org").mentor_id == "maria"
    with pytest.raises(users.LoginRefused):
        users.authenticate(tmp_path, "maria@example.org", "")


def test_the_users_command_never_echoes_the_password(tmp_path: Path) -> None:
    secret = "correct horse battery"
    r = influence("users", "add", "maria", "--role", "mentor", "--mentor", "maria", "--password-stdin",
                  "--config", str(CONFIG), "--data-dir", str(tmp_path), stdin=secret + "\n")
    assert r.returncode == 0, r.stderr
    assert "user maria saved: mentor (maria)" in r.stdout
    assert secret not in r.stdout + r.stderr
    assert users.authenticate(tmp_path, "maria", secret).role == "mentor"
    r = influence("users", "passwd", "maria", "--password-stdin", "--data-dir", str(tmp_path), stdin="another one!\n")
    assert r.returncode == 0 and "another one" not in r.stdout + r.stderr
    r = influence("users", "list", "--data-dir", str(tmp_path))
    assert "maria" in r.stdout and "mentor" in r.stdout and "$argon2" not in r.stdout
    r = influence("users", "add", "eve", "--role", "mentor", "--mentor", "nobody", "--password-stdin",
                  "--config", str(CONFIG), "--data-dir", str(tmp_path), stdin="whatever-pass\n")
    assert r.returncode == 1 and "no mentor with id 'nobody'" in r.stderr and "whatever" not in r.stderr
    r = influence("users", "add", "eve", "--role", "admin", "--data-dir", str(tmp_path))  # stdin is no terminal
    assert r.returncode == 1 and "--password-stdin" in r.stderr
    r = influence("users", "remove", "maria", "--data-dir", str(tmp_path))
    assert r.returncode == 0 and users.get_user(tmp_path, "maria") is None
    assert "example:" in influence("users", "--help").stdout


def test_a_damaged_state_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    """Every command that reads the state store (users, log-ins, goals, decisions) meets a damaged file through
    StateStore: one clear error that names the file and how to check it, not 'unexpected DatabaseError'."""
    users.add_user(tmp_path, "maria", "mentor", "s3cret-password", mentor_id="maria", config=load_config(CONFIG))
    state = tmp_path / "state.sqlite"
    for extra in ("-wal", "-shm"):
        Path(f"{state}{extra}").unlink(missing_ok=True)
    state.write_bytes(b"not a database, whatever it was once " * 200)
    r = influence("users", "list", "--data-dir", str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert f"the state store {state} cannot be used" in r.stderr and "integrity_check" in r.stderr, r.stderr
    assert "unexpected" not in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(InfluenceError, match="cannot be used"):
        users.authenticate(tmp_path, "maria", "s3cret-password")
