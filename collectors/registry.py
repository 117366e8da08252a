"""Which parser reads which raw records: ``(source, kind) -> parse(payload, ctx) -> Records``.

Collectors and importers store raw records; the pipeline's load step looks the parser up here. A raw record with no
registered parser is an error the user sees, never silently skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from collectors.records import RawContext, Records
from influence.errors import ModelError

Parser = Callable[[Any, RawContext], Records]

_PARSERS: dict[tuple[str, str], Parser] = {}
_DECODE: dict[tuple[str, str], str] = {}

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
        for kind in kinds:
            key = (source, kind)
            if key in _PARSERS and _PARSERS[key] is not fn:
                raise RuntimeError(f"two parsers registered for {key}")
            _PARSERS[key] = fn
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
