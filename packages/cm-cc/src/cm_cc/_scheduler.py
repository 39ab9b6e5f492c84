"""The engine: starts every ready job (up to ``parallel``), reacts to each end, records each transition.

It runs on an asyncio loop (``await engine.run()`` in a service, ``asyncio.run`` in the CLI or a
thread); :meth:`Engine.cancel` may be called from any thread, ``on_event`` hears every change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cm_common import RuntimeFailure, cm_home, job_states, start_time

from ._command import remote_files, script_text
from ._executors import Executor, JobContext, LocalExecutor
from ._models import Event, Job, JobStatus, RunStatus, State, WorkflowSpec
from ._outcome import OutcomeRecorder
from ._proc import alive_since, engine_lock, pidfd_children, signal_group
from ._store import Store

EventHook = Callable[[Event], None]
Outcome = tuple[State, int | None, str]
_log = logging.getLogger("cm_cc")
_ADOPTABLE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED"}


def new_run_id() -> str:
    """A sortable id with 64 random bits (no clash in practice): ``20261126-150812-3fa2c01d9e4b7a65``."""
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(8)}"


def runs_folder() -> Path:
    """Where the default store's run folders live: ``$CM_HOME/cc/runs``."""
    return cm_home() / "cc" / "runs"


def create_run(spec: WorkflowSpec, jobs: list[Job], store: Store) -> str:
    """Record a new run of ``jobs`` (already expanded and checked) and make its folder beside ``store``."""
    run = new_run_id()
    directory = store.runs_folder / run
    store.runs_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    store.runs_folder.chmod(0o700)  # run folders hold the workflow's commands and env values
    directory.mkdir(mode=0o700)
    frozen = spec.model_copy(update={"jobs": jobs}).model_dump_json()
    try:
        store.create_run(run, spec.name, directory, frozen, jobs)
    except BaseException:
        directory.rmdir()
        raise
    return run


