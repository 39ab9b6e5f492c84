"""Local jobs: a subprocess in its own process group; its exit is the signal, its output streams in."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import BinaryIO

from .._command import local_argv
from .._models import State
from .._proc import stop_group
from ._base import JobContext


def job_environment(base: dict[str, str], ctx: JobContext) -> dict[str, str]:
    """``base`` (this process's environment), the job's ``env`` and CM_CC_RUN, CM_CC_JOB, CM_CC_DIR."""
    extra = {"CM_CC_RUN": ctx.run, "CM_CC_JOB": ctx.job.name, "CM_CC_DIR": str(ctx.directory)}
    return {**base, **ctx.job.env, **extra}


class LocalExecutor:
    """Runs jobs as local subprocesses (``start_new_session``: a timeout or cancel kills the whole group)."""

    def __init__(self) -> None:
        self.environment = dict(os.environ)

    async def execute(self, ctx: JobContext) -> int:
        """Start the job, stream its stdout (progress lines) to its file, and wait for its exit."""
        cwd = Path(ctx.job.workdir) if ctx.job.workdir else ctx.directory
        with ctx.stderr.open("ab") as err:
            try:
                process = await asyncio.create_subprocess_exec(
                    *local_argv(ctx.job, ctx.script),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=err,
                    cwd=cwd,
                    env=job_environment(self.environment, ctx),
                    start_new_session=True,
                )
            except OSError as error:
                err.write(f"cm-cc: cannot start: {error}\n".encode())
                ctx.mark(message=f"cannot start: {error.strerror or error}")
                return 127
        ctx.mark(state=State.RUNNING, pid=process.pid)
        try:
            return await self._stream(process, ctx)
        except asyncio.CancelledError:
            await stop_group(process)
            raise

    @staticmethod
    async def _stream(process: asyncio.subprocess.Process, ctx: JobContext) -> int:
        """Copy stdout line by line into its file (made on the first line: silent jobs cost no file)."""
        assert process.stdout is not None
        out: BinaryIO | None = None
        try:
            async for line in process.stdout:
                out = out or ctx.stdout.open("ab")
                out.write(line)
                out.flush()
                ctx.line(line)
        finally:
            if out is not None:
                out.close()
        return await process.wait()

    async def close(self) -> None:
        """Nothing to release."""
