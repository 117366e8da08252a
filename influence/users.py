"""Dashboard users: who may log in, in which role, bound to which executive or mentor.

Users live in the state store (``<data-dir>/state.sqlite``, table ``users``) with an argon2id hash of their password,
never the password. Roles:

- ``executive``: bound to one executive id of the config; sees only that executive's data;
- ``mentor``: bound to a mentor id of the config; sees the mentees the config lists for that mentor;
- ``admin``: sees every executive.

Failed log-ins are recorded per user name in the same store, so the limit holds across sessions and processes:
after ``MAX_FAILURES`` failures within ``LOCK_WINDOW`` the name is refused until the window has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from influence.config import Config
from influence.errors import ConfigError, InfluenceError
from influence.state import StateStore

ROLES = ("executive", "mentor", "admin")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.@+\-]{0,99}$")
MIN_PASSWORD = 8
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    exec_id: str | None = None
    mentor_id: str | None = None

    def describe(self) -> str:
        if self.role == "executive":
            return f"executive ({self.exec_id})"
        if self.role == "mentor":
            return f"mentor ({self.mentor_id})"
        return "admin"


class LoginRefused(InfluenceError):
    """Wrong user name or password (the message does not say which)."""


class LoginLocked(InfluenceError):
    """Too many failed log-ins for this user name; ``retry_after`` says when to try again."""

    def __init__(self, message: str, *, retry_after: datetime) -> None:
        super().__init__(message, hint="wait, or ask an admin to reset the password with `influence users passwd`")
        self.retry_after = retry_after


def normalize_name(name: str) -> str:
    return name.strip().lower()


def _check_binding(config: Config | None, role: str, exec_id: str | None, mentor_id: str | None) -> None:
    if role not in ROLES:
        raise ConfigError(f"'{role}' is not a role", hint=f"use one of: {', '.join(ROLES)}")
    if role == "executive" and not exec_id:
        raise ConfigError("an executive user needs --exec ID", hint="the executive id from the config, e.g. --exec ada")
    if role == "mentor" and not mentor_id:
        raise ConfigError("a mentor user needs --mentor ID", hint="the mentor id from the config, e.g. --mentor maria")
    if role != "executive" and exec_id:
        raise ConfigError("--exec is only for the executive role", hint="drop --exec, or use --role executive")
    if role != "mentor" and mentor_id:
        raise ConfigError("--mentor is only for the mentor role", hint="drop --mentor, or use --role mentor")
    if config is None:
        return
    if exec_id:
        config.executive(exec_id)  # raises with the known ids
    if mentor_id and mentor_id not in {m.id for m in config.mentors}:
        known = ", ".join(m.id for m in config.mentors) or "none"
        raise ConfigError(f"{config.path}: no mentor with id '{mentor_id}'",
                          hint=f"known mentors: {known}; add one under [[mentors]]")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InfluenceError(f"the password is shorter than {MIN_PASSWORD} characters", hint="choose a longer one")


def add_user(data_dir: Path, name: str, role: str, password: str | None, *, exec_id: str | None = None,
             mentor_id: str | None = None, config: Config | None = None) -> User:
    """Add (or replace) a user. ``password`` None makes a user who can log in only through OpenID Connect."""
    name = normalize_name(name)
    if not NAME_RE.match(name):
        raise InfluenceError(f"'{name}' is not a valid user name",
                             hint="use lower-case letters, digits and . _ @ + - (an e-mail address works)")
    _check_binding(config, role, exec_id, mentor_id)
    if password is not None:
        check_password(password)
    StateStore(data_dir).put_user(name, role=role, password_hash=_hasher.hash(password) if password else None,
                                  exec_id=exec_id, mentor_id=mentor_id)
    return User(name, role, exec_id, mentor_id)


def remove_user(data_dir: Path, name: str) -> None:
    if not StateStore(data_dir).remove_user(normalize_name(name)):
        raise InfluenceError(f"no user '{normalize_name(name)}'", hint="`influence users list` shows them")


def set_password(data_dir: Path, name: str, password: str) -> None:
    check_password(password)
    if not StateStore(data_dir).set_password_hash(normalize_name(name), _hasher.hash(password)):
        raise InfluenceError(f"no user '{normalize_name(name)}'", hint="add it with `influence users add`")


def list_users(data_dir: Path) -> list[dict]:
    return StateStore(data_dir).users()


def get_user(data_dir: Path, name: str) -> User | None:
    row = StateStore(data_dir).user(normalize_name(name))
    return User(row["name"], row["role"], row["exec_id"], row["mentor_id"]) if row else None


def authenticate(data_dir: Path, name: str, password: str, *, now: datetime | None = None) -> User:
    """The user, if ``password`` is theirs and the name is not locked; else LoginRefused or LoginLocked."""
    store = StateStore(data_dir)
    name = normalize_name(name)
    now = now or datetime.now(UTC)
    failures = store.failed_logins_since(name, now - LOCK_WINDOW) if name else []
    if len(failures) >= MAX_FAILURES:
        retry = failures[-MAX_FAILURES] + LOCK_WINDOW
        minutes = max(1, round((retry - now).total_seconds() / 60))
        raise LoginLocked(f"too many failed log-ins for this user name; try again in {minutes} min", retry_after=retry)
    row = store.user(name) if name else None
    stored = row["password_hash"] if row and row["password_hash"] else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and stored is not _DUMMY_HASH
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if name:
        store.record_login(name, ok, now)
    if not ok or row is None:
        raise LoginRefused("wrong user name or password")
    if _hasher.check_needs_rehash(stored):
        store.set_password_hash(name, _hasher.hash(password))
    return User(row["name"], row["role"], row["exec_id"], row["mentor_id"])
