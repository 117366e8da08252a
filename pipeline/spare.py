"""The spare copy of the warehouse: made after a build, in a process of its own, for the next update to start from.

An update works on a copy of the last warehouse (the dashboard keeps reading the old file until the new one is
published). Where the file system shares blocks (XFS, Btrfs) the copy is a reflink and costs nothing; on ext4 it is
every byte: 1.28 GB at 10M engagements, which took 0.4-3.4 s on the development machine (`/tmp/s29/cp.py`, nine
copies), and an update waited for it whenever it took longer than the parse and the fingerprint beside it.

So once a build has published a warehouse of at least ``SPARE_MIN_BYTES``, ``start`` runs this file as a script
that copies the warehouse to ``.warehouse.duckdb.spare.<stamp>`` and writes it to disk; ``<stamp>`` is the
warehouse's device, inode, size and modification time. The next update takes the spare by renaming it (``take``)
when its stamp is the warehouse's as it is then, and copies as before otherwise. A spare costs the disk room of the
warehouse between builds (an update needs that room anyway while it runs); ``influence model`` never needs it, and
deleting it only means the next update copies.

What holds:
- The copier works under an exclusive lock (``SPARE_LOCK``). It copies into ``.warehouse.duckdb.spare-<pid>`` and
  renames that to its stamp's name only when it is complete, on disk, and the warehouse is still the file with that
  stamp (not replaced by a later build, not written by anyone meanwhile); else it deletes it. Holding the lock, it
  first deletes what earlier copiers left (a partial copy of one that died, a spare of an older warehouse).
- A full build (an erasure is one) deletes every spare and partial copy when it has published, under the lock,
  waiting for a copier at work: no copy of a warehouse that held an erased person outlives the build. A copier that
  gets the lock later finds the warehouse changed and copies nothing.
- A spare whose stamp is not the warehouse's is never used: the warehouse changed after it was made.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# a smaller warehouse copies in well under 0.1 s (64 MiB: a 20th of the 1.28 GB that took 0.4-3.4 s)
SPARE_MIN_BYTES = 64 << 20
SPARE_LOCK = ".spare.lock"

# linux/fs.h: _IOW(0x94, 9, int), "share the blocks of the file given"
FICLONE = 0x40049409


def copy_file(src: Path, dst: Path) -> None:
    """``dst`` as a copy of ``src``: a reflink where the file system can make one (XFS, Btrfs: the two files share
    their blocks until either is written), else a copy of the bytes. An update copies the last warehouse before it
    writes (1.4 GB at 10M engagements); a reflink writes only the blocks the update changes.

    The bytes go into the file opened for the reflink, not into one opened again: ext4 writes a file that was
    truncated on opening (``wb``) and written again to disk when it is closed (``auto_da_alloc``, against a crash
    leaving a replaced file empty), so the copy waited for the disk, 1.2-1.5 s at 10M engagements against 0.54-0.66 s
    into the page cache. ``BackgroundCopy`` makes it in a thread and then writes it to disk while the build computes."""
    with open(src, "rb") as source, open(dst, "wb") as target:
        _copy_open(source, target)


def _copy_open(source, target) -> None:
    try:
        fcntl.ioctl(target.fileno(), FICLONE, source.fileno())
        return
    except OSError:
        pass  # a file system that cannot share blocks (ext4, tmpfs), or another device
    size = os.fstat(source.fileno()).st_size
    copied = 0
    try:
        while copied < size:  # in the kernel (Linux), no bytes through Python
            n = os.copy_file_range(source.fileno(), target.fileno(), size - copied)
            if n == 0:
                break
            copied += n
    except (AttributeError, OSError):
        pass  # no copy_file_range (not Linux), or one that refuses these files: the rest as bytes
    source.seek(copied)
    target.seek(copied)
    shutil.copyfileobj(source, target, 8 << 20)


def stamp(st: os.stat_result) -> str:
    """What names a warehouse file as it is: its device, inode, size and modification time (in nanoseconds)."""
    return f"{st.st_dev}-{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


def _spares(final: Path) -> list[Path]:
    """Every spare (``.spare.<stamp>``) and partial copy (``.spare-<pid>``) of the warehouse ``final``."""
    return sorted(final.parent.glob(f".{final.name}.spare[.-]*"))


def _named(final: Path, of: str) -> Path:
    return final.with_name(f".{final.name}.spare.{of}")


@contextmanager
def _locked(final: Path) -> Iterator[None]:
    """Holding SPARE_LOCK beside ``final`` (waiting for a copier at work: it holds it while it copies)."""
    with open(final.parent / SPARE_LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def take(final: Path, dst: Path) -> bool:
    """Rename the spare of ``final`` as it is now to ``dst`` (an update's file). Where there is none yet and a copier
    is at work, it is waited for (it started before the update did, so it ends sooner than a copy started now).
    False where there is no spare of ``final`` as it is."""
    for attempt in range(2):
        try:
            os.rename(_named(final, stamp(final.stat())), dst)
            return True
        except FileNotFoundError:
            if attempt or not _spares(final):
                return False
        with _locked(final):  # (until the copier at work has named its spare, or made none)
            pass
    return False


def stale(final: Path, *, every: bool = False) -> list[Path]:
    """The spares that are not of ``final`` as it is now, or with ``every`` all of them (partial copies, which a
    copier may be writing, aside)."""
    try:
        current = None if every else _named(final, stamp(final.stat()))
    except FileNotFoundError:
        current = None
    return [p for p in _spares(final) if p != current and ".spare." in p.name]


def clear(final: Path) -> None:
    """Delete every spare and partial copy of ``final``, under the lock (waiting for a copier at work)."""
    with _locked(final):
        for path in _spares(final):
            path.unlink(missing_ok=True)


def start(final: Path) -> subprocess.Popen | None:
    """Have a process of its own make the spare of ``final`` as it is now (not waited for), if it is big enough to
    be worth one. None where it is not, or no process could be started (the next update copies)."""
    try:
        st = final.stat()
        if st.st_size < SPARE_MIN_BYTES:
            return None
        # (this file as a script: it needs the standard library alone, not the project's imports)
        return subprocess.Popen([sys.executable, "-I", str(Path(__file__).resolve()), str(final), stamp(st)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError:
        return None


def make(final: Path, want: str) -> bool:
    """The copier: the spare of ``final`` if it is still the file stamped ``want``. Returns whether it was made."""
    with _locked(final):
        # what earlier copiers left (holding the lock, no other copier is at work): partial copies, and spares of
        # the warehouse as it was
        left = stale(final) + [p for p in _spares(final) if ".spare-" in p.name]
        for path in left:
            path.unlink(missing_ok=True)
        partial = final.with_name(f".{final.name}.spare-{os.getpid()}")
        try:
            with open(final, "rb") as source:
                if stamp(os.fstat(source.fileno())) != want or _named(final, want).exists():
                    return False  # a later build replaced it, or the spare is there already
                with open(partial, "wb") as target:
                    _copy_open(source, target)
                    target.flush()
                    os.fsync(target.fileno())
            if stamp(final.stat()) != want:
                partial.unlink(missing_ok=True)  # written or replaced while it was copied
                return False
            os.rename(partial, _named(final, want))
            dir_fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            return True
        except OSError:
            partial.unlink(missing_ok=True)  # a full disk, or the data dir gone: the next update copies
            return False


if __name__ == "__main__":
    sys.exit(0 if make(Path(sys.argv[1]), sys.argv[2]) else 1)
