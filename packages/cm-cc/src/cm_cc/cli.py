"""The ``cm-cc`` command (also ``cm cc``): run, resume, watch and cancel workflows."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cm_common import (
    SUMMARY_AT,
    InputError,
    OutputOption,
    QuietOption,
    RuntimeFailure,
    command_app,
    output_format,
    plural,
    print_records,
    say,
    stderr_console,
)
from cm_common import run as run_app

from ._show import AllOption, not_done
from .service._cli import remote_app, serve

if TYPE_CHECKING:
    from ._models import JobStatus, Kind, RunStatus
    from ._scheduler import Engine
    from ._store import Store
    from ._workflow import Workflow

# The engine, pydantic models, SQLite and rich views are imported in the commands that use them:
# `cm-cc --help` and a usage error then start in a third of the time.

app = command_app(
    "cc", help="Run workflows of jobs on local, SSH and Slurm hosts, with live status, graph and resume."
)

JOB_COLUMNS = ["name", "state", "kind", "host", "attempt", "progress", "exit_code", "elapsed", "message"]
RUN_COLUMNS = ["id", "workflow", "state", "jobs", "done", "failed", "created", "directory"]
# Left out first when a terminal is too narrow for every column.
JOB_SPARE = ["kind", "host", "attempt", "exit_code"]


def _job_record(job: JobStatus) -> dict[str, Any]:
    elapsed = job.elapsed
    return {
        "name": job.name,
        "state": job.state.value,
        "kind": job.kind,
        "host": job.host,
        "attempt": job.attempt,
        "progress": job.progress,
        "exit_code": job.exit_code,
        "elapsed": None if elapsed is None else round(elapsed, 3),
        "slurm_id": job.slurm_id,
        "message": job.message,
    }


def _shown_state(run: RunStatus) -> str:
    """The run's state, ``interrupted`` for a running one whose engine is gone (see --resume)."""
    from ._control import engine_gone

    if engine_gone(run):
        return "interrupted"
    return run.state


def _run_record(run: RunStatus) -> dict[str, Any]:
    return {
        "id": run.id,
        "workflow": run.workflow,
        "state": _shown_state(run),
        "jobs": sum(run.counts.values()),
        "done": run.counts.get("done", 0),
        "failed": run.counts.get("failed", 0) + run.counts.get("timeout", 0),
        "created": datetime.fromtimestamp(run.created).isoformat(timespec="seconds"),
        "directory": run.directory,
    }


def _print_jobs(store: Store, run: str, output: Any, every: bool = True) -> None:
    """The run's jobs; a table of more than SUMMARY_AT jobs is a summary unless ``every``."""
    records = [_job_record(job) for job in store.jobs(run)]
    hint = f"every job: cm-cc status {run} --all (or -o csv)"
    print_records(
        records,
        output_format(output),
        columns=JOB_COLUMNS,
        least_useful=JOB_SPARE,
        summary=None if every else not_done(hint),
    )


def _resources(items: list[str]) -> dict[str, str | int]:
    pairs: dict[str, str | int] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--resource {item!r}: expected key=value (e.g. partition=debug)")
        pairs[key] = value
    return pairs


def _workflow(
    file: Path | None, sweep: Path | None, then: str | None, kind: Kind, host: str | None, resource: list[str]
) -> Workflow:
    from ._workflow import Workflow

    if (file is None) == (sweep is None):
        raise InputError("give a workflow file or --sweep OUT (exactly one), or --resume RUN")
    if sweep is not None:
        where = Path.cwd()  # --then runs where the command was typed
        return Workflow.from_sweep(
            sweep, then=then, workdir=where, kind=kind, host=host, resources=_resources(resource)
        )
    if then or host or resource:
        raise InputError("--then, --host and --resource go with --sweep")
    assert file is not None
    return Workflow.load(file)


