"""The marts of issue 6 against answers worked out by hand on a tiny Bluesky programme, built by the real pipeline.

Weeks (ISO, Monday): W1 = 2026-01-05, W2 = 2026-01-12 (nobody does anything), W3 = 2026-01-19.
Eve's ties: Alice team; Bob met_in_person with TWO accounts (bob.bsky.social and bob2.bsky.social, one line of the
register: one person "B"). Carol, Dave, Erin, Frank are digital-only. Eve declares topics "ai" and "open source".
Bios: Alice, Carol, Dave mention "climate"; both of Bob's accounts say "banking".

Eve's own output:
    P1  W1 Mon 01-05 10:00  "Notes on ai and open source #ai"  counts like 4, repost 2, reply 2, quote 1
    E1  W1 Thu 01-08        her reply to Carol's post C0                     (a reply to others)
    F1  W3 Tue 01-20 08:00  her repost of Frank's post                        (a reshare)
    P2  W3 Tue 01-20 09:00  "Meet @carol and @dave" #leadership   counts like 2, repost 0, reply 0, quote 0
    P3  W3 Wed 01-21 09:00  "A thought on AI"  like 1 (other counts not given); DELETED: seen on 01-22, gone from
                            the feed on 01-25, its thread answers notFoundPost
Her follower count: 100 (profile seen 01-05 00:00), 200 (01-19 00:00), 300 (01-25 12:00). Nearest to each post:
P1 -> 100, P2 and P3 -> 200.

Engagement (the likes and quotes of P1 are observed twice, 01-11 and 01-25: each counted once):
    P1  likes: Alice 01-05, Carol 01-06, Bob 01-06, Dave 01-07; reposts (no time: first seen 01-11, W1): Bob2, Erin
        quote Q1 by Carol 01-06; replies: R1 Dave 01-07 (depth 1), R2 Alice under R1 (depth 2)
    Q1  (Carol's quote: reshares of a reshare) repost by Frank (first seen 01-11); quote Q2 by Erin 01-08
    P2  likes: Carol 01-21, Bob2 01-21
    P3  like: Frank 01-21
Zed (a second executive, same mentor Maria) posts Z1 on W3, liked by Erin and Frank.
Eve's followers list: [Alice, Carol] on 01-11, [Alice, Carol, Erin] on 01-25.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers import bsky, bsky_post, build, rows, write_config

EVE, ZED = "did:plc:eve", "did:plc:zed"
ALICE, BOB, BOB2, CAROL, DAVE, ERIN, FRANK = (f"did:plc:{n}" for n in ("alice", "bob", "bob2", "carol", "dave", "erin", "frank"))
P1, P2, P3 = (f"at://{EVE}/app.bsky.feed.post/{k}" for k in ("p1", "p2", "p3"))
E1 = f"at://{EVE}/app.bsky.feed.post/e1"
C0 = f"at://{CAROL}/app.bsky.feed.post/c0"
F1 = f"at://{FRANK}/app.bsky.feed.post/f1"
Q1 = f"at://{CAROL}/app.bsky.feed.post/q1"
Q2 = f"at://{ERIN}/app.bsky.feed.post/q2"
R1 = f"at://{DAVE}/app.bsky.feed.post/r1"
R2 = f"at://{ALICE}/app.bsky.feed.post/r2"
Z1 = f"at://{ZED}/app.bsky.feed.post/z1"
W1, W2, W3 = date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)
BIOS = {ALICE: "Climate teacher", CAROL: "Climate researcher", DAVE: "Climate policy", BOB: "Banking", BOB2: "Banking"}

CONFIG = """
[[executives]]
id = "eve"
name = "Eve Example"
topics = ["ai", "open source"]
ties = "ties.csv"
[executives.accounts]
bluesky = ["eve.bsky.social"]

[[executives]]
id = "zed"
name = "Zed Example"
[executives.accounts]
bluesky = ["zed.bsky.social"]

[[mentors]]
id = "maria"
name = "Maria"
mentees = ["eve", "zed"]

