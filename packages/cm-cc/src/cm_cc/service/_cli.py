"""``cm-cc serve`` (the service) and ``cm-cc remote ...`` (drive a service through its REST API)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cm_common import (
    InputError,
    OutputOption,
    RuntimeFailure,
    atomic_write_text,
    command_app,
    is_loopback,
    output_format,
    print_records,
    say,
)

from .._show import AllOption, not_done

_EXTRA = "the service needs its extra packages: pip install 'cm-cc[service]'"
RUN_COLUMNS = ["id", "workflow", "state", "progress", "total", "done", "failed", "created"]
JOB_COLUMNS = ["name", "state", "progress", "host", "started", "ended", "elapsed", "message"]


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="no token (only on a loopback address)")] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="a further name clients reach the server by (the Host header); repeatable"),
    ] = None,
) -> None:
    """Serve the REST API and web GUI (token in $CM_HOME/cc/token, made on first start).

    Requests whose Host is not the address listened on (or an --allowed-host) are refused, so a
    rebound DNS name cannot reach the server; request bodies stop at the setting cc.max_body.
    """
    if no_auth and not is_loopback(host):
        raise InputError(f"--no-auth is allowed only on a loopback address, not {host!r}")
    try:
        import uvicorn

        from ._app import create_app
    except ImportError:
        raise InputError(_EXTRA) from None
    from cm_common import allowed_hosts, load_settings

    from .._models import CcSettings
    from ._auth import service_token, token_path

    settings = load_settings().section("cc", CcSettings)
    token = None if no_auth else service_token()
    shown = f"[{host}]" if ":" in host else host
    where = "no token (--no-auth)" if no_auth else f"token in {token_path()}"
    say(f"cm-cc service on http://{shown}:{port}/ ({where})")
    # open SSE streams (a browser tab) would hold a shutdown forever: they get 3 s, then are closed
    uvicorn.run(
        create_app(token, hosts=allowed_hosts(host, extra=allowed_host or ()), max_body=settings.max_body),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=3,
        # longer than a client's keep-alive (httpx: 5 s): a server closing an idle connection just as
        # the client sends on it again is a "server disconnected" failure of that request
        timeout_keep_alive=30,
    )


remote_app = command_app(help="Drive a cm-cc service: upload, run, watch, cancel.")


@remote_app.callback()
def remote(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(envvar="CM_CC_URL", help="the service")] = "http://127.0.0.1:8000/",
    token: Annotated[
        str | None, typer.Option(envvar="CM_CC_TOKEN", help="default: $CM_HOME/cc/token", show_default=False)
    ] = None,
) -> None:
    """Options shared by the remote commands."""
    try:
        from ..client import Client
    except ImportError:
        raise InputError(_EXTRA) from None
    ctx.obj = ctx.with_resource(Client(url, token))


def _stamp(value: float | None) -> str:
    return "" if value is None else datetime.fromtimestamp(value).isoformat(sep=" ", timespec="seconds")


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    counts = run["counts"]
    return {
        **run,
        "done": counts.get("done", 0),
        "failed": counts.get("failed", 0) + counts.get("timeout", 0),
        "created": _stamp(run["created"]),
    }


def _job_row(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "started": _stamp(job["started"]), "ended": _stamp(job["ended"])}


@remote_app.command("health")
def health(ctx: typer.Context) -> None:
    """Check that the service answers."""
    say(json.dumps(ctx.obj.health()))


@remote_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="workflow YAML, or .zip / .tar.gz with its scripts")],
    name: Annotated[str | None, typer.Option(help="name on the service (default: its own)")] = None,
    replace: Annotated[bool, typer.Option(help="replace a workflow of that name")] = False,
) -> None:
    """Upload a workflow."""
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    stored = ctx.obj.upload(file, name=name, replace=replace)
    say(f"uploaded workflow {stored['name']} ({len(stored['jobs'])} jobs)")


@remote_app.command("workflows")
def workflows(ctx: typer.Context, output: OutputOption = None) -> None:
    """The uploaded workflows."""
    rows = [
        {"name": w["name"], "jobs": w["job_count"], "size": w["size"], "uploaded": _stamp(w["uploaded"])}
        for w in ctx.obj.workflows()
    ]
    print_records(rows, output_format(output), columns=["name", "jobs", "size", "uploaded"])


@remote_app.command("run")
def run(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="an uploaded workflow")],
    parallel: Annotated[int | None, typer.Option(min=1, help="jobs at once (default: CPU count)")] = None,
    fail_fast: Annotated[bool, typer.Option(help="stop everything at the first failure")] = False,
    wait: Annotated[bool, typer.Option(help="follow the run to its end")] = False,
    output: OutputOption = None,
) -> None:
    """Start a run of an uploaded workflow (its id goes to stdout)."""
    started = ctx.obj.start(workflow, parallel=parallel, fail_fast=fail_fast)
    if not wait:
        typer.echo(started["id"])
        return
    say(f"run {started['id']} started")
    _follow(ctx, started["id"], output)


def _follow(ctx: typer.Context, run: str, output: Any) -> None:
    for event, data in ctx.obj.events(run):
        if event == "update":
            for change in data:
                if change.get("job") and change["state"] != "running":
                    say(f"{change['job']}: {change['state']}")
    status = ctx.obj.status(run)
    _print_jobs(status, output, every=False)
    if status["state"] != "done":
        raise RuntimeFailure(f"run {run} {status['state']}")


@remote_app.command("watch")
def watch(
    ctx: typer.Context, run: Annotated[str, typer.Argument(help="run id")], output: OutputOption = None
) -> None:
    """Follow a run's changes to its end, then show its jobs."""
    _follow(ctx, run, output)


