"""Progress lines jobs print in the cloudmesh form: ``# cloudmesh status=running progress=50``."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LINE = re.compile(r"^\s*#\s*cloudmesh\s+(.*)$")
_PAIR = re.compile(r"(\w+)=(\S+)")


def parse_progress_line(line: str) -> dict[str, str] | None:
    """The key=value pairs of one ``# cloudmesh ...`` line, or None for any other line."""
    match = _LINE.match(line)
    if match is None:
        return None
    return dict(_PAIR.findall(match.group(1)))


def last_progress(lines: Iterable[str]) -> dict[str, str]:
    """Merge every ``# cloudmesh`` line of a log: later values win (empty when none)."""
    state: dict[str, str] = {}
    for line in lines:
        pairs = parse_progress_line(line)
        if pairs:
            state.update(pairs)
    return state


def progress_line(progress: int, status: str = "running", **extra: object) -> str:
    """The line a Python job prints to report ``progress`` (0-100)."""
    pairs = " ".join(f"{key}={value}" for key, value in extra.items())
    return f"# cloudmesh status={status} progress={int(progress)}" + (f" {pairs}" if pairs else "")
