"""Config and ties-register errors name the file, the key (or line and column) and the fix."""

from __future__ import annotations

import pytest

from influence.config import load_config
from influence.errors import ConfigError
from pipeline.ties import read_ties

GOOD = """
contact = "ops@example.org"
[[executives]]
id = "ada"
name = "Ada"
topics = ["AI", "Leadership"]
[executives.accounts]
mastodon = ["@ada@mastodon.example"]
bluesky = ["ada.bsky.social"]
[[mentors]]
id = "maria"
name = "Maria"
mentees = ["ada"]
[platforms.mastodon]
base_url = "http://127.0.0.1:8080"
"""


def load(tmp_path, text):
    p = tmp_path / "influence.toml"
    p.write_text(text, encoding="utf-8")
    return load_config(p)


def error(tmp_path, text) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value


def test_good_config_loads(tmp_path):
    cfg = load(tmp_path, GOOD)
    assert [e.id for e in cfg.executives] == ["ada"]
    assert cfg.executive("ada").topics == ("ai", "leadership")
    assert cfg.platform("mastodon").base_url == "http://127.0.0.1:8080"
    assert cfg.platform("bluesky").base_url == "https://public.api.bsky.app"
    assert cfg.mentors[0].mentees == ("ada",)
    assert cfg.model.memory_limit is None  # DuckDB's own default unless capped
    assert load(tmp_path, GOOD + '[model]\nmemory_limit = "2.5GiB"\n').model.memory_limit == "2.5GiB"
    # each executive's spheres stay put through the week, taken in on their own day (README, sphere_members)
    assert cfg.model.spheres_through == "last_complete_week_staggered"
    for through in ("latest", "last_complete_week"):
        assert load(tmp_path, GOOD + f'[model]\nspheres_through = "{through}"\n').model.spheres_through == through


@pytest.mark.parametrize(
    ("text", "key", "problem", "fix"),
    [
        (GOOD.replace('mastodon = ["@ada@mastodon.example"]', 'mastodon = ["@ada"]'),
         "executives[0].accounts.mastodon[0]", "is not a Mastodon address", "@user@instance"),
        (GOOD + '[[executives]]\nid = "ada"\nname = "Other"\n', "executives[1].id", "duplicate executive id 'ada'", "its own id"),
        (GOOD.replace('mentees = ["ada"]', 'mentees = ["bob"]'), "mentors[0].mentees[0]", "'bob' is not the id", "ada"),
        (GOOD.replace('contact = "ops@example.org"', "contact = 42"), "contact", "expected a string, got a number", "quotes"),
        (GOOD.replace('name = "Ada"', 'name = "Ada"\ncolour = "blue"'), "executives[0].colour", "unknown key", "topics"),
        (GOOD + "[ladder]\nstep4_min_digital_share = 1.5\n", "ladder.step4_min_digital_share", "between 0 and 1", "0.5"),
        ("[[mentors]]\nid = 'm'\nname = 'M'\n", "executives", "no executive is configured", "[[executives]]"),
        (GOOD + '[model]\nmemory_limit = "lots"\n', "model.memory_limit", "an amount of memory", '"3GB"'),
        (GOOD + "[model]\nmemory_limit = 3\n", "model.memory_limit", "an amount of memory", '"3GB"'),
        (GOOD + '[model]\nmemory_limit = "3GB; drop table x"\n', "model.memory_limit", "an amount of memory", "GiB"),
        (GOOD + '[model]\nthreads = 2\n', "model.threads", "unknown key", "memory_limit"),
        (GOOD + '[model]\nspheres_through = "daily"\n', "model.spheres_through", "expected one of", "latest"),
    ],
)
def test_errors_name_file_key_and_fix(tmp_path, text, key, problem, fix):
    exc = error(tmp_path, text)
    assert exc.message.startswith(f"{tmp_path / 'influence.toml'}: {key}: ")
    assert problem in exc.message
    assert fix in exc.hint


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found") as info:
        load_config(tmp_path / "nope.toml")
    assert "influence.example.toml" in info.value.hint
    exc = error(tmp_path, "[[executives]\nid=")
    assert "not valid TOML" in exc.message


def test_example_config_is_valid():
    from pathlib import Path

    cfg = load_config(Path(__file__).resolve().parents[1] / "influence.example.toml")
    assert cfg.executives


