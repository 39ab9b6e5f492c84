"""Runs for the service: start and resume engines, cancel, delete, and the stream of their events.

Each run the service starts goes to a child process (``_runner``) instead of a thread of the
server: the engine records its own pid in the store, so ``cm-cc cancel`` and the service's
cancel both just SIGTERM that child; a crash of one engine cannot take the server down, and runs
go on when the server stops (``cm-cc status`` / a restarted server still see them). The child
prints every engine Event as a JSON line; the server reads its pipe on the event loop and fans
the events out to per-client asyncio queues. Runs started elsewhere (the CLI, an earlier server)
are followed by an async watcher that diffs the store every ``watch_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from cm_common import InputError, alive

from .._control import cancel_run, mark_interrupted
from .._store import Store

FINAL = frozenset({"done", "failed", "cancelled", "interrupted"})
ALL = "*"  # subscribers of every run's own state changes (not its jobs')
EventData = dict[str, Any]
Published = tuple[str, str | None]  # (the event as JSON, the run's final state when it is a run's end)


RUNNER = [sys.executable, "-m", "cm_cc.service._runner"]
RECENT = 10.0  # seconds of events kept for clients that start from an older status
SPARE_AFTER = 2.0  # seconds after a run starts before the next spare engine starts (not amid its start)


async def _engine(argv: list[str], stdin: int, stderr: Any) -> asyncio.subprocess.Process:
    """An engine child process in its own session, its events on a pipe."""
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
        env=dict(os.environ),
    )


def _close_stdin(process: asyncio.subprocess.Process) -> None:
    if process.stdin is not None:
        process.stdin.close()


class Conflict(InputError):
    """The request does not fit the run's state (HTTP 409)."""


class EventBus:
    """Per-run sets of asyncio queues; ``publish`` runs on the server's event loop.

    Each event is serialized once, however many clients watch. The events of the last RECENT
    seconds are kept, so that a client can start from a status made before it subscribed.
    """

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Published]]] = defaultdict(set)
        self.on_run_state: list[Callable[[], None]] = []  # called when a run (not a job) changes state
        self._recent: dict[str, deque[tuple[float, Published]]] = defaultdict(deque)
        self._forgotten: dict[str, float] = {}  # run -> the newest event no longer kept
        self._ended: dict[str, float] = {}

    def publish(self, run: str, event: EventData) -> None:
        """Hand ``event`` to every client watching ``run``."""
        now = time.monotonic()
        queues = self._queues.get(run, set())
        state = event.get("state")
        final = state if event.get("job") is None and state in FINAL else None
        if event.get("job") is None:
            for hook in self.on_run_state:
                hook()
            queues = queues | self._queues.get(ALL, set())
        item = (json.dumps(event), final)
        self._keep(run, now, item)
        for queue in queues:
            queue.put_nowait(item)

    def _keep(self, run: str, now: float, item: Published) -> None:
        recent = self._recent[run]
        recent.append((now, item))
        while recent[0][0] < now - RECENT:
            self._forgotten[run] = recent.popleft()[0]
        if item[1]:
            self._ended[run] = now
        else:
            self._ended.pop(run, None)
        for old in [r for r, ended in self._ended.items() if ended < now - RECENT]:
            del self._ended[old], self._recent[old]
            self._forgotten[old] = now

    def since(self, run: str, begun: float, upto: float) -> list[Published] | None:
        """The events of ``run`` published from ``begun`` to ``upto`` (``time.monotonic()``), or None
        when some of them are no longer kept."""
        if self._forgotten.get(run, -1.0) >= begun:
            return None
        return [item for at, item in self._recent.get(run, ()) if begun <= at <= upto]

    def watchers(self, run: str) -> int:
        """How many clients watch ``run``."""
        return len(self._queues.get(run, ()))

    @contextlib.asynccontextmanager
    async def subscribe(self, run: str) -> AsyncIterator[asyncio.Queue[Published]]:
        """A queue receiving the events of ``run`` while the block runs."""
        queue: asyncio.Queue[Published] = asyncio.Queue()
        self._queues[run].add(queue)
        try:
            yield queue
        finally:
            self._queues[run].discard(queue)
            if not self._queues[run]:
                del self._queues[run]


