"""The data of a workflow: jobs, hosts, states and the events a run emits."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cm_common import InputError

Kind = Literal["local", "ssh", "slurm"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class State(StrEnum):
    """The state of a job (and, for the final ones, of a run)."""

    READY = "ready"
    SUBMITTED = "submitted"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"  # a run whose engine died; it can be resumed

    @property
    def final(self) -> bool:
        """True for done, failed, skipped, cancelled and timeout."""
        return self not in (State.READY, State.SUBMITTED, State.RUNNING)


def describe(error: ValidationError) -> str:
    """The first problem of a ValidationError as ``field NAME: what is wrong (value V)``."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    value = first.get("input")
    shown = f" (value {value!r})" if not isinstance(value, dict | list) and value is not None else ""
    return f"{'field ' + where + ': ' if where else ''}{first['msg']}{shown}"


class _Checked(BaseModel):
    """A model whose constructor raises cm_common.InputError naming the field, as every cm error does."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise InputError(f"{type(self).__name__}: {describe(error)}") from error

    # Validation (model_validate, nested models) keeps pydantic's own path and its ValidationError,
    # which the loaders turn into file:line messages; only a direct call goes through this __init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class Host(_Checked):
    """How to reach an SSH host: address, port, user and private key file (unset: from ``~/.ssh/config``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hostname: str
    port: int | None = Field(default=None, ge=1, le=65535)
    user: str | None = None
    key: str | None = None


class ExperimentRef(BaseModel):
    """The cm-sbatch experiment a job runs (set by a sweep's fan-out): its output folder and id.

    The job's outcome is appended to the folder's ``jobs.jsonl``, where cm-sbatch reads it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: str
    id: str


class Job(_Checked):
    """One job of a workflow: what to run (``exec``, ``script``, ``python``, ``notebook``), where, after what.

    ``sweep`` names a cm-sbatch output folder instead: the job fans out into one job per
    experiment of its ``manifest.jsonl``, and jobs that need it wait for all of them.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    kind: Kind = "local"
    host: str | None = None
    user: str | None = None
    exec: str | None = None
    script: str | None = None
    python: str | None = None
    notebook: str | None = None
    # factories, not {} and []: pydantic deep-copies a mutable default for every job
    parameters: dict[str, Any] = Field(default_factory=dict)
    sweep: str | None = None
    needs: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    workdir: str | None = None
    retries: int = Field(default=0, ge=0)
    backoff: float = Field(default=1.0, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    label: str | None = None
    shape: str | None = Field(default=None, pattern=r"^[A-Za-z_]*$")  # a graphviz node shape
    style: str | None = Field(default=None, pattern=r"^[A-Za-z_,]*$")  # graphviz styles, "" means filled
    resources: dict[str, str | int] = Field(default_factory=dict)
    experiment: ExperimentRef | None = None

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [key for key in value if not re.fullmatch(ENV_NAME, key)]
        if bad:
            raise ValueError(f"env key {bad[0]!r} is not a variable name ({ENV_NAME})")
        return value

    @field_validator("resources")
    @classmethod
    def _option_names(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        bad = [key for key in value if not re.fullmatch(r"[a-z][a-z0-9-]*", key)]
        if bad:
            raise ValueError(f"not an sbatch option name: {bad[0]!r}")
        return value

    @model_validator(mode="after")
    def _one_action(self) -> Job:
        given = [key for key in ("exec", "script", "python", "notebook", "sweep") if getattr(self, key)]
        if len(given) != 1:
            raise ValueError(
                f"job {self.name!r} needs exactly one of exec, script, python, notebook, sweep"
                f" (has {', '.join(given) or 'none'})"
            )
        if self.kind == "ssh" and not self.host:
            raise ValueError(f"job {self.name!r} of kind ssh needs a host")
        return self


class WorkflowSpec(_Checked):
    """A whole workflow: its name, the jobs, the SSH hosts they name, the graph label template and the
    fill colours per state (``colors: {status: {done: "#CCFFCC"}}``, as cloudmesh-cc writes them)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "workflow"
    jobs: list[Job] = []
    hosts: dict[str, Host] = {}
    label: str = "{name}"
    colors: dict[str, dict[str, str]] = Field(default_factory=dict)  # {"status": {"done": "#CCFFCC"}}
    base: str = "."

    @field_validator("colors")
    @classmethod
    def _colour_names(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for key, colours in value.items():
            bad = [c for c in colours.values() if not re.fullmatch(r"#?[A-Za-z0-9]+", c)]
            if bad:
                raise ValueError(f"colors.{key}: {bad[0]!r} is not a colour name or #RRGGBB")
        return value

    def host_for(self, job: Job) -> Host | None:
        """How to reach ``job.host``: its entry under ``hosts`` or the bare name (``~/.ssh/config``)."""
        if not job.host:
            return None
        host = self.hosts.get(job.host) or Host(hostname=job.host)
        return host.model_copy(update={"user": job.user}) if job.user else host


@dataclass(frozen=True)
class Event:
    """A state change of a run (``job`` None) or of one of its jobs, as handed to ``on_event`` hooks."""

    run: str
    job: str | None
    state: str
    progress: int | None = None
    time: float = 0.0
    message: str = ""


@dataclass
class JobStatus:
    """What the store knows of one job of a run."""

    name: str
    state: State
    kind: str = "local"
    host: str = ""
    attempt: int = 0
    progress: int = 0
    exit_code: int | None = None
    pid: int | None = None
    slurm_id: str = ""
    started: float | None = None
    ended: float | None = None
    message: str = ""
    needs: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float | None:
        """Seconds from start to end (or to now while running)."""
        if self.started is None:
            return None
        return (self.ended or time.time()) - self.started


@dataclass
class RunStatus:
    """What the store knows of one run; ``state`` is a State, as a job's is."""

    id: str
    workflow: str
    state: State
    directory: str
    created: float
    started: float | None = None
    ended: float | None = None
    pid: int | None = None
    pid_start: str = ""
    parallel: int = 1
    counts: dict[str, int] = field(default_factory=dict)


class CcSettings(BaseModel):
    """The ``cc:`` section of ``$CM_HOME/settings.yaml``: default parallelism, Slurm poll interval,
    SSH hosts every workflow may name (a workflow's own ``hosts`` win) and the service's body limit."""

    model_config = ConfigDict(extra="forbid")

    parallel: int | None = Field(default=None, ge=1)
    poll: float = Field(default=1.0, gt=0)
    hosts: dict[str, Host] = {}
    max_body: int = Field(default=50 * 1024 * 1024, ge=1024, description="the service's largest request body")
    ssh_config: list[str] = Field(
        default=[], description="OpenSSH config files read before ~/.ssh/config (e.g. cm-vm's fragment)"
    )
