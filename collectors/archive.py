"""Safe, streaming reading of a downloaded export: a ZIP file or the folder it was unpacked into.

Opening an archive checks everything that can be checked without reading the data: names that escape the folder
(zip slip), links, encrypted or duplicate entries, and the unpacked size (more than ``max_ratio`` times the ZIP,
or more than ``max_bytes``). ``verify`` then streams chosen members through their checksum and a strict UTF-8
decoder, so a truncated or mis-encoded file is found before anything is written. Members are always read in
chunks, never whole.

Every problem is an ``ArchiveError`` that names the archive and the member.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from influence.errors import ArchiveError

DEFAULT_MAX_BYTES = 4 * 1024**3  # an archive may unpack to at most 4 GiB
DEFAULT_MAX_RATIO = 50  # ... and to at most 50 times the size of the ZIP
CHUNK = 1024 * 1024

_HINT_DOWNLOAD = "download the archive again from the platform and import the new file"


@dataclass(frozen=True)
class Member:
    name: str  # path inside the archive, '/'-separated, never absolute, never with '..'
    size: int  # bytes once unpacked

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


def _safe_name(archive: Path, raw: str) -> str:
    name = raw.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if (
        name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or any(p == ".." for p in parts)
        or "\x00" in name
    ):
        raise ArchiveError(
            f"{archive}: entry '{raw}' points outside the archive folder (a 'zip slip' path); nothing was imported",
            hint="this archive was not made by the platform; do not use it, download your data again",
        )
    return "/".join(p for p in parts if p not in ("", "."))


class Archive:
    """Members of a ZIP or folder, checked when opened. Use as a context manager."""

    def __init__(
        self, path: Path, members: list[Member], zf: zipfile.ZipFile | None, infos: dict[str, zipfile.ZipInfo] | None = None
    ) -> None:
        self.path = path
        self.members = members
        self._zip = zf
        self._infos = infos or {}
        self._by_name = {m.name: m for m in members}

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def member(self, name: str) -> Member:
        try:
            return self._by_name[name]
        except KeyError:
            raise ArchiveError(f"{self.path}: no file '{name}' in the archive", hint=_HINT_DOWNLOAD) from None

    @contextmanager
    def open_binary(self, name: str) -> Iterator[IO[bytes]]:
        member = self.member(name)
        if self._zip is not None:
            try:
                fh: IO[bytes] = self._zip.open(self._infos[member.name])
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise ArchiveError(f"{self.path}: '{name}' cannot be read: {exc}", hint=_HINT_DOWNLOAD) from exc
        else:
            fh = open(self.path / member.name, "rb")  # noqa: SIM115 (closed below)
        try:
            yield _Guarded(fh, self.path, name)
        finally:
            fh.close()

    @contextmanager
    def open_text(self, name: str) -> Iterator[IO[str]]:
        """The member as UTF-8 text (a BOM is dropped), newlines untouched (what ``csv`` wants)."""
        with self.open_binary(name) as raw:
            text = io.TextIOWrapper(io.BufferedReader(raw, CHUNK), encoding="utf-8-sig", errors="strict", newline="")  # type: ignore[arg-type]
            try:
                yield _DecodeGuard(text, self.path, name)  # type: ignore[misc]
            finally:
                text.detach()

    def verify(self, names: Iterable[str], *, text: bool = True) -> None:
        """Stream each member to its end: checksum, real size and (for text) strict UTF-8 are checked."""
        for name in names:
            member = self.member(name)
            decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict") if text else None
            seen = 0
            with self.open_binary(name) as fh:
                while chunk := fh.read(CHUNK):
                    seen += len(chunk)
                    if seen > member.size:
                        raise ArchiveError(
                            f"{self.path}: '{name}' unpacks to more than the {member.size} bytes it declares",
                            hint="this archive was not made by the platform; download your data again",
                        )
                    if decoder is not None:
                        try:
                            decoder.decode(chunk)
                        except UnicodeDecodeError as exc:
                            raise _encoding_error(self.path, name, seen - len(chunk) + exc.start) from exc
                if decoder is not None:
                    try:
                        decoder.decode(b"", final=True)
                    except UnicodeDecodeError as exc:
                        raise _encoding_error(self.path, name, seen) from exc


def _encoding_error(archive: Path, name: str, offset: int) -> ArchiveError:
    return ArchiveError(
        f"{archive}: '{name}' is not UTF-8 text (bad byte at offset {offset}); nothing was imported",
        hint="import the file exactly as the platform produced it; if you opened and saved it in a spreadsheet, "
        "save it again as 'CSV UTF-8' or download the archive again",
    )


class _Guarded(io.RawIOBase):
    """A member stream whose read errors (truncation, bad checksum) become ArchiveErrors."""

    def __init__(self, fh: IO[bytes], archive: Path, name: str) -> None:
        self._fh = fh
        self._archive = archive
        self._name = name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._fh.read(size)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError) as exc:
            raise ArchiveError(
                f"{self._archive}: '{self._name}' is damaged or truncated ({exc}); nothing was imported",
                hint=_HINT_DOWNLOAD,
            ) from exc

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class _DecodeGuard:
    """Wraps a text stream so a decoding error becomes an ArchiveError naming the file."""

    def __init__(self, text: io.TextIOWrapper, archive: Path, name: str) -> None:
        self._text = text
        self._archive = archive
        self._name = name

    def _wrap(self, fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except UnicodeDecodeError as exc:
            raise _encoding_error(self._archive, self._name, exc.start) from exc

    def read(self, size: int = -1) -> str:
        return self._wrap(self._text.read, size)

    def readline(self, size: int = -1) -> str:
        return self._wrap(self._text.readline, size)

    def __iter__(self) -> Iterator[str]:
        while line := self.readline():
            yield line


def open_archive(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, max_ratio: float = DEFAULT_MAX_RATIO
) -> Archive:
    """Open and check a ZIP file or an unpacked folder; raises ArchiveError for anything hostile or broken."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if not path.exists():
        raise ArchiveError(f"{path}: no such file or folder", hint="give the path of the downloaded ZIP or its folder")
    if path.is_dir():
        return Archive(path, _folder_members(path, max_bytes), None)
    return _open_zip(path, max_bytes, max_ratio)


