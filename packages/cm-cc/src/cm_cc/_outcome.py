"""Each experiment's outcome, written back into the cm-sbatch folder it came from.

When a run's job stands for an experiment of a cm-sbatch output folder (a ``sweep:`` job fanned
out), its end is appended to that folder's ``jobs.jsonl`` as one JSON line, the format cm-sbatch
documents for it, so ``cm-sbatch status`` and ``resubmit --failed`` see what cm-cc ran::

    {"id": "epoch_1_lr_0.1", "job": "", "state": "FAILED", "exit_code": 3, "elapsed": "0:04",
     "ended": "2026-12-01T23:05:09+00:00", "runner": "cm-cc", "run": "20261201-230501-3fa2"}

``state`` uses Slurm's names (COMPLETED, FAILED, TIMEOUT, CANCELLED); the last line of an
experiment wins. cm-cc does not import cm-sbatch: the file is the interface.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from cm_common import file_lock

from ._models import Event, Job, State

JOBS = "jobs.jsonl"
SLURM_NAMES = {
    State.DONE: "COMPLETED",
    State.FAILED: "FAILED",
    State.TIMEOUT: "TIMEOUT",
    State.CANCELLED: "CANCELLED",
}
_EXIT = re.compile(r"exit code (-?\d+)")


def slurm_elapsed(seconds: float) -> str:
    """Seconds as Slurm writes a job's elapsed time: ``0:04``, ``12:30``, ``1:02:03``."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def outcome_record(
    experiment: str, state: State, run: str, message: str, elapsed: float | None
) -> dict[str, object]:
    """The ``jobs.jsonl`` line for an experiment that ended in ``state``."""
    code = 0 if state == State.DONE else None
    found = _EXIT.search(message)
    if found and state == State.FAILED:
        code = int(found.group(1))
    return {
        "id": experiment,
        "job": "",
        "state": SLURM_NAMES[state],
        "exit_code": code,
        "elapsed": "" if elapsed is None else slurm_elapsed(elapsed),
        "ended": datetime.now(UTC).isoformat(timespec="seconds"),
        "runner": "cm-cc",
        "run": run,
    }


def append_outcome(out: str | Path, record: dict[str, object]) -> None:
    """Append ``record`` to ``out``'s ``jobs.jsonl`` under the lock cm-sbatch takes for it."""
    path = Path(out) / JOBS
    with file_lock(path), open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


class OutcomeRecorder:
    """An engine hook: when a job standing for a cm-sbatch experiment ends, record its outcome there."""

    def __init__(self, jobs: dict[str, Job]) -> None:
        self._experiments = {name: job.experiment for name, job in jobs.items() if job.experiment}
        self._started: dict[str, float] = {}

    def __bool__(self) -> bool:
        return bool(self._experiments)

    def __call__(self, event: Event) -> None:
        experiment = self._experiments.get(event.job or "")
        if experiment is None:
            return
        if event.state == State.RUNNING.value:
            self._started.setdefault(event.job or "", event.time)
            return
        state = State(event.state)
        if state not in SLURM_NAMES:
            return
        started = self._started.pop(event.job or "", None)
        elapsed = None if started is None else event.time - started
        record = outcome_record(experiment.id, state, event.run, event.message, elapsed)
        append_outcome(experiment.out, record)
