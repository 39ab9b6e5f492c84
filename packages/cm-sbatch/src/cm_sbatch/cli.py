"""``cm-sbatch``: generate parameter-sweep experiments, submit them to Slurm, track, resubmit, trace."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cm_common import (
    SUMMARY_AT,
    InputError,
    OutputOption,
    QuietOption,
    Summary,
    command_app,
    output_format,
    plural,
    print_records,
    progress_bar,
    run,
    say,
)

from ._cli_profiles import NoCheckOption, ProfileOption, check_out, profile_app, show_cost

if TYPE_CHECKING:
    from ._jobs import SweepOutput
    from ._render import Layout

# The config reader, renderer, Slurm layer and tracer are imported in the commands that use them:
# `cm-sbatch --help` then starts without them.

app = command_app(
    "sbatch", help="Parameter-sweep experiments for Slurm: generate, submit, status, resubmit, cancel, trace."
)
app.add_typer(profile_app)

OutArgument = Annotated[Path, typer.Argument(help="folder written by cm-sbatch generate")]
ArrayOption = Annotated[bool, typer.Option("--array", help="submit as job arrays, not one job each")]
ParallelOption = Annotated[int | None, typer.Option("--max-parallel", help="at most N running at once")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="show what would happen, change nothing")]


def _flat(entry: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {name: entry[name] for name in ("id", "directory") if name in entry}
    row.update({key: entry["parameters"].get(key) for key in keys})
    return row


def _sweep(out: Path) -> SweepOutput:
    from ._jobs import SweepOutput

    return SweepOutput(out)


def _layout(layout: str | None, mode: str | None) -> Layout | None:
    """--layout, or cloudmesh-ee's --mode h (one folder per experiment, named by its id)."""
    if layout is not None and layout not in ("hierarchical", "flat"):
        raise InputError(f"--layout: expected hierarchical or flat, got {layout!r}")
    if mode is not None and not "hierarchical".startswith(mode.lower() or "?"):
        raise InputError(f"--mode: only h (cloudmesh-ee's folder per experiment) is supported, got {mode!r}")
    if mode is not None and layout == "hierarchical":
        raise InputError(
            "--mode h is cloudmesh-ee's folder per experiment: it cannot go with --layout hierarchical"
        )
    if mode is not None:
        return "flat"
    return "flat" if layout == "flat" else "hierarchical" if layout else None


