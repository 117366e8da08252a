"""The model SQL, written for DuckDB, as Spark SQL: ``sqlglot.transpile(sql, read="duckdb", write="spark")`` plus
a few small rewrites of the parsed tree, each for one DuckDB construct SQLGlot does not carry over faithfully.

There is one copy of every model (``pipeline/models``); nothing here knows a model by name. The rewrites:

- ``norm_id(x)``, ``is_suppressed(x)``, ``account_person_id(platform, account_id)`` and ``iso_week(t)``, the DuckDB
  macros of ``pipeline/seeds.py`` (bodies taken from there): expanded inline (``iso_week`` as
  ``cast(date_trunc('week', t) as date)``, which it computes faster in DuckDB). The person keys' macros
  (``person_key``, ``account_person_key``, ``person_id_of``) read hex with ``conv`` and write it with ``hex``, which
  DuckDB has not, or not as fast: their Spark bodies are written here (``_SPARK_MACROS``).
  ``is_suppressed`` compares ``sha2(norm_id(x), 256)`` with the suppression list, which is short (people erased on
  request) and known when the build starts, so it is inlined as a literal list; an empty list makes it ``false``,
  which Spark then folds away (DuckDB's macro is written as ``false`` then: ``pipeline/seeds.py``,
  ``define_is_suppressed``).
- ``from_json(x, '["VARCHAR"]')``: DuckDB's JSON-structure argument becomes Spark's DDL type (``array<string>``).
- ``format('… {} …', …)``: DuckDB's fmt-style placeholders become ``format_string`` with ``%s``.
- ``regexp_*`` patterns: POSIX classes (``[[:alpha:]]``, RE2) become Java's (``[\\p{Alpha}]``); a
  ``regexp_replace`` without the ``'g'`` option replaces only the first match in DuckDB and every match in Spark,
  so one that is not anchored (``^``/``$``) is refused.
- ``list_slice(l, begin, end)`` (1-based, inclusive) becomes ``slice(l, begin, end - begin + 1)``.
- ``len(list)``: SQLGlot cannot tell a list from a string and writes ``length``; the models say
  ``array_length(list)`` instead (``size`` in Spark).
- ``cast(unnest(l) as T)``: Spark allows nothing around a generator; it becomes ``explode(cast(l as array<T>))``.
- ``list(x)``: DuckDB gives NULL for a group whose rows are all filtered out, Spark an empty array; the
  transpiled ``collect_list`` is wrapped in ``nullif(…, array())``. (DuckDB's list also keeps NULL values, which
  ``collect_list`` drops: the models only collect non-NULL values.)
- ``list(x order by y)``: SQLGlot drops the ORDER BY (``collect_list``); no model uses it, and the transpiler
  refuses it rather than silently change a result.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from pipeline.seeds import ACCOUNT_PERSON_ID, NORM_ID

# POSIX classes (RE2, DuckDB) as Java regex classes (Spark); both ASCII-only
_POSIX = {f"[:{c}:]": f"\\p{{{c.capitalize()}}}" for c in ("alpha", "alnum", "digit", "lower", "upper", "punct")}
_POSIX["[:space:]"] = "\\s"
_JSON_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "INTEGER": "int", "DOUBLE": "double", "BOOLEAN": "boolean"}


# the person keys' macros (pipeline/seeds.py) in Spark SQL: the same values, by Spark's functions
_SPARK_MACROS = {
    "person_key": (("person_id",),
                   "case when left(person_id, 1) = 'p' then cast(conv(substr(person_id, 2), 16, 10) as bigint) end"),
    "account_person_key": (("platform", "account_id"),
                           "cast(conv(substr(md5(platform || ':' || account_id), 1, 15), 16, 10) as bigint)"),
    "person_id_of": (("person_key",), "concat('p', lpad(lower(hex(person_key)), 15, '0'))"),
}


def _json_structure_to_ddl(structure: str) -> str | None:
    """DuckDB's from_json structure ('["VARCHAR"]', '{"a": "BIGINT"}') as a Spark DDL type, or None."""
    import json

    try:
        s = json.loads(structure)
    except ValueError:
        return None

    def ddl(v) -> str | None:
        if isinstance(v, str):
            return _JSON_TYPES.get(v.upper())
        if isinstance(v, list) and len(v) == 1:
            inner = ddl(v[0])
            return f"array<{inner}>" if inner else None
        if isinstance(v, dict):
            parts = [(k, ddl(t)) for k, t in v.items()]
            if any(t is None for _, t in parts):
                return None
            return "struct<" + ",".join(f"`{k}`:{t}" for k, t in parts) + ">"
        return None

    return ddl(s)


