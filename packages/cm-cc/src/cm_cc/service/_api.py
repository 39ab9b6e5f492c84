"""The REST API under ``/api``: workflows, runs, logs, graph and a Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .._version import __version__
from ._runs import FINAL, Conflict, Published
from ._schemas import (
    ErrorBody,
    Health,
    LogChunk,
    Message,
    RunDetail,
    RunInfo,
    StartRequest,
    WorkflowInfo,
    WorkflowSummary,
)
from ._service import Service, summary
from ._workflows import NotFound, StoredWorkflow, is_archive

YAML_TYPE = "application/yaml"
ARCHIVE_TYPES = frozenset({"application/zip", "application/gzip", "application/x-gzip"})
WRITE_TYPES = frozenset({"application/json", YAML_TYPE, *ARCHIVE_TYPES})

KEEPALIVE = 15.0
BATCH = 0.1  # seconds an SSE stream gathers events after the first one: one write per client per batch
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_bearer = HTTPBearer(auto_error=False, description="the token in $CM_HOME/cc/token")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "bad request",
        401: "missing or wrong token",
        403: "a cross-origin request, or a write without the X-CM-Request header",
        404: "not found",
        409: "conflicts with the current state",
        413: "over a size limit",
        415: "a content type the endpoint does not take",
        422: "invalid input",
    }.items()
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "a workflow YAML, or a .zip / .tar.gz holding workflow.yaml and its scripts",
        "content": {
            YAML_TYPE: {"schema": {"type": "string"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def service(request: Request) -> Service:
    """The app's shared state."""
    found: Service = request.app.state.service
    return found


