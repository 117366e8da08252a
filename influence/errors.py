"""The product's own error types.

Every error a user can meet is an ``InfluenceError``: its message says what happened, and ``hint`` says what to
do about it. The command line prints ``message`` and ``hint`` on one line and exits non-zero; library code never
prints or exits.
"""

from __future__ import annotations


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
