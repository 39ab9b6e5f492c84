"""Smoke tests of the real test services: Slurm runs a job and an array, sshd runs a command."""

import subprocess
import time
from pathlib import Path

import pytest


def _state(job: str) -> str:
    out = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
    return out.split("JobState=")[1].split()[0] if "JobState=" in out else "UNKNOWN"


@pytest.mark.slurm
def test_slurm_runs_a_job_and_an_array(slurm: str, tmp_path: Path) -> None:
    node_state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.split()
    assert node_state and node_state[0] in {"idle", "mixed", "allocated"}
    run = ["sbatch", "--parsable", "-p", slurm, "-D", str(tmp_path), "-o", "out-%a.txt"]
    array = subprocess.run(
        [*run, "--array=0-2", "--wrap", "echo task $SLURM_ARRAY_TASK_ID"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deadline = time.time() + 60
    while time.time() < deadline and len(list(tmp_path.glob("out-*.txt"))) < 3:
        time.sleep(0.5)
    texts = sorted(p.read_text().strip() for p in tmp_path.glob("out-*.txt"))
    assert texts == ["task 0", "task 1", "task 2"]
    assert _state(f"{array}_0") in {"COMPLETED", "COMPLETING"}


@pytest.mark.ssh
def test_sshd_runs_a_command(sshd: dict[str, str]) -> None:
    result = subprocess.run(
        [
            "ssh",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-i",
            sshd["key"],
            "-p",
            sshd["port"],
            f"{sshd['user']}@{sshd['host']}",
            "echo",
            "hello",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (0, "hello\n")
