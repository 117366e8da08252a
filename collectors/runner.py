"""``influence collect``: run every configured executive × platform, store what comes back, summarise.

The runner is the only place that does I/O for collectors: it drives each collector generator
(``collectors/events.py``), stores every response in the raw store before it is parsed, moves a cursor only after
the records it covers are flushed to disk, and reports progress. Each executive × platform runs in its own thread
(they reach different hosts, whose budgets the shared :class:`~collectors.http.Http` keeps) with its own raw
writer, so one stream's flush never races another stream's cursor. One platform failing does not stop the others:
its error goes into the summary with a hint.

Progress protocol: ``progress(exec_id, platform, done, total, message)``

- ``exec_id`` / ``platform``: which bar (``platform`` is ``mastodon``, ``bluesky`` or ``blog``).
- ``done`` / ``total``: steps in the current phase; ``total`` is ``None`` while unknown (show a spinner).
- ``message``: what is happening, e.g. ``"timeline page 3: 52 posts in the window"``; the last call for a bar
  has ``done == total`` and a message starting ``"done"``, ``"failed: …"`` or ``"opted out"``.
- Called from worker threads, but never concurrently (the runner serialises the calls); keep it quick.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.events import Checkpoint, Collector, Fetched, OptedOut, Progress, parse_record
from collectors.http import Http, host_of
from collectors.rawstore import RawStore, RawWriter, new_run_id, write_atomic
from collectors.records import Records
from influence.config import Config, Executive
from influence.errors import InfluenceError, StoreError

ProgressFn = Callable[[str, str, int, int | None, str], None]
PLATFORM_WORKERS = 4  # executive × platform streams collected at the same time


@dataclass
class CollectSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    new_posts: int = 0  # the executives' own posts not seen before in this data dir
    new_people: int = 0  # accounts not seen before in this data dir
    observations: int = 0  # post count observations appended (one per own post per timeline read)
    records: int = 0  # raw records stored
    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0  # seconds held back by rate limits
    backoff_s: float = 0.0  # seconds spent backing off after errors
    errors: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # (exec, platform, message, hint)
    opted_out: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)  # 'exec/platform' collected without error

    @property
    def failed(self) -> bool:
        """True when any executive × platform failed (the CLI exits non-zero)."""
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = self.failed
        return d


class _Known:
    """Ids already seen in this data dir (to count new posts and new people), one file per platform."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._ids: dict[str, set[str]] = {}
        self._new: dict[str, set[str]] = {}

    def _load(self, platform: str) -> set[str]:
        if platform not in self._ids:
            path = self.root / f"{platform}.txt"
            try:
                self._ids[platform] = set(path.read_text(encoding="utf-8").split("\n")) - {""}
            except FileNotFoundError:
                self._ids[platform] = set()
            self._new[platform] = set()
        return self._ids[platform]

    def add(self, platform: str, ids: Iterator[str]) -> int:
        with self._lock:
            known = self._load(platform)
            fresh = set(ids) - known
            known |= fresh
            self._new[platform] |= fresh
            return len(fresh)

    def save(self) -> None:
        with self._lock:
            for platform, new in self._new.items():
                if new:
                    write_atomic(self.root / f"{platform}.txt", "\n".join(sorted(self._ids[platform])).encode())
                    new.clear()


def _streams(config: Config, executives: list[str] | None) -> list[tuple[Executive, str, str]]:
    chosen = [config.executive(e) for e in executives] if executives else list(config.executives)
    out = []
    for ex in chosen:
        out += [(ex, "mastodon", a) for a in ex.accounts.mastodon]
        out += [(ex, "bluesky", a) for a in ex.accounts.bluesky]
    return out


def configured_hosts(config: Config, executives: list[str] | None = None) -> set[str]:
    """Every host the configuration names: the only ones a collection may contact.

    Mastodon instances (or the ``base_url`` that replaces them), the Bluesky AppView, the blogs and WordPress
    sites, and each platform's ``allowed_redirect_hosts``."""
    from influence.config import MASTODON_RE

    chosen = [config.executive(e) for e in executives] if executives else list(config.executives)
    hosts: set[str] = set()
    mastodon = config.platform("mastodon")
    for ex in chosen:
        for address in ex.accounts.mastodon:
            m = MASTODON_RE.match(address)
            if m and not mastodon.base_url:
                hosts.add(m.group("instance").lower())
        hosts.update(host_of(u) for u in (*ex.accounts.blogs, *ex.accounts.wordpress))
    for name in ("mastodon", "bluesky", "blog", "wordpress"):
        settings = config.platform(name)
        if settings.base_url:
            hosts.add(host_of(settings.base_url))
        hosts.update(h.lower() for h in settings.allowed_redirect_hosts)
    return hosts


