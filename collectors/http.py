"""The one HTTP layer every collector uses: timeouts, retries, rate limits, redirects, paging, fan-out.

Collectors never sleep, retry or loop over pages themselves: they call :meth:`Http.get`, iterate
:meth:`Http.link_pages` (Mastodon's ``Link: <…>; rel="next"``) or :meth:`Http.cursor_pages` (Bluesky's JSON
``cursor``), and fan independent requests out with :meth:`Http.map`.

What it does for every request:

- **User-Agent** ``influence-tracker/0.1 (+<contact>)`` naming the product and the operator's contact.
- **Timeouts** (connect/read/write), so a stalled server is a retry, never a hang.
- **Retries with backoff** on connection errors, timeouts, 429 and 5xx, honouring ``Retry-After``
  (seconds or an HTTP date). The only retry loop of the project is :meth:`Http._send`.
- **Rate-limit budget per host**, from either header style: Mastodon ``X-RateLimit-Remaining`` /
  ``X-RateLimit-Reset`` (an ISO-8601 time), Bluesky ``RateLimit-Remaining`` / ``RateLimit-Reset`` (epoch seconds)
  and ``RateLimit-Policy: 3000;w=300``. A request is only sent while the last advertised ``remaining`` minus the
  requests still in flight is positive; otherwise it waits for the reset. A wait longer than ``max_wait`` raises
  :class:`RateLimitError` instead of sleeping. Until a host has answered once, one request at a time goes to it,
  and after a window resets the first request probes again, so a run never exceeds what the server advertises.
- **Redirects** are followed only within the same host, or to hosts listed in the platform's
  ``allowed_redirect_hosts``; a ``Link: rel="next"`` to another host is refused the same way. With
  ``allowed_hosts`` (the runner passes the hosts of the config), no request ever goes to any other host.
- **Size and time caps**: a body larger than ``max_body_bytes`` (after decompression) is not read: an error names
  it, and it is not retried. A body still arriving after ``request_deadline`` seconds (a server dripping bytes
  just fast enough to beat the read timeout) is a timeout like any other.
- **Endless paging** stops with a :class:`ShapeError`: a cursor or ``next`` link already read, a page identical
  to the one before, or more than ``MAX_PAGES`` pages.
- **Errors** become the product's own: 404 → :class:`NotFoundError`; 401 (e.g. Mastodon's
  ``{"error":"This API requires an authenticated user"}``) → :class:`LoginRequiredError`; anything that is not
  JSON where JSON is expected (a proxy's HTML page) → :class:`ShapeError` naming the URL.
- **Counters** for the run summary: requests, retries, seconds waited for rate limits, seconds of backoff.
- Nothing is printed; the debug log shows URLs with any token-like query parameter redacted and never headers.

Concurrency model: **threads**. Collectors are plain generator functions (readable, easy to test) and the work is
I/O-bound; httpx's sync ``Client`` is thread-safe and pools connections per host. Requests to different hosts run
concurrently because the runner collects each executive × platform in its own thread; within one host,
:meth:`Http.map` runs up to ``per_host`` requests at a time, all of them still under that host's budget. asyncio
would have forced ``async`` through every collector, the runner and the other engineers' collectors for no gain
at this scale (a few hosts, a few thousand requests).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from influence import __version__
from influence.errors import (
    LoginRequiredError,
    NotFoundError,
    RateLimitError,
    ShapeError,
    SourceError,
    size_text,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PRODUCT = f"influence-tracker/{'.'.join(__version__.split('.')[:2])}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 64 * 1024 * 1024  # no API page of ours comes near; a bigger body is a fault, not data
MAX_PAGES = 20_000  # no list we read is longer (Mastodon 40 a page, Bluesky 100): more is a server that loops
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SECRET_PARAMS = re.compile(r"(token|secret|password|key|auth|session|sig)", re.I)
_LINK = re.compile(r'<([^>]*)>\s*;\s*([^,]*)')


def user_agent(contact: str) -> str:
    return f"{PRODUCT} (+{contact})" if contact else PRODUCT


def redact(url: str) -> str:
    """``url`` without a user name or password and with the values of token-like query parameters replaced: for
    the raw store, logs and error messages."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc="REDACTED@" + parts.netloc.rsplit("@", 1)[1])
    if not parts.query:
        return urlunsplit(parts)
    query = [(k, "REDACTED" if _SECRET_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def host_of(url: str) -> str:
    """``host`` or ``host:port`` of ``url``, lower case, never the user name or password before an ``@``."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1].lower()


def parse_links(header: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", <url>; rel="prev"`` as ``{"next": url, "prev": url}``."""
    out: dict[str, str] = {}
    for url, attrs in _LINK.findall(header or ""):
        m = re.search(r'rel="?([^";]+)"?', attrs)
        if m:
            for rel in m.group(1).split():
                out.setdefault(rel, url)
    return out


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def _reset_in(headers: httpx.Headers) -> float | None:
    """Seconds until the rate-limit window resets, from either header style (None when not advertised)."""
    value = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset")
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:  # Mastodon: ISO-8601 time
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - time.time())
    # Bluesky: epoch seconds. Some servers send "seconds from now" (the IETF draft); tell them apart by size.
    return max(0.0, number - time.time()) if number > 1e9 else max(0.0, number)


def _int_header(headers: httpx.Headers, *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value.split(";")[0].split(",")[0]))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class Response:
    """A successful answer: the body exactly as received (``text``) and, when JSON was expected, ``data``."""

    url: str
    status: int
    text: str
    headers: httpx.Headers
    data: Any = None
    content: bytes = b""  # the raw bytes, for callers that decode themselves (feeds in odd encodings)

    @property
    def links(self) -> dict[str, str]:
        return parse_links(self.headers.get("link"))


