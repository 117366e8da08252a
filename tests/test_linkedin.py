"""LinkedIn archive import: both header generations, the Connections preamble, multi-line shares, Comments.csv's
broken escaping, idempotent re-import, and what lands in the observation tables."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collectors.importers import run_import
from collectors.rawstore import RawStore
from collectors.records import RawContext
from collectors.registry import lookup
from influence.config import Accounts, Config, Executive
from influence.errors import ArchiveError

PROFILE_URL = "https://www.linkedin.com/in/ada-lovelace"

CONNECTIONS_NEW = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are missing."\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Grace,Hopper,https://www.linkedin.com/in/grace,,US Navy,Rear Admiral,16 Jun 2021\n"
    'Alan,Turing,https://www.linkedin.com/in/alan,,"Bletchley Park, Hut 8",Cryptanalyst,03 Jan 2020\n'
)
CONNECTIONS_OLD = (
    "First Name,Last Name,Email Address,Company,Position,Connected On\n"
    "Grace,Hopper,,US Navy,Rear Admiral,16 Jun 2021\n"
)
SHARES_NEW = (
    "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
    '2023-05-01 09:30:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A111,"First line #Leadership\n'
    'second line, with a comma",https://example.com/article,,MEMBER_NETWORK\n'
    "2023-05-02 10:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A222,Short one,,,PUBLIC\n"
)
SHARES_OLD = (
    "Date,ShareLink,ShareCommentary,SharedURL,MediaURL\n"
    "2019-02-03 04:05:06,https://www.linkedin.com/feed/update/urn:li:activity:333,Old share,https://e.org,\n"
)
# rows 2 and 3 break a strict CSV reader: \" escapes, and an unquoted comma
COMMENTS = (
    "Date,Link,Message\n"
    '2023-06-01 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A900,"Plain, properly quoted"\n'
    '2023-06-02 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A901,"She said \\"yes\\", twice"\n'
    "2023-06-03 08:00:00,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A902,Well said, thank you\n"
)
REACTIONS = (
    "Date,Type,Link\n"
    "2023-07-01 12:00:00,LIKE,https://www.linkedin.com/feed/update/urn:li:activity:700\n"
    "2023-07-02 12:00:00,PRAISE,https://www.linkedin.com/feed/update/urn:li:activity:701?commentUrn=urn%3Ali%3Acomment%3A1\n"
)
PROFILE = (
    "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,Zip Code,Geo Location,"
    "Twitter Handles,Websites,Instant Messengers\n"
    'Ada,Lovelace,,,,Analyst,,Computing,,London,"[ada_l]","[PERSONAL:https://ada.example,COMPANY:engines.example]",\n'
)


def make_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        path=tmp_path / "influence.toml",
        executives=(Executive(id="ada", name="Ada Lovelace", accounts=Accounts(linkedin=(PROFILE_URL,))),),
    )


def stored(data_dir: Path) -> list[dict]:
    return list(RawStore(data_dir / "raw").records())


def parse(row: dict) -> dict[str, list[dict]]:
    fn, how = lookup(row["source"], row["kind"])
    ctx = RawContext(row["source"], row["kind"], row["exec_id"], row["url"], json.loads(row["params"]),
                     row["observed_at"], row["status"])
    return fn(json.loads(row["payload"]) if how == "json" else row["payload"], ctx).rows


def tables(data_dir: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in stored(data_dir):
        for t, rows in parse(r).items():
            out.setdefault(t, []).extend(rows)
    return out


FULL = {
    "Connections.csv": CONNECTIONS_NEW,
    "Shares.csv": SHARES_NEW,
    "Comments.csv": COMMENTS,
    "Reactions.csv": REACTIONS,
    "Profile.csv": PROFILE,
    "Messages.csv": "CONVERSATION ID,FROM\n1,x\n",
    "Learning.csv": "Title\nA course\n",
}


def test_full_archive_lands_in_the_tables(tmp_path: Path, config: Config) -> None:
    archive = make_zip(tmp_path / "Basic_LinkedInDataExport.zip", FULL)
    summary = run_import("linkedin", archive, "ada", config, tmp_path / "data")

    assert summary.rows == {"connection": 2, "share": 2, "comment": 3, "reaction": 2, "profile": 1}
    assert summary.added == summary.rows
    assert summary.recovered == 2
    assert summary.recovered_lines == {"Comments.csv": [3, 4]}
    assert summary.unknown_files == ["Learning.csv", "Messages.csv"]

    raw = stored(tmp_path / "data")
    assert len(raw) == 10
    assert {r["source"] for r in raw} == {"linkedin"} and {r["status"] for r in raw} == {0}

    t = tables(tmp_path / "data")
    conns = sorted(t["connections"], key=lambda c: c["name"])
    assert conns[0]["name"] == "Alan Turing" and conns[0]["company"] == "Bletchley Park, Hut 8"
    assert conns[1]["connected_on"] == date(2021, 6, 16)
    assert conns[1]["profile_url"] == "https://www.linkedin.com/in/grace"
    assert {c["direction"] for c in conns} == {"connection"}

    posts = sorted(t["posts"], key=lambda p: p["created_at"])
    assert posts[0]["post_id"] == "urn:li:share:111"
    assert posts[0]["text"] == "First line #Leadership\nsecond line, with a comma"
    assert posts[0]["created_at"] == datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
    assert json.loads(posts[0]["tags"]) == ["leadership"]
    assert posts[0]["author_account_id"] == PROFILE_URL
    for p in posts:  # no counts in the archive: unknown, never zero
        assert p["like_count"] is None and p["repost_count"] is None and p["reply_count"] is None

    comments = sorted((o for o in t["outbound"] if o["kind"] == "comment"), key=lambda o: o["at"])
    assert [c["target_post_id"] for c in comments] == [f"urn:li:activity:{n}" for n in (900, 901, 902)]
    messages = sorted(json.loads(r["payload"])["Message"] for r in raw if r["kind"] == "comment")
    assert messages == ["Plain, properly quoted", 'She said "yes", twice', "Well said, thank you"]
    recovered = [json.loads(r["params"]).get("recovered") for r in raw if r["kind"] == "comment"]
    assert sorted(map(bool, recovered)) == [False, True, True]

    reactions = [o for o in t["outbound"] if o["kind"] == "reaction"]
    assert len(reactions) == 2
    assert any(o["target_post_id"] == "urn:li:activity:701" and "PRAISE" in o["outbound_key"] for o in reactions)

    links = {(li["link_kind"], li["value"]) for li in t["identity_links"]}
    assert links == {("twitter", "ada_l"), ("website", "https://ada.example"), ("website", "https://engines.example")}
    assert {li["exec_id"] for li in t["identity_links"]} == {"ada"}


def test_reimport_changes_nothing_and_newer_archive_adds_only_new(tmp_path: Path, config: Config) -> None:
    data = tmp_path / "data"
    first = make_zip(tmp_path / "a.zip", FULL)
    run_import("linkedin", first, "ada", config, data)
    segments = sorted(RawStore(data / "raw").segments())

    again = run_import("linkedin", first, "ada", config, data)
    assert again.total_added == 0 and again.skipped == 10 and again.run_id is None
    assert sorted(RawStore(data / "raw").segments()) == segments

    newer = dict(FULL)
    newer["Connections.csv"] = CONNECTIONS_NEW + "Ada,Byron,https://www.linkedin.com/in/byron,,Home,Poet,01 Feb 2024\n"
    summary = run_import("linkedin", make_zip(tmp_path / "b.zip", newer), "ada", config, data)
    assert summary.added == {"connection": 1}
    assert summary.skipped == 10
    assert len(stored(data)) == 11


def test_same_archive_for_another_executive_is_stored_for_both(tmp_path: Path) -> None:
    cfg = Config(path=tmp_path / "i.toml", executives=(Executive(id="ada", name="A"), Executive(id="bob", name="B")))
    archive = make_zip(tmp_path / "a.zip", {"Connections.csv": CONNECTIONS_OLD})
    run_import("linkedin", archive, "ada", cfg, tmp_path / "d")
    assert run_import("linkedin", archive, "bob", cfg, tmp_path / "d").added == {"connection": 1}


def test_older_header_generation(tmp_path: Path, config: Config) -> None:
    archive = make_zip(tmp_path / "old.zip", {"Connections.csv": CONNECTIONS_OLD, "Shares.csv": SHARES_OLD})
    run_import("linkedin", archive, "ada", config, tmp_path / "data")
    t = tables(tmp_path / "data")
    (conn,) = t["connections"]
    assert conn["name"] == "Grace Hopper" and conn["profile_url"] is None and conn["company"] == "US Navy"
    (post,) = t["posts"]
    assert post["post_id"] == "urn:li:activity:333" and post["text"] == "Old share"
    assert post["created_at"] == datetime(2019, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_unpacked_folder_with_bom(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Connections.csv").write_bytes(b"\xef\xbb\xbf" + CONNECTIONS_NEW.encode())
    (folder / "Comments.csv").write_text(COMMENTS, encoding="utf-8")
    summary = run_import("linkedin", folder, "ada", config, tmp_path / "data")
    assert summary.rows == {"connection": 2, "comment": 3}
    assert summary.recovered == 2


def test_comment_with_multiline_message_and_escaped_quotes(tmp_path: Path, config: Config) -> None:
    comments = (
        "Date,Link,Message\n"
        '2023-06-04 08:00:00,https://l.example/p/1,"Line one \\"quoted\\"\nline two, with comma"\n'
        "2023-06-05 08:00:00,https://l.example/p/2,Fine\n"
    )
    summary = run_import("linkedin", make_zip(tmp_path / "c.zip", {"Comments.csv": comments}), "ada", config,
                         tmp_path / "d")
    assert summary.rows == {"comment": 2} and summary.recovered == 1
    msgs = sorted(json.loads(r["payload"])["Message"] for r in stored(tmp_path / "d"))
    assert msgs == ["Fine", 'Line one "quoted"\nline two, with comma']


def test_bad_date_writes_nothing(tmp_path: Path, config: Config) -> None:
    bad = CONNECTIONS_NEW + "Eve,X,https://www.linkedin.com/in/eve,,Co,Pos,sometime last year\n"
    archive = make_zip(tmp_path / "bad.zip", {"Shares.csv": SHARES_NEW, "Connections.csv": bad})
    with pytest.raises(ArchiveError, match="Connections.csv line 7"):
        run_import("linkedin", archive, "ada", config, tmp_path / "data")
    assert stored(tmp_path / "data") == []


def test_row_with_too_many_fields_is_an_error(tmp_path: Path, config: Config) -> None:
    bad = SHARES_NEW + "2023-05-03 10:00:00,https://l.example/3,a,b,c,d,e\n"
    with pytest.raises(ArchiveError, match="7 fields where the header has 6"):
        run_import("linkedin", make_zip(tmp_path / "b.zip", {"Shares.csv": bad}), "ada", config, tmp_path / "d")
    assert stored(tmp_path / "d") == []


def test_not_a_linkedin_archive(tmp_path: Path, config: Config) -> None:
    with pytest.raises(ArchiveError, match="no LinkedIn export file"):
        run_import("linkedin", make_zip(tmp_path / "x.zip", {"data/tweets.js": "[]"}), "ada", config, tmp_path / "d")
