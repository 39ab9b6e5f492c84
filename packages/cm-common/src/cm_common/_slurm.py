"""The Slurm commands cm-sbatch and cm-cc share: submit, batched state queries, cancel.

Queries name only the jobs asked about, in batches of ``slurm.batch`` ids: one ``squeue -t all``
per batch (it still knows jobs that ended within MinJobAge), one more for array tasks Slurm keeps
in their array's record, then one ``sacct`` per batch for the ids it no longer knows.
Every command runs under ``slurm.timeout``; when the controller does not answer, it is asked
again after ``slurm.backoff`` seconds (doubling, ``slurm.retries`` times) and then a
RuntimeFailure says so. Queries and cancel take a ``run`` function, so the same code works
here or over SSH.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ._errors import RuntimeFailure

if TYPE_CHECKING:
    from ._slurm_settings import SlurmSettings

_log = logging.getLogger("cm_common.slurm")
TIMED_OUT = 124  # the exit status a runner gives a command that ran past its timeout
# What Slurm's commands print when the controller is down, busy or unreachable: worth asking again.
_UNREACHABLE = re.compile(
    r"timed out|unable to contact|connection refused|temporarily unavailable|try again|zero bytes",
    re.IGNORECASE,
)
_INVALID_ID = "invalid job id"
_SQUEUE_FIELDS = "JobArrayID:|,State:|,TimeUsed:|,NodeList:|,exit_code:"
FINISHED = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
    }
)


@dataclass(frozen=True)
class SlurmJob:
    """What Slurm says of one job (``123`` or an array task ``123_4``)."""

    id: str
    state: str
    elapsed: str = ""
    exit_code: str = ""
    node: str = ""

    @property
    def finished(self) -> bool:
        """True once the job reached a final state."""
        return self.state in FINISHED


@dataclass(frozen=True)
class CommandResult:
    """The exit status and output of one Slurm command."""

    returncode: int
    stdout: str
    stderr: str = ""


class Runner(Protocol):
    """Runs one Slurm command (here, or over SSH) within ``timeout`` seconds.

    A command past its timeout answers exit status ``TIMED_OUT`` rather than raising.
    """

    def __call__(self, args: Sequence[str], /, *, timeout: float) -> CommandResult: ...


def run_here(args: Sequence[str], *, timeout: float, cwd: Path | None = None) -> CommandResult:
    """Run a Slurm command on this machine (the default ``run`` of the queries)."""
    if shutil.which(args[0]) is None:
        raise RuntimeFailure(f"{args[0]} not found: is Slurm installed here?")
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return CommandResult(TIMED_OUT, "", f"timed out after {timeout:g} s")
    return CommandResult(done.returncode, done.stdout, done.stderr)


def _settings(settings: SlurmSettings | None) -> SlurmSettings:
    if settings is not None:
        return settings
    from ._slurm_settings import load_slurm_settings  # pydantic only once a Slurm command runs

    return load_slurm_settings()


def _unreachable(result: CommandResult) -> bool:
    return result.returncode == TIMED_OUT or (
        result.returncode != 0 and bool(_UNREACHABLE.search(result.stderr))
    )


def _last_line(result: CommandResult) -> str:
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return lines[-1] if lines else f"exit {result.returncode}"


def slurm_call(
    args: Sequence[str],
    run: Runner = run_here,
    settings: SlurmSettings | None = None,
    *,
    again_after_timeout: bool = True,
) -> CommandResult:
    """Run one Slurm command; ask again with backoff while the controller does not answer.

    ``again_after_timeout=False`` (for sbatch) retries only what surely did not reach the
    controller, since a submission that timed out may still have been accepted.
    """
    limits = _settings(settings)
    delay = limits.backoff
    for attempt in range(limits.retries + 1):
        result = run(args, timeout=limits.timeout)
        if not _unreachable(result):
            return result
        final = attempt == limits.retries or (result.returncode == TIMED_OUT and not again_after_timeout)
        if final:
            tries = f"{attempt + 1} {'try' if attempt == 0 else 'tries'}"
            raise RuntimeFailure(
                f"{args[0]}: Slurm did not answer ({_last_line(result)}; {tries}, "
                f"timeout {limits.timeout:g} s per try: setting slurm.timeout); is slurmctld up?"
            )
        _log.info("%s: %s; asking again in %g s", args[0], _last_line(result), delay)
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # the loop returns or raises


def _checked(args: Sequence[str], result: CommandResult) -> CommandResult:
    if result.returncode != 0:
        raise RuntimeFailure(f"{args[0]} failed: {_last_line(result)}")
    return result


def sbatch(script: Path, options: Sequence[str] = (), cwd: Path | None = None) -> str:
    """Submit ``script`` with ``sbatch --parsable``; return the job id."""
    args = ["sbatch", "--parsable", *options, str(script)]

    def here(command: Sequence[str], *, timeout: float) -> CommandResult:
        return run_here(command, timeout=timeout, cwd=cwd)

    result = _checked(args, slurm_call(args, here, again_after_timeout=False))
    return result.stdout.strip().split(";")[0]


def scancel(ids: Collection[str], run: Runner = run_here) -> None:
    """Cancel jobs (array tasks included), ``slurm.batch`` ids per call; RuntimeFailure says why it failed."""
    limits = _settings(None)
    for batch in _batches(sorted(ids), limits.batch):
        args = ["scancel", *batch]
        result = slurm_call(args, run, limits)
        if result.returncode != 0 and _INVALID_ID not in result.stderr.lower():  # already gone is fine
            _checked(args, result)


def max_array_size() -> int:
    """The cluster's MaxArraySize (1001 when it cannot be read)."""
    try:
        out = slurm_call(["scontrol", "show", "config"]).stdout
    except RuntimeFailure as error:
        _log.debug("MaxArraySize unknown, using 1001: %s", error)
        return 1001
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "MaxArraySize" and value.strip().isdigit():
            return int(value.strip())
    return 1001


