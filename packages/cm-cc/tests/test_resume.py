"""kill -9 of the engine mid-run, then ``cm-cc run --resume RUN``: done jobs are never run twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers import cli, wait_until, write_workflow

from cm_cc import State, Store


def start_engine(flow: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "run", str(flow), "-q"], stderr=subprocess.DEVNULL
    )


def kill_when(engine: subprocess.Popen[bytes], store: Store, done: int) -> str:
    wait_until(lambda: bool(store.runs()))
    run = store.runs()[0].id
    wait_until(lambda: store.run(run).counts.get("done", 0) >= done)
    os.kill(engine.pid, signal.SIGKILL)
    engine.wait()
    return run


def test_kill_9_then_resume_runs_no_done_job_twice(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    jobs = [
        {
            "name": f"step{i}",
            "exec": f"sleep 0.2; echo step{i} >> {markers}",
            "needs": [f"step{i - 1}"] if i else [],
        }
        for i in range(8)
    ]
    flow = write_workflow(tmp_path / "wf.yaml", {"name": "crash", "jobs": jobs})
    store = Store()
    run = kill_when(start_engine(flow), store, done=3)
    before = {job.name for job in store.jobs(run) if job.state == State.DONE}
    assert store.run(run).state == "running" and len(before) >= 3
    assert json.loads(cli("runs", "-o", "json").stdout)[0]["state"] == "interrupted"
    result = cli("run", "--resume", run, "-q", "-o", "json")
    assert result.returncode == 0, result.stderr
    counts = Counter(markers.read_text().split())
    assert set(counts) == {f"step{i}" for i in range(8)}
    assert all(counts[name] == 1 for name in before)
    assert store.run(run).state == "done"


def test_resume_reruns_failed_jobs_but_not_done_ones(tmp_path: Path) -> None:
    markers, gate = tmp_path / "markers", tmp_path / "gate"
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "jobs": [
                {"name": "once", "exec": f"echo once >> {markers}"},
                {"name": "gated", "exec": f"echo gated >> {markers}; test -f {gate}", "needs": ["once"]},
            ]
        },
    )
    assert cli("run", str(flow), "-q").returncode == 1
    run = Store().runs()[0].id
    gate.touch()
    assert cli("run", "--resume", run, "-q").returncode == 0
    assert markers.read_text().split() == ["once", "gated", "gated"]


def test_a_second_engine_for_a_running_run_is_refused(tmp_path: Path) -> None:
    started = tmp_path / "started"
    flow = write_workflow(
        tmp_path / "wf.yaml", {"jobs": [{"name": "w", "exec": f"touch {started}; sleep 300"}]}
    )
    engine = start_engine(flow)
    wait_until(started.exists)
    run = Store().runs()[0].id
    second = cli("run", "--resume", run, "-q")
    assert second.returncode == 1 and "already running in another engine" in second.stderr
    assert cli("cancel", run).returncode == 0
    assert engine.wait(timeout=60) == 1


def test_resume_of_an_unknown_run_is_bad_input() -> None:
    result = cli("run", "--resume", "no-such-run")
    assert result.returncode == 2 and "no run 'no-such-run'" in result.stderr


@pytest.mark.slurm
def test_a_slurm_job_submitted_before_the_crash_is_adopted(tmp_path: Path, slurm: str) -> None:
    markers = tmp_path / "markers"
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "jobs": [
                {"name": "first", "exec": f"echo first >> {markers}"},
                {
                    "name": "batch",
                    "kind": "slurm",
                    "resources": {"partition": slurm},
                    "exec": f"sleep 4; echo batch >> {markers}",
                    "needs": ["first"],
                },
            ]
        },
    )
    store = Store()
    engine = start_engine(flow)
    wait_until(lambda: bool(store.runs()))
    run = store.runs()[0].id
    wait_until(lambda: any(job.slurm_id for job in store.jobs(run)))
    os.kill(engine.pid, signal.SIGKILL)
    engine.wait()
    slurm_id = next(job.slurm_id for job in store.jobs(run) if job.name == "batch")
    assert cli("run", "--resume", run, "-q").returncode == 0
    assert Counter(markers.read_text().split()) == {"first": 1, "batch": 1}
    assert next(job.slurm_id for job in store.jobs(run) if job.name == "batch") == slurm_id