def _literal_text(node: exp.Expression) -> str | None:
    """A string literal, or literals joined by ||, as one string; None for anything else."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.DPipe | exp.Concat):
        parts = [node.this, node.expression] if isinstance(node, exp.DPipe) else node.expressions
        texts = [_literal_text(p) for p in parts]
        return None if any(t is None for t in texts) else "".join(texts)  # type: ignore[arg-type]
    if isinstance(node, exp.Paren):
        return _literal_text(node.this)
    return None


class Transpiler:
    def __init__(self, suppressed_hashes: Iterable[str] = ()) -> None:
        self.suppressed = sorted(set(suppressed_hashes))
        self._norm = sqlglot.parse_one(NORM_ID, read="duckdb")
        self._account_person = sqlglot.parse_one(ACCOUNT_PERSON_ID, read="duckdb")
        self._spark_macros = {name: (params, sqlglot.parse_one(body, read="spark"))
                              for name, (params, body) in _SPARK_MACROS.items()}

    # -- the macros ------------------------------------------------------------------------------------------
    @staticmethod
    def _expand(body: exp.Expression, **args: exp.Expression) -> exp.Expression:
        """A macro's body with its parameters (unqualified columns of those names) replaced by the arguments."""
        body = body.copy()
        for col in list(body.find_all(exp.Column)):
            if col.name in args and not col.table:
                col.replace(args[col.name].copy())
        return exp.Paren(this=body)

    def _norm_id(self, arg: exp.Expression) -> exp.Expression:
        return self._expand(self._norm, x=arg)

    def _is_suppressed(self, arg: exp.Expression) -> exp.Expression:
        if not self.suppressed:
            return exp.false()
        sha = exp.func("sha256", self._norm_id(arg))
        return exp.Paren(this=exp.and_(
            exp.Not(this=exp.Is(this=arg.copy(), expression=exp.null())),
            exp.In(this=sha, expressions=[exp.Literal.string(h) for h in self.suppressed]),
        ))

    def _rewrite(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name == "norm_id" and len(node.expressions) == 1:
                return self._norm_id(node.expressions[0])
            if name == "is_suppressed" and len(node.expressions) == 1:
                return self._is_suppressed(node.expressions[0])
            if name == "account_person_id" and len(node.expressions) == 2:
                platform, account_id = node.expressions
                return self._expand(self._account_person, platform=platform, account_id=account_id)
            if name in self._spark_macros and len(node.expressions) == len(self._spark_macros[name][0]):
                params, body = self._spark_macros[name]
                return self._expand(body, **dict(zip(params, node.expressions, strict=True)))
            if name == "iso_week" and len(node.expressions) == 1:
                # the Monday of the ISO week, a date (the session's time zone is UTC, as a DuckDB build's)
                return exp.Cast(this=exp.TimestampTrunc(this=node.expressions[0].copy(), unit=exp.var("WEEK")),
                                to=exp.DataType.build("date"))
        if isinstance(node, exp.Format) and _literal_text(node.this) is not None:
            # DuckDB's format() is fmt-style ('{}'); Spark's format_string is printf-style ('%s')
            node.this.replace(exp.Literal.string(_literal_text(node.this).replace("%", "%%").replace("{}", "%s")))
        if isinstance(node, exp.FromJson) and isinstance(node.expression, exp.Literal):
            ddl = _json_structure_to_ddl(node.expression.this)
            if ddl:
                node.expression.replace(exp.Literal.string(ddl))
        if isinstance(node, exp.RegexpReplace | exp.RegexpExtract | exp.RegexpExtractAll | exp.RegexpLike) \
                and isinstance(node.expression, exp.Literal):
            pattern = node.expression.this
            if isinstance(node, exp.RegexpReplace):
                modifiers = node.args.get("modifiers")
                if "g" not in (modifiers.this if isinstance(modifiers, exp.Literal) else "") \
                        and not pattern.startswith("^") and not pattern.endswith("$"):
                    raise sqlglot.errors.UnsupportedError(
                        f"regexp_replace without 'g' replaces the first match only in DuckDB, every match in Spark: "
                        f"anchor the pattern {pattern!r} or add 'g'")
            for posix, java in _POSIX.items():
                pattern = pattern.replace(posix, java)
            node.expression.replace(exp.Literal.string(pattern))
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("list_slice", "array_slice") \
                and len(node.expressions) == 3:
            # DuckDB: 1-based, both ends included; Spark's slice takes a start and a length
            lst, begin, end = (e.copy() for e in node.expressions)
            length = exp.Add(this=exp.Sub(this=exp.Paren(this=end), expression=exp.Paren(this=begin.copy())),
                             expression=exp.Literal.number(1))
            return exp.Anonymous(this="slice", expressions=[lst, begin, length])
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Unnest | exp.Explode):
            # Spark allows no expression around a generator: cast(unnest(l) as T) becomes unnest(cast(l as T[]))
            gen = node.this
            inner = gen.expressions[0] if isinstance(gen, exp.Unnest) else gen.this
            cast = exp.Cast(this=inner.copy(), to=exp.DataType.build(f"ARRAY<{node.to.sql('spark')}>", dialect="spark"))
            return exp.Unnest(expressions=[cast]) if isinstance(gen, exp.Unnest) else exp.Explode(this=cast)
        if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
            raise sqlglot.errors.UnsupportedError(
                "list(x order by y) has no faithful Spark form here; sort the list after aggregating")
        return node

    def to_spark(self, sql: str) -> str:
        tree = sqlglot.parse_one(sql, read="duckdb")
        tree = tree.transform(self._rewrite)
        for agg in list(tree.find_all(exp.ArrayAgg)):
            # DuckDB's list() of no rows (all filtered out) is NULL, Spark's collect_list is []
            target = agg.parent if isinstance(agg.parent, exp.Filter) else agg
            target.replace(exp.Nullif(this=target.copy(), expression=exp.Array(expressions=[])))
        return tree.sql(dialect="spark", pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)


def spark_sql(sql: str, suppressed_hashes: Iterable[str] = ()) -> str:
    return Transpiler(suppressed_hashes).to_spark(sql)