def test_ties_errors_name_line_and_column(tmp_path):
    p = tmp_path / "ties.csv"
    p.write_text("name,ring,mastodon,since\nGrace,team,@grace@x.example,2024-01-01\nLinus,friend,,\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_ties(p)
    assert "line 3, column 2 (ring): 'friend' is not a ring" in info.value.message
    p.write_text("name,ring,since\nGrace,team,yesterday\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2, column 3 \(since\)"):
        read_ties(p)
    p.write_text("name,ring,twitter\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1, column 3: unknown column 'twitter'"):
        read_ties(p)


def test_ties_handles_are_normalized(tmp_path):
    p = tmp_path / "ties.csv"
    p.write_text("name,ring,mastodon,bluesky\nGrace,team,@Grace@X.example;@g@y.example,Grace.bsky.social\n", encoding="utf-8")
    (tie,) = read_ties(p)
    assert tie.handles == (("mastodon", "grace@x.example"), ("mastodon", "g@y.example"), ("bluesky", "grace.bsky.social"))


# -- hostile configs: wrong types, unknown keys, duplicates (issue 8) ------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('executives = "ada"\n', "executives", "expected [[executives]] tables, got a string"),
        ("executives = [5]\n", "executives[0]", "expected a table, got a number"),
        ('[[executives]]\nid = 7\nname = "A"\n', "executives[0].id", "expected a string, got a number"),
        ('[[executives]]\nid = "ada"\nname = ["A"]\n', "executives[0].name", "expected a string, got a list"),
        ('[[executives]]\nid = "Ada Lovelace"\nname = "A"\n', "executives[0].id", "is not a valid id"),
        ('[[executives]]\nid = "ada"\nname = "A"\naccounts = "@ada@x.example"\n', "executives[0].accounts",
         "expected a table, got a string"),
        ('[[executives]]\nid = "ada"\nname = "A"\n[executives.accounts]\nmastodon = 5\n',
         "executives[0].accounts.mastodon", "expected a list of strings, got a number"),
        ('[[executives]]\nid = "ada"\nname = "A"\n[executives.accounts]\nbluesky = ["ok.bsky.social", 3]\n',
         "executives[0].accounts.bluesky", "expected a list of strings"),
        ('[[executives]]\nid = "ada"\nname = "A"\n[executives.accounts]\nfacebook = ["ada"]\n',
         "executives[0].accounts.facebook", "unknown key"),
        (GOOD.replace('contact = "ops@example.org"', 'contact = "ops@example.org"\nlookback_days = "30"'),
         "lookback_days", "expected a whole number, got a string"),
        (GOOD.replace('contact = "ops@example.org"', 'contact = "ops@example.org"\nlookback_days = true'),
         "lookback_days", "expected a whole number, got true/false"),
        (GOOD.replace('contact = "ops@example.org"', 'contact = "ops@example.org"\nlookback_days = 0'),
         "lookback_days", "must be at least 1"),
        (GOOD.replace('contact = "ops@example.org"', 'contact = "ops@example.org"\ntoken = "s3cret"'),
         "token", "unknown key"),
        (GOOD + "[ladder]\nwindow_days = 12.5\n", "ladder.window_days", "expected a whole number, got a number"),
        (GOOD + '[ladder]\nstep4_min_digital_share = "half"\n', "ladder.step4_min_digital_share",
         "expected a number, got a string"),
        (GOOD + "[ladder]\nstep9 = 1\n", "ladder.step9", "unknown key"),
        (GOOD + "[platforms.twitter]\nbase_url = 'https://x.example'\n", "platforms.twitter", "unknown key"),
        (GOOD.replace('base_url = "http://127.0.0.1:8080"', "base_url = 8080"), "platforms.mastodon.base_url",
         "expected a string, got a number"),
        (GOOD.replace('base_url = "http://127.0.0.1:8080"', 'api_key = "k"'), "platforms.mastodon.api_key",
         "unknown key"),
        (GOOD.replace('base_url = "http://127.0.0.1:8080"', "allowed_redirect_hosts = [1]"),
         "platforms.mastodon.allowed_redirect_hosts", "expected a list of strings"),
        (GOOD + '[[mentors]]\nid = "maria"\nname = "Maria 2"\n', "mentors[1].id", "duplicate mentor id 'maria'"),
        ('mentors = "maria"\n' + GOOD.split("[[mentors]]")[0], "mentors", "expected [[mentors]] tables"),
        (GOOD.replace('mentees = ["ada"]', "mentees = [1]"), "mentors[0].mentees", "expected a list of strings"),
        (GOOD + '[[executives]]\nid = "ada"\nname = "Ada again"\n[executives.accounts]\nmastodon = ["@b@x.example"]\n',
         "executives[1].id", "duplicate executive id 'ada'"),
    ],
)
def test_hostile_configs_are_refused_with_the_key_and_the_fix(tmp_path, text, key, problem):
    exc = error(tmp_path, text)
    assert exc.message.startswith(f"{tmp_path / 'influence.toml'}: {key}"), exc.message
    assert problem in exc.message, exc.message
    assert exc.hint


def test_a_password_in_a_bad_url_is_not_repeated_in_the_error(tmp_path):
    exc = error(tmp_path, GOOD.replace('base_url = "http://127.0.0.1:8080"',
                                       'base_url = "ftp://admin:hunter2-secret@127.0.0.1:8080"'))
    assert "hunter2-secret" not in str(exc) and "REDACTED@127.0.0.1" in exc.message


def test_config_that_is_not_text(tmp_path):
    p = tmp_path / "influence.toml"
    p.write_bytes(b"\xff\xfe[\x00[\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(p)
