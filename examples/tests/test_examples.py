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


def check_hybrid(folder: Path, output: str, sshd: dict[str, str]) -> list[dict[str, object]]:
    """Check what the hybrid run made; return the jobs of its run as ``cm-cc status`` has them."""
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert [fit["lr"] for fit in summary["fits"]] == [0.05, 0.2, 0.5]
    best = summary["best"]
    assert best["loss"] == min(fit["loss"] for fit in summary["fits"]) < 0.02
    assert abs(best["slope"] - 2.0) < 0.1 and abs(best["intercept"] - 1.0) < 0.1
    assert math.isclose(summary["forecast_x10"], 10 * best["slope"] + best["intercept"])
    vm = summary["vm"]
    # the job ran over ssh: sshd sets SSH_CONNECTION to "client port server port"
    assert vm["user"] == sshd["user"] and vm["ssh_connection"].endswith(f"{sshd['host']} {sshd['port']}")
    assert f"the model service at x=10: {summary['forecast_x10']:.3f}" in output
    graph = (folder / "out" / "workflow.svg").read_text()
    for name in (
        "preprocess",
        "fit&#45;lr_0.05",
        "fit&#45;lr_0.2",
        "fit&#45;lr_0.5",
        "on&#45;vm",
        "forecast",
        "report",
    ):
        assert f"<title>{name}</title>" in graph
    assert graph.count("done") == 7
    assert "stopped hybrid-model" in output and "terminated" in output
    cm_home = folder / "out" / "cm"
    assert "Host hybrid-vm" not in (cm_home / "vm" / "ssh_config").read_text()
    cli = Path(sys.executable).parent / "cm-cc"
    env = {**os.environ, "CM_HOME": str(cm_home)}
    status = subprocess.run(
        [str(cli), "status", "-o", "json"], capture_output=True, text=True, check=True, env=env
    )
    jobs: list[dict[str, object]] = json.loads(status.stdout)
    assert len(jobs) == 7 and all(job["state"] == "done" for job in jobs)
    return jobs


def run_hybrid(tmp_path: Path, sshd: dict[str, str], kind: str) -> tuple[Path, str]:
    """Run examples/hybrid with its sweep's ``kind`` set, the VM being the sshd on 127.0.0.1."""
    folder = copy_example("hybrid", tmp_path)
    workflow = folder / "workflow.yaml"
    source = workflow.read_text()
    assert source.count("kind: slurm") == 1
    workflow.write_text(source.replace("kind: slurm", f"kind: {kind}"))
    vm = {"VM_USER": sshd["user"], "VM_KEY": sshd["key"], "VM_PORT": sshd["port"]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in vm.items():
            patch.setenv(name, value)
        return run_example("hybrid", tmp_path, folder)


@pytest.mark.slurm
@pytest.mark.ssh
def test_hybrid(slurm: str, sshd: dict[str, str], tmp_path: Path) -> None:
    """The sweep runs as Slurm jobs, one job on the VM over ssh, the model as a cm-gas service."""
    folder, output = run_hybrid(tmp_path, sshd, "slurm")
    jobs = check_hybrid(folder, output, sshd)
    kinds = {str(job["name"]): job["kind"] for job in jobs}
    assert kinds == {
        "preprocess": "local",
        "fit-lr_0.05": "slurm",
        "fit-lr_0.2": "slurm",
        "fit-lr_0.5": "slurm",
        "on-vm": "ssh",
        "forecast": "local",
        "report": "local",
    }
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert len(summary["slurm_jobs"]) == 3 and all(job.isdigit() for job in summary["slurm_jobs"])


@pytest.mark.ssh
def test_hybrid_without_slurm(sshd: dict[str, str], tmp_path: Path) -> None:
    """The README's one setting for a laptop: kind local runs the sweep here."""
    folder, output = run_hybrid(tmp_path, sshd, "local")
    jobs = check_hybrid(folder, output, sshd)
    assert [job["kind"] for job in jobs if str(job["name"]).startswith("fit-")] == ["local"] * 3
    assert "slurm jobs: none (kind: local)" in output