[ladder]
window_days = 14
step2_min_team_engagers = 1
step3_min_engagers = 3
step3_min_beyond_team_share = 0.5
step4_min_engagers = 4
step4_min_digital_share = 0.5
step4_min_returning_digital = 1
"""
# the spheres of every engagement, as the hand-worked answers below take them (the default, spheres through the last
# complete week, is worked out in test_spheres_through_the_last_complete_week_by_hand)
LATEST = '\n[model]\nspheres_through = "latest"\n'


def who(did: str, followers: int | None = None) -> dict:
    handle = did.split(":")[-1] + ".bsky.social"
    a = {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []}
    if did in BIOS:
        a["description"] = BIOS[did]
    if followers is not None:
        a["followersCount"] = followers
    return a


def post(uri: str, created: str, text: str = "hello", *, tags=(), mentions=(), reply=None, quoted=None, **counts) -> dict:
    did = uri.removeprefix("at://").split("/")[0]
    view = bsky_post(did, uri.rsplit("/", 1)[1], created, text, **counts)
    view["author"] = who(did)
    rec = view["record"]
    if tags:
        rec["tags"] = list(tags)
    if mentions:
        rec["facets"] = [{"features": [{"$type": "app.bsky.richtext.facet#mention", "did": m}]} for m in mentions]
    if reply:
        rec["reply"] = {"root": {"uri": reply[0]}, "parent": {"uri": reply[1]}}
    if quoted:
        rec["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": quoted}}
    return view


def like(did: str, at: str) -> dict:
    return {"actor": who(did), "createdAt": at, "indexedAt": at}


def node(view: dict, *children: dict) -> dict:
    return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": list(children)}


P1_VIEW = post(P1, "2026-01-05T10:00:00.000Z", "Notes on ai and open source #ai", tags=["ai"],
               likeCount=4, repostCount=2, replyCount=2, quoteCount=1)
P2_VIEW = post(P2, "2026-01-20T09:00:00.000Z", "Meet @carol and @dave", tags=["leadership"], mentions=[CAROL, DAVE],
               likeCount=2, repostCount=0, replyCount=0, quoteCount=0)
P3_VIEW = post(P3, "2026-01-21T09:00:00.000Z", "A thought on AI", likeCount=1)
E1_VIEW = post(E1, "2026-01-08T10:00:00.000Z", "agreed", reply=(C0, C0), likeCount=0, repostCount=0, replyCount=0, quoteCount=0)
F1_REPOST = {"post": post(F1, "2026-01-19T20:00:00.000Z", "frank's idea"),
             "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": who(EVE), "indexedAt": "2026-01-20T08:00:00.000Z"}}
Q1_VIEW = post(Q1, "2026-01-06T12:00:00.000Z", "so true", quoted=P1)
Q2_VIEW = post(Q2, "2026-01-08T10:00:00.000Z", "and this", quoted=Q1)


@pytest.fixture(scope="module")
def programme(tmp_path_factory) -> Path:
    """The raw store and ties register of the programme above (no config, no warehouse)."""
    d = tmp_path_factory.mktemp("marts")
    (d / "ties.csv").write_text(
        "name,ring,bluesky\nAlice,team,alice.bsky.social\nBob,met_in_person,bob.bsky.social;bob2.bsky.social\n",
        encoding="utf-8")
    A, B, C = "2026-01-11T00:00:00", "2026-01-22T00:00:00", "2026-01-25T12:00:00"
    ra, rb, rc = "20260111T000000Z-a", "20260122T000000Z-b", "20260125T120000Z-c"
    me = {"exec_did": EVE}
    bsky(d, "profile", "eve", "2026-01-05T00:00:00", {**who(EVE, 100), "handle": "eve.bsky.social"}, run_id="20260105T000000Z-p", **me)
    bsky(d, "profile", "eve", "2026-01-19T00:00:00", {**who(EVE, 200), "handle": "eve.bsky.social"}, run_id="20260119T000000Z-p", **me)
    bsky(d, "profile", "eve", C, {**who(EVE, 300), "handle": "eve.bsky.social"}, run_id=rc, **me)
    # run A (Sunday of W1)
    bsky(d, "author_feed", "eve", A, {"feed": [{"post": E1_VIEW}, {"post": P1_VIEW}]}, run_id=ra, **me)
    p1_likes = {"uri": P1, "likes": [like(ALICE, "2026-01-05T12:00:00.000Z"), like(CAROL, "2026-01-06T09:00:00.000Z"),
                                      like(BOB, "2026-01-06T10:00:00.000Z"), like(DAVE, "2026-01-07T08:00:00.000Z")]}
    bsky(d, "likes", "eve", A, p1_likes, run_id=ra, uri=P1, **me)
    bsky(d, "reposted_by", "eve", A, {"uri": P1, "repostedBy": [who(BOB2), who(ERIN)]}, run_id=ra, uri=P1, **me)
    bsky(d, "quotes", "eve", A, {"uri": P1, "posts": [Q1_VIEW]}, run_id=ra, uri=P1, **me)
    r2 = node(post(R2, "2026-01-07T10:00:00.000Z", "yes", reply=(P1, R1)))
    thread = {"thread": node(P1_VIEW, node(post(R1, "2026-01-07T09:00:00.000Z", "why?", reply=(P1, P1)), r2))}
    bsky(d, "thread", "eve", A, thread, run_id=ra, uri=P1, **me)
    bsky(d, "reposted_by", "eve", A, {"uri": Q1, "repostedBy": [who(FRANK)]}, run_id=ra, uri=Q1, **me)
    bsky(d, "quotes", "eve", A, {"uri": Q1, "posts": [Q2_VIEW]}, run_id=ra, uri=Q1, **me)
    bsky(d, "followers", "eve", A, {"followers": [who(ALICE), who(CAROL)]}, run_id=ra, page=0, **me)
    # run B (W3): P3 still there
    bsky(d, "author_feed", "eve", B, {"feed": [{"post": P3_VIEW}, {"post": P2_VIEW}, F1_REPOST, {"post": E1_VIEW},
                                               {"post": P1_VIEW}]}, run_id=rb, **me)
    bsky(d, "likes", "eve", B, {"uri": P3, "likes": [like(FRANK, "2026-01-21T12:00:00.000Z")]}, run_id=rb, uri=P3, **me)
    p2_likes = {"uri": P2, "likes": [like(CAROL, "2026-01-21T10:00:00.000Z"), like(BOB2, "2026-01-21T11:00:00.000Z")]}
    bsky(d, "likes", "eve", B, p2_likes, run_id=rb, uri=P2, **me)
    # run C (Sunday of W3): P3 deleted; P1's likes and quotes seen again
    bsky(d, "author_feed", "eve", C, {"feed": [{"post": P2_VIEW}, F1_REPOST, {"post": E1_VIEW}, {"post": P1_VIEW}]},
         run_id=rc, **me)
    bsky(d, "likes", "eve", C, p1_likes, run_id=rc, uri=P1, **me)
    bsky(d, "quotes", "eve", C, {"uri": P1, "posts": [Q1_VIEW]}, run_id=rc, uri=P1, **me)
    bsky(d, "likes", "eve", C, p2_likes, run_id=rc, uri=P2, **me)
    bsky(d, "thread", "eve", C, {"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": P3, "notFound": True}},
         run_id=rc, uri=P3, **me)
    bsky(d, "followers", "eve", C, {"followers": [who(ALICE), who(CAROL), who(ERIN)]}, run_id=rc, page=0, **me)
    # Zed
    z = {"exec_did": ZED}
    bsky(d, "profile", "zed", C, {**who(ZED, 50), "handle": "zed.bsky.social"}, run_id=rc, **z)
    bsky(d, "author_feed", "zed", C, {"feed": [{"post": post(Z1, "2026-01-19T10:00:00.000Z", likeCount=2)}]}, run_id=rc, **z)
    bsky(d, "likes", "zed", C, {"uri": Z1, "likes": [like(ERIN, "2026-01-19T11:00:00.000Z"), like(FRANK, "2026-01-20T11:00:00.000Z")]},
         run_id=rc, uri=Z1, **z)
    return d


def built_copy(programme: Path, to: Path, config: str) -> duckdb.DuckDBPyConnection:
    shutil.copytree(programme, to)
    return build(to, write_config(to / "influence.toml", config))


@pytest.fixture(scope="module")
def wh(programme, tmp_path_factory):
    return built_copy(programme, tmp_path_factory.mktemp("latest") / "d", CONFIG + LATEST)


def person(wh, did: str) -> str:
    return rows(wh, "select person_id from accounts where account_id = ?", [did])[0][0]


def test_signals_weekly_by_hand(wh):
    """W1: P1 original, E1 a reply to others: originality 1/2; rates from P1's counts (replies 2, reposts 2 +
    quotes 1, likes 4) and per 1,000 of its 100 followers; one inbound quote (Q1, seen twice, counted once; Q2
    quotes Carol's quote, not Eve's post); longest reply chain R1 -> R2 = 2. No blog: pingbacks NULL; no source of
    mentions: NULL.
    W2: nothing happened: zero output, originality and rates NULL (no post), inbound quotes 0, depth NULL.
    W3: P2 and P3 (deleted, still published), the repost of F1: originality 2/3; replies 0 (P2; P3 unknown);
    amplification 0 (P3 unknown); likes (2 + 1) / 2 = 1.5, per 1k of 200 followers: (10 + 5) / 2 = 7.5; reply
    depth NULL: P3's reply count is unknown.
    """
    got = {r[0]: r[1:] for r in rows(wh, """
        select week, original_posts, replies_to_others, reshares, originality, conversation_rate, amplification_rate,
            applause_rate, conversation_rate_per_1k_followers, amplification_rate_per_1k_followers,
            applause_rate_per_1k_followers, inbound_quotes, inbound_pingbacks, inbound_mentions, max_reply_depth
        from signals_weekly where exec_id = 'eve' order by week""")}
    assert got[W1] == (1, 1, 0, 0.5, 2.0, 3.0, 4.0, 20.0, 30.0, 40.0, 1, None, None, 2)
    assert got[W2] == (0, 0, 0, None, None, None, None, None, None, None, 0, None, None, None)
    assert got[W3][:3] == (2, 0, 1)
    assert got[W3][3] == pytest.approx(2 / 3)
    assert got[W3][4:] == (0.0, 0.0, 1.5, 0.0, 0.0, 7.5, 0, None, None, None)


def test_connector_weekly_by_hand(wh):
    """Introductions: P2 mentions Carol and Dave (W3). Reciprocity, window 14 days (2 weeks): W1's 6 engagers
    (Alice, Carol, B, Dave, Erin, Frank): Eve answered Carol (E1, W1): 1/6. W2: nobody engaged: NULL. W3's
    engagers Carol, B, Frank: Eve reshared Frank in W3, Carol's answer (W1) is outside the window: 1/3.
    Spheres spanned: W1 engagers in sphere 1: Alice, Carol, B, Dave (Erin and Frank are in no sphere): 1; W3: 1."""
    got = rows(wh, "select week, introductions, reciprocity, spheres_spanned from connector_weekly "
                   "where exec_id = 'eve' order by week")
    assert got == [(W1, 0, pytest.approx(1 / 6), 1), (W2, 0, None, 0), (W3, 1, pytest.approx(1 / 3), 1)]


def test_spheres_by_hand(wh):
    """Linked people (engaged with two posts or more): Carol (P1, P2), B (P1 via Bob and Bob2, P2 via Bob2), Erin
    (P1, Q1), Frank (Q1, P3). Edges: Carol-B weight 2 (P1, P2), Carol-Erin 1, B-Erin 1 (P1), Erin-Frank 1 (Q1).
    Modularity (2m = 10; degrees 3, 3, 3, 1): {Carol, B}{Erin, Frank} = (0.4 - 0.36) + (0.2 - 0.16) = 0.08 beats
    one community (0), {Carol, B, Erin}{Frank} (-0.02) and the rest. Alice and Dave engaged with P1 only: P1's
    linked people are Carol, B (community 1) and Erin (2): they join community 1. {Erin, Frank} has 2 people,
    fewer than 3: not a sphere. Sphere 1 = Alice, Carol, B, Dave: 2 of 4 digital-only; everyone first engaged in
    the last 90 days, nobody before: growth NULL; "climate" is in 3 bios of 4 (Banking only in B's)."""
    members = rows(wh, "select sphere_id, person_id from sphere_members where exec_id = 'eve' order by person_id")
    expected = sorted((1, person(wh, d)) for d in (ALICE, CAROL, BOB, DAVE))
    assert members == sorted(expected, key=lambda r: r[1])
    assert rows(wh, "select sphere_id, label, people, digital_only_share, growth_90d from spheres where exec_id = 'eve'") == [
        (1, "climate", 4, 0.5, None)]
    assert rows(wh, "select count(*) from spheres where exec_id = 'zed'") == [(0,)]


def test_spheres_through_the_last_complete_week_by_hand(programme, tmp_path):
    """The default: the latest engagement collected was first seen on Sunday 01-25 (W3), past both executives' days
    of W3 (Eve's Monday, Zed's Tuesday), so their spheres take in the engagements of W1 and W2 only (by when they happened; the reposts with no time count from when first seen, 01-11).
    Linked people then: Erin alone (P1, Q1): no edges, one community. P1's one linked engager is Erin: Alice, Carol,
    B and Dave join her; so does Frank (Q1). Sphere 1 = all six: 4 of 6 digital-only (Carol, Dave, Erin, Frank);
    "climate" in 3 bios of 6 (lift 1; Banking in one member's only); growth to W2: nobody engaged before, NULL.
    Zed's engagers engaged in W3: no sphere yet. Connector weekly: W1's six engagers and W3's Carol, B and Frank are
    all in sphere 1: 1 and 1."""
    con = built_copy(programme, tmp_path / "d", CONFIG)
    assert rows(con, "select exec_id, through_week from int_sphere_window order by 1") == [("eve", W2), ("zed", W2)]
    members = rows(con, "select sphere_id, person_id from sphere_members where exec_id = 'eve' order by person_id")
    assert members == sorted(((1, person(con, d)) for d in (ALICE, CAROL, BOB, DAVE, ERIN, FRANK)),
                             key=lambda r: r[1])
    assert rows(con, "select sphere_id, label, people, digital_only_share, growth_90d from spheres "
                     "where exec_id = 'eve'") == [(1, "climate", 6, pytest.approx(4 / 6), None)]
    assert rows(con, "select count(*) from sphere_members where exec_id = 'zed'") == [(0,)]
    assert rows(con, "select week, spheres_spanned from connector_weekly where exec_id = 'eve' order by week") == [
        (W1, 1), (W2, 0), (W3, 1)]


def test_each_executives_spheres_take_in_a_week_on_their_own_day_by_hand(tmp_path):
    """int_sphere_window alone, for nine executives e0..e8 and the latest engagement collected on Wednesday 01-21
    (W3). Staggered (the default): the n-th executive in id order takes in the week that ended on day n mod 7 of the
    next (0 Monday): e0, e1, e2 and e7, e8 (days 0, 1, 2) have W2 by Wednesday, e3..e6 (Thursday to Sunday) W1
    still. Aligned: everyone W2 from Monday. Latest: NULL, every engagement."""
    from influence.config import load_config
    from pipeline.runner import MODELS_DIR
    from pipeline.seeds import write_seeds

    config = load_config(write_config(tmp_path / "influence.toml", "".join(
        f'[[executives]]\nid = "e{i}"\nname = "E{i}"\n' for i in range(9))))
    con = duckdb.connect()
    write_seeds(con, config)
    con.execute("create table int_engagements as select timestamptz '2026-01-21 10:00:00+00' as first_seen "
                "union all select timestamptz '2026-01-02 10:00:00+00'")
    sql = (MODELS_DIR / "intermediate" / "int_sphere_window.sql").read_text(encoding="utf-8")
    expected = {"last_complete_week_staggered": [W2, W2, W2, W1, W1, W1, W1, W2, W2],
                "last_complete_week": [W2] * 9, "latest": [None] * 9}
    for through, weeks in expected.items():
        con.execute("update cfg_spheres set through = ?", [through])
        assert rows(con, f"select exec_id, through_week from ({sql}) order by exec_id") == [
            (f"e{i}", week) for i, week in enumerate(weeks)], through


def test_topics_by_hand(wh):
    """ai: P1 (#ai) and P3 ("AI" in the text, deleted later): engagers of P1 Alice, Carol, B, Dave, Erin and of P3
    Frank = 6, digital-only Carol, Dave, Erin, Frank = 4. open source: P1 only ("open source" in the text): 5 and 3.
    leadership (not declared): P2: Carol and B, 1 digital-only."""
    assert rows(wh, "select topic_key, topic, declared, posts, engagers, digital_only_engagers from topics "
                    "where exec_id = 'eve' order by topic_key") == [
        ("ai", "ai", True, 2, 6, 4), ("leadership", "leadership", False, 1, 2, 1),
        ("opensource", "open source", True, 1, 5, 3)]


def test_a_person_with_two_accounts_is_counted_once(wh):
    """Bob and Bob2 are one person (one line of Eve's ties register): one engager of P1 and P2, not two."""
    assert person(wh, BOB) == person(wh, BOB2)
    assert rows(wh, "select engagers from topics where exec_id = 'eve' and topic_key = 'ai'") == [(6,)]
    assert rows(wh, "select count(*) from sphere_members where exec_id = 'eve' and person_id = ?", [person(wh, BOB)]) == [(1,)]
    assert rows(wh, "select value from cohort_percentiles where exec_id = 'eve' and metric = 'engagers_90d'") == [(6.0,)]


def test_influences_by_hand(wh):
    """Eve answered Carol (E1) and reshared Frank (F1). No source lists her likes: liked NULL."""
    got = rows(wh, "select person_id, reshared, quoted, replied_to, liked, sphere_id from influences "
                   "where exec_id = 'eve' order by reshared")
    assert got == [(person(wh, CAROL), 0, 0, 1, None, 1), (person(wh, FRANK), 1, 0, 0, None, None)]


def test_chains_by_hand(wh):
    """P1's tree: P1; depth 1: Bob2's and Erin's reposts, Q1 (Carol), R1 (Dave); depth 2: R2 (Alice) under R1,
    Frank's repost of Q1 and Erin's quote Q2 of Q1 (reshares of a reshare). 8 nodes, depth 2, breadth 4, people 6
    (Erin counted once). Wiener index: 5 leaves x 1 x 7 = 35, R1 2 x 6 = 12, Q1 3 x 5 = 15: 62 over 28 pairs.
    P2 and P3 had likes only: no chain."""
    got = rows(wh, "select root_post_id, depth, breadth, people, nodes, wiener_index, structural_virality from chains "
                   "where exec_id = 'eve'")
    assert got == [(P1, 2, 4, 6, 8, 62, pytest.approx(62 / 28))]


def test_followers_weekly_by_hand(wh):
    """Alice (team) and Carol seen from W1 to W3; Erin from W3. W2 keeps both (between two lists)."""
    got = {(w, ring): (n, h) for w, ring, n, h in rows(
        wh, "select week, ring, followers, hidden from followers_weekly where exec_id = 'eve'")}
    assert got[(W1, "team")] == (1, False) and got[(W1, "digital_only")] == (1, False)
    assert got[(W2, "team")] == (1, False) and got[(W2, "digital_only")] == (1, False)
    assert got[(W3, "digital_only")] == (2, False) and got[(W3, "organisation")] == (0, False)
    assert len(got) == 12


def test_cohort_percentiles_by_hand(wh):
    """As of W3, 90 days. Eve: 6 engagers, 4 digital-only (share 2/3), 2 returning (Carol and Frank: W1 and W3),
    3 original posts, step 3 (window W2-W3: Carol, B, Frank, none from the team). Zed: 2, 2 (share 1), 0, 1 post,
    step 1. Percentile: share of the two with a value at or below."""
    got = {(e, m): (v, p) for e, m, v, p in rows(
        wh, "select exec_id, metric, value, percentile from cohort_percentiles where mentor_id = 'maria'")}
    assert got[("eve", "engagers_90d")] == (6, 100) and got[("zed", "engagers_90d")] == (2, 50)
    assert got[("eve", "digital_only_90d")] == (4, 100)
    assert got[("eve", "digital_share_90d")] == (pytest.approx(2 / 3), 50) and got[("zed", "digital_share_90d")] == (1, 100)
    assert got[("eve", "returning_digital_90d")] == (2, 100) and got[("zed", "returning_digital_90d")] == (0, 50)
    assert got[("eve", "original_posts_90d")] == (3, 100)
    assert got[("eve", "ladder_step")] == (3, 100) and got[("zed", "ladder_step")] == (1, 50)


def test_deleted_post_and_duplicate_observations(wh):
    """P3 vanished from the feed and its thread: it stays a post and Frank's like stays. P1's likes seen twice: 4."""
    assert rows(wh, "select count(*) from posts where post_id = ?", [P3]) == [(1,)]
    assert rows(wh, "select count(*) from engagements where post_id = ? and kind = 'like'", [P1]) == [(4,)]
    assert rows(wh, "select count(*) from engagements where post_id = ? and kind = 'like'", [P3]) == [(1,)]
