"""The ``influence`` command: collect, import, model, and show an executive's digital influence.

Every subcommand takes ``--config PATH`` (default ``./influence.toml`` or ``$INFLUENCE_CONFIG``) and
``--data-dir DIR`` (default ``./data``). Exit code 0 on success; on failure one clear line on stderr (what
happened, and what to do) and a non-zero code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from influence.config import Config, load_config, resolve_config_path
from influence.errors import InfluenceError, free_space, out_of_space, size_text

EXIT_FAILED = 1
EXIT_USAGE = 2
DATA_ENV = "INFLUENCE_DATA_DIR"

# soft_wrap: long lines are left whole (logs and cron mail must not be cut at 80 columns)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                   help="configuration file (default ./influence.toml, or $INFLUENCE_CONFIG; with neither, the demo's "
                        "config in a data dir holding the demo)")
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
    p.add_argument("--full", action="store_true",
                   help="recompute every model from every observation, even where the last build could be updated "
                        "with only the new raw segments")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="duckdb (default): the warehouse file; spark: the same models on Apache Spark, marts written "
                        "as Parquet (needs the spark extra and Java 17; README, \"Beyond one machine\")")
    p.add_argument("--master", default="local[2]", metavar="URL",
                   help="with --engine spark: the Spark master (default local[2]; e.g. spark://host:7077, yarn)")
    p.add_argument("--output", type=Path, metavar="DIR",
                   help="with --engine spark: where the marts go (default DATA_DIR/spark-warehouse)")

    p = add("export", "Write the raw store and the warehouse marts as hive-partitioned Parquet for other engines.",
            "influence export --format parquet /srv/lake/influence --what all")
    p.add_argument("dir", type=Path, metavar="DIR", help="where to write (DIR/raw and DIR/marts)")
    p.add_argument("--format", choices=["parquet"], default="parquet", help="file format (parquet)")
    p.add_argument("--what", choices=["raw", "marts", "all"], default="all",
                   help="raw: by platform and month; marts: by exec_id where a mart has one; all (default)")

    p = add("dashboard", "Serve the dashboard for executives and mentors.", "influence dashboard --port 8501")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")

    add("status", "Show what is stored: raw records, runs, the warehouse and its freshness.", "influence status")

    p = add("ties", "Import, export or extend an executive's ties register (who they know, in which ring).",
            "influence ties import ties/ada.csv --exec ada")
    ties = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = ties.add_parser("import", help="validate a CSV and make it the executive's register", parents=[common])
    q.add_argument("path", type=Path)
    q.add_argument("--exec", dest="exec_id", required=True, metavar="ID")
    q.add_argument("--no-model", action="store_true", help="do not rebuild the warehouse afterwards")
    q = ties.add_parser("export", help="print the executive's register as CSV", parents=[common])
    q.add_argument("--exec", dest="exec_id", required=True, metavar="ID")
    q.add_argument("--output", type=Path, help="write to this file instead of standard output")
    q = ties.add_parser("adopt-linkedin", help="add imported LinkedIn connections as ties with a ring you choose",
                        parents=[common])
    q.add_argument("--exec", dest="exec_id", required=True, metavar="ID")
    q.add_argument("--ring", required=True, choices=["team", "organisation", "met_in_person"])
    q.add_argument("--company", help="only connections whose company contains this text")
    q.add_argument("--no-model", action="store_true", help="do not rebuild the warehouse afterwards")

    p = add("people", "Show a person's accounts and evidence; merge or split people by hand.",
            "influence people merge @grace@hachyderm.io grace.bsky.social --note 'same person, asked her'")
    people = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = people.add_parser("show", help="a person's accounts and why they are one person", parents=[common])
    q.add_argument("who", help="person id, or a handle such as @user@instance or name.bsky.social")
    for name, help_ in (("merge", "two accounts are one person (overrides the rules, survives rebuilds)"),
                        ("split", "detach an account from its person (overrides the rules, survives rebuilds)")):
        q = people.add_parser(name, help=help_, parents=[common])
        q.add_argument("accounts", nargs=2 if name == "merge" else 1, metavar="ACCOUNT")
        q.add_argument("--note", default="", help="why (kept with the decision)")
        q.add_argument("--by", default=os.environ.get("USER", "cli"), help="who decided (default: $USER)")
        q.add_argument("--no-model", action="store_true", help="do not rebuild the warehouse afterwards")

    p = add("erase", "Erase a person completely on request, and keep them out of later collections.",
            "influence erase --person p1a2b3c4d5e6f7a8 --yes")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="ID", help="person id from the warehouse")
    who.add_argument("--handle", metavar="HANDLE", help="any of their handles, e.g. @user@instance")
    p.add_argument("--yes", action="store_true", help="do it without asking")

    p = add("users", "Manage who may log in to the dashboard (executive, mentor or admin).",
            "influence users add maria --role mentor --mentor maria")
    users = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = users.add_parser("add", help="add a user (or replace one), asking for the password", parents=[common])
    q.add_argument("name", help="the log-in name, e.g. maria or maria@example.org")
    q.add_argument("--role", required=True, choices=["executive", "mentor", "admin"])
    q.add_argument("--exec", dest="exec_id", metavar="ID", help="executive role: the executive id from the config")
    q.add_argument("--mentor", dest="mentor_id", metavar="ID", help="mentor role: the mentor id from the config")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q.add_argument("--no-password", action="store_true",
                   help="no password: the user logs in only through OpenID Connect (see README, Dashboard)")
    q = users.add_parser("passwd", help="set a user's new password", parents=[common])
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q = users.add_parser("remove", help="remove a user", parents=[common])
    q.add_argument("name")
    users.add_parser("list", help="list the users and their roles (never a password)", parents=[common])
    return parser


def _opt(args: argparse.Namespace, name: str, default=None):
    return getattr(args, name, default)


def data_dir_of(args: argparse.Namespace) -> Path:
    return Path(_opt(args, "data_dir") or os.environ.get(DATA_ENV) or "data")


def config_of(args: argparse.Namespace) -> Config:
    """resolve_config_path's choice; the demo's config, when that is it, said on stderr (stdout may be CSV)."""
    path = resolve_config_path(_opt(args, "config"), data_dir_of(args))
    default = resolve_config_path(_opt(args, "config"))
    if path != default and not _opt(args, "quiet"):
        err.print(f"config: {path} (the demo's: there is no {default} here)", markup=False)
    return load_config(path)


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
    if _opt(args, "engine", "duckdb") == "spark":
        return _model_spark(args, config)
    quiet = bool(_opt(args, "quiet"))
    progress, update = _progress(quiet)
    if progress:
        progress.start()
    try:
        result = build_warehouse(config, data_dir_of(args), wait=bool(_opt(args, "wait")), progress=update,
                                 full=bool(_opt(args, "full")))
    finally:
        if progress:
            progress.stop()
    if not quiet:
        load = result.load
        out.print(f"warehouse {'checked' if result.up_to_date else 'built'}: {result.path} in {result.seconds:.1f} s "
                  f"({', '.join(f'{k} {v:.1f} s' for k, v in result.phases.items())})")
        out.print(f"  raw segments {load.segments} ({load.parsed_now} parsed now), "
                  f"posts {load.rows['posts']}, engagements {load.rows['engagements']} observations")
        out.print("  up to date: no new raw segments since the last build, which stands" if result.up_to_date
                  else "  incremental: the last build updated with the new raw segments" if result.full_because is None
                  else f"  full build: {result.full_because}")
        if _opt(args, "debug"):
            slowest = sorted(result.timings.items(), key=lambda kv: -kv[1])[:15]
            out.print("  slowest models: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in slowest))
            if result.full_because is None:
                out.print(f"  updated in place: {', '.join(sorted(result.updated))}; "
                          + ", ".join(f"{k} {v}" for k, v in sorted(result.stats.items())))
    for notice in result.notices:
        err.print(f"[yellow]warning: {notice}[/]")
    if result.load.errors:
        err.print(f"[yellow]{result.load.errors} raw records could not be parsed; they are kept in the raw store and "
                  f"listed in the warehouse table load_errors (query it with SQL to see each URL and error)[/]")
    return 0


def _model_spark(args: argparse.Namespace, config: Config) -> int:
    from pipeline.spark.build import build_spark

    quiet = bool(_opt(args, "quiet"))
    result = build_spark(config, data_dir_of(args), master=args.master, output=_opt(args, "output"),
                         wait=bool(_opt(args, "wait")))
    if not quiet:
        out.print(f"marts written by Spark ({args.master}): {result.path} in {result.seconds:.1f} s")
        out.print(f"  raw segments {result.load.segments} ({result.load.parsed_now} parsed now), "
                  f"{len(result.tables)} marts as Parquet")
    if result.load.errors:
        err.print(f"[yellow]{result.load.errors} raw records could not be parsed; they are kept in the raw store[/]")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export import export_parquet

    result = export_parquet(data_dir_of(args), args.dir, args.what)
    if not _opt(args, "quiet"):
        parts = []
        if args.what in ("raw", "all"):
            parts.append(f"{result.raw_segments} raw segments in {result.path / 'raw'}")
        if args.what in ("marts", "all"):
            parts.append(f"{len(result.marts)} marts in {result.path / 'marts'}")
        out.print("exported " + "; ".join(parts))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from influence.demo import load_demo

    data_dir = data_dir_of(args)
    config_path, n = load_demo(data_dir)
    if not _opt(args, "quiet"):
        out.print(f"demo data: {n} raw responses stored now in {data_dir / 'raw'}" if n else "demo data already loaded")
    from influence.demo import DEMO_PASSWORD, DEMO_USERS, ensure_demo_users

    config = load_config(config_path)
    cmd_model(args, config)
    ensure_demo_users(data_dir, config)
    if not _opt(args, "quiet"):
        out.print(f"demo log-ins (fictional people, demo only): {', '.join(u[0] for u in DEMO_USERS)} — "
                  f"password: {DEMO_PASSWORD}   (maria is the mentor of ada and ben; admin sees everyone)",
                  markup=False)
    if args.no_serve:
        return 0
    return serve(data_dir, args.port)


def serve(data_dir: Path, port: int) -> int:
    """Replace this process by Streamlit serving the dashboard (so Ctrl-C or a kill stops the server too)."""
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    env = dict(os.environ, **{DATA_ENV: str(data_dir.resolve())})
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    out.print(f"dashboard: http://localhost:{port}  (Ctrl-C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


def cmd_dashboard(args: argparse.Namespace) -> int:
    data_dir = data_dir_of(args)
    if not (data_dir / "warehouse.duckdb").exists():
        raise InfluenceError(f"no warehouse in {data_dir}", hint="run `influence model` (or `influence demo`) first")
    return serve(data_dir, args.port)


def cmd_collect(args: argparse.Namespace) -> int:
    from collectors.runner import run_collect
    from pipeline.build import exclusive_lock

    config, data_dir = config_of(args), data_dir_of(args)
    quiet = bool(_opt(args, "quiet"))
    progress = None if quiet else Progress(
        TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(), console=err, transient=False)
    bars: dict[tuple[str, str], int] = {}

    def on_progress(exec_id: str, platform: str, done: int, total: int | None, message: str = "") -> None:
        if progress is None:
            return
        key = (exec_id, platform)
        if key not in bars:
            bars[key] = progress.add_task(f"{exec_id} · {platform}", total=total, note="")
        progress.update(bars[key], completed=done, total=total, note=message or "")

    with exclusive_lock(data_dir / ".collect.lock", "collection", wait=bool(args.wait)):
        if progress:
            progress.start()
        try:
            summary = run_collect(config, data_dir, lookback_days=args.lookback, max_wait=args.max_wait,
                                  executives=args.executives, progress=on_progress)
        finally:
            if progress:
                progress.stop()
    if not quiet:
        out.print(f"collected: {summary.new_posts} new posts, {summary.new_people} new people, "
                  f"{summary.observations} count observations, {summary.records} raw responses stored; "
                  f"{summary.requests} requests, {summary.retries} retries, "
                  f"{summary.waited_s:.0f} s waited for rate limits", markup=False)
        for note in summary.opted_out:
            out.print(f"opted out: {note}", markup=False)
    for exec_id, platform, message, hint in summary.errors:
        err.print(f"error: {exec_id} · {platform}: {message}" + (f" — {hint}" if hint else ""), markup=False)
    if summary.failed:
        err.print("what was collected before each error is stored; run `influence collect` again to resume",
                  markup=False)
    return EXIT_FAILED if summary.failed else 0


def cmd_import(args: argparse.Namespace) -> int:
    from collectors.importers import run_import

    config = config_of(args)
    config.executive(args.exec_id)
    s = run_import(args.kind, args.path, args.exec_id, config, data_dir_of(args))
    if not _opt(args, "quiet"):
        added = ", ".join(f"{n} {k}" for k, n in sorted(s.added.items())) or "nothing new"
        read = ", ".join(f"{n} {k}" for k, n in sorted(s.rows.items()))
        out.print(f"imported {s.platform} archive for {s.exec_id}: added {added} (read {read}; "
                  f"{s.skipped} already imported)", markup=False)
        if s.recovered:
            out.print(f"{s.recovered} rows needed recovery from non-standard CSV and were kept: "
                      + "; ".join(f"{f} lines {', '.join(map(str, ls[:10]))}{'…' if len(ls) > 10 else ''}"
                                  for f, ls in s.recovered_lines.items()), markup=False)
        if s.unknown_files:
            out.print(f"not read (unknown to this importer): {', '.join(s.unknown_files)}", markup=False)
        for w in s.warnings:
            out.print(f"warning: {w}", markup=False)
        out.print("run `influence model` to see it in the warehouse", markup=False)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from collectors.rawstore import RawStore
    from pipeline.build import open_warehouse
    from pipeline.runner import unsorted_notices

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
    con = open_warehouse(wh)
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
        for notice in unsorted_notices(con):
            err.print(f"[yellow]warning: {notice}[/]")
    finally:
        con.close()
    return 0


def _rebuild(args: argparse.Namespace) -> None:
    if not getattr(args, "no_model", False):
        cmd_model(args)


def cmd_ties(args: argparse.Namespace) -> int:
    from influence import people

    config, data_dir = config_of(args), data_dir_of(args)
    if args.action == "export":
        text = people.export_ties(config, args.exec_id, data_dir)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.action == "import":
        path, n = people.import_ties(config, args.exec_id, args.path, data_dir)
        out.print(f"{n} ties imported into {path}")
    else:
        path, n = people.adopt_linkedin(config, args.exec_id, args.ring, data_dir, company=args.company)
        out.print(f"{n} LinkedIn connections added to {path} as {args.ring}")
    _rebuild(args)
    return 0


def cmd_people(args: argparse.Namespace) -> int:
    from influence import people

    data_dir = data_dir_of(args)
    if args.action == "show":
        person = people.find_person(data_dir, args.who)
        from pipeline.build import open_warehouse

        con = open_warehouse(data_dir / "warehouse.duckdb")
        evidence = dict(((p, a), (ev, by)) for p, a, ev, by in con.execute(
            "select platform, account_id, evidence, decided_by from identity_evidence where person_id = ?",
            [person.person_id]).fetchall())
        con.close()
        out.print(f"{person.person_id}  {person.display_name or ''}", markup=False)
        for platform, account_id, handle, url, _name in person.accounts:
            ev, by = evidence.get((platform, account_id), ("", ""))
            out.print(f"  {platform:<9} {handle or account_id}  {url or ''}\n            {by}: {ev}", markup=False)
        return 0
    if args.action == "merge":
        a, b = people.merge(data_dir, *args.accounts, by=args.by, note=args.note)
        out.print(f"merged {a[0]}:{a[1]} and {b[0]}:{b[1]} (kept in {data_dir / 'state.sqlite'})", markup=False)
    else:
        a = people.split(data_dir, args.accounts[0], by=args.by, note=args.note)
        out.print(f"split {a[0]}:{a[1]} from its person (kept in {data_dir / 'state.sqlite'})", markup=False)
    _rebuild(args)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from influence import people

    config, data_dir = config_of(args), data_dir_of(args)
    spec = args.person or args.handle
    person = people.find_person(data_dir, spec)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InfluenceError("erasure needs confirmation", hint="add --yes to erase without asking")
        names = ", ".join(h or a for _, a, h, _, _ in person.accounts)
        answer = input(f"Erase {person.person_id} ({names}) from every store? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            out.print("nothing erased")
            return 0
    report = people.erase_person(config, data_dir, spec, rebuild=lambda: cmd_model(args, config))
    out.print(f"erased {report.person_id}: {report.accounts} accounts, {report.raw_records_changed} raw records "
              f"removed or scrubbed, {report.ties_rows_removed} ties register rows removed; later collections and "
              "imports will leave them out", markup=False)
    if report.remaining_traces:
        for t in report.remaining_traces:
            err.print(f"trace left: {t}", markup=False)
        raise InfluenceError("erasure left traces (listed above)", hint="report this; the person is suppressed for "
                             "future collections")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """From standard input (--password-stdin, first line) or a prompt that does not echo, asked twice."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InfluenceError("no password on standard input", hint="pipe it in, e.g. from a password manager")
        return password
    if not sys.stdin.isatty():
        raise InfluenceError("no terminal to ask for the password", hint="use --password-stdin")
    import getpass

    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise InfluenceError("the two passwords differ", hint="run the command again")
    return password


