"""Access control tried from the outside: an executive and a mentor reach for data that is not theirs through
every data function, every store function and every page with a URL parameter. All denied.

Demo programme: Ada, Ben and Chloé; Maria mentors Ada and Ben.
"""

from __future__ import annotations

import inspect
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data
from dashboard.access import AccessDenied
from influence.config import load_config
from influence.demo import load_demo
from influence.users import User
from pipeline.build import build_warehouse

store = pytest.importorskip("dashboard.store")

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
VIEWS = sorted(p.name for p in (APP.parent / "views").glob("*.py"))
ADA = User("ada-user", "executive", exec_id="ada")
MARIA = User("maria-user", "mentor", mentor_id="maria")
NAMES = {"ada": "Ada Lindqvist", "ben": "Ben Okafor", "chloe": "Chloé Martin"}
# (user, what they may see, what they may not)
CASES = [(ADA, {"ada"}, ["ben", "chloe"]), (MARIA, {"ada", "ben"}, ["chloe"])]
HOSTILE_IDS = [None, "", " ada", "ADA", "ada' or '1'='1", ["ada"], ("ada",), {"ada"}, 1, "%", "*", "ben\x00"]
ARGS: dict[str, Any] = {"platforms": ["mastodon", "bluesky"], "since": None, "sphere_id": "s1", "platform": "mastodon",
                        "root_post_id": "x", "metric": "engagers", "target": 1.0, "due": date(2030, 1, 1),
                        "goal_id": 1, "review_date": date(2030, 1, 1), "note": "n", "rows": [],
                        "a": ("mastodon", "x@y"), "b": ("mastodon", "z@y"), "account": ("mastodon", "x@y")}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("access-demo")
    cfg_path, _ = load_demo(data_dir)
    build_warehouse(load_config(cfg_path), data_dir)
    return data_dir


@pytest.fixture
def demo_env(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.DATA_ENV, str(demo_dir))
    monkeypatch.setenv("INFLUENCE_CONFIG", str(demo_dir / "demo" / "influence.toml"))
    return demo_dir


def exec_scoped(module: Any) -> list[tuple[str, Any]]:
    """Every public function of ``module`` that takes ``(user, exec_id, ...)``."""
    out = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != module.__name__:
            continue
        params = list(inspect.signature(fn).parameters)
        if params[:2] == ["user", "exec_id"]:
            out.append((name, fn))
    return out


def call(fn: Any, user: User | None, exec_id: Any) -> Any:
    sig = inspect.signature(fn)
    kwargs = {n: ARGS.get(n) for n, p in list(sig.parameters.items())[2:] if p.default is inspect.Parameter.empty}
    return fn(user, exec_id, **kwargs)


def test_there_are_functions_to_attack() -> None:
    assert len(exec_scoped(data)) >= 10 and len(exec_scoped(store)) >= 5


@pytest.mark.parametrize("module", [data, store], ids=["data", "store"])
def test_every_function_denies_another_executives_data(module: Any, demo_env: Path) -> None:
    allowed = []
    for name, fn in exec_scoped(module):
        for user, _, others in CASES:
            for exec_id in [*others, *HOSTILE_IDS]:
                try:
                    call(fn, user, exec_id)
                except AccessDenied:
                    continue
                allowed.append(f"{module.__name__}.{name}({user.name}, {exec_id!r})")
        for exec_id in ["ada", "ben", "chloe"]:  # nobody logged in
            with pytest.raises(AccessDenied):
                call(fn, None, exec_id)
    assert allowed == []


def test_the_executive_list_holds_only_whom_the_user_may_see(demo_env: Path) -> None:
    for user, mine, _ in CASES:
        assert set(data.executives(user)["exec_id"].to_list()) == mine
    assert data.executives(None).is_empty()


def run_app(user: User, query: dict[str, str], page: str) -> AppTest | None:
    """The app on ``page`` as ``user``; None when the page is not even offered to this user."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query)
    at.session_state["auth_user"] = user
    at.session_state["auth_seen"] = time.time()
    at.run()
    if at.exception:
        return at
    try:
        return at.switch_page(f"views/{page}").run()
    except ValueError as exc:
        if "Could not find a navigation page" in str(exc):
            return None
        raise


def rendered(at: AppTest) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "metric", "warning", "info",
                 "error", "success", "dataframe", "table", "selectbox", "multiselect"):
        for el in getattr(at, kind, []):
            for attr in ("value", "body", "label", "options"):
                v = getattr(el, attr, None)
                if v is not None:
                    parts.append(str(v))
    return "\n".join(parts)


@pytest.mark.parametrize("page", VIEWS)
def test_every_page_refuses_another_executive_in_the_url(page: str, demo_env: Path) -> None:
    for user, mine, other in ((ADA, {"ada"}, "ben"), (MARIA, {"ada", "ben"}, "chloe")):
        at = run_app(user, {"exec": other, "period": "all", "platforms": "mastodon,bluesky"}, page)
        if at is not None:
            text = rendered(at)
            assert at.query_params.get("exec") in mine, (user.name, other, page)
            assert NAMES[other] not in text, (user.name, other, page)
            assert not [e for e in at.exception if "AccessDenied" not in str(e.value)], at.exception


def test_the_page_check_can_see_a_name_when_it_is_shown(demo_env: Path) -> None:
    """Control for the test above: the rendered text does hold the executive's own name."""
    at = run_app(MARIA, {"exec": "ben"}, "overview.py")
    assert at is not None and NAMES["ben"] in rendered(at)