@app.command()
def generate(
    template: Annotated[Path, typer.Argument(help="script template, e.g. slurm.in.sh")],
    config: Annotated[
        list[Path] | None,
        typer.Option("--config", "-c", help="YAML, JSON, Python or notebook config, repeatable"),
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="key=value on top of the configs, repeatable")
    ] = None,
    experiment: Annotated[
        list[str] | None,
        typer.Option("--experiment", "-e", help="sweep, 'epoch=1,2 x=[1-3]', repeatable; quote spaces"),
    ] = None,
    os_names: Annotated[
        str | None, typer.Option("--os", help="environment variables as top-level values, e.g. HOME,USER")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="output folder (default: out)")] = None,
    layout: Annotated[
        str | None,
        typer.Option("--layout", help="hierarchical or flat (default: flat for a cloudmesh-ee config)"),
    ] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="cloudmesh-ee's --mode: h is its folder per experiment")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the experiments, write nothing")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="replace an existing output (job records kept)")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="experiments shown by --dry-run (0: all)")] = 20,
    profile: ProfileOption = None,
    no_check: NoCheckOption = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Generate one folder per experiment: the rendered script and its resolved config.yaml.

    With a cluster profile (--profile, or the config's system.host) the scripts are then
    checked against its limits: violations are shown and the command exits 2 (--no-check skips).
    """
    from ._experiment import Experiment

    chosen = _layout(layout, mode)
    exp = Experiment(
        template,
        config or [],
        overrides=sets or [],
        experiment=experiment or None,
        layout=chosen,
        os_names=os_names or (),
        profile=profile,
    )
    fmt = output_format(output)
    if dry_run:
        count = len(exp)
        if count == 0:
            raise InputError("the sweep yields zero experiments: the include/exclude rules keep none")
        shown = list(itertools.islice(exp, limit if limit > 0 else None))
        rows = [
            _flat({"id": r.id, "directory": r.directory, "parameters": r.parameters}, exp.sweep.keys)
            for r in shown
        ]
        more = f" (first {len(rows)} shown)" if len(rows) < count else ""
        print_records(rows, fmt, title=f"{plural(count, 'experiment')}{more}")
        if fmt != "table":
            say(f"{plural(count, 'experiment')}{more}")
        return
    target = out or Path("out")
    started = time.perf_counter()
    with progress_bar(exp.sweep.combinations(), "generating") as progress:
        count = exp.write(target, force=force, progress=progress)
    seconds = round(time.perf_counter() - started, 3)
    if not quiet:
        say(f"generated {plural(count, 'experiment')} in {target} ({seconds} s)")
    if exp.profile is not None and not no_check:
        check_out(target, exp.profile, output)
    if fmt != "table" and (output is not None or not quiet):
        print_records([{"out": str(target), "experiments": count, "seconds": seconds}], fmt)


def _show_jobs(
    records: list[dict[str, Any]], output: OutputOption, what: str, quiet: bool, out: Path
) -> None:
    """The submitted jobs: a table (one line for a large submission), nothing with -q unless --output asks."""
    if quiet and output is None:
        return
    if not records:
        say(f"nothing to {what}")
        return
    fmt = output_format(output)
    if fmt == "table" and len(records) > SUMMARY_AT and "command" not in records[0]:
        first, last = records[0]["job"], records[-1]["job"]
        say(
            f"submitted {plural(len(records), 'experiment')} (jobs {first} to {last}); cm-sbatch status {out}"
        )
        return
    columns = ["id", "job", "command"] if "command" in records[0] else ["id", "job", "submitted"]
    columns += [key for key in ("state", "reason", "exit_code", "time", "mem") if key in records[0]]
    print_records(records, fmt, columns=columns)


@app.command()
def submit(
    out: OutArgument,
    array: ArrayOption = False,
    max_parallel: ParallelOption = None,
    dry_run: DryRunOption = False,
    profile: ProfileOption = None,
    no_check: NoCheckOption = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Submit every experiment not submitted yet (sbatch --parsable) and record the job ids.

    With a cluster profile (--profile, or the config's system.host) the scripts are checked
    against its limits first, and nothing is submitted while any breaks one (--no-check skips).
    """
    sweep = _sweep(out)
    if not no_check:
        _preflight(out, profile, output)
    with progress_bar(len(sweep.experiments()), "submitting") as progress:
        records = sweep.submit(array=array, max_parallel=max_parallel, dry_run=dry_run, progress=progress)
    _show_jobs(records, output, "submit: every experiment has a job (see resubmit)", quiet, out)


@app.command()
def status(
    out: OutArgument,
    wait: Annotated[float, typer.Option("--wait", help="poll until all jobs finish, up to S seconds")] = 0,
    every: Annotated[bool, typer.Option("--all", help="every experiment as a table, however many")] = False,
    output: OutputOption = None,
) -> None:
    """State, elapsed time, progress and traced energy of every experiment (batched Slurm queries).

    Past 40 experiments a table is a summary: experiments per state and the first that failed.
    """
    from ._jobs import FAILED_STATES, WaitTimeout

    sweep = _sweep(out)
    late: WaitTimeout | None = None
    try:
        rows = sweep.wait(timeout=wait) if wait > 0 else sweep.status()
    except WaitTimeout as error:  # show where things stand, then fail with the reason
        rows, late = error.rows, error
    fmt = output_format(output)
    if fmt == "table":
        keys = list(rows[0]["parameters"]) if rows else []
        rows = [
            {**_flat(row, keys), **{k: v for k, v in row.items() if k not in ("id", "parameters")}}
            for row in rows
        ]
    summary = Summary(
        by="state",
        what="experiment",
        flagged=lambda row: row["state"] in FAILED_STATES,
        flagged_as="failed",
        hint=f"every experiment: cm-sbatch status {out} --all (or -o csv)",
    )
    spare = ["energy_j", "progress", "job", "elapsed"]
    print_records(rows, fmt, least_useful=spare, summary=None if every else summary)
    if late is not None:
        raise late


@app.command()
def resubmit(
    out: OutArgument,
    failed: Annotated[
        bool, typer.Option("--failed", help="only failed, timed-out or cancelled experiments")
    ] = False,
    every: Annotated[bool, typer.Option("--all", help="every experiment again")] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help="with --failed: only these, e.g. oom,timeout (node_fail, preempted, exit)"
        ),
    ] = None,
    mem: Annotated[str | None, typer.Option("--mem", help="with --failed: raise memory, x2 or +4G")] = None,
    time_raise: Annotated[
        str | None, typer.Option("--time", help="with --failed: raise the time, x2 or +2h")
    ] = None,
    array: ArrayOption = False,
    max_parallel: ParallelOption = None,
    dry_run: DryRunOption = False,
    profile: ProfileOption = None,
    no_check: NoCheckOption = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Submit again the experiments that failed (--failed) or all of them (--all).

    Failed means a Slurm job that ended FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED,
    CANCELLED or the like, or an outcome another tool (cm-cc) recorded in the folder as such;
    each is shown with its reason. --mem and --time raise what those scripts request (the old
    script is kept beside, as SCRIPT.1), capped by the cluster profile's partition limits.
    """
    if failed == every:
        raise InputError("resubmit: say which, --failed or --all")
    if (reason or mem or time_raise) and not failed:
        raise InputError("--reason, --mem and --time pick and raise what failed: use them with --failed")
    sweep = _sweep(out)
    if failed:
        records = _resubmit_failed(
            sweep,
            reason,
            mem,
            time_raise,
            profile,
            no_check,
            output,
            quiet,
            array=array,
            max_parallel=max_parallel,
            dry_run=dry_run,
        )
    else:
        records = sweep.resubmit(failed=False, array=array, max_parallel=max_parallel, dry_run=dry_run)
    _show_jobs(records, output, "resubmit: no experiment failed", quiet, out)


def _resubmit_failed(
    sweep: SweepOutput,
    reason: str | None,
    mem: str | None,
    time_raise: str | None,
    profile: str | None,
    no_check: bool,
    output: OutputOption,
    quiet: bool,
    **submit: Any,
) -> list[dict[str, Any]]:
    """Resubmit the failures (of the --reason kinds), raised by --mem/--time; records with reasons."""
    from ._preflight import cost_summary, costs, plan, sweep_profile
    from ._raises import parse_reasons
    from ._resubmit import failures, raise_scripts

    found = failures(sweep, parse_reasons(reason) if reason else None)
    if not found:
        return []
    ids = [failure.id for failure in found]
    chosen = sweep_profile(sweep.out, profile)
    if chosen is not None and not no_check and not submit["dry_run"]:  # before any script changes
        check_out(sweep.out, chosen, output, set(ids))
    raised = {}
    if mem or time_raise:
        raised = raise_scripts(sweep, ids, chosen, time=time_raise, mem=mem, write=not submit["dry_run"])
    if chosen is not None and not quiet:
        texts = {key: new.text for key, new in raised.items()}
        summary = cost_summary(costs(plan(sweep.out, chosen, set(ids), texts), chosen))
        say(f"resubmitting {plural(len(ids), 'experiment')}: {summary}")
    records = sweep.submit(ids=ids, **submit)
    why = {failure.id: failure for failure in found}
    for record in records:
        failure = why[record["id"]]
        record.update(state=failure.state, reason=failure.reason, exit_code=failure.exit_code)
        if failure.id in raised:
            record.update(time=raised[failure.id].time, mem=raised[failure.id].mem)
    return records


@app.command()
def check(out: OutArgument, profile: ProfileOption = None, output: OutputOption = None) -> None:
    """Check every script's #SBATCH lines (and sbatch's defaults) against the cluster profile.

    One table of violations, each with the limit it breaks and the partitions that allow it;
    exit 2 if there is any. The profile: --profile, else the config's system.host.
    """
    from ._preflight import needed_profile

    chosen = needed_profile(out, profile)
    check_out(out, chosen, output)
    say(f"{out}: every experiment within profile {chosen.name}'s limits")


@app.command()
def cost(out: OutArgument, profile: ProfileOption = None, output: OutputOption = None) -> None:
    """The charge of the whole sweep in service units: requested, and used once jobs ran."""
    from ._preflight import needed_profile

    summary = show_cost(out, needed_profile(out, profile), output)
    if output_format(output) != "table":
        say(summary)


def _preflight(out: Path, profile: str | None, output: OutputOption) -> None:
    """The check before a submission, where a profile is in effect."""
    from ._preflight import sweep_profile

    chosen = sweep_profile(out, profile)
    if chosen is not None:
        check_out(out, chosen, output)


@app.command()
def cancel(out: OutArgument, quiet: QuietOption = False) -> None:
    """Cancel every job of this sweep that has not finished."""
    cancelled = _sweep(out).cancel()
    if not quiet:
        say(f"cancelled {plural(len(cancelled), 'job')}")


@app.command("list")
def list_experiments(
    out: OutArgument,
    every: Annotated[bool, typer.Option("--all", help="every experiment as a table, however many")] = False,
    output: OutputOption = None,
) -> None:
    """The experiments of a generated folder: id, directory and parameters (a table: the first 40)."""
    experiments = _sweep(out).experiments()
    keys = list(experiments[0]["parameters"]) if experiments else []
    rows = [_flat(entry, keys) for entry in experiments]
    fmt = output_format(output)
    if fmt == "table" and len(rows) > SUMMARY_AT and not every:
        title = f"{plural(len(rows), 'experiment')}, first {SUMMARY_AT} shown"
        print_records(rows[:SUMMARY_AT], fmt, title=title, least_useful=["directory"])
        say(f"every experiment: cm-sbatch list {out} --all (or -o csv)")
        return
    print_records(rows, fmt, least_useful=["directory"])


@app.command(context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def trace(
    command: Annotated[list[str], typer.Argument(help="the command to run, after --")],
    interval: Annotated[float, typer.Option("--interval", help="seconds between samples")] = 1.0,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="CSV file (default trace-JOBID.csv)")] = None,
    gpu: Annotated[bool | None, typer.Option("--gpu/--cpu", help="force NVML or the CPU sampler")] = None,
) -> None:
    """Run a command while sampling GPU (NVML) or CPU usage and energy into a CSV; exit with its code."""
    from ._trace import trace as run_trace

    code = run_trace(command, interval=interval, csv_path=csv_path, gpu=gpu)
    raise typer.Exit(code)


def main() -> NoReturn:
    """Entry point of ``cm-sbatch``."""
    run(app, prog_name="cm-sbatch")
