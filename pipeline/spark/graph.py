"""The Python models on Spark.

- ``int_sphere_members``: each executive's graph is independent, so the graph step runs per executive inside Spark
  tasks: the engagers of each executive and the edges between them are co-grouped by ``exec_id``
  (``cogroup(...).applyInPandas``) and each group calls the model's own ``communities`` (igraph Leiden, seeded per
  executive) in a Python worker. The SQL before and after is the model's own SQL, transpiled like every model.
- Any other Python model (``int_identity_groups``: one union-find over the identity evidence, which is small and
  not per executive) runs on the driver, unchanged: its inputs are copied into an in-memory DuckDB, its ``build``
  runs there, and its table comes back as a DataFrame.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb

from pipeline.runner import Model


def run_python_model(spark, model: Model, settings: dict[str, Any], to_spark: Callable[[str], str]):
    if model.name == "int_sphere_members":
        return _sphere_members(spark, to_spark)
    return _on_driver(spark, model, settings)


def _sphere_members(spark, to_spark: Callable[[str], str]):
    import numpy as np
    import pandas as pd

    from pipeline.models.intermediate import int_sphere_members as sm

    for name, sql in sm.PREP:
        spark.sql(to_spark(sql)).persist().createOrReplaceTempView(name)
    edges = spark.sql(to_spark(sm.EDGES_SQL))
    # the graph's nodes (the linked people), with fresh column ids: both sides descend from _sph_eng, and Spark
    # would call exec_id ambiguous
    core = spark.sql(to_spark(sm.GRAPH_NODES_SQL.format(linked="_sph_linked"))).selectExpr(
        "exec_id as exec_id", "person_key as person_key")

    def per_exec(people: pd.DataFrame, e: pd.DataFrame) -> pd.DataFrame:
        exec_id = people["exec_id"].iloc[0] if len(people) else e["exec_id"].iloc[0]
        ids = np.sort(people["person_key"].to_numpy(dtype="int64"))
        e = e.sort_values(["u", "v"], kind="stable")
        membership = sm.communities(exec_id, ids, e["u"].to_numpy(dtype="int64"), e["v"].to_numpy(dtype="int64"),
                                    e["w"].to_numpy(dtype=float))
        return pd.DataFrame({"exec_id": exec_id, "person_key": ids, "community": membership.astype("int64")})

    members = (core.groupBy("exec_id").cogroup(edges.groupBy("exec_id"))
               .applyInPandas(per_exec, "exec_id string, person_key bigint, community bigint"))
    members.persist().createOrReplaceTempView("_sph_core_members")
    for name, sql in sm.SPHERE_STEPS:
        spark.sql(to_spark(sql)).createOrReplaceTempView(name)
    return spark.sql(to_spark(sm.MEMBERS_SQL))


def _on_driver(spark, model: Model, settings: dict[str, Any]):
    source = model.path.read_text(encoding="utf-8")
    inputs = set(model.depends) | set(re.findall(r"\bcfg_[a-z_]+\b", source))
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        for name in sorted(inputs):
            if not spark.catalog.tableExists(name):
                continue
            arrow = spark.table(name).toArrow()
            con.register("_in", arrow)
            con.execute(f"create table {name} as select * from _in")
            con.unregister("_in")
        assert model.build is not None
        model.build(con, settings)
        result = con.table(model.name).to_arrow_table()
    finally:
        con.close()
    return spark.createDataFrame(result)
