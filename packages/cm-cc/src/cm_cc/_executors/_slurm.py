"""Slurm jobs: ``sbatch --parsable`` here or over SSH, states of a host's jobs in batched queries, scancel.

Slurm has no exit signal to wait on, so one poller per engine asks for every open job at once
through cm_common.job_states (naming only those jobs), here or over the host's SSH connection.
The pause between polls starts at ``poll`` seconds and doubles while nothing changes, up to
``max_poll``; a state change or a new job brings it back to ``poll``. When Slurm does not answer
(after cm_common's own retries) the poller keeps trying with the same backoff and notes why on
each job; after ``_UNREACHABLE_LIMIT`` failed polls in a row the open jobs fail with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from fabric import Connection
from invoke.exceptions import CommandTimedOut

from cm_common import TIMED_OUT, CommandResult, Runner, RuntimeFailure, SlurmJob, job_states, sbatch, scancel

from .._models import Host, State
from ._base import JobContext, note_failed_stop
from ._remote import connect, remote_folder, upload

_log = logging.getLogger("cm_cc.slurm")
_UNKNOWN_POLLS = 3  # a job unknown to Slurm this many polls in a row, and for _UNKNOWN_SECONDS, is lost
_UNKNOWN_SECONDS = 30.0
_UNREACHABLE_LIMIT = 10  # polls in a row Slurm may fail to answer before the open jobs fail


def sbatch_options(ctx: JobContext) -> list[str]:
    """Name, output files, working folder and the job's ``resources`` as sbatch options."""
    options = [f"--job-name=cc-{ctx.job.name}"]
    if ctx.host is None:
        workdir = ctx.job.workdir or str(ctx.directory)
        options += [f"--output={ctx.stdout}", f"--error={ctx.stderr}", f"--chdir={workdir}"]
    return options + [f"--{key}={value}" for key, value in ctx.job.resources.items()]


def exit_code(job: SlurmJob) -> int:
    """The job's exit code from ``ExitCode=N:S``; never 0 unless Slurm says COMPLETED."""
    code = job.exit_code.split(":")[0]
    value = int(code) if code.isdigit() else 0
    if job.state == "COMPLETED":
        return value
    return value or 1


def _remote_submit(ctx: JobContext) -> str:
    assert ctx.host is not None
    with connect(ctx.host) as connection:
        folder = upload(connection, ctx)
        home = f'"$HOME"/{shlex.quote(folder)}'
        files = [f"--output={home}/stdout", f"--error={home}/stderr"]
        if ctx.job.workdir:
            files.append(f"--chdir={shlex.quote(ctx.job.workdir)}")
        options = " ".join([*files, *map(shlex.quote, sbatch_options(ctx))])
        result = connection.run(
            f"cd {home} && sbatch --parsable {options} job.sh", hide=True, in_stream=False
        )
        return str(result.stdout).strip().split(";")[0]


def _over_ssh(connection: Connection) -> Runner:
    """Run Slurm commands on the host behind ``connection`` (arguments quoted)."""

    def run(args: Sequence[str], *, timeout: float) -> CommandResult:
        try:
            done = connection.run(shlex.join(args), hide=True, warn=True, in_stream=False, timeout=timeout)
        except CommandTimedOut:
            return CommandResult(TIMED_OUT, "", f"timed out after {timeout:g} s")
        return CommandResult(done.exited, str(done.stdout), str(done.stderr))

    return run


def _fetch_logs(ctx: JobContext) -> None:
    assert ctx.host is not None
    with connect(ctx.host) as connection:
        for name in ("stdout", "stderr"):
            with contextlib.suppress(OSError):
                connection.get(f"{remote_folder(ctx)}/{name}", local=str(ctx.directory / name))


def cancel_job(ctx: JobContext, job_id: str) -> None:
    """scancel one job, here or on the job's host."""
    if ctx.host is None:
        scancel([job_id])
        return
    with connect(ctx.host) as connection:
        scancel([job_id], _over_ssh(connection))