@remote_app.command("runs")
def runs(ctx: typer.Context, output: OutputOption = None) -> None:
    """All runs, newest first."""
    print_records([_run_row(r) for r in ctx.obj.runs()], output_format(output), columns=RUN_COLUMNS)


@remote_app.command("status")
def status(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="run id")],
    every: AllOption = False,
    output: OutputOption = None,
) -> None:
    """A run's jobs with state, progress, host and times (past 40 jobs, counts and the jobs not done)."""
    record = ctx.obj.status(run)
    say(f"run {record['id']} ({record['workflow']}): {record['state']}")
    _print_jobs(record, output, every)


def _print_jobs(status: dict[str, Any], output: Any, every: bool) -> None:
    rows = [_job_row(j) for j in status["jobs"]]
    hint = f"every job: cm-cc remote status {status['id']} --all (or -o csv)"
    summary = None if every else not_done(hint)
    print_records(rows, output_format(output), columns=JOB_COLUMNS, summary=summary)


@remote_app.command("logs")
def logs(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="run id")],
    job: Annotated[str, typer.Argument(help="job name")],
    stderr: Annotated[bool, typer.Option(help="standard error instead of output")] = False,
    tail: Annotated[int, typer.Option(min=1, help="last lines")] = 200,
) -> None:
    """Print the end of a job's output."""
    chunk = ctx.obj.log(run, job, stream="stderr" if stderr else "stdout", tail=tail)
    typer.echo(chunk["text"], nl=False)


@remote_app.command("cancel")
def cancel(ctx: typer.Context, run: Annotated[str, typer.Argument(help="run id")]) -> None:
    """Cancel a run."""
    say(ctx.obj.cancel(run))


@remote_app.command("resume")
def resume(ctx: typer.Context, run: Annotated[str, typer.Argument(help="run id")]) -> None:
    """Run again what is not done in a run."""
    say(f"run {ctx.obj.resume(run)['id']} resumed")


@remote_app.command("delete")
def delete(ctx: typer.Context, run: Annotated[str, typer.Argument(help="run id")]) -> None:
    """Forget a finished run and its folder."""
    ctx.obj.delete(run)
    say(f"deleted run {run}")


@remote_app.command("graph")
def graph(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="run id")],
    out: Annotated[Path, typer.Option("--out", help="SVG file")] = Path("workflow.svg"),
) -> None:
    """Save a run's graph as SVG."""
    atomic_write_text(out, ctx.obj.graph(run).decode())
    say(f"wrote {out}")
