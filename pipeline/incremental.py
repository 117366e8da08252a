"""Incremental builds: when the raw store only grew since the last build, merge the new segments' observations into
the previous warehouse instead of recomputing every model from every observation.

A build may be incremental when the previous warehouse recorded how it was built (``_build_state``: a fingerprint
of the model code, the parsers, the program versions and every ``cfg_*`` seed, i.e. the config, the ties registers,
the manual identity decisions and the suppression list; ``_build_segments``: the cache key of every raw segment it
loaded) and now the fingerprint is the same and every segment it loaded is still there. Anything else (a parser or
model change, an edited config or ties register, a merge or split, an erasure, which rewrites segments) gives a full
build, and ``influence model --full`` asks for one.

An incremental build copies the previous warehouse and runs every model in order as a full build does, except the
ones below, which update their table in place from what changed upstream; every other model is recomputed from the
(updated) tables it reads, so its result is exactly a full build's. The updated models keep to that too: the test
``tests/test_incremental.py`` builds incrementally after new data and compares every table with a full build.

Updaters here (each also in the README's "How data flows"):
- ``stg_accounts``, ``stg_posts`` (the latest observation of each account / post): the new segments' rows per key,
  merged with the stored row by the same order (observed_at, then raw id; first_seen the earliest);
  ``stg_post_observations``, ``stg_exec_follower_counts``: the new observation times, merged with a stored row of
  the same time; ``stg_follows``, ``stg_follow_lists``: the followers and lists seen again, merged.
- ``int_people``, ``accounts``, ``people``, ``int_person_features``: the accounts whose row
  or identity group changed, and the people they belong or belonged to.
- ``int_own_posts``, ``post_observations``: the posts that changed.
- ``int_engagements``: the new observations aggregated per engagement as ``stg_engagements`` does, merged with the
  stored row (the first observation's fields, the earliest time, the least depth), and re-joined to people, ties and
  the executives' own accounts; also every stored engagement whose account now belongs to another person (identity
  evidence that arrived with the new data) or whose (executive, person) tie changed. Only the rows that come out
  changed are replaced and passed on: an engagement merely observed again (most of a day's, from the daily
  collector) stops here. If the executives' own accounts changed, it is recomputed whole.
- ``int_person_weeks``: for the (executive, person) pairs whose engagements only grew, the stored weeks and the new
  engagements' weeks; recomputed for the pairs with an engagement that changed; only the rows that changed are
  deleted and inserted (``replace_rows``, for a model stored by a column), so it stays in week order.
Elsewhere: the diffusion models in ``pipeline/update_diffusion.py``, the weekly and topic models in
``pipeline/update_weekly.py``, the spheres' members in their Python model (``int_sphere_members.update``) and the
counts the spheres mart reads in ``pipeline/update_spheres.py``.

An updater gets an ``Increment``: for each model M updated before it, ``_inc_old_M`` / ``_inc_new_M`` hold the
rows taken out / put in (``replace_rows``); for the models in ``Increment.SNAPSHOT`` recomputed in full,
``_prev_M`` is the table they replaced. It returns False when it cannot tell what changed (an input recomputed in
full), and the model is then recomputed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from influence import __version__

STATE = "_build_state"
SEGMENTS = "_build_segments"
PIPELINE = Path(__file__).parent


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What a build's result depends on besides the raw segments: code, versions and every ``cfg_*`` seed."""
    from pipeline.load import parser_version

    h = hashlib.sha256(f"{__version__}|{duckdb.__version__}|{parser_version()}".encode())
    code = [*sorted((PIPELINE / "models").rglob("*.sql")), *sorted((PIPELINE / "models").rglob("*.py")),
            *sorted(PIPELINE.glob("update_*.py")), PIPELINE / "runner.py", PIPELINE / "incremental.py",
            PIPELINE / "seeds.py"]
    for path in code:
        h.update(path.relative_to(PIPELINE).as_posix().encode())
        h.update(path.read_bytes())
    seeds = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and table_name like 'cfg\\_%' escape '\\' "
        "order by 1"
    ).fetchall()
    for (name,) in seeds:
        h.update(name.encode())
        for row in con.execute(f"select * from {name} order by all").fetchall():
            h.update(repr(row).encode())
    return h.hexdigest()


