"""What the app's routes share: the store, the runs, the uploaded workflows, the token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from cm_common import InputError, RuntimeFailure, token_matches

from .._graph import Look, build
from .._models import WorkflowSpec
from .._scheduler import create_run
from .._store import Store
from ._limits import TooLarge
from ._runs import Published, RunManager
from ._schemas import JobState, RunDetail, RunInfo, RunList, WorkflowList, WorkflowSummary
from ._workflows import NotFound, StoredWorkflow, WorkflowLibrary

_log = logging.getLogger("cm_cc.service")
COOKIE = "cm_cc_token"
CSRF_HEADER = "x-cm-request"  # the GUI sends its CSRF token in it; a cross-origin page cannot set it
MAX_RUN_SPEC = 16 * 1024 * 1024  # bytes of the workflow a run stores (jobs expanded)
Kept = TypeVar("Kept")
Status = tuple[bytes, str, bool]  # a run's status as JSON, its state, whether its engine runs
FRESH = 0.2  # seconds a status or run list answer is served again to every client that asks


def summary(stored: StoredWorkflow) -> dict[str, Any]:
    """What a listing shows of a stored workflow."""
    return {
        "name": stored.name,
        "file": stored.file,
        "uploaded": stored.uploaded,
        "size": stored.size,
        "job_count": len(stored.jobs),
    }


class Service:
    """The state behind one app: ``token`` None means no authentication (loopback only)."""

    def __init__(self, token: str | None, store: Store, library: WorkflowLibrary, runs: RunManager) -> None:
        self.token = token
        self.csrf = secrets.token_urlsafe(24)  # in every page; the GUI's writes and forms carry it
        self.store = store
        self.library = library
        self.runs = runs
        self._graphs: dict[str, tuple[tuple[object, ...], bytes]] = {}
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, Any]] = {}
        self._pending: dict[str, tuple[float, asyncio.Future[Any]]] = {}
        self._changed = 0.0  # answers begun before the last change are not served
        runs.bus.on_run_state.append(self.changed)  # a run started, ended or was deleted

    async def shared(self, key: str, make: Callable[[], Kept], since: float = 0.0) -> Kept:
        """``make()`` (run in a thread), made once for every client asking meanwhile and reused for
        FRESH seconds: 200 clients polling a 500-job run cost one query, not 200, and the event loop
        stays free. With ``since`` (a ``time.monotonic()``), only an answer begun after it is used."""
        return (await self._answer(key, make, since))[1]

    async def _answer(self, key: str, make: Callable[[], Kept], since: float) -> tuple[float, Kept]:
        """:meth:`shared`'s answer with the time its making began."""
        now = time.monotonic()
        since = max(since, self._changed)
        kept = self._answers.get(key)
        if kept is not None and now - kept[0] < FRESH and kept[0] >= since:
            return kept[0], kept[1]
        pending = self._pending.get(key)
        if pending is None or pending[0] < since:
            task = asyncio.ensure_future(asyncio.to_thread(make))
            pending = (now, task)
            self._pending[key] = pending
            task.add_done_callback(lambda done: self._keep(key, now, done))
        return pending[0], await asyncio.shield(pending[1])

    def _keep(self, key: str, begun: float, done: asyncio.Future[Kept]) -> None:
        if self._pending.get(key, (None, None))[1] is done:
            del self._pending[key]
        if not done.cancelled() and done.exception() is None:
            self._answers[key] = (begun, done.result())

    def changed(self) -> None:
        """Forget the kept answers (after a change made here: an upload, a start, cancel, resume or
        delete)."""
        self._changed = time.monotonic()
        self._answers.clear()

    async def status(self, run: str, since: float = 0.0) -> Status:
        """A run's status with its jobs as JSON, with its state and whether it runs (see :meth:`shared`)."""
        found: Status = await self.shared(f"run {run}", lambda: self._status(run), since)
        return found

    async def snapshot(self, run: str, subscribed: float) -> tuple[Status, list[Published]]:
        """For a client that subscribed to ``run``'s events at ``subscribed``: a status and the events
        to replay after it. A run this server's engine runs publishes every event, so a status begun
        earlier (shared with other clients) is as good, with the events since; else a new one."""
        started = self.runs.owned_since(run)
        if started is not None:
            begun, found = await self._answer(f"run {run}", lambda: self._status(run), started)
            replay = self.runs.bus.since(run, begun, subscribed)
            if replay is not None:
                return found, replay
        return await self.status(run, since=subscribed), []

    def _status(self, run: str) -> Status:
        detail = self.detail(run)
        return detail.model_dump_json().encode(), detail.state, detail.active

    async def runs_json(self) -> bytes:
        """Every run as a JSON list, newest first (see :meth:`shared`)."""
        found: bytes = await self.shared("runs", lambda: RunList.dump_json(self.runs_list()))
        return found

    async def workflows_json(self) -> bytes:
        """Every uploaded workflow's summary as a JSON list (see :meth:`shared`)."""
        found: bytes = await self.shared("workflows", lambda: WorkflowList.dump_json(self.workflows()))
        return found

    def workflows(self) -> list[WorkflowSummary]:
        """Every uploaded workflow that still loads: name, file, job count, size, upload time."""
        found = []
        for name in self.library.names():
            with contextlib.suppress(InputError):  # one that no longer loads must not hide the others
                found.append(WorkflowSummary.model_validate(summary(self.library.get(name))))
        return found

    def authorized(self, request: Request) -> bool:
        """A bearer token, or the login cookie (whose writes must carry the CSRF token in X-CM-Request)."""
        if self.token is None or token_matches(self.token, request.headers.get("authorization")):
            return True
        cookie = request.cookies.get(COOKIE, "")
        if not cookie or not secrets.compare_digest(cookie.encode(), self.token.encode()):
            return False
        return request.method in ("GET", "HEAD") or self.csrf_matches(request.headers.get(CSRF_HEADER))

    def csrf_matches(self, given: str | None) -> bool:
        """True when ``given`` is this server's CSRF token."""
        return bool(given) and secrets.compare_digest(str(given).encode(), self.csrf.encode())

    def create_run(self, workflow: str) -> str:
        """Record a new run of an uploaded workflow (nothing starts yet); TooLarge past MAX_RUN_SPEC."""
        loaded = self.library.workflow(workflow)
        jobs = loaded.check()
        size = len(loaded.spec.model_copy(update={"jobs": jobs}).model_dump_json())
        if size > MAX_RUN_SPEC:
            raise TooLarge(f"workflow {workflow!r}: a run would store {size} bytes, over {MAX_RUN_SPEC}")
        return create_run(loaded.spec, jobs, self.store)

    def run(self, run: str) -> RunInfo:
        """One run; NotFound when there is none."""
        try:
            record = self.store.run(run)
        except InputError:
            raise NotFound(f"no run {run!r}") from None
        return RunInfo.of(record, self.runs.active(run, record.pid, record.pid_start))

    def runs_list(self) -> list[RunInfo]:
        """Every run, newest first."""
        return [RunInfo.of(r, self.runs.active(r.id, r.pid, r.pid_start)) for r in self.store.runs()]

    def detail(self, run: str) -> RunDetail:
        """One run with its jobs."""
        info = self.run(run)
        jobs = [JobState.of(job) for job in self.store.jobs(run)]
        return RunDetail.model_construct(**dict(info), jobs=jobs)

    def job_names(self, run: str) -> list[str]:
        """The jobs of a run (NotFound when there is no such run)."""
        self.run(run)
        return [job.name for job in self.store.jobs(run)]

    def graph(self, run: str) -> bytes:
        """The run's graph as SVG, coloured by state (made again only when a state or progress changed)."""
        self.run(run)
        jobs = self.store.jobs(run)
        key = tuple((job.state, job.progress, job.host) for job in jobs)
        cached = self._graphs.get(run)
        if cached and cached[0] == key:
            return cached[1]
        spec = WorkflowSpec.model_validate_json(self.store.spec(run))
        labels = {job.name: job.label or "" for job in spec.jobs}
        try:
            made = build(jobs, labels, spec.label, Look.of(spec, spec.jobs)).create(prog="dot", format="svg")
        except (OSError, AssertionError) as error:  # its message names temp files: logged, not answered
            _log.warning("graphviz dot failed on run %s: %s", run, error)
            raise RuntimeFailure(f"graphviz dot could not draw the graph of run {run}") from None
        svg = made if isinstance(made, bytes) else str(made).encode()
        with self._lock:
            self._graphs[run] = (key, svg)
        return svg
