"""What every executor gets: the job, its run folder and the hooks that record what happens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cm_common import parse_progress_line

from .._models import Host, Job


@dataclass
class JobContext:
    """One attempt of one job, as an executor sees it.

    ``mark(**fields)`` records fields of the job (state, pid, slurm_id, message) in the store;
    ``progress(percent)`` reports progress; ``adopt`` is a Slurm job id to follow instead of submitting.
    """

    run: str
    job: Job
    directory: Path
    mark: Callable[..., None]
    progress: Callable[[int], None]
    host: Host | None = None
    adopt: str = ""
    _offsets: dict[Path, int] = field(default_factory=dict, init=False, repr=False)

    @property
    def script(self) -> Path:
        """The job's ``job.sh``."""
        return self.directory / "job.sh"

    @property
    def stdout(self) -> Path:
        """The job's standard output file."""
        return self.directory / "stdout"

    @property
    def stderr(self) -> Path:
        """The job's standard error file."""
        return self.directory / "stderr"

    def line(self, text: str | bytes) -> None:
        """Look at one output line; a ``# cloudmesh ... progress=N`` line reports progress."""
        if isinstance(text, bytes):
            if b"cloudmesh" not in text:
                return
            text = text.decode(errors="replace")
        pairs = parse_progress_line(text)
        if pairs and pairs.get("progress", "").isdigit():
            self.progress(min(100, int(pairs["progress"])))

    def follow(self, path: Path) -> None:
        """Read the lines added to ``path`` since the last call and look at each."""
        try:
            with path.open("rb") as handle:
                handle.seek(self._offsets.get(path, 0))
                data = handle.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._offsets[path] = self._offsets.get(path, 0) + len(complete)
        for line in complete.splitlines():
            self.line(line)


def note_failed_stop(ctx: JobContext, error: BaseException, what: str = "its remote process group") -> None:
    """Record (message and log, with the traceback at debug) that stopping a cancelled job failed."""
    where = f" on {ctx.host.hostname}" if ctx.host else ""
    reason = f"{type(error).__name__}: {error}"
    log = logging.getLogger("cm_cc")
    log.warning("job %s: could not stop %s%s: %s", ctx.job.name, what, where, reason)
    log.debug("the error that stopped it", exc_info=error)
    ctx.mark(message=f"cancelled, but could not stop {what}{where}: {reason}"[:500])


class Executor(Protocol):
    """Runs one attempt of a job to its end and returns the exit code.

    Cancelling the coroutine (timeout, cancel, fail-fast) must stop what runs before re-raising.
    """

    async def execute(self, ctx: JobContext) -> int:
        """Run the job of ``ctx``; return its exit code."""
        ...

    async def close(self) -> Any:
        """Release what the executor holds (connections, pollers)."""
        ...
