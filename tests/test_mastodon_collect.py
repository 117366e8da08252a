"""The Mastodon collector and the runner, against a fake Mastodon on loopback: requests sent, records stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_config, stored
from fakes import NOW, FakeMastodon
from loopback import Loopback, html_page, too_many

from collectors.events import parse_record
from collectors.rawstore import RawRecord, RawStore
from collectors.runner import run_collect

ADDRESS = "@ada@social.example"


def build(m: FakeMastodon, *, posts: int = 90, followers: int = 3) -> dict:
    ada = m.account("ada", followers=followers, following=1)
    fans = [m.account(f"fan{i}", domain="elsewhere.example") for i in range(100)]
    for i in range(posts):  # one a day, newest first; 30 inside a 30-day window (day 0 .. 29)
        likes = fans[: (85 if i == 3 else i % 3)]
        m.post(ada, NOW - timedelta(days=i, hours=1), likes=likes, boosts=fans[:1] if i % 2 else [],
               replies=[m.reply(fans[5], {"id": "0", "account": ada}, NOW)] if i % 10 == 0 else [])
    m.post(ada, NOW - timedelta(hours=2), reblog={"id": "99", "account": fans[7], "url": "https://elsewhere.example/99"})
    m.set_list(ada, "followers", fans[:followers])
    m.set_list(ada, "following", fans[:1])
    return {"ada": ada, "fans": fans}


def cfg(srv: Loopback, lookback: int = 30):
    return make_config(mastodon=(ADDRESS,), mastodon_url=srv.url, lookback_days=lookback)


def test_first_run_collects_timeline_engagement_and_follows(masto: FakeMastodon, mastodon_server: Loopback,
                                                            tmp_path: Path) -> None:
    srv = mastodon_server
    world = build(masto)
    summary = run_collect(cfg(srv), tmp_path)
    assert not summary.failed, summary.errors
    aid = world["ada"]["id"]

    assert srv.hits("/api/v1/accounts/lookup")[0].params == {"acct": "ada"}
    pages = srv.hits(f"/api/v1/accounts/{aid}/statuses")
    assert len(pages) == 4  # 91 statuses at 40 a page: 40, 40, 11, then the empty page that ends the list
    assert all(p.params["limit"] == "40" for p in pages)
    statuses = masto.statuses[aid]
    assert [p.params.get("max_id") for p in pages] == [None, statuses[39]["id"], statuses[79]["id"], statuses[-1]["id"]]

    # engagement: only own posts in the window, only lists with a positive count
    in_window = [s for s in statuses if s["reblog"] is None and s["created_at"] >= (NOW - timedelta(days=30)).isoformat()[:19]]
    assert len(in_window) == 30
    fav_ids = {r.path.split("/")[4] for r in srv.hits("/api/v1/statuses/") if r.path.endswith("favourited_by")}
    assert fav_ids == {s["id"] for s in in_window if s["favourites_count"] > 0}
    big = next(s for s in statuses if s["favourites_count"] == 85)
    big_pages = srv.hits(f"/api/v1/statuses/{big['id']}/favourited_by")
    assert [p.params.get("max_id") for p in big_pages] == [None, "6"] and big_pages[0].params["limit"] == "80"
    assert len(srv.hits("/api/v1/statuses/")) == len(fav_ids) + 1 + 15 + 3  # +1 second page, 15 reblogged, 3 context
    assert [r.params for r in srv.hits(f"/api/v1/accounts/{aid}/followers")] == [{"limit": "80"}]

    # what is stored: every response, with the params the parsers need
    favs = stored(tmp_path, "favourited_by")
    assert sum(len(parse_record(_rec(r)).rows["engagements"]) for r in favs) == sum(s["favourites_count"] for s in in_window)
    assert {r["params"]["instance"] for r in stored(tmp_path)} == {"social.example"}
    ctx = stored(tmp_path, "context")[0]["params"]
    assert ctx["exec_account_id"] == "ada@social.example" and ctx["post_id"]
    st = stored(tmp_path, "statuses")[0]["params"]
    assert st["exec_numeric_id"] == aid and st["page"] == 0
    assert summary.new_posts == 90 and summary.observations == 90
    assert summary.requests == len(srv.requests)
    boosts = parse_record(_rec(stored(tmp_path, "statuses")[0])).rows["outbound"]
    assert [o["kind"] for o in boosts if o["kind"] == "repost"] == ["repost"]  # the exec's own boost is outbound

    runs = RawStore(tmp_path / "raw").runs()
    assert runs[-1]["requests"] == summary.requests and runs[-1]["failed"] is False


def _rec(row: dict) -> RawRecord:
    return RawRecord(source=row["source"], kind=row["kind"], exec_id=row["exec_id"], url=row["url"],
                     payload=row["payload"], observed_at=row["observed_at"], params=row["params"], status=row["status"])


def test_second_run_stops_at_the_cursor_and_refreshes_only_changed_posts(masto: FakeMastodon,
                                                                        mastodon_server: Loopback, tmp_path: Path) -> None:
    srv = mastodon_server
    world = build(masto)
    run_collect(cfg(srv), tmp_path)
    srv.clear()
    aid = world["ada"]["id"]
    new = masto.post(world["ada"], NOW, likes=world["fans"][:2])
    old = next(s for s in masto.statuses[aid] if s["favourites_count"] == 1)
    masto.engagers[(old["id"], "favourited_by")].append(world["fans"][50])
    old["favourites_count"] = 2

    summary = run_collect(cfg(srv), tmp_path)
    assert not summary.failed, summary.errors
    pages = srv.hits(f"/api/v1/accounts/{aid}/statuses")
    assert len(pages) == 1  # the first page reaches both the stored since_id and the window's start
    engaged = {r.path for r in srv.hits("/api/v1/statuses/")}
    assert engaged == {f"/api/v1/statuses/{new['id']}/favourited_by", f"/api/v1/statuses/{old['id']}/favourited_by"}
    assert srv.hits(f"/api/v1/accounts/{aid}/followers") == []  # count unchanged, read less than a week ago
    assert summary.new_posts == 1 and summary.observations == 39  # one page of 40, less the boost
    assert RawStore(tmp_path / "raw").cursor(f"mastodon:ada:{ADDRESS[1:]}:statuses") == {"since_id": new["id"]}


def test_longer_gap_than_window_reads_back_to_the_cursor(masto: FakeMastodon, mastodon_server: Loopback,
                                                          tmp_path: Path) -> None:
    srv = mastodon_server
    world = build(masto, posts=10)
    run_collect(cfg(srv, lookback=3), tmp_path)
    srv.clear()
    for d in range(45):  # 45 new posts, most older than the 3-day window: all must still be fetched
        masto.post(world["ada"], NOW + timedelta(minutes=d))
    summary = run_collect(cfg(srv, lookback=3), tmp_path)
    assert summary.new_posts == 45
    assert len(srv.hits(f"/api/v1/accounts/{world['ada']['id']}/statuses")) == 2


def test_hidden_follower_list_is_recorded_as_hidden(masto: FakeMastodon, mastodon_server: Loopback, tmp_path: Path) -> None:
    ada = masto.account("ada", followers=12, following=0, hide_collections=True)
    masto.post(ada, NOW - timedelta(days=1))
    summary = run_collect(cfg(mastodon_server), tmp_path)
    assert not summary.failed
    rows = [row for r in stored(tmp_path, "followers") for row in parse_record(_rec(r)).rows["follows"]]
    assert rows == [{"exec_id": "ada", "platform": "mastodon", "direction": "followers", "account_id": None, "hidden": True}]


def test_unknown_account_fails_that_platform_only(masto: FakeMastodon, mastodon_server: Loopback, bsky, bluesky_server,
                                                  tmp_path: Path) -> None:
    b = bsky.actor("ada.bsky.social", register=True, followers=0, follows=0)
    bsky.post(b, NOW)
    config = make_config(mastodon=("@nobody@social.example",), mastodon_url=mastodon_server.url,
                         bluesky=("ada.bsky.social",), bluesky_url=bluesky_server.url)
    summary = run_collect(config, tmp_path)
    assert summary.failed
    [(exec_id, platform, message, hint)] = summary.errors
    assert (exec_id, platform) == ("ada", "mastodon")
    assert "not found" in message and "/api/v1/accounts/lookup?acct=nobody" in message and hint
    assert "ada/bluesky" in summary.streams and stored(tmp_path, "author_feed")


def test_login_required_instance(masto: FakeMastodon, mastodon_server: Loopback, tmp_path: Path) -> None:
    build(masto, posts=2)
    masto.login_required = True
    summary = run_collect(cfg(mastodon_server), tmp_path)
    [(_, _, message, hint)] = summary.errors
    assert "only answers logged-in users" in message and "logged-out" in hint
    assert stored(tmp_path, "account")  # what was fetched before the failure is kept


def test_429_mid_timeline_is_waited_out(masto: FakeMastodon, mastodon_server: Loopback, tmp_path: Path) -> None:
    world = build(masto, posts=50)
    mastodon_server.faults(f"/api/v1/accounts/{world['ada']['id']}/statuses", too_many(retry_after=0.3))
    summary = run_collect(cfg(mastodon_server), tmp_path)
    assert not summary.failed
    assert summary.retries == 1 and summary.waited_s >= 0.25
    assert summary.new_posts == 50


def test_interrupted_run_restarted_ends_with_the_same_data(masto: FakeMastodon, mastodon_server: Loopback,
                                                           tmp_path: Path) -> None:
    world = build(masto)
    clean = tmp_path / "clean"
    run_collect(cfg(mastodon_server), clean)
    # a run that breaks half-way through the engagement (an HTML page), then a restart
    big = next(s for s in masto.statuses[world["ada"]["id"]] if s["favourites_count"] == 85)
    mastodon_server.faults(f"/api/v1/statuses/{big['id']}/favourited_by", html_page())
    broken = tmp_path / "broken"
    first = run_collect(cfg(mastodon_server), broken)
    assert first.failed and "expected JSON" in first.errors[0][2] and f"/statuses/{big['id']}/favourited_by" in first.errors[0][2]
    second = run_collect(cfg(mastodon_server), broken)
    assert not second.failed

    def keys(d: Path) -> set[str]:
        return {e["engagement_key"] for r in stored(d) for e in parse_record(_rec(r)).rows["engagements"]}

    assert keys(broken) == keys(clean)
    assert len(keys(clean)) > 100


@pytest.mark.parametrize("count", [3])
def test_empty_engager_page_while_count_positive(masto: FakeMastodon, mastodon_server: Loopback, tmp_path: Path,
                                                 count: int) -> None:
    ada = masto.account("ada")
    st = masto.post(ada, NOW - timedelta(days=1))
    st["favourites_count"] = count  # likes from servers this one cannot list
    summary = run_collect(cfg(mastodon_server), tmp_path)
    assert not summary.failed
    assert [r.params for r in mastodon_server.hits(f"/api/v1/statuses/{st['id']}/favourited_by")] == [{"limit": "80"}]
    [rec] = stored(tmp_path, "favourited_by")
    assert rec["payload"] == "[]"


def test_runner_also_collects_blogs(mastodon_server: Loopback, tmp_path: Path) -> None:
    from fakes import SAMPLES
    from loopback import Reply

    from influence.config import Accounts, Config, Executive

    rss = (SAMPLES / "feeds" / "narro.rss").read_bytes()
    mastodon_server.route("/feed", lambda r: Reply(200, rss, {"Content-Type": "application/rss+xml"}))
    config = Config(path=Path("influence.toml"), contact="ops@example.org",
                    executives=(Executive(id="ada", name="Ada", accounts=Accounts(blogs=(f"{mastodon_server.url}/feed",))),))
    calls = []
    summary = run_collect(config, tmp_path, progress=lambda *a: calls.append(a))
    assert not summary.failed, summary.errors
    assert summary.streams == ["ada/blog"]
    assert {r["source"] for r in stored(tmp_path)} == {"blog"}
    assert mastodon_server.requests[0].headers["user-agent"].startswith("influence-tracker/0.1")
    assert calls[-1][1] == "blog" and calls[-1][4] == "done"