def _batches(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _exit_code(raw: str) -> str:
    """``N:S`` from squeue's exit_code, a wait status (``768`` is exit 3) in Slurm 22 and later."""
    if ":" in raw or not raw.isdigit():
        return raw
    status = int(raw)
    return f"{status >> 8}:{status & 0x7F}"


def _squeue(run: Runner, ids: list[str], limits: SlurmSettings) -> dict[str, SlurmJob]:
    args = ["squeue", "-h", "-r", "-t", "all", "-j", ",".join(ids), "-O", _SQUEUE_FIELDS]
    result = slurm_call(args, run, limits)
    if result.returncode != 0:
        if _INVALID_ID in result.stderr.lower():  # none of them is known any more
            return {}
        _checked(args, result)
    jobs = {}
    for line in result.stdout.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) >= 5:
            jobs[parts[0]] = SlurmJob(parts[0], parts[1], parts[2], _exit_code(parts[4]), parts[3])
    return jobs


def _sacct(run: Runner, ids: list[str], limits: SlurmSettings) -> dict[str, SlurmJob]:
    args = ["sacct", "-n", "-X", "-P", "-o", "JobID,State,Elapsed,ExitCode,NodeList", "-j", ",".join(ids)]
    try:
        result = slurm_call(args, run, limits)
    except RuntimeFailure as error:  # no sacct here, or slurmdbd down: the jobs stay unknown
        _log.debug("sacct: %s", error)
        return {}
    if result.returncode != 0:  # accounting is off
        _log.debug("sacct: %s", _last_line(result))
        return {}
    jobs = {}
    for line in result.stdout.splitlines():
        parts = line.split("|")
        if len(parts) == 5:
            jobs[parts[0]] = SlurmJob(parts[0], parts[1].split()[0], parts[2], parts[3], parts[4])
    return jobs


def _array_records(run: Runner, tasks: list[str], limits: SlurmSettings) -> dict[str, SlurmJob]:
    """Tasks of arrays that Slurm keeps as one record (an array cancelled before any task started
    is ``123`` or ``123_[0-9]``, no longer each ``123_4``): asked for by their array's id."""
    arrays = sorted({task.split("_")[0] for task in tasks})
    records: dict[str, SlurmJob] = {}
    for batch in _batches(arrays, limits.batch):
        for key, job in _squeue(run, batch, limits).items():
            if "_" not in key or key.endswith("]"):
                records[key.split("_")[0]] = job
    return {
        task: replace(records[array], id=task) for task in tasks if (array := task.split("_")[0]) in records
    }


def job_states(
    ids: Collection[str], run: Runner = run_here, settings: SlurmSettings | None = None
) -> dict[str, SlurmJob]:
    """States of ``ids``, asking only about them; a job no source knows is ``UNKNOWN``.

    One squeue per ``slurm.batch`` ids, and one sacct per batch of those squeue no longer knows.
    """
    limits = _settings(settings)
    wanted = sorted(set(ids))
    found: dict[str, SlurmJob] = {}
    for batch in _batches(wanted, limits.batch):
        found.update({key: job for key, job in _squeue(run, batch, limits).items() if key in batch})
    found.update(_array_records(run, [key for key in wanted if key not in found and "_" in key], limits))
    rest = [key for key in wanted if key not in found]
    for batch in _batches(rest, limits.batch):
        found.update({key: job for key, job in _sacct(run, batch, limits).items() if key in batch})
    return {key: found.get(key, SlurmJob(key, "UNKNOWN")) for key in ids}
