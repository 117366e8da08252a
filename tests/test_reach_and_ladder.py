"""weekly_reach and ladder against numbers worked out by hand on a tiny Bluesky dataset.

Eve posts P1 on Mon 2026-01-05 and P2 on Tue 2026-01-20. Her ties register puts Alice in her team and Bob in
met_in_person; Carol and Dave are digital-only.

    like      when (UTC)          ISO week     ring
    P1 alice  2026-01-05 12:00    2026-01-05   team
    P1 carol  2026-01-06 09:00    2026-01-05   digital_only
    P1 bob    2026-01-12 08:00    2026-01-12   met_in_person
    P2 carol  2026-01-21 10:00    2026-01-19   digital_only (returning)
    P2 dave   2026-01-22 10:00    2026-01-19   digital_only (new)
    P2 alice  2026-01-25 23:59    2026-01-19   team (returning; Sunday night is still that week)

The likes of P1 are observed twice (two runs): the same like is counted once. Eve answering in her own thread is
not an engager.
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import actor, bsky, bsky_post, build, rows, write_config

EVE = "did:plc:eve"
ALICE, BOB, CAROL, DAVE = "did:plc:alice", "did:plc:bob", "did:plc:carol", "did:plc:dave"
P1 = f"at://{EVE}/app.bsky.feed.post/p1"
P2 = f"at://{EVE}/app.bsky.feed.post/p2"

CONFIG = """
[[executives]]
id = "eve"
name = "Eve Example"
ties = "ties.csv"
[executives.accounts]
bluesky = ["eve.bsky.social"]

[ladder]
window_days = 14
step2_min_team_engagers = 1
step3_min_engagers = 3
step3_min_beyond_team_share = 0.5
step4_min_engagers = 4
step4_min_digital_share = 0.5
step4_min_returning_digital = 1
"""


def like(did: str, at: str) -> dict:
    return {"actor": actor(did), "createdAt": at, "indexedAt": at}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    d = tmp_path_factory.mktemp("eve")
    (d / "ties.csv").write_text(
        "name,ring,bluesky\nAlice,team,alice.bsky.social\nBob,met_in_person,bob.bsky.social\n", encoding="utf-8"
    )
    cfg = write_config(d / "influence.toml", CONFIG)
    bsky(d, "profile", "eve", "2026-01-05T00:00:00", actor(EVE, "eve.bsky.social", "Eve"))
    feed = {"feed": [{"post": bsky_post(EVE, "p2", "2026-01-20T09:00:00.000Z", likeCount=3)},
                     {"post": bsky_post(EVE, "p1", "2026-01-05T10:00:00.000Z", likeCount=3)}]}
    bsky(d, "author_feed", "eve", "2026-01-26T00:00:00", feed, exec_did=EVE)
    p1_likes = {"uri": P1, "likes": [like(ALICE, "2026-01-05T12:00:00.000Z"), like(CAROL, "2026-01-06T09:00:00.000Z"),
                                      like(BOB, "2026-01-12T08:00:00.000Z")]}
    bsky(d, "likes", "eve", "2026-01-18T00:00:00", p1_likes, run_id="20260118T000000Z-a", uri=P1)
    bsky(d, "likes", "eve", "2026-01-26T00:00:00", p1_likes, run_id="20260126T000000Z-b", uri=P1)
    p2_likes = {"uri": P2, "likes": [like(CAROL, "2026-01-21T10:00:00.000Z"), like(DAVE, "2026-01-22T10:00:00.000Z"),
                                      like(ALICE, "2026-01-25T23:59:00.000Z")]}
    bsky(d, "likes", "eve", "2026-01-26T00:00:00", p2_likes, uri=P2)
    own_reply = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": bsky_post(EVE, "p2", "2026-01-20T09:00:00.000Z"),
                            "replies": [{"$type": "app.bsky.feed.defs#threadViewPost", "replies": [],
                                         "post": bsky_post(EVE, "p3", "2026-01-20T10:00:00.000Z", "and more")}]}}
    bsky(d, "thread", "eve", "2026-01-26T00:00:00", own_reply, uri=P2, exec_did=EVE)
    return build(d, cfg)


def test_weekly_reach_by_hand(wh):
    got = {(w, ring): (e, n, r) for w, ring, e, n, r in rows(
        wh, "select week, ring, engagers, new_engagers, returning_engagers from weekly_reach where exec_id = 'eve'")}
    weeks = [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    rings = ["team", "organisation", "met_in_person", "digital_only"]
    assert set(got) == {(w, r) for w in weeks for r in rings}, "every week from first to last, all four rings"
    expected = {
        (weeks[0], "team"): (1, 1, 0), (weeks[0], "digital_only"): (1, 1, 0),
        (weeks[1], "met_in_person"): (1, 1, 0),
        (weeks[2], "team"): (1, 0, 1), (weeks[2], "digital_only"): (2, 1, 1),
    }
    for key, value in got.items():
        assert value == expected.get(key, (0, 0, 0)), key


def test_duplicate_observations_count_once_and_own_replies_are_not_engagers(wh):
    assert rows(wh, "select count(*) from engagements where exec_id = 'eve'") == [(6,)]
    assert rows(wh, "select count(*) from engagements where account_id = ?", [EVE]) == [(0,)]
    assert rows(wh, "select count(distinct person_id) from engagements") == [(4,)]


def test_ladder_by_hand(wh):
    got = {w: (s, reason) for w, s, reason in rows(wh, "select week, step, reason from ladder where exec_id = 'eve'")}
    assert got[date(2026, 1, 5)][0] == 2  # alice (team) + carol: 2 engagers, 1 from the team
    assert got[date(2026, 1, 12)][0] == 3  # alice, carol, bob: 3 engagers, 2/3 beyond the team
    step, reason = got[date(2026, 1, 19)]  # bob, alice, carol, dave: 2 of 4 digital-only, carol returning
    assert step == 4
    assert reason == "step 4 because 50% of 4 engagers in the 14 days to 2026-01-25 are digital-only, 1 of them returning"
    assert "step 3 needs at least 3 engagers (now 2)" in got[date(2026, 1, 5)][1]


def test_unknown_counts_stay_null(wh):
    # the feed gave likeCount only: reply, repost and quote counts are unknown, not zero
    assert rows(wh, "select like_count, reply_count, repost_count, quote_count from posts where post_id = ?", [P1]) == [
        (3, None, None, None)]
