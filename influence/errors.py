"""The product's own error types.

Every error a user can meet is an ``InfluenceError``: its message says what happened, and ``hint`` says what to
do about it. The command line prints ``message`` and ``hint`` on one line and exits non-zero; library code never
prints or exits.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


class InfluenceError(Exception):
    """Base of every error the product raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(InfluenceError):
    """The configuration file is missing, unreadable or invalid."""


class StoreError(InfluenceError):
    """The raw store or the warehouse cannot be read or written."""


class SourceError(InfluenceError):
    """A platform answered with something we cannot use (wrong shape, unknown account, login required)."""

    def __init__(self, message: str, *, url: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.url = url


class ShapeError(SourceError):
    """A response or export row does not have the shape we expect: names the URL or file and the field."""


class NotFoundError(SourceError):
    """The account, post or file does not exist."""


class LoginRequiredError(SourceError):
    """The server only answers logged-in users."""


class RateLimitError(SourceError):
    """Waiting for the rate limit to reset would take longer than allowed."""


class ArchiveError(InfluenceError):
    """An imported archive is hostile, broken or of an unknown format; nothing was written."""


class ModelError(InfluenceError):
    """A pipeline model failed or one of its checks found bad rows."""


class ModelOutOfMemory(ModelError):
    """A model needed more memory than DuckDB may take (the config's ``[model] memory_limit``, or its default)."""


# How the OS words a write refused for want of space (DuckDB and pyarrow put the same words in their errors), and
# how SQLite does
_NO_SPACE = {errno.ENOSPC: os.strerror(errno.ENOSPC), errno.EDQUOT: os.strerror(errno.EDQUOT)}
_NO_SPACE_TEXTS = (*_NO_SPACE.values(), "database or disk is full")
# With less room than this left, a failed write is taken for a full disk whatever the error says: SQLite, unable to
# create its shared-memory file on a full disk, says "disk I/O error"
NEARLY_FULL = 1024 * 1024


def out_of_space(exc: BaseException | None, path: Path | None = None) -> bool:
    """Whether ``exc``, or an error it was raised from, is a write the disk had no room for: an ``OSError`` with
    ENOSPC or EDQUOT, or an error whose text says so; or, given the ``path`` written under, any error at all
    while the disk holding it has (next to) no room left."""
    seen: set[int] = set()
    first = exc
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            return True
        if any(words in str(exc) for words in _NO_SPACE_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return first is not None and path is not None and free_space(path) < NEARLY_FULL


def free_space(path: Path) -> int:
    """Bytes free on the disk holding ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def size_text(n: float) -> str:
    """A number of bytes as an error message says it: "12 kB", "340 MB", "1.4 GB"."""
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} kB"