def _open_zip(path: Path, max_bytes: int, max_ratio: float) -> Archive:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(
            f"{path}: not a complete ZIP file ({exc}); nothing was imported",
            hint="the download may have been cut short: " + _HINT_DOWNLOAD,
        ) from exc
    try:
        members: list[Member] = []
        infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        archive_size = path.stat().st_size
        for info in zf.infolist():
            name = _safe_name(path, info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(
                    f"{path}: entry '{info.filename}' is a symbolic link; nothing was imported",
                    hint="platform archives hold no links; do not use this file, download your data again",
                )
            if info.is_dir() or not name:
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{path}: entry '{info.filename}' is encrypted", hint="export your data without a password")
            if name in infos:
                raise ArchiveError(
                    f"{path}: entry '{name}' appears twice; nothing was imported",
                    hint="this archive was not made by the platform; download your data again",
                )
            infos[name] = info
            total += info.file_size
            members.append(Member(name, info.file_size))
        if total > max_bytes:
            raise ArchiveError(
                f"{path}: unpacks to {total:,} bytes, more than the limit of {max_bytes:,}; nothing was imported",
                hint="raise the limit (max_bytes) if this really is your archive, or check where the file came from",
            )
        if archive_size and total > max_ratio * archive_size:
            raise ArchiveError(
                f"{path}: unpacks to {total:,} bytes, {total / archive_size:.0f} times its size (a 'zip bomb'); "
                "nothing was imported",
                hint=f"real exports compress far less than {max_ratio:g} times; do not use this file",
            )
    except BaseException:
        zf.close()
        raise
    return Archive(path, members, zf, infos)


def _folder_members(root: Path, max_bytes: int) -> list[Member]:
    members: list[Member] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for entry in [*dirnames, *filenames]:
            full = Path(dirpath) / entry
            rel = full.relative_to(root).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise ArchiveError(
                    f"{root}: '{rel}' is a symbolic link; nothing was imported",
                    hint="platform archives hold no links; unpack the original ZIP again or import the ZIP itself",
                )
            if entry in dirnames:
                continue
            if not stat.S_ISREG(st.st_mode):
                raise ArchiveError(f"{root}: '{rel}' is not a regular file", hint="import the folder as unpacked")
            total += st.st_size
            if total > max_bytes:
                raise ArchiveError(
                    f"{root}: holds more than the limit of {max_bytes:,} bytes; nothing was imported",
                    hint="raise the limit (max_bytes) if this really is your archive",
                )
            members.append(Member(rel, st.st_size))
    members.sort(key=lambda m: m.name)
    return members


@dataclass(frozen=True)
class ExportRow:
    """One row of an export file, as read from the archive: what the importer stores as one raw record."""

    kind: str  # connection, share, comment, tweet, follower, ...
    file: str  # the member it came from
    row: dict[str, object]
    line: int = 0  # where it starts in the file (1-based), 0 when not line-based
    recovered: bool = False  # True when the row was not valid CSV and was read by the recovery rules