def _blog_module() -> Any | None:
    try:
        return importlib.import_module("collectors.blog.collect")
    except ModuleNotFoundError as exc:
        if exc.name in ("collectors.blog", "collectors.blog.collect"):
            return None
        raise


def run_collect(
    config: Config,
    data_dir: Path,
    *,
    lookback_days: int | None = None,
    max_wait: float = 300.0,
    executives: list[str] | None = None,
    progress: ProgressFn | None = None,
    http: Http | None = None,
) -> CollectSummary:
    """Collect every configured executive × platform into ``<data_dir>/raw``; never raises for a platform failure.

    Raises :class:`StoreError` only when the data dir cannot be used, and :class:`ConfigError` for an unknown
    executive id. ``http`` is for tests and benchmarks; by default one client is made for the run.
    """
    data_dir = Path(data_dir)
    try:
        (data_dir / "raw").mkdir(parents=True, exist_ok=True)
        probe = data_dir / "raw" / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"data dir {data_dir} cannot be written: {exc.strerror}",
                         hint="check the path and its permissions, or pass --data-dir") from exc
    store = RawStore(data_dir / "raw")
    run_id = new_run_id()
    summary = CollectSummary(run_id=run_id, started_at=datetime.now(UTC))
    lookback = lookback_days if lookback_days is not None else config.lookback_days
    streams = _streams(config, executives)
    known = _Known(data_dir / "raw" / "known")
    lock = threading.Lock()

    def report(exec_id: str, platform: str, done: int, total: int | None, message: str) -> None:
        if progress is not None:
            with lock:
                progress(exec_id, platform, done, total, message)

    own_http = http is None
    client = http or Http(contact=config.contact, max_wait=max_wait,
                          allowed_hosts=configured_hosts(config, executives))
    before = client.stats.as_dict()
    cursors = store.cursors()

    def one(ex: Executive, platform: str, account: str) -> None:
        writer = store.writer(run_id)
        try:
            if platform == "mastodon":
                from collectors.mastodon.collect import collect as mastodon

                gen = mastodon(client, exec_id=ex.id, address=account, settings=config.platform(platform),
                               cursors=cursors, lookback_days=lookback)
            else:
                from collectors.bluesky.collect import collect as bluesky

                gen = bluesky(client, exec_id=ex.id, actor=account, settings=config.platform(platform),
                              cursors=cursors, lookback_days=lookback)
            _drive(gen, ex.id, platform, writer, store, known, summary, lock, report)
            with lock:
                summary.streams.append(f"{ex.id}/{platform}")
        except InfluenceError as exc:
            _fail(summary, lock, ex.id, platform, exc.message, exc.hint, report)
        except Exception as exc:  # a bug must not stop the other platforms; it is reported, not hidden
            _fail(summary, lock, ex.id, platform, f"{account}: unexpected {type(exc).__name__}: {exc}",
                  "please report this with the run id " + run_id, report)
        finally:
            _flush_quietly(writer, summary, lock, ex.id, platform)

    try:
        with ThreadPoolExecutor(max_workers=PLATFORM_WORKERS, thread_name_prefix="collect") as pool:
            futures = [pool.submit(one, *s) for s in streams]
            try:
                blog = _blog_module()
            except Exception as exc:  # the blog collector is another module: its failure is one platform's
                blog = None
                _fail(summary, lock, "*", "blog", f"the blog collector cannot be loaded: {exc}", None, report)
            if blog is not None:
                futures += [pool.submit(_run_blogs, blog, ex, client, store, run_id, lookback, known, summary,
                                        lock, report) for ex in _blog_execs(config, executives)]
            for f in futures:
                f.result()
    finally:
        known.save()
        stats = client.stats.as_dict()
        if own_http:
            client.close()
        summary.requests = stats["requests"] - before["requests"]
        summary.retries = stats["retries"] - before["retries"]
        summary.waited_s = round(stats["rate_limit_wait_s"] - before["rate_limit_wait_s"], 3)
        summary.backoff_s = round(stats["backoff_s"] - before["backoff_s"], 3)
        summary.finished_at = datetime.now(UTC)
        store.record_run(run_id, {"command": "collect", "lookback_days": lookback, **summary.as_dict()})
    return summary


