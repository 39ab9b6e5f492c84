"""Process identity: a pid together with its start time, so a pid the kernel reused is never taken
for the process recorded with it (an engine, a background service)."""

from __future__ import annotations

import os

import psutil


def process_started(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch), None when it is gone or not a pid."""
    if pid <= 0:
        return None
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):  # gone, not ours to see, or not a pid
        return None


def start_time(pid: int) -> str:
    """The start time of ``pid`` in clock ticks after boot (/proc/PID/stat's field 22), or '' when gone.

    Ticks, as cm's stores have always recorded them, so records made earlier still match.
    """
    created = process_started(pid)
    if created is None:
        return ""
    return str(round((created - psutil.boot_time()) * os.sysconf("SC_CLK_TCK")))


def alive(pid: int | None, started: str) -> bool:
    """True when ``pid`` runs and is the process that started at ``started`` (a :func:`start_time`)."""
    return bool(pid) and started != "" and start_time(pid or 0) == started
