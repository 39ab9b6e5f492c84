"""The Slurm commands cm-sbatch and cm-cc share: submit, batched state queries, cancel.

States come from one ``squeue`` call for every job, then one ``scontrol show job`` (works
with accounting off), then one ``sacct`` for what neither still knows: never one call per job.
Queries and cancel take a ``run`` function, so the same code works here or over SSH.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ._errors import RuntimeFailure

_NO_TASK = "4294967294"  # NO_VAL: a pending array whose tasks have no ids yet
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


Runner = Callable[[Sequence[str]], CommandResult]


def run_here(args: Sequence[str]) -> CommandResult:
    """Run a Slurm command on this machine (the default ``run`` of the queries)."""
    return _run(args, check=False)


def _run(args: Sequence[str], *, check: bool = True, cwd: Path | None = None) -> CommandResult:
    if shutil.which(args[0]) is None:
        raise RuntimeFailure(f"{args[0]} not found: is Slurm installed here?")
    done = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd)
    result = CommandResult(done.returncode, done.stdout, done.stderr)
    if check and result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise RuntimeFailure(f"{args[0]} failed: {message[-1] if message else f'exit {result.returncode}'}")
    return result


def sbatch(script: Path, options: Sequence[str] = (), cwd: Path | None = None) -> str:
    """Submit ``script`` with ``sbatch --parsable``; return the job id."""
    result = _run(["sbatch", "--parsable", *options, str(script)], cwd=cwd)
    return result.stdout.strip().split(";")[0]


def scancel(ids: Collection[str], run: Runner = run_here) -> None:
    """Cancel jobs (array tasks included) in one call."""
    if ids:
        run(["scancel", *sorted(ids)])


def max_array_size() -> int:
    """The cluster's MaxArraySize (1001 when it cannot be read)."""
    out = _run(["scontrol", "show", "config"], check=False).stdout
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "MaxArraySize" and value.strip().isdigit():
            return int(value.strip())
    return 1001


def _squeue(run: Runner) -> dict[str, SlurmJob]:
    out = run(["squeue", "-h", "-r", "-o", "%i|%T|%M|%N"]).stdout
    jobs = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 4:
            jobs[parts[0]] = SlurmJob(parts[0], parts[1], parts[2], "", parts[3])
    return jobs


def _scontrol(run: Runner) -> dict[str, SlurmJob]:
    out = run(["scontrol", "show", "job", "-o"]).stdout
    jobs = {}
    for line in out.splitlines():
        fields = dict(token.split("=", 1) for token in line.split() if "=" in token)
        if "JobId" not in fields:
            continue
        task = fields.get("ArrayTaskId")
        started = bool(task and task.isdigit() and task != _NO_TASK)
        key = f"{fields['ArrayJobId']}_{task}" if started else fields["JobId"]
        node = fields.get("NodeList", "")
        job = SlurmJob(
            key, fields.get("JobState", ""), fields.get("RunTime", ""), fields.get("ExitCode", ""), node
        )
        jobs[key] = jobs[fields["JobId"]] = job
        if task and not started:  # the tasks not started yet share one record ("1-3%1", or no ids at all)
            jobs[f"{fields['ArrayJobId']}_*"] = job
    return jobs


def _sacct(run: Runner, ids: Collection[str]) -> dict[str, SlurmJob]:
    try:
        result = run(
            ["sacct", "-n", "-X", "-P", "-o", "JobID,State,Elapsed,ExitCode,NodeList", "-j", ",".join(ids)]
        )
    except RuntimeFailure:  # no sacct here
        return {}
    jobs = {}
    for line in result.stdout.splitlines() if result.returncode == 0 else []:
        parts = line.split("|")
        if len(parts) == 5:
            jobs[parts[0]] = SlurmJob(parts[0], parts[1].split()[0], parts[2], parts[3], parts[4])
    return jobs


def job_states(ids: Collection[str], run: Runner = run_here) -> dict[str, SlurmJob]:
    """States of ``ids`` in at most three calls; a job no source knows is ``UNKNOWN``."""
    wanted = set(ids)
    found = {key: job for key, job in _squeue(run).items() if key in wanted}
    if wanted - found.keys():
        known = _scontrol(run)
        for key in wanted - found.keys():
            # an array task that never started is only in its array's shared record
            job = known.get(key) or known.get(f"{key.split('_')[0]}_*" if "_" in key else "")
            if job is not None:
                found[key] = replace(job, id=key)
    rest = wanted - found.keys()
    if rest:
        found.update({key: job for key, job in _sacct(run, rest).items() if key in rest})
    return {key: found.get(key, SlurmJob(key, "UNKNOWN")) for key in ids}
