"""The load step's fast path: the high-volume raw kinds parsed in DuckDB SQL instead of record by record in Python.

The registered Python parsers (``collectors/*/parse.py``) stay the reference and the fallback. This module takes a
raw segment (an Arrow table in the raw store's schema) and returns, for the raw rows it could parse with certainty,
exactly the rows the Python parsers would have produced, plus which raw rows those were; the load step gives every
other row to the Python parser, so a doubtful row is parsed (or lands in ``load_errors``) exactly as before.

"With certainty" is checked row by row and item by item, and any doubt sends the whole raw row to Python:

- the payload and the params are JSON that Python's ``json.loads`` reads, and reads as DuckDB does. DuckDB also
  accepts trailing commas (a payload with a comma before ``]`` or ``}`` anywhere goes to Python), Python also lone
  surrogates (DuckDB refuses them), and Python gives up on deep nesting where DuckDB does not (see ``_decodes``);
  ``\\u0000`` escapes are left to Python. DuckDB keeps the first of two repeated keys, Python the last: an object
  with a key read here twice goes to Python;
- every value read has the type the Python parser handles without an error and without a conversion (an ``int``
  where text belongs is turned into text there; here it goes to Python); a count is an integer within BIGINT, or a
  value the parser maps to NULL; a number that is not a plain integer (a float, or an integer too large for 64 bits,
  which DuckDB reads as a float) goes to Python;
- a time is ``YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)`` between the years 1000 and 8999, with an hour and an
  offset below 24 hours, and a real date and time (DuckDB's cast says, and agrees with ``datetime.fromisoformat``
  there); any other goes to Python.

Covered: Bluesky ``likes`` and ``reposted_by`` (``parse_likes``, ``parse_reposted_by`` and ``add_actor``, opt-out
labels included), Mastodon ``favourited_by`` and ``reblogged_by`` (``parse_engagers``): the engagement lists, nine
in ten observations. A Mastodon account's bio and profile links are HTML that only the Python code reads faithfully:
SQL unnests and checks the lists and builds the engagements, and each distinct account object of a batch goes once
through the parser's own ``add_account`` (engagers repeat, so this is a fraction of the accounts). Post views
(quotes, threads, the executive's feed) were tried too and left to Python: the checks a post view needs (a dozen
objects that may be missing, repeated keys, tags and mentions written as JSON) cost as much in SQL as the Python
parser does.

Rows come back with ``_row``, the raw row's position in the table given, and within a raw row in the order the Python
parser gives them. The load step writes a segment's fast rows first, then its Python-parsed rows: deterministic,
and the same rows as the Python parser's, but not interleaved by raw row as ``parse_segment`` has them (nothing
reads the cache in any order: DuckDB's reads of it are parallel).

The parser-version hash (``pipeline.load.parser_version``) covers this file: changing it re-parses every segment.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

FAST_KINDS: frozenset[tuple[str, str]] = frozenset({
    ("bluesky", "likes"), ("bluesky", "reposted_by"), ("mastodon", "favourited_by"), ("mastodon", "reblogged_by"),
})

_MACROS = r"""
create or replace temp macro nodup(keys) as len(keys) = len(list_distinct(keys));
create or replace temp macro is_str(x) as json_type(x) = 'VARCHAR';
-- Values as json_transform gives them ("JSON" leaves): the JSON text, or NULL where the key is missing or null
-- (which the parsers' dict.get() does not tell apart either). The first character says the type.
create or replace temp macro j_str(x) as left(x, 1) = '"';
create or replace temp macro j_truthy_str(x) as left(x, 1) = '"' and x <> '""';
create or replace temp macro j_falsy_str(x) as x is null or x = '""';
create or replace temp macro j_str_or_null(x) as x is null or left(x, 1) = '"';
create or replace temp macro j_text(x) as
    case when contains(x, '\') then json_extract_string(x, '$') else substr(x, 2, length(x) - 2) end;
-- bluesky _int(): an int stays, any other JSON value (text, true, a list) is NULL; a float, or an integer too large
-- for 64 bits (which DuckDB reads as a float), goes to Python
create or replace temp macro j_int(x) as case when regexp_full_match(x, '-?[0-9]+') then try_cast(x as BIGINT) end;
create or replace temp macro j_count_ok(x) as x is null or contains('"tf[{', left(x, 1)) or j_int(x) is not null;
-- collectors.text.parse_time for the one shape taken here (NULL for any other text): DuckDB's cast agrees with
-- datetime.fromisoformat on it once hour 24 and offsets of 24 hours or 60 minutes (which DuckDB accepts) are
-- excluded and a fraction is cut to microseconds (fromisoformat truncates, DuckDB would round)
create or replace temp macro ts_val(s) as case
    when regexp_full_match(s,
             '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})')
         and left(s, 4) between '1000' and '8999' and substr(s, 12, 2) <= '23'
         and (right(s, 1) = 'Z' or (substr(s, -5, 2) <= '23' and substr(s, -2, 2) <= '59'))
    then try_cast(case when length(s) > (case when right(s, 1) = 'Z' then 27 else 32 end)
                       then regexp_replace(s, '^(.{19}\.[0-9]{6})[0-9]+', '\1') else s end as TIMESTAMPTZ)
    end;
-- bluesky add_actor(), on an actor as json_transform gives it (_ACTOR). CASE, not AND/OR: only CASE spares the
-- rows that do not need it the work of its branches
create or replace temp macro actor_ok(a) as
    j_str(a.did) and j_str_or_null(a.handle) and j_str_or_null(a.displayName) and j_str_or_null(a.description)
    and j_count_ok(a.followersCount) and j_count_ok(a.followsCount) and j_count_ok(a.postsCount)
    -- labels: none, or a list whose objects have no repeated key (only "val" is read)
    and case when a.labels is null or a.labels = '[]' then true
             when left(a.labels, 1) = '[' then coalesce(list_bool_and(list_transform(
                 json_extract(a.labels, '$[*]'), lambda l: left(l, 1) <> '{' or nodup(json_keys(l)))), true)
             else false end;
create or replace temp macro actor_opted_out(a) as
    case when a.labels is null or a.labels = '[]' or left(a.labels, 1) <> '[' then false
         else coalesce(list_bool_or(list_transform(
             json_extract(a.labels, '$[*]'),
             lambda l: left(l, 1) = '{' and json_extract_string(l, '$.val') = '!no-unauthenticated')), false)
    end;
"""

# Raw rows of the covered kinds whose payload and params both DuckDB and Python read (nesting: see _decodes): what
# DuckDB reads, less trailing commas (the pattern also finds some in text, which only costs that row the fast path).
# Nothing after this step sees text that is not valid JSON, so no JSON function below can raise.
_CANDIDATES = r"""
create or replace temp view cand as
select _row, source, kind, exec_id, record_id, run_id, observed_at, payload,
    coalesce(nullif(params, ''), '{}') as params
from seg
where json_valid(payload) and json_valid(coalesce(nullif(params, ''), '{}'))
  and not regexp_matches(payload, ',[ \t\n\r]*[\]}]') and not regexp_matches(coalesce(params, ''), ',[ \t\n\r]*[\]}]')
  and not contains(payload, '\u0000') and not contains(coalesce(params, ''), '\u0000')
"""

# -- Bluesky: parse_likes / parse_reposted_by / add_actor ----------------------------------------------------------
# Each payload is parsed once by json_transform into its items, with the fields the parsers read as JSON text.
# json_transform keeps the first of duplicate keys, and gives NULL fields where a value is not the object
# expected: the keys of every item and actor are listed separately (json_keys, one list per item, so that an object
# with a repeated key sends its row to Python), and an item or actor that is not an object has no did.
_ACTOR = ('{"did":"JSON","handle":"JSON","displayName":"JSON","description":"JSON","labels":"JSON",'
          '"followersCount":"JSON","followsCount":"JSON","postsCount":"JSON"}')
_ACTOR_KEYS = ("did", "handle", "displayName", "description", "labels", "followersCount", "followsCount",
               "postsCount")
_BLUESKY_SHAPES = {
    # kind: (list key, item structure, the item's actor, createdAt, indexedAt, keys read from an item (None: the
    # item is the actor), engagement kind)
    "likes": ("likes", f'{{"actor":{_ACTOR},"createdAt":"JSON","indexedAt":"JSON"}}', "it.actor", "it.createdAt",
              "it.indexedAt", ("actor", "createdAt", "indexedAt"), "like"),
    "reposted_by": ("repostedBy", _ACTOR, "it", "null::VARCHAR", "null::VARCHAR", None, "repost"),
}


def _repeated(keys: tuple[str, ...]) -> str:
    """A regular expression matching ``',' || array_to_string(json_keys(obj), ',') || ','`` when one of ``keys``
    occurs twice in the object. Both occurrences are whole list elements, so a separator in a key name can only
    make it match where it need not (the row then goes to Python), never hide a repeated key."""
    return "|".join(f",{re.escape(k)},(.*,)?{re.escape(k)}," for k in keys)


_BLUESKY_ITEMS = r"""
insert into b_items
with r0 as materialized (
    select _row, exec_id, record_id, run_id, observed_at,
        json_extract(params, '$.uri') as pu,
        json_transform(payload, '{{"uri":"JSON","{key}":[{item}]}}') as t,
        json_keys(payload, '$.{key}[*]') as ik,
        {actor_keys} as ak,
        json_type(params) = 'OBJECT' and nodup(json_keys(params)) and nodup(json_keys(payload)) as keys_ok
    from cand where source = 'bluesky' and kind = '{kind}'
), r as materialized (
    -- once per raw row (materialized: not recomputed for each of its items)
    select _row, exec_id, record_id, run_id, observed_at, t.{key} as items, ik, ak, keys_ok,
        coalesce(len(t.{key}), 0) as n,
        -- uri = ctx.params.get("uri") or require(payload, "uri", ctx)
        case when is_str(pu) and pu <> '""' then json_extract_string(pu, '$')
             when (pu is null or pu = 'null' or pu = '""') and j_truthy_str(t.uri) then j_text(t.uri) end as uri
    from r0
), u as (
    select _row, exec_id, record_id, run_id, observed_at, uri, n,
        coalesce(keys_ok and uri is not null and items is not null and len(ik) = n and len(ak) = n, false) as row_ok,
        -- one line per item; a row with no items keeps one line (has_item false), so that it counts as parsed.
        -- Lists of unequal length are padded with NULLs: such a row is sent to Python below.
        unnest(case when n > 0 then items else [null] end) as it,
        unnest(case when n > 0 then ik else [null] end) as item_keys,
        unnest(case when n > 0 then {ak} else [null] end) as actor_keys,
        unnest(range(greatest(n, 1))) as pos
    from r
), a as (
    select *, n > 0 as has_item, {actor} as actor, {created} as ca, {indexed} as ia,
        case when j_truthy_str({created}) then j_text({created})
             when j_falsy_str({created}) and j_truthy_str({indexed}) then j_text({indexed}) end as at_text
    from u
), b as (
    select *, j_text(actor.did) as did, j_text(actor.handle) as handle, ts_val(at_text) as engaged_at,
        actor_opted_out(actor) as opted_out
    from a
)
select _row, pos,
    coalesce(row_ok
             and (not has_item or (
                it is not null
                and not regexp_matches(',' || array_to_string(item_keys, ',') || ',', '{item_repeated}')
                and {actor_keys_ok}
                and actor_ok(actor)
                -- like.get("createdAt") or like.get("indexedAt"), through parse_time
                and case when at_text is not null then engaged_at is not null
                         else j_falsy_str(ca) and j_falsy_str(ia) end)),
             false) as ok,
    has_item,
    did,
    case when opted_out then null else handle end as handle,
    case when opted_out then null else j_text(actor.displayName) end as display_name,
    case when opted_out then null else 'https://bsky.app/profile/' || coalesce(nullif(handle, ''), did) end as url,
    case when opted_out then null else j_text(actor.description) end as bio,
    j_int(actor.followersCount) as followers_count,
    j_int(actor.followsCount) as following_count,
    j_int(actor.postsCount) as posts_count,
    opted_out,
    -- a custom domain handle: the person controls that website
    case when coalesce(handle, '') <> '' and not opted_out and not ends_with(handle, '.bsky.social')
              and handle <> 'handle.invalid' then 'https://' || handle || '/' end as website,
    exec_id, uri as post_id, '{eng}' as eng_kind, engaged_at, '{eng}:' || uri || ':' || did as engagement_key,
    record_id as raw_id, run_id, observed_at
from b
"""
_B_ITEMS_TABLE = r"""
create or replace temp table b_items (_row BIGINT, pos BIGINT, ok BOOLEAN, has_item BOOLEAN, did VARCHAR,
    handle VARCHAR, display_name VARCHAR, url VARCHAR, bio VARCHAR, followers_count BIGINT, following_count BIGINT,
    posts_count BIGINT, opted_out BOOLEAN, website VARCHAR, exec_id VARCHAR, post_id VARCHAR, eng_kind VARCHAR,
    engaged_at TIMESTAMPTZ, engagement_key VARCHAR, raw_id VARCHAR, run_id VARCHAR, observed_at TIMESTAMPTZ)
"""


def _bluesky_items_sql(kind: str) -> str:
    key, item, actor, created, indexed, item_keys, eng = _BLUESKY_SHAPES[kind]
    if item_keys is None:  # the items are the actors: their keys are listed once
        actor_keys, item_repeated, actor_keys_ok = "ik", _repeated(_ACTOR_KEYS), "true"
    else:
        actor_keys, item_repeated = f"json_keys(payload, '$.{key}[*].actor')", _repeated(item_keys)
        actor_keys_ok = (f"not regexp_matches(',' || array_to_string(actor_keys, ',') || ',', "
                         f"'{_repeated(_ACTOR_KEYS)}')")
    return _BLUESKY_ITEMS.format(kind=kind, key=key, item=item, actor=actor, actor_keys=actor_keys, created=created,
                                 indexed=indexed, eng=eng, item_repeated=item_repeated, actor_keys_ok=actor_keys_ok,
                                 ak="null::VARCHAR[]" if item_keys is None else "ak")


# One query per engagement kind gives every column of the three tables it fills, in raw-row and item order.
_BLUESKY_OUT = r"""
select _row, pos, 'bluesky' as platform, did, handle, display_name, url, bio, followers_count, following_count,
    posts_count, null::BOOLEAN as hide_collections, opted_out, null::VARCHAR as profile_links, null::VARCHAR as none,
    'website' as link_kind, website, true as verified, exec_id, post_id, eng_kind, engaged_at, engagement_key,
    null::INTEGER as depth, raw_id, run_id, observed_at
from b_items
where eng_kind = '{eng}' and has_item and _row in (select _row from b_done)
"""
_BLUESKY_COLUMNS = {  # table: (its columns, from those of _BLUESKY_OUT), identity_links only where there is one
    "accounts": ("platform", "did", "handle", "display_name", "url", "bio", "followers_count", "following_count",
                 "posts_count", "hide_collections", "opted_out", "profile_links"),
    "identity_links": ("none", "platform", "did", "link_kind", "website", "verified"),
    "engagements": ("exec_id", "platform", "post_id", "did", "none", "eng_kind", "engaged_at", "engagement_key",
                    "none", "depth"),
}


def _bluesky_tables(con: duckdb.DuckDBPyConnection, schemas: dict[str, pa.Schema]) -> dict[str, list[pa.Table]]:
    out: dict[str, list[pa.Table]] = {}
    for _, _, _, _, _, _, eng in _BLUESKY_SHAPES.values():
        items = _in_order(con.sql(_BLUESKY_OUT.format(eng=eng)).to_arrow_table())
        for t, columns in _BLUESKY_COLUMNS.items():
            part = items.filter(pc.is_valid(items["website"])) if t == "identity_links" else items
            schema = pa.schema([pa.field("_row", pa.int64()), *schemas[t]])
            arrays = [part["_row"], *(part[c] for c in columns), part["raw_id"], part["run_id"], part["observed_at"]]
            out.setdefault(t, []).append(pa.Table.from_arrays(arrays, names=schema.names).cast(schema))
    return out


def _in_order(table: pa.Table) -> pa.Table:
    """``table`` ordered by (_row, pos). DuckDB keeps the order rows were made in (preserve_insertion_order), so
    this only checks it; sorting is the fallback."""
    n = table.num_rows
    if n < 2:
        return table
    rows, pos = table["_row"], table["pos"]
    r0, r1, p0, p1 = rows.slice(0, n - 1), rows.slice(1), pos.slice(0, n - 1), pos.slice(1)
    if pc.all(pc.or_(pc.less(r0, r1), pc.and_(pc.equal(r0, r1), pc.less(p0, p1)))).as_py():
        return table
    return table.sort_by([("_row", "ascending"), ("pos", "ascending")])


# -- Mastodon: parse_engagers (accounts through the parser's own add_account, once per distinct object) ----------
_MASTODON_ROWS = r"""
create or replace temp table m_rows as
select _row, kind, exec_id, record_id, run_id, observed_at, post_id, instance, items
from (
    select *, json_extract(params, '$.post_id') as pid, json_extract(params, '$.instance') as inst from cand
    where source = 'mastodon'
) x, lateral (select
    -- str(ctx.params["post_id"]): text, or a whole number written the way str() writes it
    case when is_str(pid) then json_extract_string(pid, '$')
         when json_type(pid) in ('BIGINT', 'UBIGINT') then pid::VARCHAR end as post_id,
    -- ctx.params.get("instance", "")
    case when inst is null then '' when is_str(inst) then json_extract_string(inst, '$') end as instance,
    case when json_type(payload) = 'ARRAY' then json_extract(payload, '$[*]') end as items
) y
where json_type(params) = 'OBJECT' and nodup(json_keys(params))
  and post_id is not null and instance is not null and items is not null
"""

_MASTODON_ITEMS = r"""
create or replace temp table m_items as
with u as (
    select _row, kind, exec_id, record_id, run_id, observed_at, post_id, instance,
        unnest(items)::VARCHAR as account, unnest(range(len(items))) as pos
    from m_rows
)
select *,
    -- the object goes to add_account as DuckDB's JSON text of it: no repeated keys where add_account reads
    coalesce(json_type(account) = 'OBJECT' and nodup(json_keys(account))
             and case when json_type(account, '$.fields') is distinct from 'ARRAY' then true
                      else coalesce(list_bool_and(list_transform(json_extract(account, '$.fields[*]'),
                                    lambda f: json_type(f) <> 'OBJECT' or nodup(json_keys(f)))), true) end,
             false) as ok
from u
"""
_MASTODON_DISTINCT = r"""
create or replace temp table m_distinct as
select row_number() over (order by account, instance) - 1 as _key, account, instance
from (select distinct account, instance from m_items where ok)
"""
_MASTODON_DONE = r"""
create or replace temp table m_done as
select _row from m_rows where _row not in (
    select _row from m_items i left join m_distinct d using (account, instance) left join m_keys k using (_key)
    where not i.ok or k.aid is null)
"""
_MASTODON_FINAL = r"""
create or replace temp table m_final as
select i.*, _key, k.aid from m_items i join m_distinct d using (account, instance) join m_keys k using (_key)
where i._row in (select _row from m_done)
order by _row, pos
"""
_MASTODON_OUT = {
    "accounts": r"""
        select f._row, a.* exclude (_key), f.record_id as raw_id, f.run_id, f.observed_at
        from m_final f join m_accounts a using (_key) order by f._row, f.pos
    """,
    "identity_links": r"""
        select f._row, l.* exclude (_key, _sub), f.record_id as raw_id, f.run_id, f.observed_at
        from m_final f join m_links l using (_key) order by f._row, f.pos, l._sub
    """,
    "engagements": r"""
        select _row, exec_id, 'mastodon' as platform, post_id, aid as account_id, null::VARCHAR as account_platform,
            case kind when 'favourited_by' then 'like' else 'repost' end as kind, null::TIMESTAMPTZ as engaged_at,
            case kind when 'favourited_by' then 'like:' else 'repost:' end || post_id || ':' || aid as engagement_key,
            null::VARCHAR as via_post_id, null::INTEGER as depth, record_id as raw_id, run_id, observed_at
        from m_final
    """,
}


def _mastodon_accounts(con: duckdb.DuckDBPyConnection, schemas: dict[str, pa.Schema]) -> None:
    """Each distinct (account object, instance) of the batch through the reference ``add_account``, once.

    Fills ``m_keys`` (the account id, NULL where the parser raised: the rows holding it go to Python),
    ``m_accounts`` and ``m_links``, by ``m_distinct._key``. The object is read back from DuckDB's JSON text of it,
    which holds the same values as the stored text (the checks above exclude the repeated keys that would differ).
    """
    from collectors.mastodon.parse import add_account
    from collectors.records import RawContext, Records

    observed = datetime(2000, 1, 1, tzinfo=UTC)  # add_account reads only ctx.params["instance"]
    keys: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for key, text, instance in con.execute("select _key, account, instance from m_distinct order by _key").fetchall():
        ctx = RawContext(source="mastodon", kind="favourited_by", exec_id="", url="", observed_at=observed,
                         params={"instance": instance})
        rec = Records()
        try:
            aid = add_account(rec, json.loads(text), ctx)
        except Exception:  # noqa: BLE001 - whatever it is, the Python parser meets it again and reports it
            aid = None
        keys.append({"_key": key, "aid": aid})
        if aid is not None:
            [account] = rec.rows["accounts"]
            accounts.append({"_key": key, **account})
            links.extend({"_key": key, "_sub": i, **link} for i, link in enumerate(rec.rows["identity_links"]))
    for name, rows, schema in (
        ("m_keys", keys, pa.schema([("_key", pa.int64()), ("aid", pa.string())])),
        ("m_accounts", accounts, pa.schema([("_key", pa.int64()), *_fields(schemas["accounts"])])),
        ("m_links", links, pa.schema([("_key", pa.int64()), ("_sub", pa.int64()),
                                      *_fields(schemas["identity_links"])])),
    ):
        con.register(f"{name}_arrow", pa.Table.from_pylist(rows, schema=schema))
        con.execute(f"create or replace temp table {name} as select * from {name}_arrow")
        con.unregister(f"{name}_arrow")


def _fields(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    """The table's own columns, without the provenance the load step adds."""
    return [(f.name, f.type) for f in schema if f.name not in ("raw_id", "run_id", "observed_at")]


def _decodes(texts: pa.ChunkedArray | pa.Array) -> pa.BooleanArray:
    """Whether Python reads each JSON text as the load step's ``_decode`` does before the Python parser sees it.

    What DuckDB and Python accept differs in three ways. DuckDB also takes trailing commas (the SQL looks for them)
    and Python also lone surrogates (DuckDB refuses them: the row goes to Python). And nesting: Python gives up
    (RecursionError) about a thousand levels down, less the frames already on the stack; DuckDB never does. A text
    with fewer opening brackets (counted anywhere in it) than Python has levels left, with a wide margin, is
    shallower than that; any other is decoded here with ``json.loads``, 16 frames deeper than the load step's own
    decoding, so that a text it passes is one the Python parser decodes too.
    """
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    shallow = min(800, sys.getrecursionlimit() - depth - 200)
    brackets = pc.add(pc.count_substring(texts, "["), pc.count_substring(texts, "{"))
    deep = pc.fill_null(pc.greater_equal(brackets, shallow), False)
    if not pc.any(deep).as_py():
        return pa.array([True] * len(texts), pa.bool_())
    return pa.array(_loads_deeper(texts.to_pylist(), deep.to_pylist(), 16), pa.bool_())


def _loads_deeper(texts: list[str | None], check: list[bool], margin: int) -> list[bool]:
    if margin:
        return _loads_deeper(texts, check, margin - 1)
    ok = []
    for text, deep in zip(texts, check, strict=True):
        if deep:
            try:
                json.loads(text)  # type: ignore[arg-type]
            except (ValueError, TypeError, RecursionError):
                ok.append(False)
                continue
        ok.append(True)
    return ok


_CONNECTIONS = threading.local()


def _connection(threads: int | None) -> duckdb.DuckDBPyConnection:
    """This thread's DuckDB connection for the fast path, with the macros: kept from one batch to the next (a new
    database each time costs its memory again, page by page)."""
    con = getattr(_CONNECTIONS, "con", None)
    if con is None or _CONNECTIONS.threads != threads:
        if con is not None:
            con.close()
        con = duckdb.connect(config={"threads": threads} if threads else {})
        con.execute("set TimeZone = 'UTC'")
        con.execute(_MACROS)
        _CONNECTIONS.con, _CONNECTIONS.threads = con, threads
    return con


def parse_fast(raw: pa.Table, schemas: dict[str, pa.Schema], *, threads: int | None = None
               ) -> tuple[pa.BooleanArray, dict[str, list[pa.Table]]]:
    """Parse the rows of ``raw`` that the fast path covers with certainty.

    ``schemas`` are the cached tables' Arrow schemas (``pipeline.load.arrow_schema``). Returns a mask over ``raw``
    (true: the row was parsed here, and only here) and, per table, a few tables of its rows in that schema with a
    ``_row`` column (the raw row's position in ``raw``) in front, each ordered by ``_row`` and, within a raw row, as
    the Python parser orders them.
    """
    n = raw.num_rows
    out: dict[str, list[pa.Table]] = {}
    kinds = pc.fill_null(pc.is_in(pc.binary_join_element_wise(raw["source"], raw["kind"], "\x1f"),
                                  value_set=pa.array([f"{s}\x1f{k}" for s, k in sorted(FAST_KINDS)])), False)
    if n == 0 or not pc.any(kinds).as_py():
        return pa.array([False] * n, pa.bool_()), out
    seg = raw.select(["source", "kind", "exec_id", "record_id", "run_id", "observed_at", "params", "payload"])
    seg = seg.filter(kinds).add_column(0, "_row", pc.indices_nonzero(kinds).cast(pa.int64()))
    params = pc.if_else(pc.equal(pc.fill_null(seg["params"], ""), ""), "{}", seg["params"])
    seg = seg.filter(pc.and_(_decodes(seg["payload"]), _decodes(params)))
    done: list[pa.Array] = []
    con = _connection(threads)
    try:
        con.register("seg", seg)
        con.execute(_CANDIDATES)
        sources = set(pc.unique(seg["source"]).to_pylist())
        if "bluesky" in sources:
            con.execute(_B_ITEMS_TABLE)
            for kind in _BLUESKY_SHAPES:
                con.execute(_bluesky_items_sql(kind))
            con.execute("create or replace temp table b_done as select _row from b_items group by _row "
                        "having bool_and(ok)")
            for t, tables in _bluesky_tables(con, schemas).items():
                out.setdefault(t, []).extend(tables)
            done.append(con.sql("select _row from b_done").to_arrow_table()["_row"].combine_chunks())
        if "mastodon" in sources:
            con.execute(_MASTODON_ROWS)
            con.execute(_MASTODON_ITEMS)
            con.execute(_MASTODON_DISTINCT)
            _mastodon_accounts(con, schemas)
            con.execute(_MASTODON_DONE)
            con.execute(_MASTODON_FINAL)
            for t, sql in _MASTODON_OUT.items():
                schema = pa.schema([pa.field("_row", pa.int64()), *schemas[t]])
                out.setdefault(t, []).append(con.sql(sql).to_arrow_table().select(schema.names).cast(schema))
            done.append(con.sql("select _row from m_done").to_arrow_table()["_row"].combine_chunks())
    finally:
        for (name,) in con.execute("select table_name from duckdb_tables() where temporary").fetchall():
            con.execute(f"drop table {name}")
        con.execute("drop view if exists cand")
        con.unregister("seg")
    taken = pa.concat_arrays(done) if done else pa.array([], pa.int64())
    return pc.is_in(pa.array(range(n), pa.int64()), value_set=taken), out