class SlurmExecutor:
    """Submits jobs to Slurm and follows them with one batched poller that backs off while nothing changes."""

    def __init__(self, poll: float = 1.0, max_poll: float = 30.0) -> None:
        self.poll = poll
        self.max_poll = max(poll, max_poll)
        self._open: dict[str, tuple[asyncio.Future[int], JobContext]] = {}
        self._seen: dict[str, str] = {}
        self._unknown: dict[str, tuple[int, float]] = {}
        self._failures = 0
        self._interval = poll
        self._wake = asyncio.Event()
        self._connections: dict[Host, Connection] = {}
        self._poller: asyncio.Task[None] | None = None

    async def execute(self, ctx: JobContext) -> int:
        """Submit (or adopt) the job and wait for Slurm to finish it; scancel it when cancelled."""
        if ctx.adopt:
            job_id = ctx.adopt
        elif ctx.host is None:
            job_id = await asyncio.to_thread(sbatch, ctx.script, sbatch_options(ctx), ctx.directory)
        else:
            job_id = await asyncio.to_thread(_remote_submit, ctx)
        ctx.mark(state=State.SUBMITTED, slurm_id=job_id)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._open[job_id] = (future, ctx)
        self._interval = self.poll  # a new job is worth a quick look
        self._wake.set()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._follow())
        try:
            return await future
        except asyncio.CancelledError:
            try:
                await asyncio.to_thread(cancel_job, ctx, job_id)
            except Exception as error:  # the job stays cancelled; say that Slurm may still run it
                note_failed_stop(ctx, error, f"slurm job {job_id}")
            raise
        finally:
            self._open.pop(job_id, None)
            self._seen.pop(job_id, None)
            self._unknown.pop(job_id, None)
            if ctx.host is not None:
                await asyncio.to_thread(_fetch_logs, ctx)

    async def _states(self, host: Host | None, ids: list[str]) -> dict[str, SlurmJob]:
        if host is None:
            return await asyncio.to_thread(job_states, ids)
        if host not in self._connections:
            self._connections[host] = await asyncio.to_thread(connect, host)
        return await asyncio.to_thread(job_states, ids, _over_ssh(self._connections[host]))

    async def _follow(self) -> None:
        while self._open:
            by_host: dict[Host | None, list[str]] = defaultdict(list)
            for job_id, (_, ctx) in self._open.items():
                by_host[ctx.host].append(job_id)
            changed = False
            for host, ids in by_host.items():
                try:
                    states = await self._states(host, ids)
                except (RuntimeFailure, OSError) as error:  # Slurm or the SSH link failed: say so, try later
                    self._unreachable(ids, error)
                    continue
                self._failures = 0
                for job_id, job in states.items():
                    changed |= self._update(job_id, job)
            self._interval = self.poll if changed else min(self.max_poll, self._interval * 2)
            await self._pause()

    async def _pause(self) -> None:
        """Sleep ``_interval``; a new job cuts what is left to ``poll`` (a burst of them costs one poll)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._interval
        while (left := deadline - loop.time()) > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)
            if self._wake.is_set():
                deadline = min(deadline, loop.time() + self.poll)

    def _unreachable(self, ids: list[str], error: Exception) -> None:
        self._failures += 1
        _log.warning(
            "Slurm poll %d failed: %s", self._failures, error, exc_info=_log.isEnabledFor(logging.DEBUG)
        )
        for job_id in ids:
            future, ctx = self._open[job_id]
            if future.done():
                continue
            if self._failures >= _UNREACHABLE_LIMIT:
                future.set_exception(RuntimeFailure(f"Slurm did not answer {self._failures} polls: {error}"))
            else:
                ctx.mark(message=f"Slurm did not answer (poll {self._failures}): {error}"[:500])

    def _update(self, job_id: str, job: SlurmJob) -> bool:
        """Record what Slurm says of one job; True when its state changed."""
        future, ctx = self._open.get(job_id, (None, None))
        if future is None or ctx is None or future.done():
            return False
        if ctx.host is None:
            ctx.follow(Path(ctx.stdout))
        changed = self._seen.get(job_id) != job.state
        self._seen[job_id] = job.state
        if job.state == "UNKNOWN":
            polls, since = self._unknown.get(job_id, (0, time.monotonic()))
            self._unknown[job_id] = (polls + 1, since)
            if polls + 1 >= _UNKNOWN_POLLS and time.monotonic() - since >= _UNKNOWN_SECONDS:
                ctx.mark(message="Slurm lost the job")
                future.set_result(1)
            return changed
        self._unknown.pop(job_id, None)
        if job.state == "RUNNING":
            ctx.mark(state=State.RUNNING)
        if job.finished:
            if job.state != "COMPLETED":
                ctx.mark(message=f"slurm {job.state}")
            future.set_result(exit_code(job))
        return changed

    async def close(self) -> None:
        """Stop the poller and close SSH connections."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for connection in self._connections.values():
            connection.close()
