"""The ``influence`` command: collect, import, model, and show an executive's digital influence.

Every subcommand takes ``--config PATH`` (default ``./influence.toml`` or ``$INFLUENCE_CONFIG``) and
``--data-dir DIR`` (default ``./data``). Exit code 0 on success; on failure one clear line on stderr (what
happened, and what to do) and a non-zero code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from influence.config import Config, load_config, resolve_config_path
from influence.errors import InfluenceError

EXIT_FAILED = 1
EXIT_USAGE = 2
DATA_ENV = "INFLUENCE_DATA_DIR"

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                   help="configuration file (default ./influence.toml, or $INFLUENCE_CONFIG)")
    p.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                   help="where the raw store and warehouse live (default ./data, or $INFLUENCE_DATA_DIR)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="print only errors (for cron)")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="influence",
        description="Track how far an executive's influence reaches beyond face-to-face ties.",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  influence demo            build the demo warehouse and open the dashboard",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help: str, example: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common],
                              formatter_class=argparse.RawDescriptionHelpFormatter, epilog=f"example:\n  {example}")

    p = add("demo", "Load the bundled demo programme, build its warehouse and serve the dashboard.",
            "influence demo --no-serve --data-dir /tmp/demo")
    p.add_argument("--no-serve", action="store_true", help="build the warehouse and exit without serving")
    p.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")

    p = add("collect", "Collect public posts and engagement from Mastodon, Bluesky and blogs into the raw store.",
            "influence collect --lookback 30 --exec ada")
    p.add_argument("--lookback", type=int, metavar="DAYS", help="refresh engagement on posts this recent (default from config, 30)")
    p.add_argument("--max-wait", type=float, default=300.0, metavar="SECONDS",
                   help="longest wait for a rate limit before giving up on a platform (default 300)")
    p.add_argument("--exec", dest="executives", action="append", metavar="ID", help="only this executive (repeatable)")
    p.add_argument("--wait", action="store_true", help="wait for another running collection instead of exiting")

    p = add("import", "Import a LinkedIn or X archive that the executive downloaded.",
            "influence import linkedin ~/Downloads/Basic_LinkedInDataExport.zip --exec ada")
    p.add_argument("kind", choices=["linkedin", "x"], help="which archive")
    p.add_argument("path", type=Path, help="the ZIP file or its unpacked folder")
    p.add_argument("--exec", dest="exec_id", required=True, metavar="ID", help="the executive the archive belongs to")

    p = add("model", "Rebuild the warehouse from the raw store (no network) and publish it atomically.",
            "influence model --data-dir ./data")
    p.add_argument("--wait", action="store_true", help="wait for another running build instead of exiting")

    p = add("dashboard", "Serve the dashboard for executives and mentors.", "influence dashboard --port 8501")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")

    add("status", "Show what is stored: raw records, runs, the warehouse and its freshness.", "influence status")
    return parser


def _opt(args: argparse.Namespace, name: str, default=None):
    return getattr(args, name, default)


def data_dir_of(args: argparse.Namespace) -> Path:
    return Path(_opt(args, "data_dir") or os.environ.get(DATA_ENV) or "data")


def config_of(args: argparse.Namespace) -> Config:
    return load_config(resolve_config_path(_opt(args, "config")))


def _progress(quiet: bool) -> tuple[Progress | None, Callable[[str, int, int], None] | None]:
    if quiet:
        return None, None
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)
    tasks: dict[str, int] = {}

    def update(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = progress.add_task(what, total=total)
        progress.update(tasks[what], completed=done, total=total)

    return progress, update


def cmd_model(args: argparse.Namespace, config: Config | None = None) -> int:
    from pipeline.build import build_warehouse

    config = config or config_of(args)
    quiet = bool(_opt(args, "quiet"))
    progress, update = _progress(quiet)
    if progress:
        progress.start()
    try:
        result = build_warehouse(config, data_dir_of(args), wait=bool(_opt(args, "wait")), progress=update)
    finally:
        if progress:
            progress.stop()
    if not quiet:
        load = result.load
        out.print(f"warehouse built: {result.path} in {result.seconds:.1f} s")
        out.print(f"  raw segments {load.segments} ({load.parsed_now} parsed now), "
                  f"posts {load.rows['posts']}, engagements {load.rows['engagements']} observations")
    if result.load.errors:
        err.print(f"[yellow]{result.load.errors} raw records could not be parsed; they are kept in the raw store and "
                  f"listed in the warehouse table load_errors (query it with SQL to see each URL and error)[/]")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from influence.demo import load_demo

    data_dir = data_dir_of(args)
    config_path, n = load_demo(data_dir)
    if not _opt(args, "quiet"):
        out.print(f"demo data: {n} raw responses stored now in {data_dir / 'raw'}" if n else "demo data already loaded")
    cmd_model(args, load_config(config_path))
    if args.no_serve:
        return 0
    return serve(data_dir, args.port)


def serve(data_dir: Path, port: int) -> int:
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    env = dict(os.environ, **{DATA_ENV: str(data_dir.resolve())})
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    out.print(f"dashboard: http://localhost:{port}  (Ctrl-C to stop)")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    data_dir = data_dir_of(args)
    if not (data_dir / "warehouse.duckdb").exists():
        raise InfluenceError(f"no warehouse in {data_dir}", hint="run `influence model` (or `influence demo`) first")
    return serve(data_dir, args.port)


def cmd_collect(args: argparse.Namespace) -> int:
    from collectors.runner import run_collect  # issue 3

    config = config_of(args)
    summary = run_collect(config, data_dir_of(args), lookback_days=args.lookback, max_wait=args.max_wait,
                          executives=args.executives)
    if not _opt(args, "quiet"):
        out.print(summary)
    return EXIT_FAILED if getattr(summary, "failed", False) else 0


def cmd_import(args: argparse.Namespace) -> int:
    from collectors.importers import run_import  # issue 4

    config = config_of(args)
    config.executive(args.exec_id)
    summary = run_import(args.kind, args.path, args.exec_id, config, data_dir_of(args))
    if not _opt(args, "quiet"):
        out.print(summary)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import duckdb

    from collectors.rawstore import RawStore

    data_dir = data_dir_of(args)
    store = RawStore(data_dir / "raw")
    segments = store.segments()
    out.print(f"data dir: {data_dir.resolve()}")
    out.print(f"raw store: {len(segments)} segments, {store.count() if segments else 0} raw records, "
              f"{len(store.runs())} recorded runs")
    wh = data_dir / "warehouse.duckdb"
    if not wh.exists():
        out.print("warehouse: not built yet (run `influence model`)")
        return 0
    con = duckdb.connect(str(wh), read_only=True)
    try:
        built_at, errors = con.execute("select built_at, load_errors from build_info").fetchall()[0]
        out.print(f"warehouse: {wh} built {built_at:%Y-%m-%d %H:%M} UTC, {errors} unparsed raw records")
        for exec_id, name, posts, engagements, last in con.execute(
            """select e.exec_id, e.name,
                      (select count(*) from posts p where p.exec_id = e.exec_id),
                      (select count(*) from engagements g where g.exec_id = e.exec_id),
                      (select max(engaged_at) from engagements g where g.exec_id = e.exec_id)
               from cfg_executives e order by 1"""
        ).fetchall():
            out.print(f"  {exec_id:<12} {name:<24} {posts:>6} posts {engagements:>8} engagements, last {last or 'never'}")
    finally:
        con.close()
    return 0


COMMANDS = {"demo": cmd_demo, "collect": cmd_collect, "import": cmd_import, "model": cmd_model,
            "dashboard": cmd_dashboard, "status": cmd_status}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(_opt(args, "debug"))
    try:
        return COMMANDS[args.command](args)
    except InfluenceError as exc:
        if debug:
            raise
        err.print(f"error: {exc.message}" + (f" — {exc.hint}" if exc.hint else ""), markup=False, soft_wrap=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.print("interrupted: everything stored before the interruption is kept", markup=False)
        return 130
    except Exception as exc:  # a bug: say so in one line, with the way to see more
        if debug:
            raise
        err.print(f"error: unexpected {type(exc).__name__}: {exc} — rerun with --debug for the traceback and "
                  "report it", markup=False, soft_wrap=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
