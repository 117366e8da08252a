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
