"""The shapes the REST API answers with (pydantic models, documented in the OpenAPI spec)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter

from .._models import JobStatus, RunStatus


class Health(BaseModel):
    """The service answers."""

    status: Literal["ok"] = "ok"
    version: str


class Message(BaseModel):
    """What was done."""

    message: str


class ErrorBody(BaseModel):
    """Every error: a one-line message."""

    detail: str


class JobInfo(BaseModel):
    """One job of a workflow (before a run)."""

    name: str
    kind: str
    host: str
    needs: list[str]


class WorkflowSummary(BaseModel):
    """An uploaded workflow as listings show it (kept at upload: a listing parses nothing)."""

    name: str
    file: str
    uploaded: float
    size: int = Field(description="bytes of the workflow and its files")
    job_count: int


WorkflowList = TypeAdapter(list[WorkflowSummary])


class WorkflowInfo(WorkflowSummary):
    """An uploaded workflow with its jobs."""

    jobs: list[JobInfo]


class StartRequest(BaseModel):
    """How to run a workflow."""

    parallel: int | None = Field(default=None, ge=1, le=1024, description="jobs at once (default: CPU count)")
    fail_fast: bool = False


class JobState(BaseModel):
    """One job of a run: state, progress, where and when."""

    name: str
    state: str
    kind: str
    host: str
    attempt: int
    progress: int
    exit_code: int | None
    slurm_id: str
    started: float | None
    ended: float | None
    elapsed: float | None
    message: str
    needs: list[str]

    @classmethod
    def of(cls, job: JobStatus) -> JobState:
        """From the store's record (typed already: not validated again, 500 jobs cost half as much)."""
        elapsed = job.elapsed
        return cls.model_construct(
            name=job.name,
            state=job.state.value,
            kind=job.kind,
            host=job.host,
            attempt=job.attempt,
            progress=job.progress,
            exit_code=job.exit_code,
            slurm_id=job.slurm_id,
            started=job.started,
            ended=job.ended,
            elapsed=None if elapsed is None else round(elapsed, 3),
            message=job.message,
            needs=job.needs,
        )


class RunInfo(BaseModel):
    """One run: its state, counts per job state and overall progress (percent of jobs finished)."""

    id: str
    workflow: str
    state: str
    active: bool = Field(description="an engine runs it now")
    created: float
    started: float | None
    ended: float | None
    parallel: int
    counts: dict[str, int]
    total: int
    progress: float

    @classmethod
    def of(cls, run: RunStatus, active: bool) -> RunInfo:
        """From the store's record."""
        total = sum(run.counts.values())
        finished = sum(n for state, n in run.counts.items() if state not in ("ready", "submitted", "running"))
        return cls(
            id=run.id,
            workflow=run.workflow,
            state=run.state,
            active=active,
            created=run.created,
            started=run.started,
            ended=run.ended,
            parallel=run.parallel,
            counts=run.counts,
            total=total,
            progress=round(100.0 * finished / total, 1) if total else 0.0,
        )


RunList = TypeAdapter(list[RunInfo])


class RunDetail(RunInfo):
    """A run with all its jobs."""

    jobs: list[JobState]


class LogChunk(BaseModel):
    """Part of a job's output: bytes ``offset`` to ``end`` of a file of ``size`` bytes."""

    job: str
    stream: Literal["stdout", "stderr"]
    size: int
    offset: int
    end: int
    text: str