def previous_state(warehouse: Path) -> tuple[str, set[str]] | None:
    """The fingerprint and segment keys the warehouse at ``warehouse`` was built from, if it recorded them."""
    if not warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        names = {n for (n,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        if not {STATE, SEGMENTS} <= names:
            return None
        (fp,) = con.execute(f"select fingerprint from {STATE}").fetchone()
        keys = {k for (k,) in con.execute(f"select segment_key from {SEGMENTS}").fetchall()}
        return fp, keys
    except duckdb.Error:
        return None
    finally:
        con.close()


def record_state(con: duckdb.DuckDBPyConnection, fp: str, keys: list[str]) -> None:
    con.execute(f"create or replace table {STATE} as select ? as fingerprint", [fp])
    con.execute(f"create or replace table {SEGMENTS} (segment_key varchar)")
    if keys:
        # one statement with a list, not a statement per key: 736 keys (two years of daily runs) took 0.30 s so
        con.execute(f"insert into {SEGMENTS} select unnest(?::varchar[])", [list(keys)])


@dataclass
class Increment:
    """The state of one incremental build, handed to each model's updater."""

    updated: set[str] = field(default_factory=set)  # models this build updated in place (rather than recomputed)
    temp: set[str] = field(default_factory=set)  # scratch tables to drop at the end
    views: set[str] = field(default_factory=set)  # scratch views to drop at the end
    stats: dict[str, int] = field(default_factory=dict)  # what the updaters found (printed with --debug)
    replaced: dict[str, list[str]] = field(default_factory=dict)  # model -> the key its rows were replaced by
    stored_by: dict[str, list[str]] = field(default_factory=dict)  # model -> its ``-- stored by:`` columns (runner)
    columns: dict[str, list[str]] = field(default_factory=dict)  # model -> its columns, as _columns found them
    _in_transaction: bool = False

    # models whose previous table is kept as _prev_<name> while the new one is built (the updaters compare them)
    SNAPSHOT = ("int_people", "int_ties", "int_exec_accounts", "int_identity_groups", "int_exec_people",
                "int_sphere_window", "int_exec_interactions")

    def scratch(self, con: duckdb.DuckDBPyConnection, name: str, sql: str, *, view: bool = False) -> None:
        """A temp table (or, with ``view``, a temp view: for an input read once, not worth a copy) for this build."""
        con.execute(f"create or replace temp {'view' if view else 'table'} {name} as {sql}")
        (self.views if view else self.temp).add(name)

    @contextmanager
    def transaction(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """A transaction around what must see the same rows (row ids taken and used), or the one it is in."""
        if self._in_transaction:
            yield
            return
        con.execute("begin")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            with suppress(duckdb.Error):  # (the error raised below is the one to report)
                con.execute("rollback")
            raise
        else:
            con.execute("commit")
        finally:
            self._in_transaction = False

    def finish(self, con: duckdb.DuckDBPyConnection) -> None:
        prev = [f"_prev_{name}" for name in self.SNAPSHOT]
        for (view,) in con.execute("select view_name from duckdb_views() where view_name in ?", [prev]).fetchall():
            con.execute(f"drop view {view}")  # views over the scratch tables, first
        for name in sorted(self.views):
            con.execute(f"drop view if exists {name}")
        for name in sorted(self.temp):
            con.execute(f"drop table if exists {name}")
        for (table,) in con.execute("select table_name from duckdb_tables() where table_name in ?", [prev]).fetchall():
            con.execute(f"drop table {table}")


def _sql_reading(model_sql: str, replace: dict[str, str]) -> str:
    """A model's SQL with the tables it reads renamed (whole words only)."""
    for old, new in replace.items():
        model_sql = re.sub(rf"\b{re.escape(old)}\b", new, model_sql)
    return model_sql


def _model_sql(layer: str, name: str) -> str:
    return (PIPELINE / "models" / layer / f"{name}.sql").read_text(encoding="utf-8")


def _on_new_observations(staging_model: str) -> str:
    """A staging model's SQL over the new segments' observations alone (``obs_X`` read as ``obs_new_X``)."""
    return re.sub(r"\bobs_(\w+)\b", r"obs_new_\1", _model_sql("staging", staging_model))


def symmetric_difference(a: str, b: str, cols: str = "*") -> str:
    """SQL for the rows of ``a`` not in ``b`` and of ``b`` not in ``a`` (as multisets), as ``cols``: what changed
    between a table and the one it replaced (``_prev_M``), or between the rows an update took out and put in."""
    return (f"select {cols} from ((select * from {a} except all select * from {b}) "
            f"union all (select * from {b} except all select * from {a}))")


def count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    """The number of rows of a table, or of a query in parentheses."""
    return con.execute(f"select count(*) from {relation}").fetchall()[0][0]


def people_first(keys: str, cols: list[str]) -> str:
    """A semi join on the people of ``keys`` (a table, or a query in parentheses, with a ``person_key`` column), to
    put before a join of several columns ``cols`` that include person_key: DuckDB pushes a join on one integer
    column into the scan as a filter of its keys, so a big table's other columns are read for the matching rows
    alone, where a join on several columns probes every row (at 10M engagements, measured alone: int_person_weeks'
    rows of a day's 6,500 people 0.052-0.055 s against 0.119-0.146 s, the spheres' members' rows of 110k members
    0.067-0.082 s against 0.110-0.126 s; `/tmp/s24/semi2.py`). Empty where ``cols`` is person_key alone or lacks
    it."""
    if "person_key" not in cols or len(cols) < 2:
        return ""
    return f"semi join (select distinct person_key from {keys}) using (person_key) "


# a table at least this wide has the rows an update takes out found in two steps (take_rows)
TWO_STEP_MIN_COLUMNS = 8


def take_rows(con: duckdb.DuckDBPyConnection, inc: Increment, name: str, model: str, match: str, *,
              with_rowid: bool = True, exact: str = "") -> None:
    """The scratch table ``name``: the rows of ``model`` (as ``t``) that ``match`` (a join clause) keeps, each with
    its row id as ``_inc_rowid`` (unless not ``with_rowid``: then it is taken in a transaction of its own, else in
    the caller's, where the row ids are used: they hold only within one). ``exact``: a join clause the rows
    ``match`` found must pass too (a match by a hash finds a superset: two keys may share one).

    From a wide table, in two steps: the row ids, reading only the columns the match reads, then the rows by them
    (nothing to read when none matched, as for a day's new engagements). In one step every column of every row is
    scanned. Measured on a same-week day at 10M engagements (medians of 3 runs of the same update, in three sets):
    int_engagements (14 columns) 1.34-1.50 s in one step against 0.60-0.78 s in two; accounts, stg_accounts,
    stg_posts and the diffusion tree and edges (8-24 columns) 0.17-0.42 s against 0.03-0.24 s each. A narrow table
    whose match finds many rows lost: int_person_weeks (5 columns; every week of each person of the day) 0.53 s
    against 0.77 s, int_person_features (3) 0.16 s against 0.23 s; the narrow ones that gained, 0.02 s at most."""
    rowid = "t.rowid as _inc_rowid, " if with_rowid else ""
    if len(_columns(con, model, inc)) < TWO_STEP_MIN_COLUMNS:
        inc.scratch(con, name, f"select {rowid}t.* from {model} as t {match} {exact}")
        return
    with inc.transaction(con):
        inc.scratch(con, f"{name}_ids", f"select t.rowid as _inc_rowid from {model} as t {match}")
        inc.scratch(con, name, f"select {rowid}t.* from {model} as t semi join {name}_ids as i "
                               f"on t.rowid = i._inc_rowid {exact}")


def engagements_by_key(keys: str) -> dict[str, str]:
    """take_rows' ``match`` and ``exact`` for the rows of int_engagements whose grain is a row of the table ``keys``
    (exec_id, platform, engagement_key): found by their ``key_hash``, one integer column read for every row, then
    held to the keys. (At 10M engagements 6,000 keys took 0.02 s by the hash against 0.31 s by the three string
    columns, medians of 5, `/tmp/s22/hk.py` of session 22.)"""
    return {"match": f"semi join (select hash(exec_id, platform, engagement_key) as key_hash from {keys}) "
                     "using (key_hash)",
            "exact": f"semi join {keys} using (exec_id, platform, engagement_key)"}


def replace_rows(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, keys: list[str], dirty: str,
                 new_sql: str, *, old: str | None = None, keep_old: bool = True, null_safe: bool = False) -> None:
    """Replace the rows of ``model`` whose ``keys`` are in the table ``dirty`` by the rows of ``new_sql``.

    What changed is left for the updaters downstream: ``_inc_old_<model>`` holds the rows taken out and
    ``_inc_new_<model>`` the rows put in (both, for a row recomputed unchanged), until the build ends.
    For a model stored by a column (``-- stored by:``, ``inc.stored_by``), a row recomputed unchanged is neither
    deleted nor inserted again: it stays where the full build's sort put it, and only rows that changed go at the
    end (the grain makes rows unique, so the rows are compared as sets)."""
    # (``null_safe``: a key column may be NULL, e.g. the one row of a hidden follower list, and NULL = NULL is not
    # true in a join)
    eq = "is not distinct from" if null_safe else "="
    match = ("" if null_safe else people_first(dirty, keys)) + f"semi join {dirty} on " + " and ".join(
        f"t.{c} {eq} {dirty}.{c}" for c in keys)
    on = " and ".join(f"{model}.{c} {eq} {dirty}.{c}" for c in keys)
    with inc.transaction(con):
        # the rows taken out are found once, with their row ids, and deleted by them: a second join over the whole
        # model cost more (at 10M engagements, int_engagements' delete by its key took 0.52 s, by row id 0.05 s).
        # Row ids hold only within the transaction: a checkpoint between two statements may move rows.
        # (``old``: a scratch table with those rows and their ``_inc_rowid`` the caller already took, in the
        # transaction it holds; ``keep_old=False`` where no updater reads them: the spheres' members, millions of
        # rows when all change)
        if keep_old:
            if old is None:
                old = f"_inc_rows_{model}"
                take_rows(con, inc, old, model, match)
            inc.scratch(con, f"_inc_old_{model}", f"select * exclude (_inc_rowid) from {old}", view=True)
        inc.scratch(con, f"_inc_new_{model}", new_sql)
        if keep_old and model in inc.stored_by:
            cols = _columns(con, model, inc)
            same = " and ".join(f"o.{c} is not distinct from n.{c}" for c in cols)
            con.execute(f"delete from {model} where rowid in "
                        f"(select _inc_rowid from {old} as o anti join _inc_new_{model} as n on {same})")
            listed = ", ".join(cols)
            con.execute(f"insert into {model} by name (select {listed} from _inc_new_{model} "
                        f"except select {listed} from {old})")
        elif keep_old:
            con.execute(f"delete from {model} where rowid in (select _inc_rowid from {old})")
            con.execute(f"insert into {model} by name select * from _inc_new_{model}")
        else:
            con.execute(f"delete from {model} using {dirty} where {on}")
            con.execute(f"insert into {model} by name select * from _inc_new_{model}")
    inc.updated.add(model)
    inc.replaced[model] = keys


def _columns(con: duckdb.DuckDBPyConnection, table: str, inc: Increment) -> list[str]:
    """A model's columns, found once a build (duckdb_columns() lists every table's: 2.5 ms a call, 57 calls a day at
    10M engagements); a model recomputed in full during an update has the same columns."""
    if table not in inc.columns:
        inc.columns[table] = [c for (c,) in con.execute(
            "select column_name from duckdb_columns() where table_name = ? and schema_name = 'main' "
            "order by column_index", [table]).fetchall()]
    return inc.columns[table]


def recompute_partitions(con: duckdb.DuckDBPyConnection, inc: Increment, layer: str, model: str, keys: list[str],
                         dirty: str, scoped: dict[str, str], *, in_place: tuple[str, ...] = (),
                         cut: dict[str, str] | None = None) -> None:
    """For a model each of whose rows (keyed by ``keys``) comes from rows of its inputs with the same key values:
    recompute the keys listed in ``dirty`` with the model's own SQL, each input in ``scoped`` (table -> the column
    list of a USING clause matching ``dirty``'s columns) cut down to those keys.

    The inputs named in ``in_place``, which the model reads once, are cut down where they lie (a view) rather than
    copied: only the columns the model reads are scanned (at 10M engagements, a copy of every column of the
    engagements of the day's people took 1.6-2.2 s). ``cut``: inputs already cut down to those keys by the caller
    (table -> the scratch table holding its rows), read as they are."""
    replace = dict(cut or {})
    for table, using in scoped.items():
        match = people_first(dirty, [c.strip() for c in using.split(",")]) + f"semi join {dirty} using ({using})"
        if table in in_place:
            inc.scratch(con, f"_inc_scope_{table}", f"select t.* from {table} as t {match}", view=True)
        else:
            take_rows(con, inc, f"_inc_scope_{table}", table, match, with_rowid=False)
        replace[table] = f"_inc_scope_{table}"
    replace_rows(con, inc, model, keys, dirty, _sql_reading(_model_sql(layer, model), replace))


def _merge_latest(con: duckdb.DuckDBPyConnection, inc: Increment, table: str, new: str, keys: list[str]) -> None:
    """Replace the rows of ``table`` whose key has rows in ``new`` (both shaped like ``table``) by the latest of the
    stored row and the new ones (by last_seen, then last_raw_id), with the earliest first_seen."""
    k = ", ".join(keys)
    inc.scratch(con, f"_inc_keys_{table}", f"select distinct {k} from {new}")
    # (replace_rows takes the stored rows of those keys into _inc_old_<table> before it runs this)
    replace_rows(con, inc, table, keys, f"_inc_keys_{table}", f"""
        select * exclude (first_seen), min(first_seen) over (partition by {k}) as first_seen
        from (select * from {new} union all by name select * from _inc_old_{table})
        qualify row_number() over (partition by {k} order by last_seen desc, last_raw_id desc) = 1
    """)


def update_stg_accounts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    inc.scratch(con, "_inc_new_accounts", _on_new_observations("stg_accounts"))
    _merge_latest(con, inc, "stg_accounts", "_inc_new_accounts", ["platform", "account_id"])
    return True


def update_stg_posts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    inc.scratch(con, "_inc_new_posts", _on_new_observations("stg_posts"))
    _merge_latest(con, inc, "stg_posts", "_inc_new_posts", ["exec_id", "platform", "post_id"])
    return True


def _differs(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a model recomputed in full (one of ``Increment.SNAPSHOT``) differs from the table it replaced."""
    return bool(count(con, f"({symmetric_difference(name, f'_prev_{name}')})"))


def exec_accounts_changed(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """Whether the executives' own accounts changed (a Bluesky handle seen as its DID for the first time): then who
    is an engager and which posts are the executive's changed everywhere, and the models that depend on it are
    recomputed in full."""
    if "exec_accounts_changed" not in inc.stats:
        inc.stats["exec_accounts_changed"] = int(_differs(con, "int_exec_accounts"))
    return bool(inc.stats["exec_accounts_changed"])


def update_int_own_posts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A post's row comes from its stg_posts row alone (and the executives' accounts): recompute changed posts."""
    if "stg_posts" not in inc.updated or exec_accounts_changed(con, inc):
        return False
    inc.scratch(con, "_inc_posts_dirty", "select exec_id, platform, post_id from _inc_old_stg_posts "
                                         "union select exec_id, platform, post_id from _inc_new_stg_posts")
    recompute_partitions(con, inc, "intermediate", "int_own_posts", ["exec_id", "platform", "post_id"],
                         "_inc_posts_dirty", {"stg_posts": "exec_id, platform, post_id"})
    return True


def update_int_people(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """An account's person comes from its stg_accounts row and its identity group: recompute the accounts whose
    row or group changed. The table as it was stays readable as ``_prev_int_people`` (a view), like the tables
    recomputed in full."""
    if "stg_accounts" not in inc.updated:
        return False
    inc.scratch(con, "_inc_accounts_dirty", f"""
        select platform, account_id from _inc_old_stg_accounts
        union select platform, account_id from _inc_new_stg_accounts
        union {symmetric_difference("int_identity_groups", "_prev_int_identity_groups", "platform, account_id")}
    """)
    recompute_partitions(con, inc, "intermediate", "int_people", ["platform", "account_id"], "_inc_accounts_dirty",
                         {"stg_accounts": "platform, account_id", "int_identity_groups": "platform, account_id"})
    con.execute("""create or replace temp view _prev_int_people as
        select * from int_people anti join _inc_accounts_dirty using (platform, account_id)
        union all select * from _inc_old_int_people""")
    return True


def update_int_tie_accounts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """The accounts a ties-register line names: each row comes from the line (a seed: a changed register builds in
    full) and one account's stg_accounts row, so the accounts whose row changed are recomputed. In full, the model
    read the 1.25M accounts twice at 10M engagements (0.12-0.20 s of every update)."""
    if "stg_accounts" not in inc.updated:
        return False
    inc.scratch(con, "_inc_tie_accounts_dirty", """
        select platform, account_id from _inc_old_stg_accounts
        union select platform, account_id from _inc_new_stg_accounts
    """)
    recompute_partitions(con, inc, "intermediate", "int_tie_accounts", ["platform", "account_id"],
                         "_inc_tie_accounts_dirty", {"stg_accounts": "platform, account_id"})
    inc.stats["tie_accounts_changed"] = count(
        con, f"({symmetric_difference('_inc_old_int_tie_accounts', '_inc_new_int_tie_accounts')})")
    return True


def _accounts_changed(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """``_inc_accounts_changed``: accounts whose stg_accounts or int_people row changed (False: not known)."""
    if not {"stg_accounts", "int_people"} <= inc.updated:
        return False
    if "_inc_accounts_changed" not in inc.temp:
        inc.scratch(con, "_inc_accounts_changed", """
            select platform, account_id from _inc_accounts_dirty
            union select platform, account_id from _inc_old_int_people
            union select platform, account_id from _inc_new_int_people
        """)
        # their int_people rows, which accounts and people each read (a scan of the 1.25M accounts' rows at 10M
        # engagements, 0.06-0.08 s each)
        inc.scratch(con, "_inc_accounts_changed_people", """
            select t.* from int_people as t semi join _inc_accounts_changed using (platform, account_id)""")
    return True


def update_accounts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not _accounts_changed(con, inc):
        return False
    recompute_partitions(con, inc, "marts", "accounts", ["platform", "account_id"], "_inc_accounts_changed",
                         {"stg_accounts": "platform, account_id"}, cut={"int_people": "_inc_accounts_changed_people"})
    return True


def update_people(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A person's row comes from their accounts: recompute the people any changed account belongs or belonged to."""
    if not _accounts_changed(con, inc):
        return False
    inc.scratch(con, "_inc_people_dirty", """
        select person_id from _inc_old_int_people union select person_id from _inc_new_int_people
        union select person_id from _inc_accounts_changed_people
    """)
    recompute_partitions(con, inc, "marts", "people", ["person_id"], "_inc_people_dirty", {"int_people": "person_id"})
    return True


def update_int_person_features(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """A person's features come from their accounts and their posts: recompute the people whose accounts changed
    (or changed person) and the authors of changed posts."""
    if not {"stg_accounts", "int_people", "stg_posts"} <= inc.updated:
        return False
    inc.scratch(con, "_inc_feature_people", """
        select person_key from _inc_old_int_people union select person_key from _inc_new_int_people
        union select p.person_key from (select platform, author_account_id from _inc_old_stg_posts
                                        union select platform, author_account_id from _inc_new_stg_posts) as s
            join int_people as p on p.platform = s.platform and p.account_id = s.author_account_id
    """)
    recompute_partitions(con, inc, "intermediate", "int_person_features", ["person_key"], "_inc_feature_people",
                         {"int_people": "person_key"})
    return True


def _merge_aggregate(con: duckdb.DuckDBPyConnection, inc: Increment, model: str, keys: list[str], merged: str) -> None:
    """A staging model that aggregates observations per key: its SQL over the new segments' observations alone,
    then ``merged`` (a select grouped by the keys over ``{rows}``: those rows and the stored rows of the same keys)
    replaces the stored rows. Keys are matched NULL to NULL (a hidden follower list has no account)."""
    inc.scratch(con, f"_inc_agg_new_{model}", _on_new_observations(model))
    inc.scratch(con, f"_inc_agg_keys_{model}", f"select distinct {', '.join(keys)} from _inc_agg_new_{model}")
    # (replace_rows takes the stored rows of those keys into _inc_old_<model> before it runs ``merged``)
    rows = f"(select * from _inc_agg_new_{model} union all by name select * from _inc_old_{model})"
    replace_rows(con, inc, model, keys, f"_inc_agg_keys_{model}", merged.format(rows=rows), null_safe=True)


def update_stg_follows(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    keys = ["exec_id", "platform", "direction", "account_id"]
    _merge_aggregate(con, inc, "stg_follows", keys, """
        select exec_id, platform, direction, account_id, bool_or(hidden) as hidden,
            min(first_seen) as first_seen, max(last_seen) as last_seen
        from {rows} group by all""")
    return True


def update_stg_follow_lists(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    _merge_aggregate(con, inc, "stg_follow_lists", ["exec_id", "platform", "direction"], """
        select exec_id, platform, direction, arg_max(hidden, last_collected) as hidden,
            max(last_collected) as last_collected
        from {rows} group by all""")
    return True


def update_stg_exec_follower_counts(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    # which accounts are the executives' comes from the config alone, unchanged in an incremental build
    _merge_aggregate(con, inc, "stg_exec_follower_counts", ["platform", "account_id", "observed_at"], """
        select platform, account_id, observed_at, max(followers_count) as followers_count
        from {rows} group by all""")
    return True


def update_stg_post_observations(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """One row per post and observation time, the largest counts seen then."""
    _merge_aggregate(con, inc, "stg_post_observations", ["exec_id", "platform", "post_id", "observed_at"], """
        select exec_id, platform, post_id, observed_at, max(like_count) as like_count,
            max(repost_count) as repost_count, max(reply_count) as reply_count, max(quote_count) as quote_count
        from {rows} group by all""")
    return True


def update_post_observations(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if not {"stg_post_observations", "int_own_posts"} <= inc.updated:
        return False
    inc.scratch(con, "_inc_obs_posts", """
        select exec_id, platform, post_id from _inc_agg_keys_stg_post_observations
        union select exec_id, platform, post_id from _inc_old_int_own_posts
        union select exec_id, platform, post_id from _inc_new_int_own_posts
    """)
    recompute_partitions(con, inc, "marts", "post_observations", ["exec_id", "platform", "post_id"], "_inc_obs_posts",
                         {"stg_post_observations": "exec_id, platform, post_id",
                          "int_own_posts": "exec_id, platform, post_id"})
    return True


def update_int_engagements(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    if "stg_accounts" not in inc.updated or exec_accounts_changed(con, inc):
        return False  # an executive's own accounts changed: who counts as an engager changed everywhere
    # the new observations per engagement, as stg_engagements aggregates them
    inc.scratch(con, "_inc_new_eng", _on_new_observations("stg_engagements"))
    # accounts now of another person than their engagements say, and (executive, person) pairs whose tie changed
    people = "_inc_new_int_people" if "int_people" in inc.updated else "int_people"  # (only changed rows can)
    inc.scratch(con, "_inc_repersoned", f"""
        select n.platform, n.account_id from {people} as n
        left join _prev_int_people as p using (platform, account_id)
        where n.person_id <> coalesce(p.person_id, account_person_id(n.platform, n.account_id))
    """)
    tie_changes = symmetric_difference("int_ties", "_prev_int_ties", "exec_id, person_key")
    inc.scratch(con, "_inc_tie_pairs", f"select distinct * from ({tie_changes})")
    keys = "select exec_id, platform, engagement_key from _inc_new_eng"
    inc.stats["repersoned_accounts"] = count(con, "_inc_repersoned")
    inc.stats["tie_pairs"] = count(con, "_inc_tie_pairs")
    if inc.stats["repersoned_accounts"]:
        keys += """ union select e.exec_id, e.platform, e.engagement_key from int_engagements as e
            semi join _inc_repersoned as r on r.platform = e.account_platform and r.account_id = e.account_id"""
    if inc.stats["tie_pairs"]:
        keys += """ union select e.exec_id, e.platform, e.engagement_key from int_engagements as e
            semi join _inc_tie_pairs using (exec_id, person_key)"""
    inc.scratch(con, "_inc_eng_keys", keys)
    with inc.transaction(con):  # (the row ids of _inc_old_eng are used by replace_rows' delete)
        _merge_engagements(con, inc)
    inc.stats["engagements_observed"] = count(con, "_inc_eng_keys")
    inc.stats["engagements_updated"] = count(con, "_inc_eng_changed")
    return True


def _merge_engagements(con: duckdb.DuckDBPyConnection, inc: Increment) -> None:
    take_rows(con, inc, "_inc_old_eng", "int_engagements", **engagements_by_key("_inc_eng_keys"))
    # stored and new, merged as one aggregate over all observations would give: the first observation's fields
    # (on a tie the stored ones: the aggregate's choice among equal times is arbitrary too), the earliest time
    # the platform gave, the earliest sighting, the least depth
    first = "(o.engagement_key is null or (n.engagement_key is not null and n.first_seen < o.first_seen))"
    pick = ",\n".join(f"case when {first} then n.{c} else o.{c} end as {c}"
                      for c in ("post_id", "account_id", "account_platform", "kind", "via_post_id"))
    inc.scratch(con, "_inc_stg_eng", f"""
        with m as (
            select exec_id, platform, engagement_key,
                {pick},
                least(case when n.time_known then n.engaged_at end, case when o.time_known then o.engaged_at end)
                    as known_at,
                least(n.first_seen, o.first_seen) as first_seen,
                least(n.depth, o.depth) as depth
            from _inc_new_eng as n
            full join _inc_old_eng as o using (exec_id, platform, engagement_key)
        )
        select exec_id, platform, engagement_key, post_id, account_id, account_platform, kind,
            coalesce(known_at, first_seen) as engaged_at, known_at is not null as time_known, first_seen,
            cast(null as timestamptz) as last_seen, via_post_id, depth
        from m
    """)
    recomputed = _sql_reading(_model_sql("intermediate", "int_engagements"), {"stg_engagements": "_inc_stg_eng"})
    # Only the engagements whose row changes go on. The daily collector fetches a post's whole list again each time
    # its count changes (collectors/common.py refresh_engagement), so most of a day's observations are of
    # engagements stored already, which come out as they were (the first observation is kept, and the earliest
    # times): passed on, every model downstream would recompute their people, posts and spheres for nothing.
    # (compared row by row on the grain, which both sides hold once: 0.32 s for 534k candidates, at 10M engagements
    # collected daily, against 1.71 s as a symmetric difference of whole rows)
    keys = ["exec_id", "platform", "engagement_key"]
    using = ", ".join(keys)
    inc.scratch(con, "_inc_eng_all", recomputed)
    differs = " or ".join(f"n.{c} is distinct from o.{c}" for c in _columns(con, "int_engagements", inc)
                        if c not in keys)
    inc.scratch(con, "_inc_eng_changed", f"""
        select {using} from _inc_eng_all as n left join _inc_old_eng as o using ({using})
        where o.engagement_key is null or {differs}
        union all
        select {using} from _inc_old_eng anti join _inc_eng_all using ({using})""")
    inc.scratch(con, "_inc_old_eng_changed", f"select * from _inc_old_eng semi join _inc_eng_changed using ({using})")
    replace_rows(con, inc, "int_engagements", keys, "_inc_eng_changed",
                 f"select * from _inc_eng_all semi join _inc_eng_changed using ({using})", old="_inc_old_eng_changed")


def update_int_person_weeks(con: duckdb.DuckDBPyConnection, inc: Increment) -> bool:
    """Every row of an (executive, person) pair comes from that pair's engagements alone: recompute the pairs whose
    engagements changed. The table is stored by week (a full build sorts it), and the weekly updaters read it for
    the weeks that changed (DuckDB skips the row groups of other weeks by the join's bounds: at 10M engagements
    0.03 s against 0.38 s each); the rows recomputed unchanged (a returning person's earlier weeks) stay where they
    lie, so only the latest weeks' rows go at the end and the order holds."""
    if "int_engagements" not in inc.updated:
        return False
    inc.scratch(con, "_inc_eng_people", "select exec_id, person_key from _inc_old_int_engagements "
                                        "union select exec_id, person_key from _inc_new_int_engagements")
    # Pairs that only gained engagements (none of theirs changed or went: no row of theirs in _inc_old_): their rows
    # are their stored weeks and the new engagements' weeks, each with the pair's ring (every engagement of a pair
    # has it: int_ties by exec_id and person_key; a pair whose tie changed had its engagements changed), and the
    # least week as first_week. So their engagements are not read again: at 10M engagements a day's 12,800 pairs
    # had 169k, and reading them took 0.47 s of the update's 0.83 s. The other pairs are recomputed from theirs.
    inc.scratch(con, "_inc_pw_recount", "select distinct exec_id, person_key from _inc_old_int_engagements")
    grown = """
        with grown as (select exec_id, person_key from _inc_eng_people
                       except select exec_id, person_key from _inc_pw_recount),
        stored as (select exec_id, person_key, ring, week from _inc_rows_int_person_weeks semi join grown
                   using (exec_id, person_key)),
        added as (
            select exec_id, person_key, any_value(ring) as ring, iso_week(engaged_at) as week
            from _inc_new_int_engagements semi join grown using (exec_id, person_key)
            group by exec_id, person_key, iso_week(engaged_at)
        ),
        weeks as (select * from stored union all (select * from added anti join stored using (exec_id, person_key, week)))
        select exec_id, person_key, ring, week, min(week) over (partition by exec_id, person_key) as first_week
        from weeks"""
    if count(con, "_inc_pw_recount"):
        scoped = people_first("_inc_pw_recount", ["exec_id", "person_key"]) + \
            "semi join _inc_pw_recount using (exec_id, person_key)"
        inc.scratch(con, "_inc_scope_int_engagements", f"select t.* from int_engagements as t {scoped}", view=True)
        recounted = _sql_reading(_model_sql("intermediate", "int_person_weeks"),
                                 {"int_engagements": "_inc_scope_int_engagements"})
        grown += f"\n        union all select exec_id, person_key, ring, week, first_week from ({recounted}\n)"
    replace_rows(con, inc, "int_person_weeks", ["exec_id", "person_key"], "_inc_eng_people", grown)
    return True


UPDATERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Increment], bool]] = {
    "stg_accounts": update_stg_accounts,
    "stg_posts": update_stg_posts,
    "stg_post_observations": update_stg_post_observations,
    "stg_follows": update_stg_follows,
    "stg_follow_lists": update_stg_follow_lists,
    "stg_exec_follower_counts": update_stg_exec_follower_counts,
    "int_people": update_int_people,
    "int_tie_accounts": update_int_tie_accounts,
    "int_person_features": update_int_person_features,
    "accounts": update_accounts,
    "people": update_people,
    "post_observations": update_post_observations,
    "int_own_posts": update_int_own_posts,
    "int_engagements": update_int_engagements,
    "int_person_weeks": update_int_person_weeks,
}


from pipeline.update_diffusion import UPDATERS as _DIFFUSION  # noqa: E402  (it imports this module)

UPDATERS.update(_DIFFUSION)

from pipeline.update_weekly import UPDATERS as _WEEKLY  # noqa: E402  (it imports this module)

UPDATERS.update(_WEEKLY)

from pipeline.update_spheres import UPDATERS as _SPHERES  # noqa: E402  (it imports this module)

UPDATERS.update(_SPHERES)