async def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Refuse (401) a request without the bearer token (or the GUI's login cookie)."""
    if not service(request).authorized(request):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


Svc = Annotated[Service, Depends(service)]
RunId = Annotated[str, "the run id"]


def _workflow_info(stored: StoredWorkflow) -> WorkflowInfo:
    return WorkflowInfo.model_validate({**summary(stored), "jobs": stored.jobs})


def _sse(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


def _upload_type(request: Request, data: bytes) -> None:
    """The upload's type must say what its bytes are: YAML text, or a zip / gzip archive."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == YAML_TYPE and not is_archive(data):
        return
    if media in ARCHIVE_TYPES and is_archive(data):
        return
    wanted = f"{YAML_TYPE}, {', '.join(sorted(ARCHIVE_TYPES))}"
    raise HTTPException(415, f"content type {media or 'none'!r} does not fit the upload (use {wanted})")


def _read_log(path: Path, tail: int | None, offset: int | None, length: int) -> tuple[int, int, int, bytes]:
    """(size, offset, end, data) of a byte range, or of the last ``tail`` lines."""
    if not path.is_file():
        return 0, 0, 0, b""
    size = path.stat().st_size
    start = max(0, size - 1024 * 1024) if offset is None else min(offset, size)
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(size - start if offset is None else length)
    if offset is None:
        lines = data.splitlines(keepends=True)[-(tail or 200) :]
        data = b"".join(lines)
        start = size - len(data)
    return size, start, start + len(data), data


health_router = APIRouter(prefix="/api", tags=["service"])


@health_router.get("/health", response_model=Health, summary="The service answers (no token needed)")
def health() -> Health:
    """Liveness check; the only endpoint open without a token."""
    return Health(version=__version__)


router = APIRouter(prefix="/api", dependencies=[Depends(require_token)], responses=_ERRORS)


@router.get("/openapi.json", tags=["service"], summary="This API's OpenAPI document")
def openapi(request: Request) -> dict[str, Any]:
    """The OpenAPI spec of the API."""
    spec: dict[str, Any] = request.app.openapi()
    return spec


@router.get(
    "/workflows", response_model=list[WorkflowSummary], tags=["workflows"], summary="Uploaded workflows"
)
async def list_workflows(svc: Svc) -> Response:
    """Every uploaded workflow: name, file, job count, size and upload time (no jobs)."""
    return Response(await svc.workflows_json(), media_type="application/json")


@router.post(
    "/workflows",
    status_code=201,
    response_model=WorkflowInfo,
    tags=["workflows"],
    summary="Upload a workflow (YAML, or a .zip / .tar.gz with its scripts)",
    openapi_extra=_UPLOAD_BODY,
)
async def upload_workflow(
    request: Request,
    svc: Svc,
    name: Annotated[str | None, Query(pattern=NAME, max_length=100, description="default: its name")] = None,
    replace: Annotated[bool, Query(description="replace a workflow of that name")] = False,
) -> WorkflowInfo:
    """Check and store an upload; a rejected one (400, 409, 413, 415, 422) writes nothing."""
    data = await request.body()  # the request guard stops it at the service's body limit
    if not data:
        raise HTTPException(400, "empty upload")
    _upload_type(request, data)
    stored = await asyncio.to_thread(svc.library.add, data, name, replace)
    svc.changed()
    return _workflow_info(stored)


@router.get("/workflows/{name}", response_model=WorkflowInfo, tags=["workflows"], summary="One workflow")
def get_workflow(name: str, svc: Svc) -> WorkflowInfo:
    """An uploaded workflow with its jobs."""
    return _workflow_info(svc.library.get(name))


@router.delete("/workflows/{name}", status_code=204, tags=["workflows"], summary="Delete a workflow")
def delete_workflow(name: str, svc: Svc) -> Response:
    """Remove an uploaded workflow (its runs stay)."""
    svc.library.delete(name)
    svc.changed()
    return Response(status_code=204)


@router.post(
    "/workflows/{name}/runs", status_code=201, response_model=RunInfo, tags=["runs"], summary="Start a run"
)
async def start_run(name: str, svc: Svc, options: Annotated[StartRequest | None, Body()] = None) -> RunInfo:
    """Record a new run of the workflow and start its engine."""
    options = options or StartRequest()
    run = await asyncio.to_thread(svc.create_run, name)
    await svc.runs.start(run, options.parallel, options.fail_fast)
    svc.changed()
    return await asyncio.to_thread(svc.run, run)


@router.get("/runs", response_model=list[RunInfo], tags=["runs"], summary="All runs, newest first")
async def list_runs(svc: Svc) -> Response:
    """Runs started here or by the CLI (same CM_HOME)."""
    return Response(await svc.runs_json(), media_type="application/json")


@router.get("/runs/{run}", response_model=RunDetail, tags=["runs"], summary="A run's status with its jobs")
async def run_status(run: RunId, svc: Svc) -> Response:
    """State, counts and every job's state, progress, host and times (at most 0.2 s old)."""
    # already a validated model: serialized once, not validated again through response_model
    return Response((await svc.status(run))[0], media_type="application/json")


@router.post(
    "/runs/{run}/cancel", status_code=202, response_model=Message, tags=["runs"], summary="Cancel a run"
)
async def cancel(run: RunId, svc: Svc) -> Message:
    """Stop what runs: the engine kills local jobs, scancels Slurm jobs, stops remote ones."""
    await asyncio.to_thread(svc.run, run)
    message = await asyncio.to_thread(svc.runs.cancel, run)
    svc.changed()
    return Message(message=message)


@router.post(
    "/runs/{run}/resume", status_code=202, response_model=RunInfo, tags=["runs"], summary="Resume a run"
)
async def resume(run: RunId, svc: Svc, options: Annotated[StartRequest | None, Body()] = None) -> RunInfo:
    """Run again what is not done yet (done jobs stay done)."""
    options = options or StartRequest()
    info = await asyncio.to_thread(svc.run, run)
    if info.state == "done":
        raise Conflict(f"run {run} is done")
    await svc.runs.start(run, options.parallel, options.fail_fast)
    svc.changed()
    return await asyncio.to_thread(svc.run, run)


@router.delete("/runs/{run}", status_code=204, tags=["runs"], summary="Delete a finished run")
def delete_run(run: RunId, svc: Svc) -> Response:
    """Forget a finished run and remove its folder (409 while it runs)."""
    svc.run(run)
    svc.runs.delete(run)
    svc.changed()
    return Response(status_code=204)


@router.get(
    "/runs/{run}/graph.svg",
    tags=["runs"],
    summary="The run's graph as SVG, coloured by state",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
)
def graph(run: RunId, svc: Svc) -> Response:
    """Nodes coloured by state, labelled by the workflow's label templates."""
    return Response(svc.graph(run), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get(
    "/runs/{run}/jobs/{job}/log",
    response_model=LogChunk,
    tags=["runs"],
    summary="A job's output (tail or range)",
)
def job_log(
    run: RunId,
    job: str,
    svc: Svc,
    stream: Literal["stdout", "stderr"] = "stdout",
    tail: Annotated[int | None, Query(ge=1, le=100_000, description="the last lines (default 200)")] = None,
    offset: Annotated[int | None, Query(ge=0, description="a byte range from here instead")] = None,
    length: Annotated[int, Query(ge=1, le=4 * 1024 * 1024, description="bytes of the range")] = 65536,
) -> LogChunk:
    """The last ``tail`` lines of a job's stdout or stderr, or ``length`` bytes from ``offset``."""
    if tail is not None and offset is not None:
        raise HTTPException(422, "give tail or offset, not both")
    if job not in svc.job_names(run):
        raise NotFound(f"run {run} has no job {job!r}")
    path = Path(svc.store.run(run).directory) / job / stream
    size, start, end, data = _read_log(path, tail, offset, length)
    return LogChunk(
        job=job, stream=stream, size=size, offset=start, end=end, text=data.decode(errors="replace")
    )


@router.get(
    "/runs/{run}/events",
    tags=["runs"],
    summary="Server-Sent Events: a snapshot, then batches of state changes, then the end",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def events(run: RunId, svc: Svc) -> StreamingResponse:
    """``snapshot`` (the run's status), ``update`` (a JSON list of engine events), ``end`` (final state)."""
    await asyncio.to_thread(svc.run, run)
    return StreamingResponse(
        _event_stream(svc, run),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _event_stream(svc: Service, run: str) -> AsyncIterator[str]:
    async with svc.runs.watch(run) as queue:
        # a status with the events since it began, or one begun after the subscription: no event lost
        (text, state, active), replay = await svc.snapshot(run, time.monotonic())
        yield "retry: 3000\n" + _sse("snapshot", text.decode())
        if state in FINAL and not active:
            yield _sse("end", json.dumps({"state": state}))
            return
        if replay:
            update, ended = _update(replay, end=True)
            yield update
            if ended:
                return
        async for chunk in _batches(queue, end=True):
            yield chunk


async def _batches(queue: asyncio.Queue[Published], end: bool) -> AsyncIterator[str]:
    """``update`` messages of the queued events (gathered for BATCH seconds), keepalives while
    nothing happens, and with ``end`` an ``end`` message after a run's final state."""
    while True:
        try:
            batch = [await asyncio.wait_for(queue.get(), KEEPALIVE)]
        except TimeoutError:
            yield ": keepalive\n\n"
            continue
        await asyncio.sleep(BATCH)
        while not queue.empty():
            batch.append(queue.get_nowait())
        update, ended = _update(batch, end)
        yield update
        if ended:
            return


def _update(batch: list[Published], end: bool) -> tuple[str, bool]:
    """The ``update`` message of ``batch``; with ``end``, an ``end`` message after it when a run's final
    state is in it (and True)."""
    text = _sse("update", "[" + ", ".join(item for item, _ in batch) + "]")
    finals = [final for _, final in batch if final]
    if end and finals:
        return text + _sse("end", json.dumps({"state": finals[-1]})), True
    return text, False


@router.get(
    "/events",
    tags=["runs"],
    summary="Server-Sent Events: the state changes of every run (started, done, failed, ...)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def all_events(svc: Svc) -> StreamingResponse:
    """``update`` messages (JSON lists of ``{"run", "job": null, "state", "time"}``) until the client goes."""
    return StreamingResponse(
        _all_stream(svc),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _all_stream(svc: Service) -> AsyncIterator[str]:
    async with svc.runs.watch_all() as queue:
        yield "retry: 3000\n: watching every run\n\n"
        async for chunk in _batches(queue, end=False):
            yield chunk
