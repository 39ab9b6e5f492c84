"""SSH jobs (fabric): copy the script, run it in its own process group, stream the log back, get the exit."""

from __future__ import annotations

import asyncio
import contextlib

from cm_common import RuntimeFailure

from .._models import State
from ._base import JobContext, note_failed_stop
from ._remote import Tee, connect, job_command, kill_command, remote_folder, upload


def _run(ctx: JobContext, report: asyncio.AbstractEventLoop) -> int:
    assert ctx.host is not None

    def on_line(line: str) -> None:
        report.call_soon_threadsafe(ctx.line, line)

    out = Tee(ctx.stdout, on_line)
    err = Tee(ctx.stderr)
    try:
        with connect(ctx.host) as connection:
            folder = upload(connection, ctx)
            report.call_soon_threadsafe(lambda: ctx.mark(state=State.RUNNING))
            result = connection.run(
                job_command(ctx, folder),
                warn=True,
                hide=False,
                in_stream=False,
                out_stream=out,
                err_stream=err,
            )
            return int(result.exited)
    except (OSError, EOFError, ValueError) as error:
        raise RuntimeFailure(f"ssh {ctx.host.hostname}: {error}") from error
    except Exception as error:  # paramiko's SSHException and its kin
        raise RuntimeFailure(f"ssh {ctx.host.hostname}: {type(error).__name__}: {error}") from error
    finally:
        out.close()
        err.close()


def kill_remote(ctx: JobContext) -> None:
    """Stop the remote process group of the job of ``ctx``."""
    assert ctx.host is not None
    with connect(ctx.host) as connection:
        connection.run(kill_command(remote_folder(ctx)), warn=True, hide=True, in_stream=False)


class SshExecutor:
    """Runs jobs on SSH hosts, one connection per job (in a worker thread: fabric is blocking)."""

    async def execute(self, ctx: JobContext) -> int:
        """Run the job remotely; on cancel or timeout kill its remote process group."""
        loop = asyncio.get_running_loop()
        work = asyncio.ensure_future(asyncio.to_thread(_run, ctx, loop))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            try:
                await asyncio.to_thread(kill_remote, ctx)
            except Exception as error:  # the job stays cancelled; say that its remote process may live on
                note_failed_stop(ctx, error)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(work, 30)
            raise

    async def close(self) -> None:
        """Nothing held between jobs."""
