"""The load step's fast path (``pipeline/fastparse.py``) against the Python parsers it stands in for.

Every test builds raw segments, parses them with the load step (fast path plus Python for the rest) and with the
Python parsers alone (``parse_segment``, the reference), and requires the same observation rows, column for column,
and the same load errors. A segment's rows are compared in raw-row order (the load step writes a segment's fast
rows before its Python ones; within a raw row the order is the parser's). Where it matters the tests also say which
rows the fast path must take itself, so that a fast path that sends everything to Python cannot pass.
"""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fakes import SAMPLES, cassette, recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile_parsers import mutated_json

from collectors.rawstore import SCHEMA, RawRecord, RawStore
from collectors.records import TABLES
from collectors.text import parse_time
from influence.errors import StoreError
from pipeline import fastparse
from pipeline.load import (
    ERRORS_SCHEMA,
    arrow_schema,
    load_observations,
    parse_segment,
    parse_segment_tables,
    parser_version,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "raw.jsonl.gz"
OBSERVED = datetime(2026, 3, 1, 12, tzinfo=UTC)
SCHEMAS = {t: arrow_schema(t) for t in TABLES}
POST = "at://did:plc:exec0001/app.bsky.feed.post/3kpost"
OPT_OUT = {"src": "did:plc:x", "uri": "did:plc:x", "val": "!no-unauthenticated", "cts": "2024-01-01T00:00:00Z"}


# -- building segments and comparing ---------------------------------------------------------------------------
def segment(rows: list[dict[str, Any]]) -> pa.Table:
    """Raw rows as a raw segment. ``payload`` is JSON-encoded unless it is text; ``params`` likewise (None stays)."""
    out = []
    for i, r in enumerate(rows):
        payload, params = r["payload"], r.get("params", {})
        out.append({
            "record_id": f"seg-{i:06d}", "run_id": "20260301T000000Z-test", "source": r["source"], "kind": r["kind"],
            "exec_id": r.get("exec_id", "ada"), "url": r.get("url", f"https://{r['source']}.example/{r['kind']}"),
            "params": params if params is None or isinstance(params, str) else json.dumps(params),
            "status": 200, "observed_at": _time(r.get("observed_at", OBSERVED)),
            "payload": payload if isinstance(payload, str) else json.dumps(payload),
        })
    return pa.Table.from_pylist(out, schema=SCHEMA)


def _time(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def by_raw_row(table: pa.Table) -> list[dict[str, Any]]:
    return table.sort_by("raw_id").to_pylist()  # a stable sort: each raw row's lines stay in their order


def check(table: pa.Table) -> list[bool]:
    """The load step's tables and errors for ``table`` equal the Python parsers'; returns which rows the fast path
    took (asking it directly, so that a fast-path failure is not hidden by the load step's fallback)."""
    got, got_errors = parse_segment_tables(table)
    ref, ref_errors = parse_segment(table)
    for t in TABLES:
        assert got[t].schema == SCHEMAS[t]
        assert by_raw_row(got[t]) == by_raw_row(pa.Table.from_pylist(ref[t], schema=SCHEMAS[t])), t
    assert got_errors.to_pylist() == pa.Table.from_pylist(ref_errors, schema=ERRORS_SCHEMA).to_pylist()
    mask, _ = fastparse.parse_fast(table, SCHEMAS)
    return mask.to_pylist()


# -- real and realistic payloads -------------------------------------------------------------------------------
def like(actor: dict[str, Any], at: str = "2024-05-01T10:00:00.123Z", **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "createdAt": at, "indexedAt": at, **extra}


def bactor(n: int = 1, **fields: Any) -> dict[str, Any]:
    base = {"did": f"did:plc:a{n:05d}", "handle": f"a{n}.bsky.social", "displayName": f"A {n}",
            "avatar": "https://cdn.bsky.app/img/x", "labels": [], "createdAt": "2023-01-01T00:00:00.000Z",
            "description": "hello", "indexedAt": "2024-01-01T00:00:00.000Z"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def likes_row(items: list[Any], *, uri: str = POST, params: Any = None, **payload_extra: Any) -> dict[str, Any]:
    return {"source": "bluesky", "kind": "likes", "payload": {"uri": uri, "likes": items, **payload_extra},
            "params": {"uri": uri, "exec_did": "did:plc:exec0001"} if params is None else params}


def reposts_row(items: list[Any], *, params: Any = None) -> dict[str, Any]:
    return {"source": "bluesky", "kind": "reposted_by", "payload": {"uri": POST, "repostedBy": items},
            "params": {"uri": POST} if params is None else params}


def mactor(user: str = "someone", host: str = "social.example", **fields: Any) -> dict[str, Any]:
    base = {"id": "1091", "username": user, "acct": f"{user}@{host}", "display_name": user.title(), "locked": False,
            "url": f"https://{host}/@{user}", "note": "<p>Hi <a href=\"https://x.example\">there</a></p>",
            "followers_count": 12, "following_count": 3, "statuses_count": 40, "fields": [], "emojis": []}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def engagers_row(items: Any, kind: str = "favourited_by", params: Any = None) -> dict[str, Any]:
    return {"source": "mastodon", "kind": kind, "payload": items,
            "params": {"post_id": "1120", "instance": "home.example"} if params is None else params}


def real_bluesky_rows() -> list[dict[str, Any]]:
    likes = recorded("bluesky/f_postlikes.yml", "getLikes")
    reposts = recorded("bluesky/f_reposts.yml", "getRepostedBy")
    rows = [
        {"source": "bluesky", "kind": "likes", "payload": likes["body"], "params": {}},
        {"source": "bluesky", "kind": "reposted_by", "payload": reposts["body"], "params": {}},
    ]
    # every real actor of the recorded follower lists, in likes and repost lists (labels, viewer, associated ...)
    actors = [a for path, key in (("bluesky/g_followers.yml", "followers"), ("bluesky/g_follows.yml", "follows"))
              for a in json.loads(cassette(path)[0]["body"])[key]]
    assert len(actors) > 50
    rows.append(likes_row([like(a, a.get("createdAt") or "2024-01-01T00:00:00Z") for a in actors]))
    rows.append(reposts_row(actors))
    return rows


def real_mastodon_rows() -> list[dict[str, Any]]:
    rows = []
    for path, kind in (("test_status_favourited_by.yaml", "favourited_by"),
                       ("test_status_reblogged_by.yaml", "reblogged_by")):
        for it in cassette(f"mastodon/cassettes/{path}"):
            if it["method"] == "GET" and it["uri"].endswith(kind):
                rows.append({"source": "mastodon", "kind": kind, "payload": it["body"],
                             "params": {"instance": "localhost:3000", "post_id": it["uri"].split("/")[-2]}})
    # every account object in the recorded cassettes, as one list of engagers
    accounts = []
    for path in sorted((SAMPLES / "mastodon" / "cassettes").glob("*.yaml")):
        for it in cassette(f"mastodon/cassettes/{path.name}"):
            try:
                body = json.loads(it["body"])
            except (ValueError, TypeError):
                continue
            for obj in body if isinstance(body, list) else [body]:
                if isinstance(obj, dict) and "acct" in obj:
                    accounts.append(obj)
                elif isinstance(obj, dict) and isinstance(obj.get("account"), dict):
                    accounts.append(obj["account"])
    assert len(accounts) > 20
    rows.append(engagers_row(accounts, params={"instance": "localhost:3000", "post_id": "1"}))
    return rows


def demo_rows(kinds: set[tuple[str, str]]) -> list[dict[str, Any]]:
    with gzip.open(DEMO, "rt", encoding="utf-8") as fh:
        return [r for r in map(json.loads, fh) if (r["source"], r["kind"]) in kinds]


@pytest.mark.skipif(not SAMPLES.exists(), reason="real samples not available")
def test_real_recorded_samples_parse_alike_and_fast() -> None:
    rows = real_bluesky_rows() + real_mastodon_rows()
    assert check(segment(rows)) == [True] * len(rows)


def test_demo_programme_parses_alike_and_fast() -> None:
    rows = demo_rows(fastparse.FAST_KINDS)
    assert len(rows) > 3000
    handled = check(segment(rows))
    assert all(handled)


def test_generated_programme_parses_alike(tmp_path: Path) -> None:
    out = tmp_path / "prog"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_programme.py"), str(out), "--engagements", "20000",
                    "--executives", "10", "--days", "120"], check=True, capture_output=True)
    store = RawStore(out / "raw")
    fast_rows = taken = 0
    for seg in store.segments():
        table = store.read_segment(seg)
        handled = check(table)
        kinds = table["kind"].to_pylist()
        fast_rows += sum(k in ("likes", "reposted_by") for k in kinds)
        taken += sum(h for h, k in zip(handled, kinds, strict=True) if k in ("likes", "reposted_by"))
        assert not any(h for h, k in zip(handled, kinds, strict=True) if k not in ("likes", "reposted_by"))
    assert fast_rows > 500 and taken == fast_rows


# -- tricky payloads: the same rows, and the rows the fast path must not take go to Python ------------------------
NESTED = "[" * 1200 + "]" * 1200


def likes_text(items: str, extra: str = "") -> str:
    """A likes payload written by hand (``items``: the list's JSON text), for what json.dumps cannot write."""
    return '{"uri":"' + POST + '","likes":[' + items + "]" + extra + "}"

TRICKY: list[tuple[str, dict[str, Any] | str, bool | None]] = [
    # (what, raw row, taken by the fast path: True, False, or None where either is right)
    ("plain", likes_row([like(bactor(1)), like(bactor(2))]), True),
    ("opted out", likes_row([like(bactor(1, labels=[OPT_OUT], handle="someone.example.org"))]), True),
    ("other labels", likes_row([like(bactor(1, labels=[{"val": "porn"}, 7, "x", None]))]), True),
    ("missing displayName and description", likes_row([like(bactor(1, displayName=..., description=...))]), True),
    ("nulls", likes_row([like(bactor(1, handle=None, displayName=None, description=None, labels=None,
                                     followersCount=None))]), True),
    ("unicode", likes_row([like(bactor(1, displayName="Zoë 💥 \u2028 中文", description="a\nb\t\"q\" \\ é",
                                       handle="zoë.example"))]), True),
    ("escaped unicode", likes_text('{"actor":{"did":"did:plc:e","handle":"e.bsky.social",'
                                   '"displayName":"\\u00e9\\ud83d\\ude00\\/"},"createdAt":"2024-05-01T10:00:00Z"}'), True),
    ("custom domains", likes_row([like(bactor(1, handle="ada.example.org")), like(bactor(2, handle="handle.invalid")),
                                  like(bactor(3, handle=""))]), True),
    ("counts", likes_row([like(bactor(1, followersCount=12, followsCount=0, postsCount=-3)),
                          like(bactor(2, followersCount="12", followsCount=True, postsCount=[1])),
                          like(bactor(3, followersCount={"n": 1}, postsCount=2**63 - 1))]), True),
    ("float count", likes_row([like(bactor(1, followersCount=1.5))]), False),
    ("count beyond BIGINT", likes_row([like(bactor(1, followersCount=2**63))]), False),
    ("huge count", likes_row([like(bactor(1, followersCount=2**70))]), False),
    ("did a number", likes_row([like(bactor(1, did=123))]), False),
    ("did missing", likes_row([like(bactor(1, did=...))]), False),
    ("handle a number", likes_row([like(bactor(1, handle=5))]), False),
    ("labels text", likes_row([like(bactor(1, labels="!no-unauthenticated"))]), False),
    ("labels a number", likes_row([like(bactor(1, labels=5))]), False),
    ("times", likes_row([like(bactor(1), "2024-05-01T10:00:00+05:30"),
                         like(bactor(2), "2024-05-01T10:00:00.1234567Z"),
                         like(bactor(3), "2024-12-31T23:59:59.999999-23:59"),
                         like(bactor(4), "2024-02-29T00:00:00Z")]), True),
    ("createdAt empty, indexedAt used",
     likes_row([{"actor": bactor(1), "createdAt": "", "indexedAt": "2024-05-01T10:00:00Z"}, {"actor": bactor(2)}]),
     True),
    ("invalid date", likes_row([like(bactor(1), "2023-02-29T00:00:00Z")]), False),
    ("hour 24", likes_row([like(bactor(1), "2024-05-01T24:00:00Z")]), False),
    ("offset of 24 hours", likes_row([like(bactor(1), "2024-05-01T10:00:00+24:00")]), False),
    ("time another shape", likes_row([like(bactor(1), "2024-05-01 10:00:00")]), False),
    ("time a number", likes_row([like(bactor(1), 1714557600)]), False),
    ("no items", likes_row([]), True),
    ("extra fields", likes_row([like(bactor(1, viewer={"muted": False}, junk=[1, {"a": None}]), extra={"x": 1})],
                               cursor="abc", junk=float("nan")), True),
    ("big number in an unread field", likes_row([like(bactor(1, junk=2**70))]), True),
    ("params without uri", likes_row([like(bactor(1))], params={}), True),
    ("params uri empty", likes_row([like(bactor(1))], params={"uri": ""}), True),
    ("params null", likes_row([like(bactor(1))], params=None) | {"params": None}, True),
    ("params uri a number", likes_row([like(bactor(1))], params={"uri": 5}), False),
    ("params not JSON", likes_row([like(bactor(1))], params="{uri:"), False),
    ("params a list", likes_row([like(bactor(1))], params="[1]"), False),
    ("no uri anywhere", likes_row([like(bactor(1))], params={}) | {"payload": {"likes": [like(bactor(1))]}}, False),
    ("invalid JSON", {"source": "bluesky", "kind": "likes", "payload": '{"uri": "x", "likes": [', "params": {}},
     False),
    ("trailing comma", {"source": "bluesky", "kind": "likes", "payload": likes_text("", ",")}, False),
    ("NUL escape", likes_row([like(bactor(1, displayName="a\x00b"))]), False),
    ("lone surrogate", likes_text('{"actor":{"did":"did:plc:s","displayName":"\\ud800"},'
                                  '"createdAt":"2024-05-01T10:00:00Z"}'), False),
    ("deep nesting", likes_text("", ',"junk":' + NESTED), False),
    ("nesting near Python's limit", likes_text("", ',"junk":' + "[" * 950 + "]" * 950), None),
    ("nesting Python reads", likes_text('{"actor":{"did":"did:plc:n"},"junk":' + "[" * 600 + "]" * 600 + "}"), True),
    ("repeated did", likes_text('{"actor":{"did":"did:plc:1","handle":"a.bsky.social","did":"did:plc:2"},'
                                '"createdAt":"2024-05-01T10:00:00Z"}'), False),
    ("repeated createdAt", likes_text('{"actor":{"did":"did:plc:1"},"createdAt":"2024-05-01T10:00:00Z",'
                                      '"createdAt":"2025-05-01T10:00:00Z"}'), False),
    ("repeated likes", likes_text("", ',"likes":[{"actor":{"did":"did:plc:1"}}]'), False),
    ("repeated label val", likes_text('{"actor":{"did":"did:plc:1","labels":[{"val":"x","val":"!no-unauthenticated"}]},'
                                      '"createdAt":"2024-05-01T10:00:00Z"}'), False),
    ("repeated unread key", likes_text('{"actor":{"did":"did:plc:1","avatar":1,"avatar":2},'
                                       '"createdAt":"2024-05-01T10:00:00Z"}'), True),
    ("item not an object", likes_row([like(bactor(1)), 5]), False),
    ("item null", likes_row([None]), False),
    ("actor missing", likes_row([{"createdAt": "2024-05-01T10:00:00Z"}]), False),
    ("actor a list", likes_row([{"actor": [bactor(1)]}]), False),
    ("likes not a list", likes_row([]) | {"payload": {"uri": POST, "likes": {"0": like(bactor(1))}}}, False),
    ("error answer", likes_row([]) | {"payload": {"error": "NotFound", "message": "gone"}}, False),
    ("a list answer", likes_row([]) | {"payload": [like(bactor(1))]}, False),
    ("reposts", reposts_row([bactor(1), bactor(2, labels=[OPT_OUT]), bactor(3, handle="x.example")]), True),
    ("reposts empty", reposts_row([]), True),
    ("reposts actor not an object", reposts_row([bactor(1), "did:plc:2"]), False),
    ("reposts repeated handle", {"source": "bluesky", "kind": "reposted_by", "params": {"uri": POST},
                                 "payload": '{"repostedBy":[{"did":"d","handle":"a.example","handle":"b.example"}]}'},
     False),
    ("mastodon", engagers_row([mactor("ann"), mactor("bob", "other.example", acct="Bob@Other.Example")]), True),
    ("mastodon fields", engagers_row([mactor("ann", fields=[
        {"name": "Site", "value": '<a href="https://ann.example" rel="me">ann.example</a>', "verified_at": "2024-01-01"},
        {"name": "Plain", "value": "just text", "verified_at": None}, "not a field", {"name": 5}])]), True),
    ("mastodon boosts", engagers_row([mactor("ann", noindex=True), mactor("cy", noindex=None, hide_collections=True)],
                                     kind="reblogged_by"), True),
    ("mastodon local account", engagers_row([mactor("dee", acct="dee")]), True),
    ("mastodon username only", engagers_row([mactor("eve", acct=...)]), True),
    ("mastodon no address", engagers_row([mactor("fay", acct="", username="")]), False),
    ("mastodon odd counts", engagers_row([mactor("gus", followers_count="1_000", following_count=2.5,
                                                 statuses_count=None)]), True),
    ("mastodon numeric post id", engagers_row([mactor("hal")], params={"post_id": 1120, "instance": "h.example"}),
     True),
    ("mastodon no instance", engagers_row([mactor("ivy", acct="ivy")], params={"post_id": "1"}), True),
    ("mastodon null instance", engagers_row([mactor("jo", acct="jo")], params={"post_id": "1", "instance": None}),
     False),
    ("mastodon no post id", engagers_row([mactor("kim")], params={"instance": "h.example"}), False),
    ("mastodon float post id", engagers_row([mactor("lu")], params={"post_id": 1.5}), False),
    ("mastodon error answer", engagers_row({"error": "Record not found"}), False),
    ("mastodon empty", engagers_row([]), True),
    ("mastodon item not an object", engagers_row([mactor("max"), None]), False),
    ("mastodon repeated acct", {"source": "mastodon", "kind": "favourited_by", "params": {"post_id": "1"},
                                "payload": '[{"acct":"a@x.example","username":"a","acct":"b@x.example"}]'}, False),
    ("mastodon repeated field value", {"source": "mastodon", "kind": "favourited_by", "params": {"post_id": "1"},
                                       "payload": '[{"acct":"a@x.example","fields":[{"name":"w","value":"a",'
                                                  '"value":"<a href=\\"https://b.example\\">b</a>"}]}]'}, False),
    ("mastodon deep nesting", engagers_row("[" + json.dumps(mactor("ned")) + "," + NESTED + "]"), False),
]


def _row(raw: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(raw, str):
        return {"source": "bluesky", "kind": "likes", "payload": raw, "params": {"uri": POST}}
    return raw


def _as_expected(handled: list[bool], expected: list[bool | None]) -> list[bool]:
    return [h if e is None else e for h, e in zip(handled, expected, strict=True)]


@pytest.mark.parametrize(("what", "raw", "taken"), TRICKY, ids=[w for w, _, _ in TRICKY])
def test_tricky_payload(what: str, raw: dict[str, Any] | str, taken: bool | None) -> None:
    row = _row(raw)
    # each alone, and beside a plain row (of the same source) that the fast path takes in any case
    handled = check(segment([row]))
    assert handled == _as_expected(handled, [taken])
    plain = likes_row([like(bactor(9))]) if row["source"] == "bluesky" else engagers_row([mactor("zed")])
    handled = check(segment([plain, row, plain]))
    assert handled == _as_expected(handled, [True, taken, True])


def test_every_tricky_payload_in_one_segment() -> None:
    rows = [_row(raw) for _, raw, _ in TRICKY]
    handled = check(segment(rows))
    assert handled == _as_expected(handled, [taken for _, _, taken in TRICKY])


def test_errors_of_rows_left_to_python_land_in_load_errors() -> None:
    rows = [_row(raw) for what, raw, _ in TRICKY if what in ("invalid JSON", "deep nesting", "item null")]
    got, errors = parse_segment_tables(segment(rows))
    assert [e["raw_id"] for e in errors.to_pylist()] == ["seg-000000", "seg-000001", "seg-000002"]
    assert "RecursionError" in errors["error"][1].as_py()


def test_times_agree_with_parse_time() -> None:
    """Every time the fast path reads, against collectors.text.parse_time: taken and equal, or left to Python."""
    days = ["2023-02-28", "2023-02-29", "2024-02-29", "2024-04-30", "2024-04-31", "2024-13-01", "2024-00-10",
            "0999-01-01", "1000-01-01", "8999-12-31", "9999-12-31", "1970-01-01"]
    clocks = ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "07:08:09"]
    fractions = ["", ".1", ".123", ".999999", ".9999999", ".123456789", ".0000005"]
    zones = ["Z", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00", "+23:60", "z", ""]
    texts = [(d, z, f"{d}T{c}{f}{z}") for d in days for c in clocks for f in fractions for z in zones]
    handled = check(segment([likes_row([like(bactor(i), text)]) for i, (_, _, text) in enumerate(texts)]))
    for (day, zone, text), taken in zip(texts, handled, strict=True):
        try:
            readable = parse_time(text) is not None
        except (ValueError, OverflowError):
            readable = False
        # the fast path takes exactly the readable times of the usual shapes, and leaves the rest to Python
        usual = zone in ("Z", "+00:00", "-00:00", "+05:30", "-23:59") and "1000" <= day[:4] <= "8999"
        assert taken == (readable and usual), text
    assert sum(handled) > 500


# -- hypothesis: mutated real shapes -----------------------------------------------------------------------------
def _seeds() -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in demo_rows(fastparse.FAST_KINDS):
        got = out.setdefault((r["source"], r["kind"]), [])
        if len(got) < 4 and r["payload"] not in ("[]",) and '"likes":[]' not in r["payload"]:
            got.append(r)
    return out


SEEDS = _seeds()
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("kind", sorted(fastparse.FAST_KINDS), ids=lambda k: f"{k[0]}-{k[1]}")
@FAST
@given(data=st.data())
def test_mutated_payloads_parse_alike(kind: tuple[str, str], data: st.DataObject) -> None:
    rows = []
    for _ in range(3):
        seed = data.draw(st.sampled_from(SEEDS[kind]))
        payload = data.draw(mutated_json(json.loads(seed["payload"])))
        params = seed["params"]
        if data.draw(st.integers(0, 4)) == 0:
            params = data.draw(mutated_json(copy.deepcopy(params)))
        rows.append({**seed, "payload": payload, "params": params})
    rows.append(SEEDS[kind][0])  # and one the fast path takes
    handled = check(segment(rows))
    assert handled[-1]


JSON_BITS = [",", ",]", ",}", "]", "}", "[", "{", '"', "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "\\u00e9", "NaN",
             "-Infinity", "1e999", "-0", "01", "1.", "null", "true", " ", "\t", "\n", "\x00", "\x7f", "\u2028", "💥",
             '"did":', '"actor":{', '"labels":[{"val":"!no-unauthenticated"}]', '"createdAt":"2024-02-30T00:00:00Z"',
             '"followersCount":1e3', '"acct":"X@Y"', '"fields":[{"value":"<a href=x>"}]', "[" * 40]


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + draw(st.sampled_from(JSON_BITS)) + text[i:]
        else:
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
    return text


@pytest.mark.parametrize("kind", sorted(fastparse.FAST_KINDS), ids=lambda k: f"{k[0]}-{k[1]}")
@FAST
@given(data=st.data())
def test_mutated_text_parses_alike(kind: tuple[str, str], data: st.DataObject) -> None:
    """Text-level damage: what DuckDB's and Python's JSON readers each accept must not decide the rows."""
    rows = []
    for _ in range(3):
        seed = data.draw(st.sampled_from(SEEDS[kind]))
        rows.append({**seed, "payload": data.draw(mutated_text(seed["payload"]))})
    rows.append(SEEDS[kind][0])
    handled = check(segment(rows))
    assert handled[-1]


# -- parallel parsing, the cache, the parser version --------------------------------------------------------------
def _store_with_programme(tmp_path: Path) -> RawStore:
    """A generated Bluesky programme, plus demo rows of both platforms and one unreadable response."""
    out = tmp_path / "prog"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_programme.py"), str(out), "--engagements", "20000",
                    "--executives", "10", "--days", "120"], check=True, capture_output=True)
    store = RawStore(out / "raw", suppressed=frozenset())
    rows = demo_rows(fastparse.FAST_KINDS | {("mastodon", "context"), ("bluesky", "thread")})
    demo = [RawRecord(source=r["source"], kind=r["kind"], exec_id=r["exec_id"], url=r["url"], payload=r["payload"],
                      observed_at=datetime.fromisoformat(r["observed_at"]), params=r["params"], status=r["status"])
            for source in ("bluesky", "mastodon") for r in [r for r in rows if r["source"] == source][:300]]
    demo.append(RawRecord(source="bluesky", kind="likes", exec_id="ada", url="https://x.example/bad",
                          payload='{"likes": [', observed_at=OBSERVED))
    store.append(demo, run_id="20990101T000000Z-demo")
    return store


