"""What the app's routes share: the store, the runs, the uploaded workflows, the token."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable

from starlette.requests import Request

from cm_common import InputError, RuntimeFailure, token_matches

from .._graph import Look, build
from .._models import WorkflowSpec
from .._scheduler import create_run
from .._store import Store
from ._limits import TooLarge
from ._runs import RunManager
from ._schemas import JobState, RunDetail, RunInfo, RunList
from ._workflows import NotFound, WorkflowLibrary

_log = logging.getLogger("cm_cc.service")
COOKIE = "cm_cc_token"
CSRF_HEADER = "x-cm-request"  # the GUI sends its CSRF token in it; a cross-origin page cannot set it
MAX_RUN_SPEC = 16 * 1024 * 1024  # bytes of the workflow a run stores (jobs expanded)
FRESH = 0.2  # seconds a status or run list answer is served again to every client that asks


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
        self._answers: dict[str, tuple[float, bytes]] = {}
        self._pending: dict[str, asyncio.Future[bytes]] = {}

    async def shared(self, key: str, make: Callable[[], bytes]) -> bytes:
        """``make()`` (run in a thread), made once for every client asking meanwhile and reused for
        FRESH seconds: 200 clients polling a 500-job run cost one query, not 200, and the event loop
        stays free."""
        now = time.monotonic()
        kept = self._answers.get(key)
        if kept is not None and now - kept[0] < FRESH:
            return kept[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(make))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._keep(key, done))
        return await asyncio.shield(pending)

    def _keep(self, key: str, done: asyncio.Future[bytes]) -> None:
        self._pending.pop(key, None)
        if not done.cancelled() and done.exception() is None:
            self._answers[key] = (time.monotonic(), done.result())

    def changed(self) -> None:
        """Forget the kept answers (after a change made here: a start, cancel, resume or delete)."""
        self._answers.clear()

    async def status_json(self, run: str) -> bytes:
        """A run's status with its jobs as JSON (see :meth:`shared`)."""
        return await self.shared(run, lambda: self.detail(run).model_dump_json().encode())

    async def runs_json(self) -> bytes:
        """Every run as a JSON list, newest first (see :meth:`shared`)."""
        return await self.shared("", lambda: RunList.dump_json(self.runs_list()))

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