class RunManager:
    """Starts engines as child processes and follows every run that clients watch."""

    def __init__(self, store: Store, watch_interval: float = 0.5) -> None:
        self.store = store
        self.bus = EventBus()
        self.watch_interval = watch_interval
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self._started: dict[str, float] = {}  # run -> when this server started its engine
        self._cancelling: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._spare: asyncio.subprocess.Process | None = None
        self._spare_due: asyncio.TimerHandle | None = None
        self._spare_task: asyncio.Task[None] | None = None
        self._closed = False

    def recover(self) -> list[str]:
        """On start: runs whose engine is gone (killed with an earlier server) become ``interrupted``,
        their leftover jobs killed, so that they show as stopped and can be resumed."""
        return mark_interrupted(self.store)

    def owns(self, run: str) -> bool:
        """True while this server's child process runs ``run``."""
        return run in self._children

    @property
    def spare(self) -> int | None:
        """The pid of the engine process waiting for the next run, if one waits."""
        return self._spare.pid if self._spare is not None else None

    def owned_since(self, run: str) -> float | None:
        """When (``time.monotonic()``) this server started the engine that runs ``run`` now; None if none."""
        return self._started.get(run) if self.owns(run) else None

    def active(self, run: str, pid: int | None, pid_start: str) -> bool:
        """True while some engine (here or elsewhere) runs ``run``."""
        return self.owns(run) or alive(pid, pid_start)

    async def start(self, run: str, parallel: int | None = None, fail_fast: bool = False) -> None:
        """Run (or resume) ``run`` in a child process: the spare engine when one waits, else a new one."""
        record = await asyncio.to_thread(self.store.run, run)
        if self.active(run, record.pid, record.pid_start):
            raise Conflict(f"run {run} is running already")
        self._started[run] = time.monotonic()
        args = [
            run,
            *([f"--parallel={parallel}"] if parallel else []),
            *(["--fail-fast"] if fail_fast else []),
        ]
        child = await self._hand_to_spare(args)
        if child is None:
            with (Path(record.directory) / "engine.log").open("ab") as log:
                child = await _engine([*RUNNER, *args], stdin=asyncio.subprocess.DEVNULL, stderr=log)
        self._children[run] = child
        self._tasks[run] = asyncio.create_task(self._follow(run, child))
        self.keep_spare(SPARE_AFTER)

    def keep_spare(self, delay: float = 0.0) -> None:
        """Start a spare engine process in ``delay`` seconds (none while one waits or is due).

        A new engine spends a quarter of a second of CPU importing; a spare has done so before
        its run starts, when 200 clients ask for that run's status at once. It waits on stdin
        for its run's arguments and exits at end of file (when the server goes away)."""
        if self._spare is None and self._spare_due is None and not self._closed:
            self._spare_due = asyncio.get_running_loop().call_later(delay, self._spawn_spare)

    def _spawn_spare(self) -> None:
        async def spawn() -> None:
            try:
                spare = await _engine([*RUNNER, "--spare"], stdin=asyncio.subprocess.PIPE, stderr=None)
            except OSError as error:  # runs still start, each in a new process
                logging.getLogger("cm_cc.service").warning("no spare engine: %s", error)
                return
            finally:
                self._spare_due = None
            if self._closed:
                _close_stdin(spare)
            else:
                self._spare = spare

        self._spare_task = asyncio.create_task(spawn())

    async def _hand_to_spare(self, args: list[str]) -> asyncio.subprocess.Process | None:
        spare, self._spare = self._spare, None
        if spare is None or spare.returncode is not None or spare.stdin is None:
            return None
        try:
            spare.stdin.write(json.dumps(args).encode() + b"\n")
            await spare.stdin.drain()
            spare.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            return None
        return spare

    async def _follow(self, run: str, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        async for line in child.stdout:
            with contextlib.suppress(ValueError):
                self.bus.publish(run, json.loads(line))
        code = await child.wait()
        record = await asyncio.to_thread(self.store.run, run)
        if record.state not in FINAL:  # the engine died before it could finish: clean up after it
            await asyncio.to_thread(self._close_after, run, code, run in self._cancelling)
            record = await asyncio.to_thread(self.store.run, run)
        self._children.pop(run, None)
        self._started.pop(run, None)
        self._cancelling.discard(run)
        self._tasks.pop(run, None)
        # the final state once more, for clients that subscribed while the engine was exiting
        self.bus.publish(run, {"run": run, "job": None, "state": record.state, "time": time.time()})

    def _close_after(self, run: str, code: int, cancelled: bool) -> None:
        cancel_run(run, self.store)
        if not cancelled:
            self.store.update_run(run, state="failed")
            jobs = [job.name for job in self.store.jobs(run) if job.message == "cancelled"]
            self.store.update_jobs(run, jobs, message=f"engine exited with code {code}; see engine.log")

    def cancel(self, run: str) -> str:
        """Stop ``run``: SIGTERM to its engine (here or elsewhere), or clean up after a dead one."""
        record = self.store.run(run)
        if record.state in FINAL:
            raise Conflict(f"run {run} is {record.state} already")
        child = self._children.get(run)
        if child is None:
            return cancel_run(run, self.store)
        self._cancelling.add(run)
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        return f"cancelling run {run}"

    def delete(self, run: str) -> None:
        """Forget a finished run: its records and its folder."""
        record = self.store.run(run)
        if record.state not in FINAL or self.active(run, record.pid, record.pid_start):
            raise Conflict(f"run {run} is {record.state}; cancel it first")
        self.store.delete_run(run)
        folder = Path(record.directory).resolve()
        if folder.is_relative_to(self.store.runs_folder.resolve()):
            shutil.rmtree(folder, ignore_errors=True)
        self.bus.publish(run, {"run": run, "job": None, "state": "deleted", "time": time.time()})

    @contextlib.asynccontextmanager
    async def watch(self, run: str) -> AsyncIterator[asyncio.Queue[Published]]:
        """Subscribe to ``run``; for a run no child of this server runs, follow the store meanwhile."""
        async with self.bus.subscribe(run) as queue:
            if not self.owns(run) and run not in self._tasks:
                self._tasks[run] = asyncio.create_task(self._watch_store(run))
            yield queue

    async def _watch_store(self, run: str) -> None:
        try:
            seen = await asyncio.to_thread(self._snapshot, run)
            while self.bus.watchers(run) and not self.owns(run):
                await asyncio.sleep(self.watch_interval)
                now = await asyncio.to_thread(self._snapshot, run)
                for key, value in now.items():
                    if seen.get(key) != value:
                        state, progress = value
                        job = None if key == "" else key
                        self.bus.publish(run, {"run": run, "job": job, "state": state, "progress": progress})
                seen = now
                if now[""][0] in FINAL:  # said again: it may have been final already when watching began
                    self.bus.publish(run, {"run": run, "job": None, "state": now[""][0], "time": time.time()})
                    break
        finally:
            if self._tasks.get(run) is asyncio.current_task():
                del self._tasks[run]

    @contextlib.asynccontextmanager
    async def watch_all(self) -> AsyncIterator[asyncio.Queue[Published]]:
        """Subscribe to the state changes of every run; runs of other engines are followed in the store."""
        async with self.bus.subscribe(ALL) as queue:
            if ALL not in self._tasks:
                self._tasks[ALL] = asyncio.create_task(self._watch_runs())
            yield queue

    async def _watch_runs(self) -> None:
        try:
            seen = await asyncio.to_thread(self._run_states)
            while self.bus.watchers(ALL):
                await asyncio.sleep(self.watch_interval)
                now = await asyncio.to_thread(self._run_states)
                for run, state in now.items():
                    if seen.get(run) != state and not self.owns(run):  # this server's runs tell by themselves
                        self.bus.publish(run, {"run": run, "job": None, "state": state, "time": time.time()})
                seen = now
        finally:
            self._tasks.pop(ALL, None)

    def _run_states(self) -> dict[str, str]:
        return {run.id: run.state for run in self.store.runs()}

    def _snapshot(self, run: str) -> dict[str, tuple[str, int | None]]:
        states: dict[str, tuple[str, int | None]] = {"": (self.store.run(run).state, None)}
        for job in self.store.jobs(run):
            states[job.name] = (job.state.value, job.progress)
        return states

    async def close(self) -> None:
        """Stop following (engines go on running; they are independent processes); the spare exits."""
        self._closed = True
        if self._spare_due is not None:
            self._spare_due.cancel()
        if self._spare_task is not None:
            with contextlib.suppress(Exception):
                await self._spare_task
        if self._spare is not None:
            _close_stdin(self._spare)
            await self._spare.wait()
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
