"""X archive import: tweets.js and older tweet.js, -partN files from the manifest, string numbers, retweets,
replies, mentions, follower and following ids."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_linkedin import stored, tables

from collectors.importers import run_import
from collectors.x.parse import read_rows
from influence.config import Config, Executive
from influence.errors import ArchiveError


def tweet(tid: str, text: str, **extra: object) -> dict:
    t = {
        "id_str": tid,
        "full_text": text,
        "created_at": "Thu Nov 03 08:50:26 +0000 2022",
        "favorite_count": "5",
        "retweet_count": "2",
        "entities": {"user_mentions": [], "hashtags": [], "urls": []},
    }
    t.update(extra)
    return {"tweet": t}


def js(name: str, rows: list[dict]) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(rows, indent=2)


ORIGINAL = tweet("100", "Leading in public &amp; learning #Leadership", entities={
    "user_mentions": [], "hashtags": [{"text": "Leadership"}], "urls": []})
RETWEET = tweet("101", "RT @grace: Ships are safe in harbour", favorite_count="0", retweet_count="0", entities={
    "user_mentions": [{"screen_name": "grace", "id_str": "42", "name": "Grace"}], "hashtags": [], "urls": []})
REPLY = tweet("102", "@alan indeed, @grace too", in_reply_to_status_id_str="900", in_reply_to_user_id_str="43",
              in_reply_to_screen_name="alan", entities={"user_mentions": [
                  {"screen_name": "alan", "id_str": "43"}, {"screen_name": "grace", "id_str": "42"}],
                  "hashtags": [], "urls": []})
SELF_REPLY = tweet("103", "and a thread", in_reply_to_status_id_str="100", in_reply_to_user_id_str="7",
                   in_reply_to_screen_name="ada")
ACCOUNT = [{"account": {"accountId": "7", "username": "ada", "accountDisplayName": "Ada", "email": "a@x.example"}}]
FOLLOWERS = [{"follower": {"accountId": "42", "userLink": "https://twitter.com/intent/user?user_id=42"}},
             {"follower": {"accountId": "44", "userLink": "https://twitter.com/intent/user?user_id=44"}}]
FOLLOWING = [{"following": {"accountId": "43", "userLink": "https://twitter.com/intent/user?user_id=43"}}]


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(path=tmp_path / "influence.toml", executives=(Executive(id="ada", name="Ada"),))


def archive_files() -> dict[str, str]:
    return {
        "data/account.js": js("account", ACCOUNT),
        "data/tweets.js": js("tweets", [ORIGINAL, RETWEET]),
        "data/tweets-part1.js": "window.YTD.tweets.part1 = " + json.dumps([REPLY, SELF_REPLY]),
        "data/follower.js": js("follower", FOLLOWERS),
        "data/following.js": js("following", FOLLOWING),
        "data/manifest.js": "window.__THAR_CONFIG = " + json.dumps({"dataTypes": {
            "tweets": {"files": [{"fileName": "data/tweets.js", "count": "2"},
                                 {"fileName": "data/tweets-part1.js", "count": "2"}]},
            "follower": {"files": [{"fileName": "data/follower.js", "count": "2"}]}}}),
        "data/direct-messages.js": js("direct_messages", []),
        "data/tweets_media/100-a.jpg": "jpeg",
        "Your archive.html": "<html></html>",
    }


def test_tweets_parts_followers_land_in_the_tables(tmp_path: Path, config: Config) -> None:
    summary = run_import("x", make_zip(tmp_path / "twitter.zip", archive_files()), "ada", config, tmp_path / "d")
    assert summary.rows == {"account": 1, "tweet": 4, "follower": 2, "following": 1}
    assert summary.unknown_files == ["Your archive.html", "data/direct-messages.js", "data/tweets_media/100-a.jpg"]
    assert "data/tweets-part1.js" in summary.files
    assert all("a@x.example" not in r["payload"] for r in stored(tmp_path / "d"))  # the e-mail is not kept

    t = tables(tmp_path / "d")
    posts = {p["post_id"]: p for p in t["posts"]}
    assert set(posts) == {"100", "101", "102", "103"}
    orig = posts["100"]
    assert orig["like_count"] == 5 and orig["repost_count"] == 2  # strings in the archive
    assert orig["reply_count"] is None and orig["quote_count"] is None
    assert orig["text"] == "Leading in public & learning #Leadership"
    assert json.loads(orig["tags"]) == ["leadership"]
    assert orig["created_at"] == datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)
    assert orig["author_account_id"] == "7" and orig["url"] == "https://x.com/ada/status/100"

    rt = posts["101"]
    assert rt["kind"] == "repost" and rt["like_count"] is None and rt["repost_count"] is None
    reply = posts["102"]
    assert reply["kind"] == "reply" and reply["reply_to_post_id"] == "900" and reply["reply_to_account_id"] == "43"
    assert json.loads(reply["mentions"]) == ["43", "42"]

    outbound = sorted((o["kind"], o["target_account_id"], o["target_post_id"]) for o in t["outbound"])
    # the retweet and the reply to someone else; the reply in the executive's own thread is not outbound
    assert outbound == [("reply", "43", "900"), ("repost", "42", None)]

    conns = sorted((c["direction"], c["account_id"]) for c in t["connections"])
    assert conns == [("follower", "42"), ("follower", "44"), ("following", "43")]
    assert {a["handle"] for a in t["accounts"] if a["account_id"] == "42"} == {"@grace"}


def test_reimport_is_a_no_op_and_newer_archive_adds_new_rows(tmp_path: Path, config: Config) -> None:
    files = archive_files()
    run_import("x", make_zip(tmp_path / "a.zip", files), "ada", config, tmp_path / "d")
    assert run_import("x", make_zip(tmp_path / "a2.zip", files), "ada", config, tmp_path / "d").total_added == 0

    newer = dict(files)
    newer["data/tweets.js"] = js("tweets", [ORIGINAL, RETWEET, tweet("104", "new one")])
    summary = run_import("x", make_zip(tmp_path / "b.zip", newer), "ada", config, tmp_path / "d")
    assert summary.added == {"tweet": 1}
    assert summary.skipped == 8


def test_older_tweet_js_without_wrapper_in_a_top_folder(tmp_path: Path, config: Config) -> None:
    old = {"twitter-2019/data/tweet.js": js("tweet", [ORIGINAL["tweet"]])}
    summary = run_import("x", make_zip(tmp_path / "old.zip", old), "ada", config, tmp_path / "d")
    assert summary.rows == {"tweet": 1}
    (post,) = tables(tmp_path / "d")["posts"]
    assert post["post_id"] == "100" and post["url"] == "https://x.com/i/web/status/100"


def test_manifest_lists_a_missing_part(tmp_path: Path, config: Config) -> None:
    files = archive_files()
    del files["data/tweets-part1.js"]
    with pytest.raises(ArchiveError, match="tweets-part1.js"):
        run_import("x", make_zip(tmp_path / "a.zip", files), "ada", config, tmp_path / "d")
    assert stored(tmp_path / "d") == []


def test_cut_short_tweets_file_writes_nothing(tmp_path: Path, config: Config) -> None:
    files = archive_files()
    files["data/tweets.js"] = files["data/tweets.js"][:-40]
    with pytest.raises(ArchiveError, match="data/tweets.js is damaged"):
        run_import("x", make_zip(tmp_path / "a.zip", files), "ada", config, tmp_path / "d")
    assert stored(tmp_path / "d") == []


def test_reader_streams_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import collectors.x.parse as xp

    monkeypatch.setattr(xp, "CHUNK", 7)  # objects straddle many reads
    rows = [tweet(str(i), "x" * (i % 13)) for i in range(50)]
    got = list(read_rows("tweet", "data/tweets.js", io.StringIO(js("tweets", rows))))
    assert [r.row for r in got] == rows


def test_wrong_prefix(config: Config, tmp_path: Path) -> None:
    files = {"data/tweets.js": "var tweets = []"}
    with pytest.raises(ArchiveError, match="does not start with"):
        run_import("x", make_zip(tmp_path / "a.zip", files), "ada", config, tmp_path / "d")
