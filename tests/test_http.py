"""The shared HTTP layer against a real loopback server: retries, rate limits, paging, errors, redirects."""

from __future__ import annotations

import time

import pytest
from loopback import Loopback, RateLimit, html_page, json_reply, redirect, server_error, stall, too_many

from collectors.http import Http, parse_links, redact
from influence.errors import LoginRequiredError, NotFoundError, RateLimitError, ShapeError, SourceError


def test_user_agent_names_product_and_contact(mastodon_server: Loopback, http: Http) -> None:
    mastodon_server.route("/x", lambda r: json_reply({"ok": True}))
    assert http.get(f"{mastodon_server.url}/x").data == {"ok": True}
    assert mastodon_server.requests[0].headers["user-agent"] == "influence-tracker/0.1 (+ops@example.org)"


def test_link_paging_across_pages_and_stops_on_empty_page(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server

    def page(req):  # 3 full pages, then an empty one without Link
        n = int(req.params.get("max_id", 100))
        items = [{"id": str(i)} for i in range(n - 1, max(n - 3, 90), -1)] if n > 94 else []
        headers = {"Link": f'<{srv.url}/list?limit=2&max_id={items[-1]["id"]}>; rel="next"'} if items else {}
        return json_reply(items, headers=headers)

    srv.route("/list", page)
    pages = list(http.link_pages(f"{srv.url}/list", {"limit": 2}))
    assert [len(p.data) for p in pages] == [2, 2, 2, 0]
    assert [r.params.get("max_id") for r in srv.requests] == [None, "98", "96", "94"]
    assert all(r.params["limit"] == "2" for r in srv.requests)


def test_link_paging_skips_the_final_empty_page_when_the_count_is_reached(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/l", lambda r: json_reply([{"id": "1"}], headers={"Link": f'<{srv.url}/l?max_id=1>; rel="next"'}))
    assert len(list(http.link_pages(f"{srv.url}/l", {"limit": 80}, expect=1))) == 1
    assert len(srv.requests) == 1


def test_cursor_paging_keeps_params_fixed(bluesky_server: Loopback, http: Http) -> None:
    srv = bluesky_server
    srv.route("/xrpc/m", lambda r: json_reply({"items": [1], **({"cursor": "c2"} if "cursor" not in r.params else {})}))
    pages = list(http.cursor_pages(f"{srv.url}/xrpc/m", {"actor": "did:plc:a", "limit": 100}, items="items"))
    assert len(pages) == 2
    assert [r.params for r in srv.requests] == [{"actor": "did:plc:a", "limit": "100"},
                                                 {"actor": "did:plc:a", "limit": "100", "cursor": "c2"}]


def test_429_with_retry_after_is_waited_then_retried(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/x", lambda r: json_reply([]))
    srv.faults("/x", too_many(retry_after=0.3))
    t0 = time.monotonic()
    http.get(f"{srv.url}/x")
    assert time.monotonic() - t0 >= 0.28
    assert len(srv.requests) == 2
    assert http.stats.retries == 1 and http.stats.requests == 2
    assert http.stats.rate_limit_wait_s == pytest.approx(0.3, abs=0.1)


def test_500_then_success(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/x", lambda r: json_reply({"ok": 1}))
    srv.faults("/x", server_error(500), server_error(502))
    assert http.get(f"{srv.url}/x").data == {"ok": 1}
    assert len(srv.requests) == 3 and http.stats.retries == 2


def test_persistent_5xx_gives_up_with_a_source_error(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/x", lambda r: server_error(503))
    with pytest.raises(SourceError, match="HTTP 503.*after 4 attempts"):
        http.get(f"{srv.url}/x")
    assert len(srv.requests) == 4


def test_stall_times_out_and_is_retried(mastodon_server: Loopback) -> None:
    srv = mastodon_server
    srv.route("/x", lambda r: json_reply({"ok": 1}))
    srv.faults("/x", stall(1.0))
    with Http(timeout=0.3, backoff=0.01) as client:
        assert client.get(f"{srv.url}/x").data == {"ok": 1}
        assert client.stats.retries == 1


def test_html_instead_of_json_is_a_shape_error_naming_the_url(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/api/v1/x", lambda r: html_page())
    with pytest.raises(ShapeError, match=r"expected JSON from http://127\.0\.0\.1:\d+/api/v1/x\?a=1, got text/html") as e:
        http.get(f"{srv.url}/api/v1/x", {"a": 1})
    assert e.value.url.endswith("/api/v1/x?a=1")


def test_login_required_and_not_found(mastodon_server: Loopback, http: Http) -> None:
    srv = mastodon_server
    srv.route("/private", lambda r: json_reply({"error": "This API requires an authenticated user"}, 401))
    with pytest.raises(LoginRequiredError, match="only answers logged-in users") as e:
        http.get(f"{srv.url}/private")
    assert e.value.hint
    with pytest.raises(NotFoundError, match="not found"):
        http.get(f"{srv.url}/missing")
    assert len(srv.requests) == 2  # neither is retried


def test_wait_beyond_max_wait_raises_rate_limit_error(mastodon_server: Loopback) -> None:
    srv = mastodon_server
    srv.route("/x", lambda r: json_reply([]))
    srv.faults("/x", too_many(retry_after=120))
    with Http(max_wait=2) as client, pytest.raises(RateLimitError, match="more than --max-wait 2 s") as e:
        client.get(f"{srv.url}/x")
    assert "max-wait" in e.value.hint
    assert len(srv.requests) == 1


@pytest.mark.parametrize("style", ["mastodon", "bluesky"])
def test_budget_never_exceeds_the_advertised_limit(style: str) -> None:
    limit = RateLimit(5, 1.0, style=style)
    with Loopback(rate_limit=limit) as srv, Http(per_host=8, max_wait=5) as client:
        srv.route("/x", lambda r: json_reply({}))
        t0 = time.monotonic()
        results = list(client.map(lambda i: client.get(f"{srv.url}/x?i={i}"), range(12)))
        elapsed = time.monotonic() - t0
    assert len(results) == 12
    assert limit.exceeded == 0  # never a request over the budget
    assert len(srv.requests) == 12
    assert elapsed >= 1.0  # 12 requests at 5 per window need at least two resets
    assert client.stats.rate_limit_wait_s > 0


def test_requests_run_concurrently(mastodon_server: Loopback, bluesky_server: Loopback) -> None:
    for srv in (mastodon_server, bluesky_server):
        srv.latency = 0.2
        srv.route("/x", lambda r: json_reply({}))
    urls = [f"{s.url}/x?i={i}" for i in range(4) for s in (mastodon_server, bluesky_server)]
    with Http() as client:
        t0 = time.monotonic()
        list(client.map(client.get, urls))
        elapsed = time.monotonic() - t0
    assert elapsed < 0.2 * len(urls) / 2  # 8 requests of 0.2 s each, far less than one after another


def test_redirect_to_other_host_refused_unless_allowed(mastodon_server: Loopback, bluesky_server: Loopback, http: Http) -> None:
    bluesky_server.route("/there", lambda r: json_reply({"moved": True}))
    mastodon_server.route("/here", lambda r: redirect(f"{bluesky_server.url}/there"))
    with pytest.raises(SourceError, match="redirects to another host") as e:
        http.get(f"{mastodon_server.url}/here", platform="mastodon")
    assert "allowed_redirect_hosts" in e.value.hint
    assert bluesky_server.requests == []
    resp = http.get(f"{mastodon_server.url}/here", allowed_redirect_hosts=[bluesky_server.host])
    assert resp.data == {"moved": True}


def test_tokens_are_redacted_and_links_parsed() -> None:
    assert "abc" not in redact("https://h/x?access_token=abc&limit=2")
    assert "limit=2" in redact("https://h/x?access_token=abc&limit=2")
    links = parse_links('<https://h/a?max_id=5>; rel="next", <https://h/a?min_id=9>; rel="prev"')
    assert links == {"next": "https://h/a?max_id=5", "prev": "https://h/a?min_id=9"}
