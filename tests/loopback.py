"""A real HTTP server on 127.0.0.1, in a background thread, for tests and benchmarks (never the internet).

    with Loopback() as srv:
        srv.route("/api/v1/accounts/lookup", lambda req: json_reply({...}))
        srv.faults("/api/v1/accounts/1/statuses", too_many(retry_after=0.2), server_error(), html_page())
        ...
        assert [r.params["max_id"] for r in srv.hits("/api/v1/accounts/1/statuses")] == [...]

- ``route(path, handler)``: ``path`` is an exact path or a compiled regex (``re.fullmatch`` on the path);
  ``handler(req)`` returns a :class:`Reply`. Unrouted paths answer 404 ``{"error":"Not Found"}``.
- ``faults(path_prefix, *replies)``: the next requests whose path starts with ``path_prefix`` get these replies,
  one each, before the normal route answers again (``always(reply)`` in place of replies: every request, until
  ``clear_faults()``). Fault builders: :func:`too_many` (429 with ``Retry-After`` and either rate-limit header
  style), :func:`server_error`, :func:`html_page`, :func:`stall` (answers after a delay, longer than the client's
  read timeout if you want a timeout), :func:`redirect`, :func:`reset_mid_body` (headers and half the body, then
  a TCP reset), :func:`truncated_json` (a complete HTTP answer whose JSON is cut), :func:`enormous` (a huge body,
  with or without ``Content-Length``), :func:`drip` (a body sent a few bytes at a time).
  ``mutate(path_prefix, fn)``: every answer of the normal route under ``path_prefix`` passes through
  ``fn(reply, req) -> reply`` first (a renamed or missing field, a cursor that never advances).
- ``latency``: every answer waits this long (benchmarks). ``rate_limit``: a :class:`RateLimit` the server
  enforces and advertises in its headers; ``rate_limit.exceeded`` counts requests that went over it.
- ``requests`` records every request received (method, path, params, headers, time), so tests assert what the
  client sent — parameters, cursors, counts — not only what it stored.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = ""  # str/bytes as is; anything else is JSON-encoded
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_after: int | None = None  # send only this many body bytes, then reset the connection
    declare_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    drip: float = 0.0  # seconds between chunks of 16 bytes

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, str]
    query: str
    headers: dict[str, str]
    at: float


Handler = Callable[[Seen], Reply]


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, dict(headers or {}))


def too_many(retry_after: float | None = 1.0, *, style: str = "mastodon", reset_in: float | None = None) -> Reply:
    """429 with ``Retry-After`` and the rate-limit headers of ``style`` ('mastodon' ISO reset, 'bluesky' epoch)."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    reset = time.time() + (reset_in if reset_in is not None else (retry_after or 1.0))
    if style == "mastodon":
        headers.update({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")})
    elif style == "bluesky":
        headers.update({"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(reset + 0.999)),
                        "RateLimit-Policy": "3000;w=300"})
    return Reply(429, {"error": "Too many requests"}, headers)


def server_error(status: int = 500) -> Reply:
    return Reply(status, {"error": "Internal Server Error"} if status == 500 else f"<html><body>{status}</body></html>",
                 {} if status == 500 else {"Content-Type": "text/html"})


def html_page(status: int = 200) -> Reply:
    body = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    return Reply(status, body, {"Content-Type": "text/html; charset=utf-8"})


def stall(seconds: float, then: Reply | None = None) -> Reply:
    r = then or json_reply({"error": "late"}, 503)
    return Reply(r.status, r.body, r.headers, delay=seconds)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, "", {"Location": location})


def reset_mid_body(body: Any = None, fraction: float = 0.5) -> Reply:
    """A 200 whose headers promise the whole body, then half of it and a TCP reset."""
    r = Reply(200, body if body is not None else [{"id": str(i), "filler": "x" * 200} for i in range(40)])
    data, _ = r.encoded()
    r.cut_after = int(len(data) * fraction)
    return r


def truncated_json(body: Any = None, fraction: float = 0.6) -> Reply:
    """A complete HTTP answer (right Content-Length) whose JSON text stops part-way."""
    data = json.dumps(body if body is not None else [{"id": str(i), "content": "<p>hi</p>"} for i in range(10)])
    return Reply(200, data[: int(len(data) * fraction)].encode(), {"Content-Type": "application/json; charset=utf-8"})


def enormous(size: int, *, declare_length: bool = True) -> Reply:
    """A JSON body of ``size`` bytes (a list holding one huge string)."""
    body = b'["' + b"a" * max(0, size - 4) + b'"]'
    return Reply(200, body, {"Content-Type": "application/json"}, declare_length=declare_length)


def drip(body: Any, every: float) -> Reply:
    return Reply(200, body, drip=every)


class always:  # noqa: N801 -- reads as a fault builder: faults(path, always(server_error(503)))
    """A fault answered to every matching request until ``clear_faults()``."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class RateLimit:
    """A fixed-window limit the server enforces and advertises, in Mastodon or Bluesky header style."""

    def __init__(self, limit: int, window: float, *, style: str = "mastodon") -> None:
        self.limit, self.window, self.style = limit, window, style
        self._lock = threading.Lock()
        self._start = 0.0
        self._used = 0
        self.exceeded = 0  # requests the client sent over the advertised budget
        self.max_in_window = 0

    def take(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = time.time()
            if now >= self._start + self.window:
                # windows aligned to whole seconds, so an epoch-seconds reset is exact
                self._start = now - (now % self.window) if self.window >= 1 else now
                self._used = 0
            self._used += 1
            ok = self._used <= self.limit
            if not ok:
                self.exceeded += 1
            self.max_in_window = max(self.max_in_window, self._used)
            remaining = max(0, self.limit - self._used)
            reset = self._start + self.window
        if self.style == "mastodon":
            headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining),
                       "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")}
        else:
            headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(remaining),
                       "RateLimit-Reset": str(int(reset + 0.999)), "RateLimit-Policy": f"{self.limit};w={self.window:g}"}
        if not ok:
            headers["Retry-After"] = f"{max(0.0, reset - time.time()):.3f}"
        return ok, headers


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a killed collection, a client that gave up on a stall) is not news."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class Loopback:
    def __init__(self, *, latency: float = 0.0, rate_limit: RateLimit | None = None, host: str = "127.0.0.1") -> None:
        self.latency = latency
        self.rate_limit = rate_limit
        self.requests: list[Seen] = []
        self._routes: list[tuple[str | re.Pattern[str], Handler]] = []
        self._faults: list[tuple[str, list[Reply]]] = []
        self._always: list[tuple[str, Reply]] = []
        self._mutations: list[tuple[str, Callable[[Reply, Seen], Reply]]] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    # -- scripting ---------------------------------------------------------------------------------------------
    def route(self, path: str | re.Pattern[str], handler: Handler) -> None:
        self._routes.append((path, handler))

    def faults(self, path_prefix: str, *replies: Reply | always) -> None:
        with self._lock:
            for r in replies:
                if isinstance(r, always):
                    self._always.append((path_prefix, r.reply))
            queue = [r for r in replies if not isinstance(r, always)]
            if queue:
                self._faults.append((path_prefix, queue))

    def mutate(self, path_prefix: str, fn: Callable[[Reply, Seen], Reply]) -> None:
        with self._lock:
            self._mutations.append((path_prefix, fn))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._always.clear()
            self._mutations.clear()

    def hits(self, path_prefix: str = "") -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- serving -----------------------------------------------------------------------------------------------
    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            for i, (prefix, queue) in enumerate(self._faults):
                if seen.path.startswith(prefix) and queue:
                    reply = queue.pop(0)
                    if not queue:
                        self._faults.pop(i)
                    return reply
            for prefix, reply in self._always:
                if seen.path.startswith(prefix):
                    return reply
            mutations = [fn for prefix, fn in self._mutations if seen.path.startswith(prefix)]
        if self.rate_limit is not None:
            ok, headers = self.rate_limit.take()
            if not ok:
                return Reply(429, {"error": "Too many requests"}, headers)
        else:
            headers = {}
        for pattern, handler in self._routes:
            if (pattern == seen.path) if isinstance(pattern, str) else pattern.fullmatch(seen.path):
                reply = handler(seen)
                reply.headers = {**headers, **reply.headers}
                for fn in mutations:
                    reply = fn(reply, seen)
                return reply
        return Reply(404, {"error": "Not Found"}, headers)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
                parts = urlsplit(self.path)
                seen = Seen("GET", parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), parts.query,
                            {k.lower(): v for k, v in self.headers.items()}, time.time())
                try:
                    reply = outer._answer(seen)
                except Exception as exc:  # a bug in a test route: answer 500 so the test sees it
                    reply = Reply(500, {"error": f"loopback route failed: {exc!r}"})
                wait = outer.latency + reply.delay
                if wait:
                    time.sleep(wait)
                body, ctype = reply.encoded()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        if k.lower() != "content-type":
                            self.send_header(k, v)
                    self.send_header("Content-Type", ctype)
                    if reply.declare_length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    if reply.cut_after is not None:
                        self.wfile.write(body[: reply.cut_after])
                        self.wfile.flush()
                        # SO_LINGER 0: closing sends a TCP reset, as a crashed proxy would
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.close_connection = True
                    elif reply.drip:
                        for i in range(0, len(body), 16):
                            self.wfile.write(body[i : i + 16])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        return H

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