def _drive(gen: Collector, exec_id: str, platform: str, writer: RawWriter, store: RawStore, known: _Known,
           summary: CollectSummary, lock: threading.Lock, report: ProgressFn) -> None:
    """Run one collector: store, parse, send back; flush before every cursor move."""
    try:
        _drive_events(gen, exec_id, platform, writer, store, known, summary, lock, report)
    finally:
        gen.close()


def _drive_events(gen: Collector, exec_id: str, platform: str, writer: RawWriter, store: RawStore, known: _Known,
                  summary: CollectSummary, lock: threading.Lock, report: ProgressFn) -> None:
    reply: Records | None = None
    last: tuple[int, int | None] = (0, None)
    while True:
        try:
            event = gen.send(reply)
        except StopIteration:
            break
        reply = None
        if isinstance(event, Fetched):
            writer.add(event.record)  # stored (buffered) before it is parsed
            reply = parse_record(event.record)
            _tally(event.record.kind, reply, platform, known, summary, lock)
        elif isinstance(event, Checkpoint):
            writer.flush()
            store.set_cursor(event.key, event.value)
        elif isinstance(event, Progress):
            last = (event.done, event.total)
            report(exec_id, platform, event.done, event.total, event.message)
        elif isinstance(event, OptedOut):
            with lock:
                summary.opted_out.append(f"{exec_id}: {event.reason}")
            report(exec_id, platform, 1, 1, "opted out")
            return
    writer.flush()
    done = max(1, last[1] if last[1] is not None else last[0])
    report(exec_id, platform, done, done, "done")


OWN_TIMELINE = {"statuses", "author_feed"}


def _tally(kind: str, parsed: Records, platform: str, known: _Known, summary: CollectSummary,
           lock: threading.Lock) -> None:
    people = known.add(platform, (f"a:{r['account_id']}" for r in parsed.rows["accounts"]))
    posts = 0
    observations = 0
    if kind in OWN_TIMELINE:
        own = [r for r in parsed.rows["posts"] if r["kind"] != "repost"]
        observations = len(own)
        posts = known.add(platform, (f"p:{r['post_id']}" for r in own))
    with lock:
        summary.records += 1
        summary.new_people += people
        summary.new_posts += posts
        summary.observations += observations


def _fail(summary: CollectSummary, lock: threading.Lock, exec_id: str, platform: str, message: str,
          hint: str | None, report: ProgressFn) -> None:
    message = message.removeprefix(f"{platform}: ")  # the tuple names the platform; say it once
    with lock:
        summary.errors.append((exec_id, platform, message, hint))
    report(exec_id, platform, 0, 0, f"failed: {message}")


def _flush_quietly(writer: RawWriter, summary: CollectSummary, lock: threading.Lock, exec_id: str,
                   platform: str) -> None:
    """Keep what was fetched before a failure (the raw bodies help diagnose it); cursors did not move."""
    try:
        writer.flush()
    except InfluenceError as exc:
        with lock:
            summary.errors.append((exec_id, platform, exc.message, exc.hint))


# -- blogs (collectors/blog, issue 4) --------------------------------------------------------------------------
def _blog_execs(config: Config, executives: list[str] | None) -> list[Executive]:
    chosen = [config.executive(e) for e in executives] if executives else list(config.executives)
    return [ex for ex in chosen if ex.accounts.blogs or ex.accounts.wordpress]


def _run_blogs(blog: Any, ex: Executive, http: Http, store: RawStore, run_id: str, lookback: int, known: _Known,
               summary: CollectSummary, lock: threading.Lock, report: ProgressFn) -> None:
    writer = store.writer(run_id)
    try:
        report(ex.id, "blog", 0, None, "blogs")
        if hasattr(blog, "collect"):  # a generator of collectors.events, like ours: drive it the same way
            gen = blog.collect(http, exec_id=ex.id, blogs=ex.accounts.blogs, wordpress=ex.accounts.wordpress,
                               cursors=store.cursors(), lookback_days=lookback)
            _drive(gen, ex.id, "blog", writer, store, known, summary, lock, report)
        else:
            blog.collect_blogs(ex, http, writer, store, lookback_days=lookback)
            report(ex.id, "blog", 1, 1, "done")
        with lock:
            summary.streams.append(f"{ex.id}/blog")
    except InfluenceError as exc:
        _fail(summary, lock, ex.id, "blog", exc.message, exc.hint, report)
    except Exception as exc:
        _fail(summary, lock, ex.id, "blog", f"unexpected {type(exc).__name__}: {exc}",
              "please report this with the run id " + run_id, report)
    finally:
        _flush_quietly(writer, summary, lock, ex.id, "blog")
