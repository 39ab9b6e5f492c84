"""A small timer for benchmarks: ``with stopwatch.timer("name"): ...`` records how long it took."""

from __future__ import annotations

import platform
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TimerRecord:
    """One timed block: its name, seconds, status (ok/failed), host and Python version."""

    name: str
    seconds: float
    status: str
    host: str = field(default_factory=socket.gethostname)
    python: str = field(default_factory=platform.python_version)

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict, for the output layer."""
        return asdict(self)


class StopWatch:
    """Collects :class:`TimerRecord` entries from :meth:`timer` blocks."""

    def __init__(self) -> None:
        self.records: list[TimerRecord] = []

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """Time the block; a block that raises is recorded as ``failed`` and re-raises."""
        start = time.perf_counter()
        status = "failed"
        try:
            yield
            status = "ok"
        finally:
            self.records.append(TimerRecord(name, round(time.perf_counter() - start, 6), status))

    def get(self, name: str) -> float:
        """Seconds of the last record called ``name``."""
        for record in reversed(self.records):
            if record.name == name:
                return record.seconds
        raise KeyError(name)

    def as_records(self) -> list[dict[str, Any]]:
        """All records as dicts, for :func:`cm_common.print_records`."""
        return [record.as_dict() for record in self.records]
