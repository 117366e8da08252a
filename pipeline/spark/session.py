"""A SparkSession for the model: UTC everywhere, small shuffles by default, no UI unless asked."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from influence.errors import InfluenceError


def _java_home() -> str | None:
    """JAVA_HOME if set, else the JDK behind ``java`` on the PATH (Debian: /usr/lib/jvm/java-17-openjdk-amd64)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if not java:
        return None
    return str(Path(java).resolve().parent.parent)


def spark_session(master: str = "local[2]", *, shuffle_partitions: int | None = None, ui: bool = False,
                  conf: dict[str, Any] | None = None, app_name: str = "influence-model"):
    """The active session with this master, or a new one. Raises a clear error when pyspark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InfluenceError(
            "the spark engine needs pyspark", hint="pip install 'influence-tracker[spark]' (pyspark, sqlglot; Java 17)"
        ) from exc
    home = _java_home()
    if home is None:
        raise InfluenceError("the spark engine needs Java 17", hint="install a JDK 17 or set JAVA_HOME")
    os.environ.setdefault("JAVA_HOME", home)
    # Python workers (the graph models) run this interpreter, which has igraph and pandas
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if shuffle_partitions is None:
        # local mode: a few partitions per core; a cluster: Spark's default (200) or what --conf says
        shuffle_partitions = 4 if master.startswith("local") else 200
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "true" if ui else "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")  # DuckDB's NULL on a failed cast or a division by zero
        .config("spark.sql.legacy.sizeOfNull", "false")  # size(NULL) is NULL, as DuckDB's array_length
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        # a recursive CTE (int_diffusion_tree) may return more than Spark's default million rows: 1.9M at 10M
        # engagements; DuckDB has no such limit (the model's own depth bound, 100, still applies)
        .config("spark.sql.cteRecursionRowLimit", str(2**31 - 1))  # the largest it takes (an int)
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    if master.startswith("local"):
        # local mode: driver and executors are one JVM, whose heap is 1 GB unless told
        builder = builder.config("spark.driver.memory", os.environ.get("INFLUENCE_SPARK_MEMORY", "6g"))
    for k, v in (conf or {}).items():
        builder = builder.config(k, str(v))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("INFLUENCE_SPARK_LOG", "ERROR"))
    return spark