async def _drive(engine: Engine, graph: Path | None, quiet: bool) -> RunStatus:
    import asyncio
    import signal

    from ._workflow import drive

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, engine.cancel)
    if not quiet:
        say(f"run {engine.run_id}: {plural(len(engine.jobs), 'job')}, folder {engine.directory}")
    if quiet or not sys.stderr.isatty():
        return await drive(engine, graph)
    from rich.live import Live

    from ._live import LiveView

    view = LiveView({job.name: job.state for job in engine.store.jobs(engine.run_id)})
    engine.hooks.append(view)
    with Live(view, console=stderr_console(), refresh_per_second=8, transient=False):
        return await drive(engine, graph)


def _finish(store: Store, result: RunStatus, output: Any, quiet: bool) -> None:
    """The run's jobs (a summary for a large run; nothing with -q unless --output asks), then its end."""
    fmt = output_format(output)
    if output is not None or not quiet:
        _print_jobs(store, result.id, fmt, every=False)
    if result.state != "done":
        counts = ", ".join(f"{state} {n}" for state, n in sorted(result.counts.items()))
        raise RuntimeFailure(f"run {result.id} {result.state} ({counts}); see cm-cc logs {result.id} JOB")
    if not quiet:
        say(f"run {result.id} done")


@app.command("run")
def run_command(
    workflow: Annotated[
        Path | None, typer.Argument(help="workflow YAML (native or cloudmesh-cc form)")
    ] = None,
    sweep: Annotated[
        Path | None, typer.Option(help="a cm-sbatch output folder: one job per experiment")
    ] = None,
    then: Annotated[
        str | None, typer.Option(help="with --sweep: a command run here after every experiment")
    ] = None,
    kind: Annotated[str, typer.Option(help="with --sweep: local, ssh or slurm")] = "local",
    host: Annotated[
        str | None, typer.Option(help="with --sweep: SSH host for ssh (or remote slurm) jobs")
    ] = None,
    resource: Annotated[list[str], typer.Option(help="with --sweep: sbatch option key=value (repeat)")] = [],  # noqa: B006
    resume: Annotated[str | None, typer.Option(help="resume this run: done jobs stay done")] = None,
    parallel: Annotated[int | None, typer.Option(min=1, help="jobs at once (default: CPU count)")] = None,
    fail_fast: Annotated[bool, typer.Option(help="stop everything at the first failure")] = False,
    graph: Annotated[
        Path | None, typer.Option(help="keep an SVG/PNG/DOT graph of the run up to date")
    ] = None,
    quiet: QuietOption = False,
    output: OutputOption = None,
) -> None:
    """Run a workflow file or a sweep (with a final --then step), or --resume a run.

    A run of more than 40 jobs ends with counts per state and the jobs not done;
    cm-cc status RUN shows every job. With -q only errors are printed.
    """
    if kind not in ("local", "ssh", "slurm"):
        raise InputError(f"--kind {kind!r}: expected local, ssh or slurm")
    import asyncio

    from cm_common import load_settings

    from ._models import CcSettings
    from ._scheduler import Engine
    from ._store import Store

    store = Store()
    settings = load_settings().section("cc", CcSettings)
    if resume is not None:
        if workflow or sweep:
            raise InputError("--resume RUN takes no workflow file or --sweep")
        store.run(resume)
        run = resume
    else:
        flow = _workflow(workflow, sweep, then, kind, host, resource)  # type: ignore[arg-type]
        flow.spec.hosts = {**settings.hosts, **flow.spec.hosts}
        run = flow.create_run(store)
    engine = Engine(
        run, store=store, parallel=parallel or settings.parallel, fail_fast=fail_fast, poll=settings.poll
    )
    result = asyncio.run(_drive(engine, graph, quiet))
    _finish(store, result, output, quiet)


