"""Hostile and broken archives: each gets a clear ArchiveError and nothing is written to the data folder."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from test_linkedin import COMMENTS, CONNECTIONS_NEW, SHARES_NEW

from collectors.archive import open_archive
from collectors.importers import run_import
from influence.config import Config, Executive
from influence.errors import ArchiveError


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(path=tmp_path / "influence.toml", executives=(Executive(id="ada", name="Ada"),))


def good_files() -> dict[str, bytes]:
    return {"Connections.csv": CONNECTIONS_NEW.encode(), "Shares.csv": SHARES_NEW.encode()}


def write_zip(path: Path, files: dict[str, bytes], *, links: dict[str, str] | None = None,
              method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name), content, compress_type=method)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def nothing_written(data_dir: Path) -> bool:
    return not data_dir.exists() or not any(p.is_file() for p in data_dir.rglob("*"))


def assert_rejected(path: Path, config: Config, data_dir: Path, match: str, kind: str = "linkedin", **kw) -> None:
    with pytest.raises(ArchiveError, match=match) as info:
        run_import(kind, path, "ada", config, data_dir, **kw)
    assert info.value.hint  # says what to do
    assert nothing_written(data_dir)


@pytest.mark.parametrize("evil", ["../../outside.csv", "/etc/Comments.csv", "data/../../x.js", "C:/win/Shares.csv"])
def test_zip_slip(tmp_path: Path, config: Config, evil: str) -> None:
    files = good_files() | {evil: b"Date,Link,Message\n"}
    assert_rejected(write_zip(tmp_path / "a.zip", files), config, tmp_path / "d", "zip slip")
    assert not (tmp_path.parent / "outside.csv").exists()


def test_symlink_entry_in_zip(tmp_path: Path, config: Config) -> None:
    path = write_zip(tmp_path / "a.zip", good_files(), links={"Comments.csv": "/etc/passwd"})
    assert_rejected(path, config, tmp_path / "d", "symbolic link")


def test_symlink_in_folder(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, content in good_files().items():
        (folder / name).write_bytes(content)
    secret = tmp_path / "secret.csv"
    secret.write_text("Date,Link,Message\n")
    os.symlink(secret, folder / "Comments.csv")
    assert_rejected(folder, config, tmp_path / "d", "symbolic link")


def test_zip_bomb_by_ratio(tmp_path: Path, config: Config) -> None:
    # 5 MB of one repeated byte compresses about 1000 times: far past 50x
    files = good_files() | {"Messages.csv": b"a" * 5_000_000}
    path = write_zip(tmp_path / "bomb.zip", files)
    assert 5_000_000 / path.stat().st_size > 50
    assert_rejected(path, config, tmp_path / "d", "zip bomb")


def test_size_limit_is_configurable(tmp_path: Path, config: Config) -> None:
    path = write_zip(tmp_path / "a.zip", good_files(), method=zipfile.ZIP_STORED)
    assert_rejected(path, config, tmp_path / "d", "more than the limit", max_bytes=100)
    # the same archive passes under the default limit
    assert run_import("linkedin", path, "ada", config, tmp_path / "ok").total_added == 4  # 2 connections, 2 shares


def test_folder_size_limit(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Connections.csv").write_bytes(CONNECTIONS_NEW.encode())
    assert_rejected(folder, config, tmp_path / "d", "more than the limit", max_bytes=50)


def test_truncated_zip(tmp_path: Path, config: Config) -> None:
    path = write_zip(tmp_path / "a.zip", good_files())
    data = path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    assert_rejected(cut, config, tmp_path / "d", "not a complete ZIP")


def test_corrupt_member_data(tmp_path: Path, config: Config) -> None:
    # central directory intact, but the stored bytes of one member changed: caught by its checksum
    path = write_zip(tmp_path / "a.zip", {"Comments.csv": COMMENTS.encode()}, method=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"Plain, properly")
    data[at : at + 5] = b"Plaim"
    path.write_bytes(bytes(data))
    assert_rejected(path, config, tmp_path / "d", "damaged or truncated")


def test_member_in_unexpected_encoding(tmp_path: Path, config: Config) -> None:
    latin = CONNECTIONS_NEW.replace("Hopper", "Höpper").encode("iso-8859-1")
    path = write_zip(tmp_path / "a.zip", {"Connections.csv": latin, "Shares.csv": SHARES_NEW.encode()})
    assert_rejected(path, config, tmp_path / "d", r"'Connections.csv' is not UTF-8")


def test_utf16_x_file(tmp_path: Path, config: Config) -> None:
    path = write_zip(tmp_path / "a.zip", {"data/tweets.js": "window.YTD.tweets.part0 = []".encode("utf-16")})
    assert_rejected(path, config, tmp_path / "d", "not UTF-8", kind="x")


def test_duplicate_entries(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("Connections.csv", CONNECTIONS_NEW)
        zf.writestr("Connections.csv", CONNECTIONS_NEW + "Eve,Y,,,,,01 Jan 2020\n")
    assert_rejected(path, config, tmp_path / "d", "appears twice")


def test_not_a_zip_at_all(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "export.zip"
    path.write_text("<html>Sign in to LinkedIn</html>")
    assert_rejected(path, config, tmp_path / "d", "not a complete ZIP")


def test_missing_path(tmp_path: Path, config: Config) -> None:
    assert_rejected(tmp_path / "nope.zip", config, tmp_path / "d", "no such file")


def test_members_are_streamed_in_chunks(tmp_path: Path) -> None:
    big = b"First Name,Last Name\n" + b"x,y\n" * 400_000  # 1.6 MB, more than one read
    path = write_zip(tmp_path / "a.zip", {"Connections.csv": big}, method=zipfile.ZIP_STORED)
    with open_archive(path) as archive, archive.open_binary("Connections.csv") as fh:
        first = fh.read(1024 * 1024)
        assert len(first) == 1024 * 1024  # a bounded read returns a bounded chunk
        assert len(fh.read()) == len(big) - len(first)


# -- more hostile archives (issue 8) --------------------------------------------------------------------------------
@pytest.mark.parametrize("evil", ["..\\..\\outside.csv", "data\\..\\..\\x.js", "./../Shares.csv"])
def test_zip_slip_with_backslashes_and_dots(tmp_path: Path, config: Config, evil: str) -> None:
    files = good_files() | {evil: b"Date,Link,Message\n"}
    assert_rejected(write_zip(tmp_path / "a.zip", files), config, tmp_path / "d", "zip slip")


def test_bomb_whose_header_lies_about_its_size(tmp_path: Path, config: Config) -> None:
    # the central directory says 100 bytes; the member inflates to 5 MB: reading stops at the CRC check
    path = write_zip(tmp_path / "liar.zip", good_files() | {"Shares.csv": b"Date,ShareLink\n" + b"a" * 5_000_000})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("Shares.csv")
    real = info.file_size.to_bytes(4, "little")
    fake = (100).to_bytes(4, "little")
    assert data.count(real) >= 2  # in the local header and in the central directory
    path.write_bytes(bytes(data).replace(real, fake))
    assert_rejected(path, config, tmp_path / "d", "damaged or truncated|zip bomb|not a complete ZIP")


def test_symlinked_folder_inside_an_unpacked_export(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Connections.csv").write_bytes(CONNECTIONS_NEW.encode())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Shares.csv").write_bytes(SHARES_NEW.encode())
    os.symlink(outside, folder / "data")
    assert_rejected(folder, config, tmp_path / "d", "symbolic link")


def test_truncated_anywhere(tmp_path: Path, config: Config) -> None:
    """Cut at many points: always a clear ArchiveError and nothing written, never another exception."""
    data = write_zip(tmp_path / "a.zip", good_files() | {"Comments.csv": COMMENTS.encode()}).read_bytes()
    for i, cut in enumerate(range(1, len(data), max(1, len(data) // 25))):
        path = tmp_path / f"cut{i}.zip"
        path.write_bytes(data[:cut])
        assert_rejected(path, config, tmp_path / f"d{i}", r"\w")
