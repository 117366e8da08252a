"""Worker processes for the build's parallel steps (parsing raw segments, the per-executive graph step).

One way to start them for every step: a fresh interpreter each ("spawn": forking a process that holds DuckDB's and
Arrow's threads is not safe), and each dies with the build that started it (Linux), so a killed build leaves no
worker writing on.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def die_with_parent(parent: int) -> None:
    """Worker initializer: killed when the build dies; one whose build died while it was starting leaves at once."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent,
                               initargs=(os.getpid(),))
