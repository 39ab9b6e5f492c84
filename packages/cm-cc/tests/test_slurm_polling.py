"""The Slurm executor's poller on the real test cluster: it backs off while nothing changes, comes back
down on a change, and turns a controller that stops answering into a failed job with the reason."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cm_cc import Job
from cm_cc._executors import JobContext
from cm_cc._executors._slurm import SlurmExecutor


def _squeue_log(folder: Path, body: str | None = None) -> Path:
    """Put an ``squeue`` first on PATH that logs each call's time, then runs the real one (or ``body``)."""
    folder.mkdir()
    real = shutil.which("squeue")
    script = folder / "squeue"
    command = body or f'exec {real} "$@"'
    script.write_text(f'#!/bin/bash\necho "$(date +%s.%N) $*" >> {folder}/log\n{command}\n')
    script.chmod(0o755)
    return folder / "log"


def _context(tmp_path: Path, job_id: str, marks: list[dict[str, object]]) -> JobContext:
    job = Job(name="held", kind="slurm", exec="true")
    return JobContext(
        "run", job, tmp_path, lambda **fields: marks.append(fields), lambda _: None, adopt=job_id
    )


def _gaps(log: Path) -> list[float]:
    times = [float(line.split()[0]) for line in log.read_text().splitlines()]
    return [round(b - a, 2) for a, b in itertools.pairwise(times)]


@pytest.mark.slurm
def test_the_poller_backs_off_while_nothing_changes_and_comes_back_on_a_change(
    tmp_path: Path, slurm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _squeue_log(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    args = ["sbatch", "--parsable", "-p", slurm, "--hold", "-o", "/dev/null", "--wrap", "sleep 2"]
    job_id = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    marks: list[dict[str, object]] = []
    executor = SlurmExecutor(poll=0.1, max_poll=1.6)

    async def follow() -> int:
        task = asyncio.create_task(executor.execute(_context(tmp_path, job_id, marks)))
        await asyncio.sleep(4.5)  # pending all along: 0.1, 0.2, 0.4, 0.8, 1.6, 1.6 ...
        waiting = len(log.read_text().splitlines())
        subprocess.run(["scontrol", "release", job_id], check=True)
        code = await asyncio.wait_for(task, 60)
        await executor.close()
        assert waiting <= 8  # at a steady 0.1 s it would have been about 45
        return code

    try:
        assert asyncio.run(follow()) == 0
    finally:
        subprocess.run(["scancel", job_id], check=False)
    gaps = _gaps(log)
    assert max(gaps) >= 1.5  # it reached the longest pause
    assert [mark["state"] for mark in marks if "state" in mark][:2] == ["submitted", "running"]
    # once RUNNING was seen the next polls came quickly again (0.1 s, 0.2 s ...), not after 1.6 s
    after_change = gaps[-3:]
    assert min(after_change) < 0.8, gaps


def test_a_controller_that_never_answers_fails_the_job_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cm_home: Path
) -> None:
    (cm_home / "settings.yaml").write_text("slurm:\n  timeout: 10\n  retries: 0\n")
    log = _squeue_log(
        tmp_path / "bin", "echo 'squeue: error: Unable to contact slurm controller' >&2; exit 1"
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    marks: list[dict[str, object]] = []
    executor = SlurmExecutor(poll=0.01, max_poll=0.02)

    async def follow() -> None:
        try:
            await asyncio.wait_for(executor.execute(_context(tmp_path, "12345", marks)), 30)
        finally:
            await executor.close()

    with pytest.raises(
        Exception, match="Slurm did not answer 10 polls: squeue: Slurm did not answer"
    ) as caught:
        asyncio.run(follow())
    assert type(caught.value).__name__ == "RuntimeFailure"
    assert len(log.read_text().splitlines()) == 10
    notes = [str(mark["message"]) for mark in marks if "message" in mark]
    assert notes[0].startswith("Slurm did not answer (poll 1): squeue: Slurm did not answer")
    assert "Unable to contact slurm controller" in notes[0]


@pytest.mark.slurm
def test_a_failed_scancel_leaves_the_job_cancelled_with_the_reason(
    tmp_path: Path, slurm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cm_cc import Engine, Event, State, Store, Workflow

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scancel").write_text(
        "#!/bin/bash\necho 'scancel: error: Access/permission denied' >&2\nexit 1\n"
    )
    (bin_dir / "scancel").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    flow = Workflow("c", [Job(name="long", kind="slurm", exec="sleep 300", resources={"partition": slurm})])
    store = Store()
    run = flow.create_run(store)
    engine = Engine(run, store=store, poll=0.2)

    def hook(event: Event) -> None:
        if event.job == "long" and event.state == "running":
            engine.cancel()

    engine.hooks.append(hook)
    try:
        assert asyncio.run(engine.run()).state == State.CANCELLED
    finally:
        slurm_id = store.jobs(run)[0].slurm_id
        subprocess.run([shutil.which("scancel", path="/usr/bin:/bin") or "scancel", slurm_id], check=False)
    job = store.jobs(run)[0]
    assert job.state == State.CANCELLED
    assert job.message.startswith(
        f"cancelled, but could not stop slurm job {slurm_id}: RuntimeFailure: scancel"
    )
    assert "Access/permission denied" in job.message