def _cached(cache: Path) -> dict[str, pa.Table]:
    [version] = cache.glob("parsed-*")
    return {str(p.relative_to(version)): pq.read_table(p) for p in sorted(version.rglob("*.parquet"))}


def test_parallel_parse_writes_the_same_cache_as_serial(tmp_path: Path) -> None:
    store = _store_with_programme(tmp_path)
    n = len(store.segments())
    results, loaded, calls = {}, {}, {}
    for workers in (1, 2):
        con = duckdb.connect()
        seen: list[tuple[int, int]] = []
        results[workers] = load_observations(con, store, tmp_path / f"cache{workers}",
                                             progress=lambda i, total, seen=seen: seen.append((i, total)),
                                             workers=workers)
        calls[workers] = seen
        loaded[workers] = {t: con.execute(f"select * from {t} order by all").fetchall()
                           for t in [f"obs_{t}" for t in TABLES] + ["load_errors"]}
    serial, parallel = _cached(tmp_path / "cache1"), _cached(tmp_path / "cache2")
    assert serial.keys() == parallel.keys() and len(serial) == n * (len(TABLES) + 1)
    for name, table in serial.items():
        assert table.equals(parallel[name]), name
    assert loaded[1] == loaded[2]
    assert results[1].errors == results[2].errors == 1
    assert results[1].rows == results[2].rows and results[1].rows["engagements"] > 15000
    total = sum(store.read_segment(s).num_rows for s in store.segments())
    assert results[1].raw_records == results[2].raw_records == total
    for seen in calls.values():
        assert [i for i, _ in seen] == sorted(i for i, _ in seen) and seen[-1] == (n, n)
    # a second load parses nothing
    again = load_observations(duckdb.connect(), store, tmp_path / "cache2", workers=2)
    assert again.parsed_now == 0 and again.rows == results[2].rows


