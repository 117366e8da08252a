"""``influence.toml``: who is tracked, who mentors whom, and how to reach each platform.

The file is validated when it is loaded. Every error names the file, the key and the fix, e.g.::

    influence.toml: executives[1].accounts.mastodon[0]: '@ada' is not a Mastodon address
    (write it as '@user@instance', e.g. '@ada@mastodon.social')
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from influence.errors import ConfigError

DEFAULT_CONFIG = "influence.toml"
DEMO_CONFIG = Path("demo") / "influence.toml"  # where `influence demo` keeps the demo's config in a data dir
CONFIG_ENV = "INFLUENCE_CONFIG"

RINGS = ("team", "organisation", "met_in_person", "digital_only")
PLATFORMS = ("mastodon", "bluesky", "blog", "linkedin", "x")

MASTODON_RE = re.compile(r"^@?(?P<user>[A-Za-z0-9_.\-]+)@(?P<instance>[A-Za-z0-9.\-]+(:\d+)?)$")
BLUESKY_RE = re.compile(r"^(did:[a-z]+:[A-Za-z0-9._:%\-]+|[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,})$")
EXEC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")

DEFAULT_BASE_URLS = {
    "mastodon": "",  # empty: each account's own instance, https://<instance>
    "bluesky": "https://public.api.bsky.app",
}


@dataclass(frozen=True)
class LadderThresholds:
    """Rules that place an executive on the networked-leadership ladder over a 90-day window (PRODUCT.md)."""

    window_days: int = 90
    step2_min_team_engagers: int = 3
    step3_min_engagers: int = 15
    step3_min_beyond_team_share: float = 0.5
    step4_min_engagers: int = 30
    step4_min_digital_share: float = 0.5
    step4_min_returning_digital: int = 5


@dataclass(frozen=True)
class Accounts:
    mastodon: tuple[str, ...] = ()
    bluesky: tuple[str, ...] = ()
    blogs: tuple[str, ...] = ()
    wordpress: tuple[str, ...] = ()
    linkedin: tuple[str, ...] = ()
    x: tuple[str, ...] = ()


@dataclass(frozen=True)
class Executive:
    id: str
    name: str
    topics: tuple[str, ...] = ()
    accounts: Accounts = field(default_factory=Accounts)
    ties: Path | None = None


@dataclass(frozen=True)
class Mentor:
    id: str
    name: str
    mentees: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformSettings:
    base_url: str = ""
    allowed_redirect_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSettings:
    # DuckDB's cap on the memory of `influence model` (e.g. "3GB"); beyond it DuckDB spills to <data>/.model-spill.
    # None: DuckDB's default, 80% of the machine's memory
    memory_limit: str | None = None
    # Which engagements the spheres are found in (int_sphere_window.sql, README "sphere_members"):
    # "last_complete_week_staggered", each executive's up to the end of their last complete ISO week, the week that
    # ended taken in on the executive's own day of the next one (the first executive in id order on Monday, the
    # second on Tuesday, ...), so a day's build finds the communities of a seventh of the executives again;
    # "last_complete_week", every executive's on Monday; "latest", every engagement, so every build with new data
    # finds every executive's communities again
    spheres_through: str = "last_complete_week_staggered"


SPHERES_THROUGH = ("last_complete_week_staggered", "last_complete_week", "latest")


@dataclass(frozen=True)
class Config:
    path: Path
    executives: tuple[Executive, ...]
    mentors: tuple[Mentor, ...] = ()
    platforms: dict[str, PlatformSettings] = field(default_factory=dict)
    contact: str = ""
    lookback_days: int = 30
    ladder: LadderThresholds = field(default_factory=LadderThresholds)
    model: ModelSettings = field(default_factory=ModelSettings)

    def executive(self, exec_id: str) -> Executive:
        for e in self.executives:
            if e.id == exec_id:
                return e
        known = ", ".join(e.id for e in self.executives) or "none"
        raise ConfigError(
            f"{self.path}: no executive with id '{exec_id}'",
            hint=f"known executives: {known}; add one under [[executives]]",
        )

    def platform(self, name: str) -> PlatformSettings:
        return self.platforms.get(name, PlatformSettings(base_url=DEFAULT_BASE_URLS.get(name, "")))


def resolve_config_path(cli_value: str | os.PathLike[str] | None, data_dir: Path | None = None) -> Path:
    """``--config`` wins, then ``$INFLUENCE_CONFIG``, then ``./influence.toml``; with none of them, the demo's config
    in ``data_dir`` where that data dir holds the demo (as after ``make demo``)."""
    if cli_value:
        return Path(cli_value)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    if data_dir is not None and not Path(DEFAULT_CONFIG).exists() and (data_dir / DEMO_CONFIG).exists():
        return data_dir / DEMO_CONFIG
    return Path(DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str]) -> Config:
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"{path}: configuration file not found",
            hint="copy influence.example.toml to influence.toml and edit it, or pass --config PATH",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})", hint="save the file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the syntax at the line named") from exc
    return _Validator(path).config(data)


class _Validator:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}", hint=fix)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {_kind(value)}", f"write it as [{key}] with keys below it")
        return value

    def known_keys(self, data: dict[str, Any], key: str, allowed: set[str]) -> None:
        for k in data:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                raise self.fail(where, "unknown key", f"remove it or use one of: {', '.join(sorted(allowed))}")

    def string(self, value: Any, key: str, *, required: bool = False) -> str:
        if value is None:
            if required:
                raise self.fail(key, "missing", f'add {key.rsplit(".", 1)[-1]} = "..."')
            return ""
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_kind(value)}", 'put the value in quotes: "..."')
        if required and not value.strip():
            raise self.fail(key, "is empty", "give it a value")
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"expected a list of strings, got {_kind(value)}", 'write it as ["a", "b"]')
        return tuple(value)

    def integer(self, value: Any, key: str, default: int, minimum: int = 0) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, got {_kind(value)}", f"e.g. {key.rsplit('.', 1)[-1]} = {default}")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}", f"e.g. {key.rsplit('.', 1)[-1]} = {default}")
        return value

    def number(self, value: Any, key: str, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {_kind(value)}", f"e.g. {key.rsplit('.', 1)[-1]} = {default}")
        return float(value)

    def config(self, data: dict[str, Any]) -> Config:
        self.known_keys(data, "", {"contact", "lookback_days", "executives", "mentors", "platforms", "ladder", "model"})
        raw_execs = data.get("executives")
        if not raw_execs:
            raise self.fail("executives", "no executive is configured", "add at least one [[executives]] table with id and name")
        if not isinstance(raw_execs, list):
            raise self.fail("executives", f"expected [[executives]] tables, got {_kind(raw_execs)}", "write each as [[executives]]")
        executives = tuple(self.executive(e, f"executives[{i}]") for i, e in enumerate(raw_execs))
        seen: set[str] = set()
        for i, e in enumerate(executives):
            if e.id in seen:
                raise self.fail(f"executives[{i}].id", f"duplicate executive id '{e.id}'", "give every executive its own id")
            seen.add(e.id)
        raw_mentors = data.get("mentors", [])
        if not isinstance(raw_mentors, list):
            raise self.fail("mentors", f"expected [[mentors]] tables, got {_kind(raw_mentors)}", "write each as [[mentors]]")
        mentors = tuple(self.mentor(m, f"mentors[{i}]", seen) for i, m in enumerate(raw_mentors))
        mentor_ids = [m.id for m in mentors]
        for i, mid in enumerate(mentor_ids):
            if mid in mentor_ids[:i]:
                raise self.fail(f"mentors[{i}].id", f"duplicate mentor id '{mid}'", "give every mentor its own id")
        platforms = self.platforms(data.get("platforms", {}))
        return Config(
            path=self.path,
            executives=executives,
            mentors=mentors,
            platforms=platforms,
            contact=self.string(data.get("contact"), "contact"),
            lookback_days=self.integer(data.get("lookback_days"), "lookback_days", 30, minimum=1),
            ladder=self.ladder(data.get("ladder", {})),
            model=self.model(data.get("model", {})),
        )

    def executive(self, raw: Any, key: str) -> Executive:
        raw = self.table(raw, key)
        self.known_keys(raw, key, {"id", "name", "topics", "accounts", "ties"})
        exec_id = self.string(raw.get("id"), f"{key}.id", required=True)
        if not EXEC_ID_RE.match(exec_id):
            raise self.fail(f"{key}.id", f"'{exec_id}' is not a valid id", "use lower-case letters, digits, '-' and '_', e.g. \"ada\"")
        name = self.string(raw.get("name"), f"{key}.name", required=True)
        ties = self.string(raw.get("ties"), f"{key}.ties")
        ties_path = None
        if ties:
            ties_path = Path(ties)
            if not ties_path.is_absolute():
                ties_path = (self.path.parent / ties_path).resolve()
        return Executive(
            id=exec_id,
            name=name,
            topics=tuple(t.strip().lower() for t in self.strings(raw.get("topics"), f"{key}.topics")),
            accounts=self.accounts(raw.get("accounts", {}), f"{key}.accounts"),
            ties=ties_path,
        )

    def accounts(self, raw: Any, key: str) -> Accounts:
        raw = self.table(raw, key)
        self.known_keys(raw, key, {"mastodon", "bluesky", "blogs", "wordpress", "linkedin", "x"})
        mastodon = self.strings(raw.get("mastodon"), f"{key}.mastodon")
        for i, handle in enumerate(mastodon):
            if not MASTODON_RE.match(handle):
                raise self.fail(
                    f"{key}.mastodon[{i}]",
                    f"'{handle}' is not a Mastodon address",
                    "write it as '@user@instance', e.g. '@ada@mastodon.social'",
                )
        bluesky = self.strings(raw.get("bluesky"), f"{key}.bluesky")
        for i, handle in enumerate(bluesky):
            if not BLUESKY_RE.match(handle.lstrip("@")):
                raise self.fail(
                    f"{key}.bluesky[{i}]",
                    f"'{handle}' is not a Bluesky handle or DID",
                    "write it as a domain handle like 'ada.bsky.social' or a DID like 'did:plc:…'",
                )
        urls: dict[str, tuple[str, ...]] = {}
        for name in ("blogs", "wordpress"):
            urls[name] = self.strings(raw.get(name), f"{key}.{name}")
            for i, url in enumerate(urls[name]):
                if not url.startswith(("http://", "https://")):
                    raise self.fail(f"{key}.{name}[{i}]", f"'{_shown(url)}' is not a web address", "start it with https://")
        return Accounts(
            mastodon=tuple(h if h.startswith("@") else "@" + h for h in mastodon),
            bluesky=tuple(h.lstrip("@") for h in bluesky),
            blogs=urls["blogs"],
            wordpress=urls["wordpress"],
            linkedin=self.strings(raw.get("linkedin"), f"{key}.linkedin"),
            x=tuple(h.lstrip("@") for h in self.strings(raw.get("x"), f"{key}.x")),
        )

    def mentor(self, raw: Any, key: str, exec_ids: set[str]) -> Mentor:
        raw = self.table(raw, key)
        self.known_keys(raw, key, {"id", "name", "mentees"})
        mentor_id = self.string(raw.get("id"), f"{key}.id", required=True)
        if not EXEC_ID_RE.match(mentor_id):
            raise self.fail(f"{key}.id", f"'{mentor_id}' is not a valid id", "use lower-case letters, digits, '-' and '_'")
        mentees = self.strings(raw.get("mentees"), f"{key}.mentees")
        for i, m in enumerate(mentees):
            if m not in exec_ids:
                raise self.fail(
                    f"{key}.mentees[{i}]",
                    f"'{m}' is not the id of a configured executive",
                    f"use one of: {', '.join(sorted(exec_ids))}",
                )
        return Mentor(id=mentor_id, name=self.string(raw.get("name"), f"{key}.name", required=True), mentees=mentees)

    def platforms(self, raw: Any) -> dict[str, PlatformSettings]:
        raw = self.table(raw, "platforms")
        self.known_keys(raw, "platforms", {"mastodon", "bluesky", "blog", "wordpress"})
        out: dict[str, PlatformSettings] = {}
        for name in ("mastodon", "bluesky", "blog", "wordpress"):
            table = self.table(raw.get(name, {}), f"platforms.{name}")
            self.known_keys(table, f"platforms.{name}", {"base_url", "allowed_redirect_hosts"})
            base_url = self.string(table.get("base_url"), f"platforms.{name}.base_url") or DEFAULT_BASE_URLS.get(name, "")
            if base_url and not base_url.startswith(("http://", "https://")):
                raise self.fail(f"platforms.{name}.base_url", f"'{_shown(base_url)}' is not a web address",
                                "start it with https://")
            out[name] = PlatformSettings(
                base_url=base_url.rstrip("/"),
                allowed_redirect_hosts=self.strings(table.get("allowed_redirect_hosts"), f"platforms.{name}.allowed_redirect_hosts"),
            )
        return out

    def ladder(self, raw: Any) -> LadderThresholds:
        raw = self.table(raw, "ladder")
        d = LadderThresholds()
        allowed = set(d.__dataclass_fields__)
        self.known_keys(raw, "ladder", allowed)
        values: dict[str, Any] = {}
        for name in allowed:
            default = getattr(d, name)
            if isinstance(default, float):
                values[name] = self.number(raw.get(name), f"ladder.{name}", default)
                if not 0.0 <= values[name] <= 1.0:
                    raise self.fail(f"ladder.{name}", f"a share must be between 0 and 1, got {values[name]}", f"e.g. {default}")
            else:
                values[name] = self.integer(raw.get(name), f"ladder.{name}", default, minimum=1 if name == "window_days" else 0)
        return LadderThresholds(**values)


    def model(self, raw: Any) -> ModelSettings:
        raw = self.table(raw, "model")
        self.known_keys(raw, "model", {"memory_limit", "spheres_through"})
        through = raw.get("spheres_through", ModelSettings.spheres_through)
        if through not in SPHERES_THROUGH:
            raise self.fail("model.spheres_through", f"expected one of {', '.join(SPHERES_THROUGH)}, got {through!r}",
                            'e.g. spheres_through = "last_complete_week_staggered" (the default), '
                            '"last_complete_week" or "latest"')
        limit = raw.get("memory_limit")
        if limit is None:
            return ModelSettings(spheres_through=through)
        if not isinstance(limit, str) or not re.fullmatch(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", limit,
                                                          flags=re.IGNORECASE):
            raise self.fail("model.memory_limit", f"expected an amount of memory such as \"3GB\", got {limit!r}",
                            'e.g. memory_limit = "3GB" (KB, MB, GB, TB or KiB, MiB, GiB, TiB)')
        return ModelSettings(memory_limit=limit.strip(), spheres_through=through)


def _shown(url: str) -> str:
    """A URL as an error message may show it: never a password written into it (``user:password@host``)."""
    return re.sub(r"(?<=//)[^/@\s]*@", "REDACTED@", url)


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )
