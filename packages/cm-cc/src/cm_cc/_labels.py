"""Graph labels: the placeholders of cm-cc and of cloudmesh-cc's label templates.

``{name}``, ``{status}``, ``{progress}``, ``{host}``, ``{kind}``, ``{attempt}``, ``{exit_code}``,
``{message}``, ``{elapsed}``; ``{os.X}`` (environment), ``{cm.X}`` (``cm set`` variables); times as
``{now.FMT}``, ``{tstart.FMT}`` / ``{started.FMT}``, ``{tend.FMT}`` / ``{ended.FMT}``,
``{created.FMT}``, ``{modified.FMT}``, ``{t0.FMT}``, ``{t1.FMT}`` and durations ``{dt.FMT}``,
``{dt0.FMT}``, ``{dt1.FMT}``. FMT is a strftime format that may hold spaces, commas and slashes;
``--`` in it writes a colon (cloudmesh-cc's way to write one) and an empty FMT means
``%m/%d/%Y, %H:%M:%S`` (``%H:%M:%S`` for a duration). Every other ``{...}`` is an error.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cm_common import InputError, Template

from ._models import JobStatus

MOMENTS = ("now", "tstart", "started", "tend", "ended", "created", "modified", "t0", "t1")
DURATIONS = ("dt0", "dt1", "dt")
DEFAULT_MOMENT = "%m/%d/%Y, %H:%M:%S"
DEFAULT_DURATION = "%H:%M:%S"
_TIME = re.compile(r"\{(" + "|".join(DURATIONS + MOMENTS) + r")\.([^{}]*)\}")
_BRACES = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w%:-]+)*(?:!q)?")
_SLOT = "cmcc0time"


@dataclass(frozen=True)
class RunTimes:
    """When the run's first job started (t0) and its last one ended (t1, once every job ended)."""

    t0: float | None = None
    t1: float | None = None

    @classmethod
    def of(cls, statuses: list[JobStatus]) -> RunTimes:
        """The run's times from its jobs' states."""
        starts = [s.started for s in statuses if s.started is not None]
        ends = [s.ended for s in statuses if s.ended is not None]
        done = bool(statuses) and all(s.state.final for s in statuses)
        return cls(min(starts) if starts else None, max(ends) if ends and done else None)


class Label:
    """One label template, compiled once; :meth:`render` fills it for a job."""

    def __init__(self, text: str, source: str) -> None:
        self.times: list[tuple[str, str]] = []

        def swap(match: re.Match[str]) -> str:
            self.times.append((match.group(1), match.group(2)))
            return f"{{{_SLOT}{len(self.times) - 1}}}"

        swapped = _TIME.sub(swap, text)
        for inner in _BRACES.findall(swapped.replace("{{", "").replace("}}", "")):
            if not _NAME.fullmatch(inner):
                raise InputError(f"{source}: {{{inner}}} is not a placeholder cm-cc knows")
        self.template = Template(swapped, source)

    def render(
        self,
        status: JobStatus,
        *,
        now: float | None = None,
        run: RunTimes | None = None,
        variables: Callable[[], Mapping[str, str]] = dict,
    ) -> str:
        """The label of ``status``; a :class:`cm_common.PlaceholderError` names what is not known."""
        find = lookup(status, self.times, now or time.time(), run or RunTimes(), variables)
        return self.template.render(find)


def _moment(value: float | None, fmt: str) -> str:
    return datetime.fromtimestamp(value).strftime(fmt or DEFAULT_MOMENT) if value is not None else ""


def _duration(start: float | None, end: float | None, fmt: str) -> str:
    if start is None or end is None:
        return ""
    return time.strftime(fmt or DEFAULT_DURATION, time.gmtime(max(0.0, end - start)))


def lookup(
    status: JobStatus,
    times: list[tuple[str, str]],
    now: float,
    run: RunTimes,
    variables: Callable[[], Mapping[str, str]],
) -> Callable[[str], Any]:
    """The value of each placeholder path for one job (KeyError for an unknown one)."""
    values = {
        "name": status.name,
        "status": status.state.value,
        "progress": status.progress,
        "host": status.host or "localhost",
        "kind": status.kind,
        "attempt": status.attempt,
        "exit_code": "" if status.exit_code is None else status.exit_code,
        "message": status.message,
        "elapsed": "" if status.elapsed is None else f"{status.elapsed:.1f}",
    }
    moments = {
        "now": now,
        "tstart": status.started,
        "started": status.started,
        "tend": status.ended,
        "ended": status.ended,
        "created": run.t0,  # cm-cc keeps no creation time per job: the run's start
        "modified": status.ended or status.started,  # the job's last change of state
        "t0": run.t0,
        "t1": run.t1,
    }
    spans = {
        "dt": (status.started, status.ended or (now if status.started is not None else None)),
        "dt0": (run.t0, now),
        "dt1": (run.t0, run.t1),
    }

    def find(path: str) -> Any:
        if path.startswith(_SLOT):
            head, fmt = times[int(path[len(_SLOT) :])]
            fmt = fmt.replace("--", ":")
            return _duration(*spans[head], fmt) if head in spans else _moment(moments[head], fmt)
        if path.startswith("os."):
            return os.environ[path[3:]]
        if path.startswith("cm."):
            return variables()[path[3:]]
        return values[path]

    return find
