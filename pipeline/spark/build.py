"""``influence model --engine spark``: the warehouse models on Apache Spark, the marts written as Parquet.

Inputs are the same as DuckDB's: the ``obs_*`` tables are the parsed-segment Parquet cache of the load step
(``<data>/cache/parsed-<version>/<table>/*.parquet``, filled here by ``pipeline.load`` exactly as a DuckDB build
fills it) read by Spark directly, and the ``cfg_*`` seeds come from the config (``pipeline.seeds``). Every SQL
model is the file in ``pipeline/models`` transpiled from DuckDB SQL to Spark SQL (``pipeline.spark.transpile``)
and registered as a temporary view, persisted unless it says ``-- materialized: view``; the runner's order and
grain checks apply unchanged. Python models run as ``pipeline.spark.graph`` says.

Output: every mart as hive-partitioned Parquet (by ``exec_id`` where the mart has one) in
``<data>/spark-warehouse/<mart>/`` or ``--output DIR``, replaced as a whole once every mart is written.

Plans: ``explain=`` receives each model's DataFrame and its grain check's once each has run, so that under
adaptive execution ``plan_text(df)`` is the final plan (``isFinalPlan=true``); ``bench/spark_plans.py`` writes the
plans to files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from collectors.rawstore import RawStore
from collectors.records import TABLES
from influence.config import Config
from influence.errors import ModelError
from pipeline.build import exclusive_lock
from pipeline.load import ERRORS_SCHEMA, ROW_IDS, LoadResult, arrow_schema, load_observations, parser_version
from pipeline.runner import MODELS_DIR, Model, discover, order
from pipeline.seeds import write_seeds
from pipeline.spark.graph import run_python_model
from pipeline.spark.transpile import Transpiler

OUTPUT = "spark-warehouse"


@dataclass
class SparkBuildResult:
    path: Path
    load: LoadResult
    timings: dict[str, float]
    seconds: float
    tables: dict[str, int] = field(default_factory=dict)


def _spark_type(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def register_inputs(spark, config: Config, data_dir: Path,
                    progress: Callable[[str, int, int], None] | None = None) -> tuple[LoadResult, list[str]]:
    """The ``obs_*`` tables (parsed-segment cache) and ``cfg_*`` seeds as temporary views; returns the suppressed
    hashes for the transpiler."""
    cache = data_dir / "cache"
    scratch = duckdb.connect()  # the load step's own tables are not used: Spark reads the cache files below
    try:
        load = load_observations(scratch, RawStore(data_dir / "raw"), cache,
                                 progress=(lambda i, n: progress("parse", i, n)) if progress else None)
        for (name,) in scratch.execute("select table_name from duckdb_tables() where table_name like 'obs%'").fetchall():
            scratch.execute(f"drop table {name}")
        write_seeds(scratch, config, data_dir)
        seeds = {name: scratch.table(name).to_arrow_table() for (name,) in scratch.execute(
            "select table_name from duckdb_tables() where table_name like 'cfg\\_%' escape '\\'").fetchall()}
    finally:
        scratch.close()
    version_dir = cache / f"parsed-{parser_version()}"
    for t in TABLES:
        schema = arrow_schema(t)
        files = sorted((version_dir / t).glob("*.parquet")) if (version_dir / t).is_dir() else []
        if files:
            df = spark.read.schema(_spark_type(schema)).parquet(str(version_dir / t))
            if t in ROW_IDS:  # (as DuckDB's source_row: one value per row, here the file's path and the row's place)
                df = df.selectExpr("*", "concat(_metadata.file_path, '#', _metadata.row_index) as source_row")
        else:
            if t in ROW_IDS:
                schema = schema.append(pa.field("source_row", pa.string()))
            df = spark.createDataFrame([], _spark_type(schema))
        df.createOrReplaceTempView(f"obs_{t}")
    errors = sorted(version_dir.glob("*.errors.parquet"))
    if errors:
        spark.read.schema(_spark_type(ERRORS_SCHEMA)).parquet(*map(str, errors)).createOrReplaceTempView("load_errors")
    for name, table in seeds.items():
        spark.createDataFrame(table).createOrReplaceTempView(name)
    suppressed = seeds["cfg_suppressed"].column("id_hash").to_pylist()
    return load, suppressed


def plan_text(df, mode: str = "formatted") -> str:
    """``df.explain(mode)`` as a string: the final adaptive plan once ``df`` has run, the initial one before."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        df.explain(mode=mode)
    return out.getvalue()


