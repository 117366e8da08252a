"""Which parser reads which raw records: ``(source, kind) -> parse(payload, ctx) -> Records``.

Collectors and importers store raw records; the pipeline's load step looks the parser up here. A raw record with no
registered parser is an error the user sees, never silently skipped.

Every registered parser is guarded: whatever a hostile or changed payload makes it trip over (a missing key, a
``None`` where an object was expected, a number too large, nesting too deep) leaves it as a
:class:`~influence.errors.ShapeError` naming the platform, the kind, the URL and what was wrong. A parser raises
nothing but the product's own errors (``tests/test_hostile_parsers.py`` tries hard to make it).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from collectors.records import RawContext, Records
from influence.errors import InfluenceError, ModelError, ShapeError

Parser = Callable[[Any, RawContext], Records]

_PARSERS: dict[tuple[str, str], Parser] = {}
_DECODE: dict[tuple[str, str], str] = {}
_GUARDED: dict[Parser, Parser] = {}
_SURPRISES = (KeyError, TypeError, AttributeError, IndexError, ValueError, LookupError, ArithmeticError,
              RecursionError, UnicodeError)


def guarded(fn: Parser) -> Parser:
    """``fn``, raising only the product's errors: any other failure becomes a ShapeError that says where."""
    if fn in _GUARDED:
        return _GUARDED[fn]

    @functools.wraps(fn)
    def parse(payload: Any, ctx: RawContext) -> Records:
        try:
            return fn(payload, ctx)
        except ShapeError as exc:
            if exc.url:
                raise
            raise ShapeError(f"{ctx.source} {ctx.kind} from {ctx.url}: {exc.message}", url=ctx.url,
                             hint=exc.hint) from exc
        except InfluenceError:
            raise
        except _SURPRISES as exc:
            detail = str(exc)
            detail = detail if len(detail) <= 200 else detail[:200] + "…"
            raise ShapeError(
                f"{ctx.source} {ctx.kind}: the response from {ctx.url} does not have the expected shape "
                f"({type(exc).__name__}: {detail})",
                url=ctx.url,
                hint="the platform changed its response, or something else answered; it is kept in the raw store, "
                "report it with this URL",
            ) from exc

    _GUARDED[fn] = parse
    return parse

# Modules that register parsers when imported. Add a platform here.
PARSER_MODULES = (
    "collectors.mastodon.parse",
    "collectors.bluesky.parse",
    "collectors.blog.parse",
    "collectors.linkedin.parse",
    "collectors.x.parse",
)


def parser(source: str, *kinds: str, payload: str = "json") -> Callable[[Parser], Parser]:
    """Register a parser for raw records of ``source`` with any of ``kinds``.

    ``payload`` says how the stored text is decoded before the parser sees it: ``json`` (a parsed object) or
    ``text`` (the body as stored, e.g. a feed's XML).
    """

    def register(fn: Parser) -> Parser:
        safe = guarded(fn)
        for kind in kinds:
            key = (source, kind)
            if key in _PARSERS and _PARSERS[key] is not safe:
                raise RuntimeError(f"two parsers registered for {key}")
            _PARSERS[key] = safe
            _DECODE[key] = payload
        return fn

    return register


def load_all() -> None:
    for name in PARSER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def lookup(source: str, kind: str) -> tuple[Parser, str]:
    if (source, kind) not in _PARSERS:
        # the source's own module first (``collectors.<source>.parse``), every module only if that does not register
        # it: a day's update parsing one platform's records imported all five, 0.15-0.2 s of the 0.6 s its parse took
        # (session 28)
        own = f"collectors.{source}.parse"
        if own in PARSER_MODULES:
            importlib.import_module(own)
        if (source, kind) not in _PARSERS:
            load_all()
    try:
        return _PARSERS[(source, kind)], _DECODE[(source, kind)]
    except KeyError:
        raise ModelError(
            f"no parser for raw records of source '{source}', kind '{kind}'",
            hint="this raw store was written by a newer version of the product; upgrade it",
        ) from None


def registered() -> list[tuple[str, str]]:
    load_all()
    return sorted(_PARSERS)
