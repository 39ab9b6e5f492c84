"""Slurm jobs: ``sbatch --parsable`` here or over SSH, states of a host's jobs in one batched query, scancel.

Slurm has no exit signal to wait on, so one poller per engine asks for every open job at once
every ``poll`` seconds through cm_common.job_states, here or over the host's SSH connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from fabric import Connection

from cm_common import CommandResult, Runner, SlurmJob, job_states, sbatch, scancel

from .._models import Host, State
from ._base import JobContext
from ._remote import connect, remote_folder, upload

_UNKNOWN_LIMIT = 30  # polls a job may be unknown to Slurm before it counts as lost


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

    def run(args: Sequence[str]) -> CommandResult:
        done = connection.run(shlex.join(args), hide=True, warn=True, in_stream=False)
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
    """Submits jobs to Slurm and follows them with one batched poller."""

    def __init__(self, poll: float = 1.0) -> None:
        self.poll = poll
        self._open: dict[str, tuple[asyncio.Future[int], JobContext]] = {}
        self._unknown: dict[str, int] = defaultdict(int)
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
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._follow())
        try:
            return await future
        except asyncio.CancelledError:
            await asyncio.to_thread(cancel_job, ctx, job_id)
            raise
        finally:
            self._open.pop(job_id, None)
            if ctx.host is not None:
                await asyncio.to_thread(_fetch_logs, ctx)

    async def _states(self, host: Host | None, ids: list[str]) -> dict[str, SlurmJob]:
        if host is None:
            return await asyncio.to_thread(job_states, ids)
        if host not in self._connections:
            self._connections[host] = connect(host)
        return await asyncio.to_thread(job_states, ids, _over_ssh(self._connections[host]))

    async def _follow(self) -> None:
        while self._open:
            by_host: dict[Host | None, list[str]] = defaultdict(list)
            for job_id, (_, ctx) in self._open.items():
                by_host[ctx.host].append(job_id)
            for host, ids in by_host.items():
                for job_id, job in (await self._states(host, ids)).items():
                    self._update(job_id, job)
            await asyncio.sleep(self.poll)

    def _update(self, job_id: str, job: SlurmJob) -> None:
        future, ctx = self._open.get(job_id, (None, None))
        if future is None or ctx is None or future.done():
            return
        if ctx.host is None:
            ctx.follow(Path(ctx.stdout))
        if job.state == "UNKNOWN":
            self._unknown[job_id] += 1
            if self._unknown[job_id] > _UNKNOWN_LIMIT:
                ctx.mark(message="Slurm lost the job")
                future.set_result(1)
            return
        if job.state == "RUNNING":
            ctx.mark(state=State.RUNNING)
        if job.finished:
            if job.state != "COMPLETED":
                ctx.mark(message=f"slurm {job.state}")
            future.set_result(exit_code(job))

    async def close(self) -> None:
        """Stop the poller and close SSH connections."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for connection in self._connections.values():
            connection.close()
