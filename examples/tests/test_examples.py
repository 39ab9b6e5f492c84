"""Every example runs as its README says, in a copy of its folder, and makes what the README shows.

The examples call the cm tools by name: the ones installed next to this Python come first on PATH.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent


def copy_example(name: str, tmp_path: Path) -> Path:
    """A copy of examples/NAME in tmp_path, without what a run makes and the README's pictures."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns("out", "img", "README.md"))
    return folder


def run_example(name: str, tmp_path: Path, folder: Path | None = None) -> tuple[Path, str]:
    """Run the run.sh of examples/NAME in a copy (or in ``folder``); return the copy and its output."""
    folder = folder or copy_example(name, tmp_path)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(folder / "run.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return folder, output


def check_earthquake(folder: Path, output: str) -> None:
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["runs"] == 9 and summary["missing"] == [] and summary["events"] == 5000
    assert abs(summary["best"]["b"] - 1.0) < 0.1 and summary["best"]["loss"] < 0.01
    assert abs(summary["aki_b"] - 1.0) < 0.1
    assert set(summary["diverged"]) == {"lr_1.2_epochs_100", "lr_1.2_epochs_500"}
    assert f"best: {summary['best']['id']}" in output
    assert "<svg" in (folder / "out" / "gutenberg-richter.svg").read_text()
    graph = (folder / "out" / "workflow.svg").read_text()
    # graphviz writes a hyphen in a node's title as &#45;
    assert "<svg" in graph and "<title>analyze" in graph and "train&#45;lr_0.1_epochs_100" in graph
    assert "done" in graph


def test_earthquake(tmp_path: Path) -> None:
    check_earthquake(*run_example("earthquake", tmp_path))


@pytest.mark.slurm
def test_earthquake_on_slurm(slurm: str, tmp_path: Path) -> None:
    """The README's one setting: kind slurm sends each training run through sbatch."""
    folder = copy_example("earthquake", tmp_path)
    workflow = folder / "workflow.yaml"
    source = workflow.read_text()
    assert source.count("kind: local") == 1
    workflow.write_text(source.replace("kind: local", "kind: slurm"))
    folder, output = run_example("earthquake", tmp_path, folder)
    check_earthquake(folder, output)
    cli = Path(sys.executable).parent / "cm-cc"
    status = subprocess.run([str(cli), "status", "-o", "json"], capture_output=True, text=True, check=True)
    trained = [job for job in json.loads(status.stdout) if job["name"].startswith("train-")]
    assert len(trained) == 9 and all(job["kind"] == "slurm" and job["state"] == "done" for job in trained)


def test_gas(tmp_path: Path) -> None:
    folder, output = run_example("gas", tmp_path)
    report = json.loads((folder / "out" / "report.json").read_text())
    assert math.isclose(report["rate_m5"], 0.1)
    assert math.isclose(report["chance_m6_10y"], 1 - math.exp(-0.1))
    assert "chance of magnitude 6 or more within 10 years: 9.5%" in output
    assert "<svg" in (folder / "out" / "workflow.svg").read_text()
    assert "stopped quake-model" in output


def test_nlp(tmp_path: Path) -> None:
    folder, output = run_example("nlp", tmp_path)
    assert "Ich liebe dieses Buch." in output and "translated 5 of 5 (0 cached, 0 failed)" in output
    assert "5 texts: 2 positive, 1 neutral, 2 negative" in output
    assert (folder / "out" / "latency.png").read_bytes().startswith(b"\x89PNG")


def test_vm(tmp_path: Path, cm_home: Path) -> None:
    _, output = run_example("vm", tmp_path)
    assert "Host quake-vm-1" in output and "Host quake-vm-2" in output
    assert output.count("terminated") >= 2
    assert "Host quake-vm" not in (cm_home / "vm" / "ssh_config").read_text()