@app.command("check")
def check_command(
    workflow: Annotated[Path, typer.Argument(help="workflow YAML")], output: OutputOption = None
) -> None:
    """Validate a workflow without running it; list its jobs (a summary past 40 as a table)."""
    from ._workflow import Workflow

    jobs = Workflow.load(workflow).check()
    fmt = output_format(output)
    if fmt == "table" and len(jobs) > SUMMARY_AT:
        kinds: dict[str, int] = {}
        for job in jobs:
            kinds[job.kind] = kinds.get(job.kind, 0) + 1
        counts = [{"kind": kind, "jobs": n} for kind, n in sorted(kinds.items())]
        needs = sum(len(job.needs) for job in jobs)
        print_records(counts, "table")
        say(f"{workflow}: {plural(len(jobs), 'job')}, {plural(needs, 'need')}; every job: -o csv (or json)")
        return
    records = [
        {"name": j.name, "kind": j.kind, "host": j.host or "", "needs": ",".join(j.needs)} for j in jobs
    ]
    print_records(records, fmt, columns=["name", "kind", "host", "needs"])


@app.command("status")
def status_command(
    run: Annotated[str | None, typer.Argument(help="run id (default: the latest)")] = None,
    every: AllOption = False,
    output: OutputOption = None,
) -> None:
    """The jobs of a run with state, progress and times (past 40 jobs, counts and the jobs not done)."""
    from ._store import Store

    store = Store()
    record = store.run(run)
    say(f"run {record.id} ({record.workflow}): {_shown_state(record)}")
    _print_jobs(store, record.id, output, every)


@app.command("runs")
def runs_command(output: OutputOption = None) -> None:
    """All runs, newest first."""
    from ._store import Store

    print_records([_run_record(run) for run in Store().runs()], output_format(output), columns=RUN_COLUMNS)


@app.command("logs")
def logs_command(
    run: Annotated[str, typer.Argument(help="run id")],
    job: Annotated[str, typer.Argument(help="job name")],
    stderr: Annotated[bool, typer.Option(help="show standard error instead of output")] = False,
    output: OutputOption = None,
) -> None:
    """Print a job's output (or --stderr); with --output, as a record with run, job, stream and text."""
    from ._store import Store

    store = Store()
    record = store.run(run)
    if job not in {status.name for status in store.jobs(run)}:
        raise InputError(f"run {run} has no job {job!r}")
    stream = "stderr" if stderr else "stdout"
    path = Path(record.directory) / job / stream
    data = path.read_bytes() if path.exists() else b""
    if output is None:
        sys.stdout.buffer.write(data)
        return
    text = data.decode(errors="replace")
    print_records([{"run": run, "job": job, "stream": stream, "text": text}], output_format(output))


@app.command("cancel")
def cancel_command(run: Annotated[str, typer.Argument(help="run id")]) -> None:
    """Stop a run: kill its local jobs, scancel its Slurm jobs, stop remote ones."""
    from ._control import cancel_run

    say(cancel_run(run))


@app.command("graph")
def graph_command(
    source: Annotated[str, typer.Argument(help="a workflow file or a run id")],
    out: Annotated[Path, typer.Option("--out", help="SVG, PNG or DOT file")] = Path("workflow.svg"),
) -> None:
    """Draw a workflow, or a run with its states, as SVG, PNG or DOT."""
    from ._graph import Look, build, render
    from ._scheduler import Engine
    from ._store import Store
    from ._workflow import Workflow

    if Path(source).is_file():
        Workflow.load(source).graph(out)
    else:
        store = Store()
        record = store.run(source)
        engine = Engine(record.id, store=store)
        labels = {job.name: job.label or "" for job in engine.jobs.values()}
        look = Look.of(engine.spec, engine.jobs.values())
        render(build(store.jobs(record.id), labels, engine.spec.label, look), out)
    say(f"wrote {out}")


app.command("serve")(serve)
app.add_typer(remote_app, name="remote")


def main() -> NoReturn:
    """Entry point of ``cm-cc``."""
    run_app(app, prog_name="cm-cc")