def cmd_users(args: argparse.Namespace) -> int:
    from influence import users

    data_dir = data_dir_of(args)
    if args.action == "list":
        for u in users.list_users(data_dir):
            bound = u["exec_id"] or u["mentor_id"] or ""
            out.print(f"{u['name']:<28} {u['role']:<10} {bound}", markup=False)
        return 0
    if args.action == "remove":
        users.remove_user(data_dir, args.name)
        out.print(f"removed user {users.normalize_name(args.name)}", markup=False)
        return 0
    if args.action == "passwd":
        users.set_password(data_dir, args.name, _read_password(args))
        out.print(f"password changed for {users.normalize_name(args.name)}", markup=False)
        return 0
    try:
        config = config_of(args)
    except InfluenceError:
        if args.role == "admin":
            config = None  # an admin is bound to nothing in the config
        else:
            raise
    password = None if args.no_password else _read_password(args)
    user = users.add_user(data_dir, args.name, args.role, password, exec_id=args.exec_id,
                          mentor_id=args.mentor_id, config=config)
    out.print(f"user {user.name} saved: {user.describe()} (in {data_dir / 'state.sqlite'})", markup=False)
    return 0


COMMANDS = {"demo": cmd_demo, "collect": cmd_collect, "import": cmd_import, "model": cmd_model,
            "dashboard": cmd_dashboard, "status": cmd_status, "ties": cmd_ties, "people": cmd_people,
            "erase": cmd_erase, "users": cmd_users, "export": cmd_export}


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
    except Exception as exc:  # a full disk, or a bug: say which in one line (--debug shows the traceback)
        if debug:
            raise
        data_dir = data_dir_of(args)
        if out_of_space(exc, data_dir):
            err.print(f"error: the disk holding {data_dir} is full ({size_text(free_space(data_dir))} free), and a "
                      f"write failed ({type(exc).__name__}: {exc}): free some space and run the command again — "
                      "what was stored before is kept whole", markup=False, soft_wrap=True)
            return EXIT_FAILED
        err.print(f"error: unexpected {type(exc).__name__}: {exc} — rerun with --debug for the traceback and "
                  "report it", markup=False, soft_wrap=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
