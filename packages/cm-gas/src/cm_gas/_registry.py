"""The services started with ``cm-gas serve --background``: ``$CM_HOME/gas/services.json`` (written
atomically under a lock), a pid file and a log per service. A recorded pid counts as the service
only while it runs and has the start time recorded with it, so a reused pid is never taken for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cm_common import InputError, alive, atomic_write_text, file_lock

from ._auth import gas_home

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Entry:
    """One background service."""

    name: str
    url: str
    pid: int
    started: str
    target: str
    log: str
    auth: str
    created: float

    @property
    def spec(self) -> str:
        """The URL of its OpenAPI spec."""
        return self.url.rstrip("/") + "/openapi.json"

    @property
    def alive(self) -> bool:
        """True while its process runs (the same process: its start time matches)."""
        return alive(self.pid, self.started)

    def row(self) -> dict[str, Any]:
        """The entry as a table row."""
        return {
            "name": self.name,
            "state": "running" if self.alive else "dead",
            "url": self.url,
            "pid": self.pid,
            "target": self.target,
            "auth": self.auth,
            "spec": self.spec,
            "log": self.log,
        }


class Registry:
    """Background services by name."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or gas_home()
        self.file = self.home / "services.json"
        self.lock = self.home / "services.lock"

    def log_path(self, name: str) -> Path:
        """Where a service's output goes."""
        return self.home / "logs" / f"{name}.log"

    def pid_path(self, name: str) -> Path:
        """A service's pid file: ``PID START_TIME``."""
        return self.home / "run" / f"{name}.pid"

    def _read(self) -> dict[str, Entry]:
        if not self.file.exists():
            return {}
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            return {name: Entry(**value) for name, value in data.items()}
        except (OSError, ValueError, TypeError) as error:
            raise InputError(f"{self.file}: damaged registry ({error}); remove it to start afresh") from None

    def _write(self, entries: dict[str, Entry]) -> None:
        data = {name: asdict(entry) for name, entry in sorted(entries.items())}
        atomic_write_text(self.file, json.dumps(data, indent=2) + "\n")

    def entries(self) -> list[Entry]:
        """Every recorded service, running or dead."""
        return list(self._read().values())

    def get(self, name: str) -> Entry:
        """One service; an unknown name is an InputError."""
        entry = self._read().get(name)
        if entry is None:
            known = ", ".join(sorted(self._read())) or "none"
            raise InputError(f"no service {name!r} (known: {known})")
        return entry

    def check_free(self, name: str) -> None:
        """An InputError when ``name`` is not a valid name or a running service has it."""
        if not NAME.match(name):
            raise InputError(f"--name {name!r}: use letters, digits and _ . - (at most 64)")
        entry = self._read().get(name)
        if entry is not None and entry.alive:
            raise InputError(f"service {name!r} already runs at {entry.url} (cm-gas stop {name} first)")

    def add(self, entry: Entry) -> None:
        """Record a started service (replacing a dead one of that name) and its pid file."""
        with file_lock(self.lock):
            entries = self._read()
            entries[entry.name] = entry
            atomic_write_text(self.pid_path(entry.name), f"{entry.pid} {entry.started}\n")
            self._write(entries)

    def remove(self, name: str) -> None:
        """Forget a service and its pid file (its log stays)."""
        with file_lock(self.lock):
            entries = self._read()
            entries.pop(name, None)
            self.pid_path(name).unlink(missing_ok=True)
            self._write(entries)

    def stop(self, name: str, grace: float = 10.0) -> bool:
        """SIGTERM a service's process group, SIGKILL it after ``grace`` s; forget it. True if it ran."""
        entry = self.get(name)
        running = entry.alive
        if running:
            _signal(entry.pid, signal.SIGTERM)
            end = time.monotonic() + grace
            while entry.alive and time.monotonic() < end:
                time.sleep(0.05)
            if entry.alive:
                _signal(entry.pid, signal.SIGKILL)
        self.remove(name)
        return running


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