def test_a_failing_segment_stops_the_parallel_load_and_leaves_it_unparsed(tmp_path: Path) -> None:
    store = _store_with_programme(tmp_path)
    broken = store.segments()[3]
    broken.write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="cannot be read"):
        load_observations(duckdb.connect(), store, tmp_path / "cache", workers=2)
    [version] = (tmp_path / "cache").glob("parsed-*")
    done = {p.stem for p in version.glob("*.done")}
    assert len(done) < len(store.segments())
    broken.unlink()
    result = load_observations(duckdb.connect(), store, tmp_path / "cache", workers=2)
    assert result.parsed_now == len(store.segments()) - len(done)


def test_parser_version_covers_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = parser_version()
    changed = tmp_path / "fastparse.py"
    changed.write_text(Path(fastparse.__file__).read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    monkeypatch.setattr(fastparse, "__file__", str(changed))
    assert parser_version() != before
    monkeypatch.undo()
    assert parser_version() == before


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_killed_parallel_load_leaves_no_worker_and_a_rerun_equals_a_clean_one(tmp_path: Path) -> None:
    import signal
    import time

    store = _store_with_programme(tmp_path)
    clean = load_observations(duckdb.connect(), store, tmp_path / "clean", workers=1)
    script = ("import sys, duckdb; from pathlib import Path; from collectors.rawstore import RawStore; "
              "from pipeline.load import load_observations; "
              "load_observations(duckdb.connect(), RawStore(Path(sys.argv[1])), Path(sys.argv[2]), workers=2)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(store.root), str(tmp_path / "cache")], cwd=ROOT)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        workers = [p for p in _children(proc.pid)
                   if "spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        time.sleep(0.02)
    assert len(workers) == 2, "the load did not start its two workers"
    time.sleep(0.5)  # somewhere in the middle of parsing
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def alive() -> list[int]:
        out = []
        for p in workers:
            try:
                if Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(p)
            except OSError:
                pass
        return out

    deadline = time.monotonic() + 30  # a worker still starting leaves when it is up
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive() == []  # the workers died with the load that started them
    again = load_observations(duckdb.connect(), store, tmp_path / "cache", workers=2)
    assert again.parsed_now > 0  # the kill came before the end
    assert again.rows == clean.rows and again.errors == clean.errors
    rerun, reference = _cached(tmp_path / "cache"), _cached(tmp_path / "clean")
    assert rerun.keys() == reference.keys()
    for name, table in reference.items():
        assert table.equals(rerun[name]), name
