"""Shared fixtures: loopback servers with fake platforms, a config pointing at them, and a fast HTTP client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeBluesky, FakeMastodon
from loopback import Loopback

from collectors.http import Http
from collectors.rawstore import RawStore
from influence.config import Accounts, Config, Executive, PlatformSettings


@pytest.fixture(autouse=True)
def _keep_the_main_module() -> Iterator[None]:
    """Streamlit's AppTest installs the dashboard script as ``__main__`` for good (as ``streamlit run`` does, in a
    process that never builds). Worker processes started with "spawn" (the load step, the graph step) re-run
    ``__main__``'s file: after a dashboard test that would be the dashboard. Put pytest's back after every test."""
    import sys

    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def mastodon_server() -> Iterator[Loopback]:
    with Loopback() as srv:
        yield srv


@pytest.fixture
def bluesky_server() -> Iterator[Loopback]:
    with Loopback() as srv:
        yield srv


@pytest.fixture
def masto(mastodon_server: Loopback) -> FakeMastodon:
    return FakeMastodon(mastodon_server)


@pytest.fixture
def bsky(bluesky_server: Loopback) -> FakeBluesky:
    return FakeBluesky(bluesky_server)


@pytest.fixture
def http() -> Iterator[Http]:
    with Http(contact="ops@example.org", max_wait=5, timeout=2, backoff=0.01, attempts=4) as client:
        yield client


def make_config(*, mastodon: tuple[str, ...] = (), bluesky: tuple[str, ...] = (), mastodon_url: str = "",
                bluesky_url: str = "", lookback_days: int = 30) -> Config:
    return Config(
        path=Path("influence.toml"),
        executives=(Executive(id="ada", name="Ada", accounts=Accounts(mastodon=mastodon, bluesky=bluesky)),),
        platforms={"mastodon": PlatformSettings(base_url=mastodon_url), "bluesky": PlatformSettings(base_url=bluesky_url)},
        contact="ops@example.org",
        lookback_days=lookback_days,
    )


def stored(data_dir: Path, kind: str | None = None) -> list[dict[str, Any]]:
    rows = list(RawStore(data_dir / "raw").records())
    for r in rows:
        r["params"] = json.loads(r["params"])
    return [r for r in rows if kind is None or r["kind"] == kind]