def check_grain(spark, model: Model, explain: Callable[[Any], None] | None = None) -> None:
    cols = ", ".join(model.grain)
    check = spark.sql(f"select {cols}, count(*) as n from {model.name} group by {cols} having count(*) > 1 limit 1")
    bad = check.collect()
    if explain is not None:
        explain(check)
    if bad:
        row = bad[0]
        key = ", ".join(f"{c}={row[i]!r}" for i, c in enumerate(model.grain))
        raise ModelError(f"model {model.name}: {row[-1]} rows share the declared grain ({key})",
                         hint="the model's joins multiply rows; fix the model or its declared grain")


def run_models_spark(spark, settings: dict[str, Any], transpiler: Transpiler, *, models_dir: Path = MODELS_DIR,
                     grain_checks: bool = True, explain: Callable[[str, str, Any], None] | None = None,
                     ) -> tuple[dict[str, float], list[Model]]:
    """Every model in order as a temporary view. ``explain(model, part, df)``, if given, receives the model's
    DataFrame (part ``"model"``) and its grain check's (``"grain check"``), each after it ran."""
    from pyspark import StorageLevel
    from pyspark.errors import PySparkException

    timings: dict[str, float] = {}
    models = order(discover(models_dir))
    for model in models:
        t0 = time.perf_counter()
        try:
            if model.sql is not None:
                df = spark.sql(transpiler.to_spark(model.sql))
            else:
                df = run_python_model(spark, model, settings, transpiler.to_spark)
            planned = df
            if not model.view:
                # computed now and kept in the executors; the plans of later models start from here rather
                # than from the raw tables (else every plan grows by every model before it)
                df = df.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
            df.createOrReplaceTempView(model.name)
            if explain is not None:
                # after the checkpoint ran it: the final adaptive plan (a view's is the initial one, not yet run)
                explain(model.name, "model", planned)
            if not model.view and grain_checks:
                check_grain(spark, model, (lambda check, name=model.name: explain(name, "grain check", check))
                            if explain is not None else None)
        except PySparkException as exc:
            raise ModelError(f"model {model.name} failed on Spark: {str(exc).splitlines()[0]}",
                             hint=f"see {model.path}; the Spark SQL is pipeline.spark.transpile.spark_sql(<the file>)") from exc
        timings[model.name] = time.perf_counter() - t0
    return timings, models


def write_parquet_dataset(df, path: Path, partition_by: str | None) -> None:
    """A DataFrame as a hive-partitioned Parquet dataset (``path/exec_id=<id>/part-*.parquet``)."""
    w = df.write.mode("overwrite").option("compression", "zstd")
    if partition_by:
        w = w.partitionBy(partition_by)
    w.parquet(str(path))


def build_spark(config: Config, data_dir: Path, *, master: str = "local[2]", output: Path | None = None,
                wait: bool = False, conf: dict[str, Any] | None = None, spark=None,
                progress: Callable[[str, int, int], None] | None = None,
                explain: Callable[[str, str, Any], None] | None = None) -> SparkBuildResult:
    from pipeline.spark.session import spark_session

    t0 = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    final = Path(output) if output else data_dir / OUTPUT
    with exclusive_lock(data_dir / ".model.lock", "model build", wait=wait):
        spark = spark or spark_session(master, conf=conf)
        load, suppressed = register_inputs(spark, config, data_dir, progress)
        timings, models = run_models_spark(spark, {"config": config}, Transpiler(suppressed), explain=explain)
        tmp = final.parent / f".{final.name}.building-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tables: dict[str, int] = {}
        for model in models:
            if model.layer != "marts":
                continue
            t1 = time.perf_counter()
            df = spark.table(model.name)
            write_parquet_dataset(df, tmp / model.name, "exec_id" if "exec_id" in df.columns else None)
            timings[f"write {model.name}"] = time.perf_counter() - t1
            tables[model.name] = 0
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        for name in list(spark.catalog.listTables()):
            if name.isTemporary:
                spark.catalog.dropTempView(name.name)
        spark.catalog.clearCache()
    return SparkBuildResult(path=final, load=load, timings=timings, seconds=time.perf_counter() - t0, tables=tables)
