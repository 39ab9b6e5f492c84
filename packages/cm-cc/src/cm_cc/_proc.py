"""Local processes: start times (to tell a pid from a reused one), liveness and killing a process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path


def start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (field 22 of /proc/PID/stat), or '' when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


def alive(pid: int | None, started: str) -> bool:
    """True when ``pid`` runs and is the same process that started at ``started``."""
    return bool(pid) and started != "" and start_time(pid or 0) == started


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


@contextlib.contextmanager
def pidfd_children(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """On Python 3.11 in the main thread, learn of child exits through pidfds (as 3.12 does by default)
    instead of one waiting thread per child: a good part of the engine's CPU time per job."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = asyncio.get_child_watcher()
    watcher = asyncio.PidfdChildWatcher()
    watcher.attach_loop(loop)
    asyncio.set_child_watcher(watcher)
    try:
        yield
    finally:
        asyncio.set_child_watcher(previous)
        watcher.close()