@dataclass
class HttpStats:
    requests: int = 0  # requests sent, retries included
    retries: int = 0
    rate_limit_wait_s: float = 0.0  # wall time a host was held back by its rate limit
    backoff_s: float = 0.0  # time spent backing off after errors
    per_host: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limit_wait_s": round(self.rate_limit_wait_s, 3),
            "backoff_s": round(self.backoff_s, 3),
            "per_host": dict(self.per_host),
        }


class _Host:
    """The budget of one host: what it last advertised, what is in flight, and until when it asked us to wait."""

    def __init__(self, name: str, per_host: int) -> None:
        self.name = name
        self.per_host = per_host
        self.cond = threading.Condition()
        self.answered = False  # has this host answered once (so we know whether it advertises a limit)?
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None  # monotonic time
        self.blocked_until = 0.0  # monotonic: a 429 asked us to wait
        self.inflight = 0
        self.accounted_until = 0.0  # wait already counted in stats, so concurrent waiters count once

    def capacity(self) -> int:
        if not self.answered or (self.limit is not None and self.remaining is None):
            return 1  # probe: learn the budget before sending several at once
        return self.per_host


class Http:
    """Shared HTTP client. Thread-safe; one instance per run, shared by every collector."""

    def __init__(
        self,
        *,
        contact: str = "",
        max_wait: float = 300.0,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        per_host: int = 8,
        transport: httpx.BaseTransport | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        request_deadline: float | None = None,
        allowed_hosts: Iterable[str] | None = None,
    ) -> None:
        self.max_wait = max_wait
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.request_deadline = request_deadline if request_deadline is not None else max(4 * timeout, 60.0)
        # None: any host; else host names (with or without :port) that may be contacted at all
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.per_host = per_host
        self.stats = HttpStats()
        self._stats_lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": user_agent(contact), "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            transport=transport,
        )

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------------------------
    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        expect_json: bool = True,
        allowed_redirect_hosts: Iterable[str] = (),
        platform: str = "",
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET ``url`` (with ``params``), following same-host redirects; raises the product's errors.

        ``headers``: extra request headers (e.g. ``If-None-Match`` for a conditional GET; a 304 is returned as is).
        """
        if params:
            parts = urlsplit(url)
            query = parse_qsl(parts.query, keep_blank_values=True) + [
                (k, str(v)) for k, v in params.items() if v is not None
            ]
            url = urlunsplit(parts._replace(query=urlencode(query)))
        allowed = {h.lower() for h in allowed_redirect_hosts}
        origin = host_of(url)
        label = platform or origin
        self._check_host(url, label)
        for _hop in range(6):
            resp = self._send(url, label, headers)
            if resp.status_code not in REDIRECT_STATUSES:
                return self._result(url, resp, expect_json, label)
            location = resp.headers.get("location")
            if not location:
                raise SourceError(f"{label}: redirect without a Location from {redact(url)}", url=redact(url))
            target = urljoin(url, location)
            target_host = host_of(target)
            if target_host != origin and target_host not in allowed and target_host.split(":")[0] not in allowed:
                raise SourceError(
                    f"{label}: {redact(url)} redirects to another host, {target_host}; not followed",
                    url=redact(url),
                    hint=f"if {target_host} is legitimate, add it to [platforms.{platform or '<platform>'}] "
                    "allowed_redirect_hosts in influence.toml",
                )
            self._check_host(target, label)
            url = target
        raise SourceError(f"{label}: too many redirects from {redact(url)}", url=redact(url))

    def _check_host(self, url: str, label: str) -> None:
        """Refuse a URL whose host is not one the config names (when the client was given that list)."""
        if self.allowed_hosts is None:
            return
        host = host_of(url)
        if host in self.allowed_hosts or host.split(":")[0] in self.allowed_hosts:
            return
        raise SourceError(
            f"{label}: {host} is not a host named in the configuration; not contacted ({redact(url)})",
            url=redact(url),
            hint=f"if {host} is legitimate, add it to [platforms.<platform>] allowed_redirect_hosts in influence.toml",
        )

    def _result(self, url: str, resp: httpx.Response, expect_json: bool, label: str) -> Response:
        status = resp.status_code
        text = resp.text
        shown = redact(url)
        if status >= 400:
            detail = _error_detail(text)
            if status == 404:
                raise NotFoundError(
                    f"{label}: not found ({detail or 404}) at {shown}",
                    url=shown,
                    hint="check the account name in influence.toml; it may have moved or been deleted",
                )
            if status == 401 or "authenticated user" in detail.lower():
                raise LoginRequiredError(
                    f"{label}: {host_of(url)} only answers logged-in users ({detail or 401}) at {shown}",
                    url=shown,
                    hint="this server does not publish its data to logged-out readers; it cannot be collected",
                )
            if status == 400 and re.search(r"not ?found|unable to resolve|could not find", detail, re.I):
                raise NotFoundError(
                    f"{label}: not found ({detail}) at {shown}",
                    url=shown,
                    hint="check the handle or DID in influence.toml",
                )
            if status == 429:
                raise RateLimitError(
                    f"{label}: still rate limited by {host_of(url)} after {self.attempts} attempts ({shown})",
                    url=shown,
                    hint="run again later, or raise --max-wait",
                )
            raise SourceError(
                f"{label}: HTTP {status} ({detail or resp.reason_phrase}) from {shown}"
                + (f" after {self.attempts} attempts" if status in RETRY_STATUSES else ""),
                url=shown,
                hint="the server is failing; try again later" if status >= 500 else "report it with this URL",
            )
        data = None
        if expect_json:
            try:
                data = json.loads(text)
            except (ValueError, RecursionError) as exc:
                kind = resp.headers.get("content-type", "unknown type").split(";")[0]
                start = " ".join(text[:80].split())
                if "json" in kind.lower() or text.lstrip()[:1] in ("{", "["):
                    why = f"invalid JSON ({exc}; {len(resp.content)} bytes: truncated?)" \
                        if isinstance(exc, ValueError) else "JSON nested too deeply to read"
                    raise ShapeError(
                        f"{label}: {why} from {shown}",
                        url=shown,
                        hint="the server sent a broken answer; try again later, report it if it persists",
                    ) from None
                raise ShapeError(
                    f"{label}: expected JSON from {shown}, got {kind} ({start!r}…)",
                    url=shown,
                    hint="a proxy or an error page answered instead of the API; check base_url, try again later",
                ) from None
        return Response(url=str(resp.request.url) if resp.request else url, status=status, text=text,
                        headers=resp.headers, data=data, content=resp.content)

    def _send(self, url: str, label: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """The one retry loop: budget, send, learn the budget, back off on 429 / 5xx / connection errors."""
        host = self._host(host_of(url))
        shown = redact(url)
        for attempt in range(1, self.attempts + 1):
            self._acquire(host, label)
            resp: httpx.Response | None = None
            error: Exception | None = None
            try:
                with self._stats_lock:
                    self.stats.requests += 1
                    self.stats.per_host[host.name] = self.stats.per_host.get(host.name, 0) + 1
                log.debug("GET %s (attempt %d)", shown, attempt)
                resp = self._fetch(url, headers, label, shown)
            except httpx.HTTPError as exc:  # connection refused/reset, timeouts, protocol errors
                error = exc
            finally:
                self._release(host, resp)
            if resp is not None and resp.status_code not in RETRY_STATUSES:
                return resp
            if attempt == self.attempts:
                if resp is not None:
                    return resp
                raise SourceError(
                    f"{label}: {_describe(error, host.name, self.timeout)} ({type(error).__name__}) at {shown}, "
                    f"{self.attempts} attempts",
                    url=shown,
                    hint="check the network and the instance address; try again later",
                ) from error
            with self._stats_lock:
                self.stats.retries += 1
            if resp is not None and resp.status_code == 429:
                self._rate_limited(host, resp, label, shown)
                continue
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            delay = min(delay, self.max_wait)  # our own backoff never waits longer than allowed
            asked = _retry_after(resp.headers.get("retry-after")) if resp is not None else None
            if asked is not None:
                delay = asked
            if delay > self.max_wait:
                raise RateLimitError(
                    f"{label}: {host.name} asks to wait {delay:.0f} s, more than --max-wait {self.max_wait:.0f} s",
                    url=shown,
                    hint="run again later, or raise --max-wait",
                )
            log.debug("retrying %s in %.2f s (%s)", shown, delay, resp.status_code if resp is not None else error)
            with self._stats_lock:
                self.stats.backoff_s += delay
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, url: str, headers: dict[str, str] | None, label: str, shown: str) -> httpx.Response:
        """One GET, reading at most ``max_body_bytes`` and for at most ``request_deadline`` seconds."""
        started = time.monotonic()
        request = self._client.build_request("GET", url, headers=headers)
        resp = self._client.send(request, stream=True)
        try:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                raise _TooLarge(int(declared))
            body = bytearray()
            for chunk in resp.iter_bytes():  # decompressed: a gzip bomb is capped too
                body += chunk
                if len(body) > self.max_body_bytes:
                    raise _TooLarge(None)
                if time.monotonic() - started > self.request_deadline:
                    raise httpx.ReadTimeout(f"body still arriving after {self.request_deadline:.0f} s", request=request)
        except _TooLarge as big:
            raise SourceError(
                f"{label}: the response from {shown} is larger than {size_text(self.max_body_bytes)}"
                + (f" ({size_text(big.declared)} declared)" if big.declared else "") + "; not read",
                url=shown,
                hint="this is not an API page of the expected size; check base_url, report it if it persists",
            ) from None
        finally:
            resp.close()
        drop = {"content-encoding", "content-length", "transfer-encoding"}
        return httpx.Response(resp.status_code, headers=[(k, v) for k, v in resp.headers.multi_items() if k.lower() not in drop],
                              content=bytes(body), request=request)

    # -- per-host budget ---------------------------------------------------------------------------------------
    def _host(self, name: str) -> _Host:
        with self._hosts_lock:
            host = self._hosts.get(name)
            if host is None:
                host = self._hosts[name] = _Host(name, self.per_host)
            return host

    def _acquire(self, host: _Host, label: str) -> None:
        with host.cond:
            while True:
                now = time.monotonic()
                if host.reset_at is not None and now >= host.reset_at:
                    host.remaining = None  # a new window: probe it before trusting a full budget
                    host.reset_at = None
                until = 0.0
                if now < host.blocked_until:
                    until = host.blocked_until
                elif host.remaining is not None and host.remaining - host.inflight <= 0:
                    if host.inflight > 0:  # an answer in flight will tell us more
                        host.cond.wait()
                        continue
                    until = host.reset_at if host.reset_at is not None else now + 1.0
                elif host.inflight >= host.capacity():
                    host.cond.wait()
                    continue
                else:
                    host.inflight += 1
                    return
                delay = until - now
                if delay > self.max_wait:
                    raise RateLimitError(
                        f"{label}: the rate limit of {host.name} resets in {delay:.0f} s, "
                        f"more than --max-wait {self.max_wait:.0f} s",
                        hint="run again later (what was collected so far is kept), or raise --max-wait",
                    )
                counted_from = max(now, host.accounted_until)
                if until > counted_from:
                    with self._stats_lock:
                        self.stats.rate_limit_wait_s += until - counted_from
                    host.accounted_until = until
                host.cond.wait(timeout=delay)

    def _release(self, host: _Host, resp: httpx.Response | None) -> None:
        with host.cond:
            host.inflight -= 1
            if resp is not None:
                host.answered = True
                self._learn(host, resp.headers)
            host.cond.notify_all()

    @staticmethod
    def _learn(host: _Host, headers: httpx.Headers) -> None:
        remaining = _int_header(headers, "x-ratelimit-remaining", "ratelimit-remaining")
        if remaining is None:
            return
        host.limit = _int_header(headers, "x-ratelimit-limit", "ratelimit-limit", "ratelimit-policy")
        reset_in = _reset_in(headers)
        if reset_in is None:
            m = re.search(r"w=(\d+)", headers.get("ratelimit-policy", ""))
            reset_in = float(m.group(1)) if m else 60.0
        reset_at = time.monotonic() + reset_in
        if host.remaining is None or host.reset_at is None or reset_at > host.reset_at + 0.5:
            host.remaining, host.reset_at = remaining, reset_at  # first answer of a new window
        else:  # answers arrive out of order: the lowest count in a window is the truest
            host.remaining = min(host.remaining, remaining)

    def _rate_limited(self, host: _Host, resp: httpx.Response, label: str, shown: str) -> None:
        delay = _retry_after(resp.headers.get("retry-after"))
        if delay is None:
            delay = _reset_in(resp.headers)
        if delay is None:
            delay = 60.0
        if delay > self.max_wait:
            raise RateLimitError(
                f"{label}: {host.name} rate limit: asked to wait {delay:.0f} s, more than --max-wait {self.max_wait:.0f} s",
                url=shown,
                hint="run again later (what was collected so far is kept), or raise --max-wait",
            )
        with host.cond:
            host.blocked_until = max(host.blocked_until, time.monotonic() + delay)
            host.remaining = host.reset_at = None  # after the wait, probe the budget again
            host.cond.notify_all()

    # -- paging ------------------------------------------------------------------------------------------------
    def link_pages(self, url: str, params: dict[str, Any] | None = None, *, expect: int | None = None,
                   **kw: Any) -> Iterator[Response]:
        """Pages of a Mastodon list, following ``Link: <…>; rel="next"`` until there is none or a page is empty.

        ``expect``: the number of items the list should hold (e.g. ``favourites_count``); once that many were
        read and a page came back short, the empty page that would end the list is not requested.
        Stop iterating to stop fetching: the next page is requested only when asked for.
        """
        limit = int((params or {}).get("limit") or 0)
        label = kw.get("platform", "") or host_of(url)
        resp = self.get(url, params, **kw)
        origins = {host_of(url), host_of(resp.url)}  # the list's own host, and where a redirect took it
        allowed = {h.lower() for h in kw.get("allowed_redirect_hosts", ())}
        seen = {resp.url}
        count = 0
        previous = None
        for _page in range(MAX_PAGES):
            if not isinstance(resp.data, list):
                raise ShapeError(f"{label}: expected a list from {redact(resp.url)}, got {_kind(resp.data)}",
                                 url=redact(resp.url), hint="the platform changed its response; report it with this URL")
            if resp.data and resp.text == previous:
                raise ShapeError(f"{label}: {redact(resp.url)} answered the same page as the one before it (endless "
                                 "paging); stopped", url=redact(resp.url), hint="the server is misbehaving; try again later")
            yield resp
            nxt = resp.links.get("next")
            count += len(resp.data)
            if not nxt or not resp.data or _complete(count, expect, len(resp.data), limit):
                return
            nxt = urljoin(resp.url, nxt)
            if nxt in seen:
                raise ShapeError(f"{label}: the Link header of {redact(resp.url)} points back to a page already read "
                                 "(endless paging); stopped", url=redact(resp.url),
                                 hint="the server is misbehaving; try again later")
            nxt_host = host_of(nxt)
            if nxt_host not in origins and nxt_host not in allowed and nxt_host.split(":")[0] not in allowed:
                raise SourceError(f"{label}: the Link header of {redact(resp.url)} points to another host, {nxt_host}; "
                                  "not followed", url=redact(resp.url),
                                  hint=f"if {nxt_host} is legitimate, add it to allowed_redirect_hosts in influence.toml")
            seen.add(nxt)
            previous = resp.text
            resp = self.get(nxt, **kw)
        raise ShapeError(f"{label}: more than {MAX_PAGES} pages from {redact(url)}; stopped", url=redact(url),
                         hint="the server is misbehaving; try again later")

    def cursor_pages(
        self, url: str, params: dict[str, Any], *, items: str, cursor_param: str = "cursor",
        expect: int | None = None, **kw: Any
    ) -> Iterator[Response]:
        """Pages of an XRPC list: the same ``params`` each time plus the ``cursor`` of the previous answer.

        Stops when an answer has no cursor or no items, or (``expect``, as in :meth:`link_pages`) when the
        expected number of items was read and the last page was short. Stop iterating to stop fetching.
        """
        limit = int(params.get("limit") or 0)
        label = kw.get("platform", "") or host_of(url)
        cursor: str | None = None
        seen: set[str] = set()
        count = 0
        previous = None
        for _page in range(MAX_PAGES):
            resp = self.get(url, {**params, cursor_param: cursor}, **kw)
            shown = redact(resp.url)
            data = resp.data
            if not isinstance(data, dict):
                raise ShapeError(f"{label}: expected an object from {shown}, got {_kind(data)}", url=shown,
                                 hint="the platform changed its response; report it with this URL")
            page = data.get(items)
            if not isinstance(page, list):
                raise ShapeError(f"{label}: field '{items}' is {'missing' if items not in data else 'not a list'} in the "
                                 f"response from {shown}", url=shown,
                                 hint="the platform changed its response; report it with this URL")
            if page and resp.text == previous:
                raise ShapeError(f"{label}: {shown} answered the same page as the one before it (endless paging); "
                                 "stopped", url=shown, hint="the server is misbehaving; try again later")
            yield resp
            cursor = data.get("cursor")
            count += len(page)
            if not cursor or not page or _complete(count, expect, len(page), limit):
                return
            if not isinstance(cursor, str) or cursor in seen:
                raise ShapeError(f"{label}: the cursor of {shown} repeats one already read (endless paging); stopped",
                                 url=shown, hint="the server is misbehaving; try again later")
            seen.add(cursor)
            previous = resp.text
        raise ShapeError(f"{label}: more than {MAX_PAGES} pages from {redact(url)}; stopped", url=redact(url),
                         hint="the server is misbehaving; try again later")

    # -- fan-out -----------------------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> Iterator[tuple[T, R]]:
        """``(item, fn(item))`` for every item, as they complete, running up to ``workers`` at a time.

        Each ``fn`` makes its requests through this client, so every host's budget still holds. The first
        exception stops the fan-out (tasks not yet started are cancelled) and is raised here. Only a bounded
        window of tasks is pending at once, so memory does not grow with the number of items.
        """
        workers = workers or self.per_host
        it = iter(items)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="http-map") as pool:
            pending: dict[Future[R], T] = {}
            try:
                while True:
                    while len(pending) < workers * 2:
                        try:
                            item = next(it)
                        except StopIteration:
                            break
                        pending[pool.submit(fn, item)] = item
                    if not pending:
                        return
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        item = pending.pop(fut)
                        yield item, fut.result()
            finally:
                for fut in pending:
                    fut.cancel()


class _TooLarge(Exception):
    def __init__(self, declared: int | None) -> None:
        self.declared = declared


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(type(value), type(value).__name__)


def _describe(error: Exception | None, host: str, timeout: float) -> str:
    """A connection failure in words that name the fault."""
    if isinstance(error, httpx.TimeoutException):
        if isinstance(error, httpx.ConnectTimeout):
            return f"cannot connect to {host}: timed out"
        return f"{host} did not answer in time (read timeout {timeout:g} s)"
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return f"the connection to {host} was cut in the middle of the response ({error})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect to {host} ({error})"
    return f"cannot reach {host} ({error})"


def _complete(count: int, expect: int | None, page_len: int, limit: int) -> bool:
    """All expected items read and the page was short: the list is over (a full page may hide one more)."""
    return expect is not None and count >= expect and (not limit or page_len < limit)


def _error_detail(text: str) -> str:
    """The error message inside a JSON error body (Mastodon ``error``, XRPC ``error`` + ``message``), else ''."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("error", "message") if body.get(k)]
    return ": ".join(parts)
