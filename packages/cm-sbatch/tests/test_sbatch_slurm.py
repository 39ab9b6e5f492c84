"""Integration on the real single-node Slurm: submit both ways, track, resubmit failures, cancel."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from sbatch_helpers import cli

from cm_sbatch import Experiment, SweepOutput, WaitTimeout

pytestmark = pytest.mark.slurm

TEMPLATE = """#!/bin/bash
#SBATCH --time=00:05:00
#SBATCH --partition={slurm.partition}
#SBATCH --cpus-per-task=1
echo "# cloudmesh status=running progress=50"
sleep {slurm.sleep}
if [ "{x}" = "{fail_on}" ] && [ ! -e retried ]; then
  touch retried
  echo "# cloudmesh status=failed progress=50"
  exit 1
fi
echo "x={x} job=${SLURM_JOB_ID:-local}" > output.txt
echo "# cloudmesh status=done progress=100"
"""


def _sweep(tmp_path: Path, partition: str, xs: str = "1,2,3", fail_on: int = 0, sleep: int = 1) -> Path:
    (tmp_path / "job.in.sh").write_text(TEMPLATE)
    config = {"slurm": {"partition": partition, "sleep": sleep}, "fail_on": fail_on, "experiment": {"x": xs}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = cli("generate", "job.in.sh", "-c", "config.json", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


def _json(*args: str) -> list[dict[str, object]]:
    result = cli(*args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else []


def _states(rows: list[dict[str, object]]) -> dict[object, object]:
    return {row["id"]: row["state"] for row in rows}


def test_separate_jobs_complete_and_outputs_exist(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, slurm)
    records = _json("submit", str(out))
    assert [r["id"] for r in records] == ["x_1", "x_2", "x_3"] and all(
        str(r["job"]).isdigit() for r in records
    )
    assert _json("submit", str(out)) == []  # nothing submitted twice
    rows = _json("status", str(out), "--wait", "180")
    assert _states(rows) == {"x_1": "COMPLETED", "x_2": "COMPLETED", "x_3": "COMPLETED"}
    assert {row["progress"] for row in rows} == {"100"}
    for number in (1, 2, 3):
        assert (out / f"x_{number}" / "output.txt").read_text().startswith(f"x={number} job=")


def test_one_job_array_completes(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, slurm, xs="[1-4]")
    records = _json("submit", str(out), "--array", "--max-parallel", "2")
    jobs = [str(r["job"]) for r in records]
    array = jobs[0].split("_")[0]
    assert jobs == [f"{array}_{task}" for task in range(4)]
    rows = _json("status", str(out), "--wait", "180")
    assert set(_states(rows).values()) == {"COMPLETED"}
    for task in range(4):
        folder = out / f"x_{task + 1}"
        assert (folder / "output.txt").exists()
        assert "progress=100" in (folder / f"slurm-{array}_{task}.out").read_text()


def test_failed_experiment_shows_failed_and_resubmit_runs_it_alone(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, slurm, fail_on=2)
    _json("submit", str(out))
    states = _states(_json("status", str(out), "--wait", "180"))
    assert states == {"x_1": "COMPLETED", "x_2": "FAILED", "x_3": "COMPLETED"}
    again = _json("resubmit", str(out), "--failed")
    assert [r["id"] for r in again] == ["x_2"]
    assert _states(_json("status", str(out), "--wait", "180")) == dict.fromkeys(
        ("x_1", "x_2", "x_3"), "COMPLETED"
    )
    assert len((out / "jobs.jsonl").read_text().splitlines()) == 4
    assert _json("resubmit", str(out), "--failed") == []


def test_api_submit_and_cancel(slurm: str, tmp_path: Path) -> None:
    (tmp_path / "job.in.sh").write_text(TEMPLATE)
    config = {"slurm": {"partition": slurm, "sleep": 120}, "fail_on": 0, "experiment": {"x": [1, 2]}}
    exp = Experiment(tmp_path / "job.in.sh", [config])
    exp.generate(tmp_path / "out")
    submitted = exp.submit(array=True)
    assert len(submitted) == 2
    result = cli("cancel", str(tmp_path / "out"))
    assert result.returncode == 0 and "cancelled 2 jobs" in result.stderr
    rows = SweepOutput(tmp_path / "out").wait(timeout=60)
    assert {row["state"] for row in rows} == {"CANCELLED"}


def test_wait_that_runs_out_of_time_says_so_and_keeps_the_rows(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, slurm, xs="1,2", sleep=120)
    try:
        assert len(_json("submit", str(out))) == 2
        with pytest.raises(WaitTimeout, match=r"2 jobs not finished after 0.5 s \(first: ") as caught:
            SweepOutput(out).wait(timeout=0.5, interval=0.1)
        assert len(caught.value.rows) == 2 and caught.value.exit_code == 1
        result = cli("status", str(out), "--wait", "0.5", "--output", "json")
        assert result.returncode == 1 and "jobs not finished after 0.5 s" in result.stderr
        assert len(json.loads(result.stdout)) == 2  # the status is shown before the error
    finally:
        assert cli("cancel", str(out)).returncode == 0


def test_arrays_above_max_array_size_are_split(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, slurm, xs="[1-1003]", sleep=60)
    try:
        records = _json("submit", str(out), "--array", "--max-parallel", "1")
        arrays = {str(r["job"]).split("_")[0] for r in records}
        config = subprocess.run(
            ["scontrol", "show", "config"], capture_output=True, text=True, check=True
        ).stdout
        limit = int(
            next(line for line in config.splitlines() if line.startswith("MaxArraySize")).split("=")[1]
        )
        assert len(records) == 1003 and len(arrays) == math.ceil(1003 / limit)  # 2 at 1001
    finally:
        assert cli("cancel", str(out)).returncode == 0


def test_sbatch_failure_exits_1_and_submits_nothing(slurm: str, tmp_path: Path) -> None:
    out = _sweep(tmp_path, "no-such-partition")
    result = cli("submit", str(out))
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: sbatch failed") and result.stderr.count("\n") == 1
    assert not (out / "jobs.jsonl").exists()
    assert set(_states(_json("status", str(out))).values()) == {"UNSUBMITTED"}
