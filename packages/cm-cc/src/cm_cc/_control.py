"""Stopping a run from outside its engine: signal the engine, or clean up after a dead one."""

from __future__ import annotations

import os
import signal
import time

from cm_common import scancel

from ._models import State
from ._proc import alive, alive_since, signal_group
from ._store import Store


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
    scancel([job.slurm_id for job in open_jobs if job.slurm_id and not job.host])
    store.update_jobs(run, [job.name for job in open_jobs], state=State.CANCELLED, message="cancelled")
    store.update_run(run, state="cancelled", ended=time.time())
    return f"cancelled run {run} (its engine was not running)"
