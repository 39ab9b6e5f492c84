"""Local processes: start times (to tell a pid from a reused one), liveness and killing a process group."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cm_common import RuntimeFailure, process_started


def alive_since(pid: int | None, started: float | None, slack: float = 5.0) -> bool:
    """True when ``pid`` runs and started within ``slack`` seconds of the epoch time ``started``
    (a job's pid is checked against its recorded start, so a reused pid is not taken for it)."""
    created = process_started(pid) if pid else None
    if created is None or started is None:
        return False
    return abs(created - started) <= slack


def signal_group(pgid: int, signum: int) -> None:
    """Send ``signum`` to a process group; a group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


async def stop_group(process: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    """SIGTERM the process group of ``process``, SIGKILL it after ``grace`` seconds, and reap it."""
    signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        signal_group(process.pid, signal.SIGKILL)
        await process.wait()
    signal_group(process.pid, signal.SIGKILL)


_WATCHERS: dict[asyncio.AbstractEventLoop, list[Any]] = {}  # loop -> [watcher, previous, engines]


@contextlib.contextmanager
def pidfd_children(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """On Python 3.11 in the main thread, learn of child exits through pidfds (as 3.12 does by default)
    instead of one waiting thread per child: a good part of the engine's CPU time per job.

    Shared by the engines on one loop; the previous watcher is back once the last one ends.
    """
    eligible = sys.version_info < (3, 12) and hasattr(os, "pidfd_open")
    if not eligible or threading.current_thread() is not threading.main_thread():
        yield
        return
    entry = _WATCHERS.get(loop)
    if entry is None:
        previous = asyncio.get_child_watcher()
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(loop)
        asyncio.set_child_watcher(watcher)
        entry = _WATCHERS[loop] = [watcher, previous, 0]
    entry[2] += 1
    try:
        yield
    finally:
        entry[2] -= 1
        if entry[2] == 0:
            del _WATCHERS[loop]
            asyncio.set_child_watcher(entry[1])
            entry[0].close()


@contextlib.contextmanager
def engine_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` while an engine runs ``what``; the kernel drops it when the
    engine dies, even by ``kill -9``. A second engine for the same run is refused at once."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeFailure(f"{what} is already running in another engine") from None
        yield
