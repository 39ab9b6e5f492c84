"""The Python face of the engine: ``Workflow`` built in code or loaded from YAML, run, status."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal, Protocol

from cm_common import InputError

from ._dag import expand
from ._graph import GraphWriter, Look, build, check_labels, render
from ._loader import load_spec
from ._models import Host, Job, JobStatus, Kind, RunStatus, State, WorkflowSpec
from ._scheduler import Engine, EventHook, create_run
from ._store import Store


class SweepFolder(Protocol):
    """What ``cm_sbatch.Experiment.generate`` returns: an object with the output folder as ``out``."""

    @property
    def out(self) -> Path:
        """The cm-sbatch output folder (the one holding ``manifest.jsonl``)."""
        ...


class Workflow:
    """A workflow: jobs with their needs, SSH hosts, a graph label template.

    Build one in code (``Workflow("demo", [Job(name="a", exec="echo hi")])``) or
    :meth:`load` a YAML file (native or cloudmesh-cc form); then :meth:`run` it.
    """

    def __init__(
        self,
        name: str = "workflow",
        jobs: Iterable[Job] = (),
        *,
        hosts: Mapping[str, Host] | None = None,
        label: str = "{name}",
        base: str | Path = ".",
        source: str | None = None,
        colors: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.spec = WorkflowSpec(
            name=name,
            jobs=list(jobs),
            hosts=dict(hosts or {}),
            label=label,
            colors={key: dict(value) for key, value in (colors or {}).items()},
            base=str(Path(base).resolve()),
        )
        self.source = source or name
        self.last_run: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> Workflow:
        """Read a workflow file; bad input raises an InputError naming file, line and field."""
        workflow = cls(source=str(path))
        workflow.spec = load_spec(path)  # validated once: the constructor would check every job again
        return workflow

    @classmethod
    def from_sweep(
        cls,
        out: str | os.PathLike[str] | SweepFolder,
        *,
        then: str | None = None,
        workdir: str | os.PathLike[str] | None = None,
        kind: Kind = "local",
        host: str | None = None,
        resources: Mapping[str, str | int] | None = None,
        hosts: Mapping[str, Host] | None = None,
    ) -> Workflow:
        """One job per experiment of a cm-sbatch output folder, then (optionally) one ``then`` command.

        ``out`` is the folder or what ``Experiment.generate`` returned. ``then`` runs after every
        experiment (as job ``then``), in ``workdir``: the sweep folder unless given.
        """
        folder = Path(out.out if hasattr(out, "out") else out).resolve()
        sweep = Job(name="exp", sweep=str(folder), kind=kind, host=host, resources=dict(resources or {}))
        jobs = [sweep]
        if then:
            where = Path(workdir).resolve() if workdir is not None else folder
            jobs.append(Job(name="then", exec=then, needs=["exp"], workdir=str(where)))
        return cls(folder.name or "sweep", jobs, hosts=hosts, source=str(folder / "manifest.jsonl"))

    @property
    def jobs(self) -> list[Job]:
        """The jobs as written (a sweep job not yet fanned out)."""
        return self.spec.jobs

    def add(self, job: Job) -> Job:
        """Add a job; return it."""
        self.spec.jobs.append(job)
        return job

    def check(self) -> list[Job]:
        """The concrete jobs, sweeps fanned out; InputError on cycles, unknown needs, duplicates, no file."""
        jobs = expand(self.spec, self.source)
        check_labels({job.name: job.label or "" for job in jobs}, self.spec.label, self.source)
        return jobs

    def graph(self, path: str | Path) -> None:
        """Draw the workflow (every job ready) to an SVG, PNG or DOT file."""
        jobs = self.check()
        statuses = [JobStatus(j.name, State.READY, j.kind, j.host or "", needs=j.needs) for j in jobs]
        labels = {j.name: j.label or "" for j in jobs}
        render(build(statuses, labels, self.spec.label, Look.of(self.spec, jobs)), Path(path))

    def create_run(self, store: Store | None = None) -> str:
        """Check the workflow and record a new run (nothing starts yet); return its id."""
        run = create_run(self.spec, self.check(), store or Store())
        self.last_run = run
        return run

    async def arun(
        self,
        parallel: int | None = None,
        *,
        fail_fast: bool = False,
        on_event: EventHook | None = None,
        graph: str | Path | None = None,
        store: Store | None = None,
    ) -> RunStatus:
        """Run the workflow on the running event loop; return the final run status."""
        store = store or Store()
        run = self.create_run(store)
        engine = Engine(run, store=store, parallel=parallel, fail_fast=fail_fast, on_event=on_event)
        return await drive(engine, Path(graph) if graph else None)

    def run(
        self,
        parallel: int | None = None,
        *,
        fail_fast: bool = False,
        on_event: EventHook | None = None,
        graph: str | Path | None = None,
        store: Store | None = None,
    ) -> RunStatus:
        """Run the workflow to its end (blocking); return the final run status.

        Inside a running event loop (Jupyter, async code) use ``await workflow.arun(...)`` instead.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise InputError(
                "Workflow.run() blocks, and an event loop is already running here (Jupyter, async code):"
                " use `await workflow.arun(...)` instead"
            )
        return asyncio.run(
            self.arun(parallel, fail_fast=fail_fast, on_event=on_event, graph=graph, store=store)
        )

    def status(self, run: str | None = None, store: Store | None = None) -> list[JobStatus]:
        """The jobs of ``run`` (default: this workflow's last run) with state, progress and times."""
        target = run or self.last_run
        if target is None:
            raise InputError("this workflow has not run yet; pass a run id")
        return (store or Store()).jobs(target)

    def log(
        self,
        job: str,
        run: str | None = None,
        *,
        stream: Literal["stdout", "stderr"] = "stdout",
        store: Store | None = None,
    ) -> str:
        """The output of ``job`` in ``run`` (default: this workflow's last run) so far, as text.

        Remote jobs' output is copied back when they end. InputError names an unknown run or job.
        """
        target = run or self.last_run
        if target is None:
            raise InputError("this workflow has not run yet; pass a run id")
        return read_log(store or Store(), target, job, stream)


def read_log(store: Store, run: str, job: str, stream: Literal["stdout", "stderr"] = "stdout") -> str:
    """The ``stdout`` or ``stderr`` of one job of a recorded run (empty while it has written nothing)."""
    names = [status.name for status in store.jobs(run)]
    if job not in names:
        raise InputError(f"run {run} has no job {job!r} (jobs: {', '.join(names[:10])})")
    path = Path(store.run(run).directory) / job / stream
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


async def drive(engine: Engine, graph: Path | None = None) -> RunStatus:
    """Run ``engine`` to its end, rewriting the ``graph`` file (if any) as states change."""
    if graph is None:
        return await engine.run()
    labels = {job.name: job.label or "" for job in engine.jobs.values()}
    look = Look.of(engine.spec, engine.jobs.values())
    writer = GraphWriter(engine.store, engine.run_id, graph, labels, engine.spec.label, look)
    engine.hooks.append(writer)
    await asyncio.to_thread(writer.write)
    follower = asyncio.create_task(writer.follow())
    try:
        return await engine.run()
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await asyncio.to_thread(writer.write)