class Engine:
    """Runs (or resumes) one recorded run to its end."""

    def __init__(
        self,
        run: str,
        *,
        store: Store | None = None,
        parallel: int | None = None,
        fail_fast: bool = False,
        on_event: EventHook | None = None,
        poll: float = 1.0,
    ) -> None:
        self.run_id = run
        self.store = store or Store()
        self.spec = WorkflowSpec.model_validate_json(self.store.spec(run))
        self.jobs = {job.name: job for job in self.spec.jobs}
        self.directory = Path(self.store.run(run).directory)
        self.parallel = max(1, parallel or os.cpu_count() or 1)
        self.fail_fast = fail_fast
        self.hooks: list[EventHook] = [on_event] if on_event else []
        recorder = OutcomeRecorder(self.jobs)  # sweep experiments' ends, into their cm-sbatch folder
        if recorder:
            self.hooks.append(recorder)
        self.poll = poll
        self._executors: dict[str, Executor] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._finished: asyncio.Queue[tuple[str, State]] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancelled = False
        self._progress: dict[str, int] = {}
        self._children: dict[str, list[str]] = {}
        self._starting: dict[str, dict[str, object]] = {}  # attempt fields, stored with its first transition
        self._stop_notes: dict[
            str, str
        ] = {}  # "cancelled, but ..." from an executor that could not stop a job

    # -- recording -------------------------------------------------------------------------
    def _emit(self, job: str | None, state: str, progress: int | None = None, message: str = "") -> None:
        event = Event(self.run_id, job, state, progress, time.time(), message)
        for hook in self.hooks:
            try:
                hook(event)
            except Exception:  # a broken hook must not stop the run it watches
                _log.exception("on_event hook %r failed", hook)

    def _set(self, name: str, state: State, **fields: object) -> None:
        fields = {**self._starting.pop(name, {}), **fields}
        self.store.update_job(self.run_id, name, state=state, **fields)
        self._emit(name, state.value, self._progress.get(name), str(fields.get("message", "")))

    def _mark(self, name: str) -> Callable[..., None]:
        def mark(**fields: object) -> None:
            state = fields.pop("state", None)
            if isinstance(state, State):
                self._set(name, state, **fields)
            elif fields:
                if str(fields.get("message", "")).startswith("cancelled, but"):
                    self._stop_notes[name] = str(fields["message"])
                self.store.update_job(self.run_id, name, **{**self._starting.pop(name, {}), **fields})

        return mark

    def _progress_hook(self, name: str) -> Callable[[int], None]:
        def progress(percent: int) -> None:
            if self._progress.get(name) != percent:
                self._progress[name] = percent
                self.store.update_job(self.run_id, name, progress=percent)
                self._emit(name, State.RUNNING.value, percent)

        return progress

    # -- executors -------------------------------------------------------------------------
    def _executor(self, job: Job) -> Executor:
        key = job.kind
        if key not in self._executors:
            if key == "ssh":
                from ._executors._ssh import SshExecutor

                self._executors[key] = SshExecutor()
            elif key == "slurm":
                from ._executors._slurm import SlurmExecutor

                self._executors[key] = SlurmExecutor(self.poll)
            else:
                self._executors[key] = LocalExecutor()
        return self._executors[key]

    # -- one job ---------------------------------------------------------------------------
    def _prepare(self, job: Job) -> Path:
        folder = self.directory / job.name
        folder.mkdir(exist_ok=True)
        remote = job.kind == "ssh" or (job.kind == "slurm" and bool(job.host))
        (folder / "job.sh").write_text(script_text(job, remote=remote, directory=folder))
        if remote:
            for name, source in remote_files(job).items():
                (folder / name).write_bytes(source.read_bytes())
        return folder

    async def _attempt(self, job: Job, folder: Path, attempt: int, adopt: str) -> Outcome:
        name = job.name
        self._starting[name] = {"attempt": attempt, "started": time.time(), "ended": None, "exit_code": None}
        self._progress[name] = 0
        mark, progress = self._mark(name), self._progress_hook(name)
        ctx = JobContext(self.run_id, job, folder, mark, progress, self.spec.host_for(job), adopt)
        try:
            code = await asyncio.wait_for(self._executor(job).execute(ctx), job.timeout)
        except TimeoutError:
            return State.TIMEOUT, None, f"timed out after {job.timeout:g} s"
        return (State.DONE, 0, "") if code == 0 else (State.FAILED, code, f"exit code {code}")

    async def _job(self, name: str, adopt: str) -> None:
        job = self.jobs[name]
        state = State.FAILED
        try:
            state = await self._attempts(job, self._prepare(job), adopt)
        except asyncio.CancelledError:
            state = State.CANCELLED
            self._set(name, state, ended=time.time(), message=self._stop_notes.pop(name, "cancelled"))
        except Exception as error:  # whatever breaks, the job fails and the run goes on
            state = State.FAILED
            message = str(error) if isinstance(error, RuntimeFailure) else f"{type(error).__name__}: {error}"
            cause = error.__cause__ or error.__context__
            if cause is not None and str(cause) not in message:
                message += f" ({type(cause).__name__}: {cause})"
            _log.debug("job %s failed", name, exc_info=error)
            self._set(name, state, ended=time.time(), message=message[:500])
        self._finished.put_nowait((name, state))

    async def _attempts(self, job: Job, folder: Path, adopt: str) -> State:
        attempt = 1
        while True:
            state, code, message = await self._attempt(job, folder, attempt, adopt if attempt == 1 else "")
            if state == State.DONE:
                self._progress[job.name] = 100
                self._set(job.name, state, exit_code=0, ended=time.time(), progress=100)
                return state
            if attempt > job.retries:
                self._set(job.name, state, exit_code=code, ended=time.time(), message=message)
                return state
            delay = job.backoff * 2 ** (attempt - 1)
            retry = f"attempt {attempt} {state.value} ({message}); retry in {delay:g} s"
            self._set(job.name, State.READY, exit_code=code, message=retry)
            await asyncio.sleep(delay)
            attempt += 1

    # -- the run ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the run: running jobs are killed (or scancelled) and nothing new starts. Thread-safe."""
        if self._loop is None:
            self._cancelled = True
        else:
            self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        self._cancelled = True
        for task in self._tasks.values():
            task.cancel()

    def _skip_after(self, name: str, state: State, statuses: dict[str, State]) -> None:
        skipped = [n for n in self._descendants(name) if statuses[n] == State.READY]
        for n in skipped:
            statuses[n] = State.SKIPPED
        if skipped:
            self.store.update_jobs(self.run_id, skipped, state=State.SKIPPED, message=f"{name} {state.value}")
            for n in skipped:
                self._emit(n, State.SKIPPED.value, message=f"{name} {state.value}")

    def _descendants(self, name: str) -> list[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return sorted(seen)

    async def run(self) -> RunStatus:
        """Run every job not yet done, to the end; return the run's final status."""
        self._loop = asyncio.get_running_loop()
        record = self.store.run(self.run_id)
        with engine_lock(self.directory / ".engine.lock", f"run {self.run_id} (engine pid {record.pid})"):
            return await self._run(record)

    async def _run(self, record: RunStatus) -> RunStatus:
        statuses, adopt = await self._recover()
        self.store.update_run(
            self.run_id,
            state="running",
            started=record.started or time.time(),
            ended=None,
            pid=os.getpid(),
            pid_start=start_time(os.getpid()),
            parallel=self.parallel,
        )
        self._emit(None, "running")
        try:
            with pidfd_children(asyncio.get_running_loop()):
                await self._schedule(statuses, adopt)
        finally:
            for executor in self._executors.values():
                await executor.close()
        return self._finish(statuses)

    async def _schedule(self, statuses: dict[str, State], adopt: dict[str, str]) -> None:
        self._children = {name: [] for name in self.jobs}
        waiting = {name: 0 for name in self.jobs}
        for job in self.jobs.values():
            for need in job.needs:
                self._children[need].append(job.name)
                waiting[job.name] += statuses[need] != State.DONE
        ready = deque(sorted(adopt, key=list(self.jobs).index))
        ready += [n for n in self.jobs if statuses[n] == State.READY and not waiting[n] and n not in adopt]
        while True:
            while ready and len(self._tasks) < self.parallel and not self._cancelled:
                name = ready.popleft()
                statuses[name] = State.RUNNING
                self._tasks[name] = asyncio.create_task(self._job(name, adopt.get(name, "")))
            if not self._tasks:
                break
            name, state = await self._finished.get()
            await self._tasks.pop(name)
            statuses[name] = state
            if state == State.DONE:
                for child in self._children[name]:
                    waiting[child] -= 1
                    if not waiting[child] and statuses[child] == State.READY:
                        ready.append(child)
            elif state != State.CANCELLED or not self._cancelled:
                self._skip_after(name, state, statuses)
                if self.fail_fast:
                    self._cancel()

    def _finish(self, statuses: dict[str, State]) -> RunStatus:
        left = [name for name, state in statuses.items() if state == State.READY]
        if left:
            final = State.CANCELLED if self._cancelled else State.SKIPPED
            self.store.update_jobs(self.run_id, left, state=final, message="run stopped")
        values = set(self.store.run(self.run_id).counts)
        state = "done" if values <= {"done"} else "failed"
        if state == "failed" and self._cancelled and not self.fail_fast:
            state = "cancelled"
        self.store.update_run(self.run_id, state=state, ended=time.time())
        self._emit(None, state)
        return self.store.run(self.run_id)

    # -- resume ----------------------------------------------------------------------------
    async def _recover(self) -> tuple[dict[str, State], dict[str, str]]:
        """States to start from: done stays done, live Slurm jobs are adopted, everything else runs again."""
        jobs = self.store.jobs(self.run_id)
        slurm = [
            j for j in jobs if j.slurm_id and j.state in (State.SUBMITTED, State.RUNNING) and not j.ended
        ]
        known = await asyncio.to_thread(job_states, [j.slurm_id for j in slurm]) if slurm else {}
        adopt: dict[str, str] = {}
        statuses: dict[str, State] = {}
        for status in jobs:
            statuses[status.name] = State.DONE if status.state == State.DONE else State.READY
            if status.state == State.DONE:
                continue
            slurm_job = known.get(status.slurm_id)
            if slurm_job is not None and slurm_job.state in _ADOPTABLE:
                adopt[status.name] = status.slurm_id
            elif slurm_job is not None and slurm_job.state == "COMPLETED":
                statuses[status.name] = State.DONE
                self.store.update_job(self.run_id, status.name, state=State.DONE, exit_code=0, progress=100)
            else:
                self._stop_orphan(status)
        redo = [name for name, state in statuses.items() if state == State.READY]
        if any(s.state != State.READY for s in jobs if statuses[s.name] == State.READY):
            self.store.update_jobs(self.run_id, redo, state=State.READY, message="", progress=0)
        return statuses, adopt

    @staticmethod
    def _stop_orphan(status: JobStatus) -> None:
        if (
            status.state == State.RUNNING
            and status.kind == "local"
            and alive_since(status.pid, status.started)
        ):
            signal_group(status.pid or 0, signal.SIGKILL)
