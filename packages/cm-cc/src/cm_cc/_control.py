"""Stopping a run from outside its engine: signal the engine, or clean up after a dead one."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from cm_common import RuntimeFailure, alive, scancel

from ._executors import JobContext
from ._models import JobStatus, RunStatus, State, WorkflowSpec
from ._proc import alive_since, signal_group
from ._store import Store

_log = logging.getLogger("cm_cc")


def engine_gone(run: RunStatus) -> bool:
    """True for a run recorded as running whose engine process is gone (``cm-cc runs``: interrupted)."""
    return run.state == "running" and not alive(run.pid, run.pid_start)


def mark_interrupted(store: Store) -> list[str]:
    """Mark every run whose engine is gone as ``interrupted`` (resumable), after killing its leftover
    local jobs and cancelling its Slurm and remote ones, so that a resume starts them clean."""
    marked = []
    for run in store.runs():
        if not engine_gone(run):
            continue
        open_jobs = [job for job in store.jobs(run.id) if not job.state.final]
        for job in open_jobs:
            if job.kind == "local" and alive_since(job.pid, job.started):
                signal_group(job.pid or 0, signal.SIGKILL)
        scancel([job.slurm_id for job in open_jobs if job.slurm_id and not job.host])
        _stop_remote(store, run.id, [job for job in open_jobs if job.host and job.started])
        started = [job.name for job in open_jobs if job.state != State.READY]
        store.update_jobs(run.id, started, state=State.CANCELLED, message="interrupted: its engine was gone")
        store.update_run(run.id, state="interrupted", ended=time.time())
        marked.append(run.id)
    return marked


def cancel_run(run: str, store: Store | None = None) -> str:
    """Cancel ``run``: its live engine gets SIGTERM (it kills, scancels, records); after a dead engine,
    live local process groups are killed and Slurm jobs scancelled here. Returns what was done."""
    store = store or Store()
    record = store.run(run)
    if record.state in ("done", "failed", "cancelled"):
        return f"run {run} already {record.state}"
    if record.pid and alive(record.pid, record.pid_start) and record.pid != os.getpid():
        os.kill(record.pid, signal.SIGTERM)
        return f"asked engine {record.pid} to cancel run {run}"
    open_jobs = [job for job in store.jobs(run) if not job.state.final]
    for job in open_jobs:
        if job.kind == "local" and alive_since(job.pid, job.started):
            signal_group(job.pid or 0, signal.SIGTERM)
    failures: dict[str, str] = {}
    try:
        scancel([job.slurm_id for job in open_jobs if job.slurm_id and not job.host])
    except RuntimeFailure as error:  # the run is still cancelled here; say what Slurm answered
        failures["slurm"] = str(error)
    failures.update(_stop_remote(store, run, [job for job in open_jobs if job.host and job.started]))
    store.update_jobs(run, [job.name for job in open_jobs], state=State.CANCELLED, message="cancelled")
    store.update_run(run, state="cancelled", ended=time.time())
    note = "".join(f"; could not stop the jobs on {where}: {why}" for where, why in sorted(failures.items()))
    return f"cancelled run {run} (its engine was not running){note}"


def _stop_remote(store: Store, run: str, jobs: list[JobStatus]) -> dict[str, str]:
    """Kill remote process groups and scancel remote Slurm jobs; return why it failed, per host."""
    if not jobs:
        return {}
    from ._executors._slurm import cancel_job
    from ._executors._ssh import kill_remote

    spec = WorkflowSpec.model_validate_json(store.spec(run))
    specs = {job.name: job for job in spec.jobs}
    folder = Path(store.run(run).directory)
    failures = {}
    for status in jobs:
        job = specs[status.name]
        ctx = JobContext(run, job, folder / job.name, lambda **_: None, lambda _: None, spec.host_for(job))
        try:
            if status.slurm_id:
                cancel_job(ctx, status.slurm_id)
            else:
                kill_remote(ctx)
        except Exception as error:  # one host failing must not stop the cancel of the rest
            _log.debug("stopping job %s on %s failed", status.name, status.host, exc_info=error)
            failures[status.host] = f"{type(error).__name__}: {error}"
    return failures
