"""Cluster profiles on the real single-node Slurm: import, check against what sbatch refuses, and a
TIMEOUT resubmitted with more time until it completes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sbatch_helpers import cli

from cm_sbatch._limits import check_request
from cm_sbatch._profile import megabytes, read_profile
from cm_sbatch._request import request, sbatch_options

pytestmark = pytest.mark.slurm


def _node() -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "show", "node", "-o"], capture_output=True, text=True, check=True
    ).stdout
    return dict(word.split("=", 1) for word in out.splitlines()[0].split() if "=" in word)


def _test_only(script: Path) -> int:
    done = subprocess.run(
        ["sbatch", "--test-only", str(script)], capture_output=True, text=True, cwd=script.parent
    )
    return done.returncode


def test_profile_import_reads_the_live_cluster_and_its_check_agrees_with_sbatch(
    slurm: str, tmp_path: Path
) -> None:
    result = cli("profile", "import", "--name", "here")
    assert result.returncode == 0, result.stderr
    profile = read_profile(Path(os.environ["CM_HOME"]) / "profiles" / "here.yaml")
    node = _node()
    part = profile.partitions[slurm]
    assert profile.default_partition == slurm and profile.hosts == ["here"]
    assert part.cores_per_node == int(node["CPUTot"])
    assert part.mem_per_node is not None and megabytes(part.mem_per_node) == int(node["RealMemory"])
    cores = int(node["CPUTot"])
    over, within = tmp_path / "over.sh", tmp_path / "within.sh"
    over.write_text(f"#!/bin/bash\n#SBATCH -p {slurm}\n#SBATCH -c {cores + 1} -t 1\necho\n")
    within.write_text(f"#!/bin/bash\n#SBATCH -p {slurm}\n#SBATCH -c {cores} -t 1\necho\n")
    found = check_request(request(sbatch_options(over.read_text()), profile), profile)
    assert [(v.option, v.requested) for v in found] == [("cores per node", str(cores + 1))]
    assert _test_only(over) != 0  # Slurm refuses what the check found
    assert check_request(request(sbatch_options(within.read_text()), profile), profile) == []
    assert _test_only(within) == 0
    again = cli("profile", "import", "--name", "here")
    assert again.returncode == 2 and "exists already (--force replaces it)" in again.stderr
    assert cli("profile", "import", "--name", "here", "--force").returncode == 0


# A job that keeps its place: each second done is written down, so a rerun goes on from there.
JOB = """#!/bin/bash
#SBATCH --partition={slurm.partition}
#SBATCH --time=1
#SBATCH --cpus-per-task=1
n=$(cat done 2>/dev/null || echo 0)
while [ "$n" -lt {seconds} ]; do sleep 1; n=$((n + 1)); echo "$n" > done; done
echo finished > output.txt
"""


def _rows(*args: str) -> list[dict[str, object]]:
    result = cli(*args, "-o", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout) if result.stdout.strip() else []
    return rows


@pytest.mark.timeout(600)
def test_a_timeout_resubmitted_with_more_time_completes(slurm: str, tmp_path: Path) -> None:
    """Slurm's TIMEOUT needs a limit of at least a minute: the job needs 100 s, asks 1 minute."""
    (tmp_path / "job.in.sh").write_text(JOB)
    config = {"slurm": {"partition": slurm}, "seconds": 100, "experiment": {"x": "1"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert cli("generate", "job.in.sh", "-c", "config.json", "--out", "out", cwd=tmp_path).returncode == 0
    assert cli("profile", "import", "--name", "here").returncode == 0
    out = tmp_path / "out"
    assert len(_rows("submit", str(out))) == 1
    rows = _rows("status", str(out), "--wait", "240")
    assert rows[0]["state"] == "TIMEOUT"
    assert not (out / "x_1" / "output.txt").exists()
    result = cli(
        "resubmit",
        str(out),
        "--failed",
        "--reason",
        "timeout",
        "--time",
        "+2m",
        "--profile",
        "here",
        "-o",
        "json",
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [(r["id"], r["state"], r["reason"], r["time"]) for r in records] == [
        ("x_1", "TIMEOUT", "timeout", "00:03:00")
    ]
    assert "resubmitting 1 experiment: 0.05 SU requested" in result.stderr  # 1 core for 3 minutes
    assert "#SBATCH --time=1\n" in (out / "x_1" / "job.sh.1").read_text()  # the old script kept
    assert "#SBATCH --time=00:03:00\n" in (out / "x_1" / "job.sh").read_text()
    rows = _rows("status", str(out), "--wait", "240")
    assert rows[0]["state"] == "COMPLETED"
    assert (out / "x_1" / "output.txt").read_text() == "finished\n"
    cost = cli("cost", str(out), "--profile", "here")
    assert cost.returncode == 0 and "0.05 SU requested" in cost.stdout and "SU used" in cost.stdout
