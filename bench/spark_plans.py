"""The Spark engine's physical plans, one file per model: what Spark actually ran, for reading, not guessing.

    .venv/bin/python bench/spark_plans.py DATA_DIR OUT_DIR [--config TOML] [--master local[2]] [--conf K=V ...]
    .venv/bin/python bench/spark_plans.py --demo OUT_DIR          # the bundled demo, in a temporary data dir

Runs ``influence model --engine spark`` (``pipeline.spark.build.build_spark``, the session of
``pipeline.spark.session``: adaptive query execution on, Spark's default) on DATA_DIR and writes
``OUT_DIR/<model>.txt``: the model's physical plan (``explain(mode="formatted")``) and its grain check's. Each is
taken after it ran, so the adaptive plans are the final ones (``isFinalPlan=true``: the query stages, the
broadcasts and shuffle reads AQE chose at run time); a ``-- materialized: view`` model's is the initial plan,
since it runs only inside the mart write. ``OUT_DIR/INDEX.txt`` lists the models in build order with their build
times, the operators of each final plan and what AQE did with each shuffle read (partitions written → read:
coalesced, local, skewed; these counts come from Spark internals through py4j, as ``explain`` does not print them).
The marts go to a temporary directory, deleted afterwards, so DATA_DIR's ``spark-warehouse`` is left as it was.
Expression ids (``#123L``) and ``plan_id=`` are renumbered per file, so two captures of the same models differ only
where the plans do. ``int_sphere_members.txt`` is large (about 1 MB): a formatted plan repeats a cached intermediate's
whole plan wherever it is read.

The config defaults to DATA_DIR/influence.toml (bench/gen_programme.py writes one), else the demo's.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from influence.config import load_config  # noqa: E402

# a node of a formatted plan's tree ("+- * SortMergeJoin Inner (12)", "+- AQEShuffleRead (7), coalesced") or a
# section header ("+- == Final Plan ==")
_TREE = re.compile(r"^[\s:+\-*]*(?:== (Final|Initial) Plan ==|(.+?) +\((\d+)\)(?:, (\w+))?)")
_PARTITIONING = re.compile(r"^Arguments: (?:(\w+)partitioning\(.*, (\d+)\)|(SinglePartition))")
# wrappers and row-level steps, left out of the summary
_QUIET = {"AdaptiveSparkPlan", "ResultQueryStage", "ShuffleQueryStage", "BroadcastQueryStage", "TableCacheQueryStage",
          "ColumnarToRow", "InputAdapter", "Project", "Filter", "InMemoryRelation"}


def _renumber(text: str) -> str:
    """Expression ids and plan ids numbered from 1 in order of appearance, so captures diff cleanly."""
    for pattern, fmt in ((r"#(\d+)", "#{}"), (r"plan_id=(\d+)", "plan_id={}")):
        ids: dict[str, int] = {}
        text = re.sub(pattern, lambda m, ids=ids, fmt=fmt: fmt.format(ids.setdefault(m.group(1), len(ids) + 1)), text)
    return text


def operators(plan: str) -> Counter:
    """The operators of a formatted plan's final plan, each node once: ``Counter({"SortMergeJoin Inner": 1, ...})``;
    an Exchange with its partitioning ("Exchange hash(4)"), an AQEShuffleRead with what AQE did ("coalesced",
    "local", "skewed"). Nodes only in an adaptive plan's initial plan are left out: in the formatted numbering (post-
    order) they come after the final plan's root and up to the initial plan's root."""
    tree, _, details = plan.partition("\n\n")
    nodes: dict[int, str] = {}
    initial: list[range] = []
    header, final_roots = None, []  # adaptive plans nest (a cached relation's plan): their sections bracket
    for line in tree.splitlines():
        m = _TREE.match(line)
        if not m:
            continue
        if m.group(1):
            header = m.group(1)
            continue
        name, node = re.sub(r"\(exists#\d+\)", "", m.group(2)).strip(), int(m.group(3))
        if header == "Final":
            final_roots.append(node)
        elif header == "Initial":
            initial.append(range(final_roots.pop() + 1 if final_roots else node, node + 1))
        header = None
        nodes.setdefault(node, f"{name} {m.group(4)}" if name == "AQEShuffleRead" and m.group(4) else name)
    for block in details.split("\n\n"):
        head, _, body = block.strip().partition("\n")
        if (m := re.match(r"\((\d+)\) Exchange$", head)) and int(m.group(1)) in nodes:
            for line in body.splitlines():
                if p := _PARTITIONING.match(line):
                    nodes[int(m.group(1))] = (f"Exchange {p.group(1)}({p.group(2)})" if p.group(1)
                                              else "Exchange single")
    return Counter(name for node, name in nodes.items()
                   if name not in _QUIET and not any(node in r for r in initial))


def shuffle_reads(spark, df) -> Counter:
    """What adaptive execution did with each shuffle it read in ``df``'s final plan, nested cached plans included:
    ``Counter({"4→1 coalesced": 2, "4→4 local": 1})``, partitions written → partitions read. ``explain`` does not
    print these counts, so they are read from the executed plan through py4j (Spark internals, not a public API);
    empty if that fails."""
    seen: set[int] = set()
    read_by_aqe: set[int] = set()  # shuffle stages under an AQEShuffleRead; the others are read as written
    reads: Counter = Counter()

    def walk(node) -> None:
        ident = spark._jvm.System.identityHashCode(node)
        if ident in seen:
            return
        seen.add(ident)
        kind = node.getClass().getSimpleName()
        if kind == "ShuffleQueryStageExec" and ident not in read_by_aqe:
            n = node.shuffle().numPartitions()
            reads[f"{n}→{n} as written"] += 1
        if kind == "AdaptiveSparkPlanExec":
            walk(node.executedPlan())
        elif kind.endswith("QueryStageExec"):
            walk(node.plan())
        elif kind == "InMemoryTableScanExec":
            walk(node.relation().cachedPlan())
        if kind == "AQEShuffleReadExec":
            how = ("skewed" if node.hasSkewedPartition() else "local" if node.isLocalRead()
                   else "coalesced" if node.hasCoalescedPartition() else "as written")
            reads[f"{node.child().shuffle().numPartitions()}→{node.partitionSpecs().size()} {how}"] += 1
            read_by_aqe.add(spark._jvm.System.identityHashCode(node.child()))
        children = node.children()
        for i in range(children.size()):
            walk(children.apply(i))

    try:
        walk(df._jdf.queryExecution().executedPlan())
    except Exception as exc:  # another Spark version's internals
        print(f"shuffle reads not available: {exc}", file=sys.stderr)
        return Counter()
    return reads


def _conf(spark, key: str) -> str:
    try:
        value = spark.conf.get(key)
    except Exception:  # a setting without a default, not set
        value = None
    return "(unset)" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", nargs="?", type=Path, help="a data dir with raw/ (and, warm, cache/)")
    ap.add_argument("out_dir", type=Path, help="where the plan files go (created; old *.txt replaced)")
    ap.add_argument("--demo", action="store_true", help="build the bundled demo in a temporary data dir")
    ap.add_argument("--config", type=Path, help="default: DATA_DIR/influence.toml")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--conf", action="append", default=[], metavar="K=V", help="extra Spark configuration")
    args = ap.parse_args(argv)
    if args.demo == (args.data_dir is not None):
        ap.error("give DATA_DIR or --demo")

    from influence.demo import load_demo
    from pipeline.spark.build import build_spark, plan_text
    from pipeline.spark.session import spark_session

    scratch = Path(tempfile.mkdtemp(prefix="spark-plans-"))
    try:
        if args.demo:
            data_dir = scratch / "demo"
            config_path = load_demo(data_dir)[0]
        else:
            data_dir = args.data_dir
            config_path = args.config or (data_dir / "influence.toml")
            if not config_path.exists():
                config_path = load_demo(scratch / "demo")[0]
        config = load_config(config_path)
        conf = dict(kv.split("=", 1) for kv in args.conf)
        out = args.out_dir
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.txt"):
            old.unlink()
        plans: dict[str, dict[str, str]] = {}
        reads: dict[str, Counter] = {}

        def explain(model: str, part: str, df) -> None:
            plans.setdefault(model, {})[part] = plan_text(df)
            if part == "model":
                reads[model] = shuffle_reads(spark, df)

        spark = spark_session(args.master, conf=conf)
        version = spark.version
        settings = {k: _conf(spark, k) for k in (
            "spark.sql.adaptive.enabled", "spark.sql.adaptive.coalescePartitions.enabled",
            "spark.sql.adaptive.skewJoin.enabled", "spark.sql.shuffle.partitions",
            "spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.autoBroadcastJoinThreshold",
            "spark.sql.adaptive.advisoryPartitionSizeInBytes")}
        try:
            result = build_spark(config, data_dir, master=args.master, spark=spark, output=scratch / "marts",
                                 explain=explain)
        finally:
            spark.stop()

        command = " ".join(["bench/spark_plans.py", *(argv if argv is not None else sys.argv[1:])])
        index = [f"Spark {version} physical plans, {datetime.now(UTC):%Y-%m-%d}: {command} ({args.master})",
                 "model, build seconds, operators of the final plan; shuffle reads: partitions written→read", ""]
        index += [f"{k} = {v}" for k, v in settings.items()] + [""]
        for model, parts in plans.items():
            read = ", ".join(f"{r} ×{n}" if n > 1 else r for r, n in sorted(reads.get(model, Counter()).items()))
            text = "".join(f"== {part} ==\n{_renumber(plan)}\n" for part, plan in parts.items())
            if read:
                text += f"== shuffle reads (partitions written→read) ==\n{read}\n"
            (out / f"{model}.txt").write_text(text, encoding="utf-8")
            ops = operators(parts["model"])
            index.append(f"{model:26} {result.timings.get(model, 0):6.1f} s  "
                         + ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in sorted(ops.items()))
                         + (f"; shuffle reads {read}" if read else ""))
        (out / "INDEX.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
        print(f"{len(plans)} plans in {out} ({result.seconds:.0f} s)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
