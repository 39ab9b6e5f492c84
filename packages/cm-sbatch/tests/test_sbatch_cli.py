"""The cm-sbatch command as a user runs it: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sbatch_helpers import EXAMPLES, cli


def _one_line_error(result: object, code: int, *needles: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == code, stderr  # type: ignore[attr-defined]
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr, stderr


def test_generate_list_and_json_summary(sweep_dir: Path) -> None:
    result = cli("generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", "-o", "json", cwd=sweep_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["experiments"] == 4
    script = (sweep_dir / "out" / "epoch_2" / "lr_0.01" / "slurm.sh").read_text()
    assert "echo epoch=2 lr=0.01 data=/scratch/train job=${SLURM_JOB_ID:-local} home=$HOME" in script
    assert "awk '{ print $1 }' /dev/null" in script and "--job-name=epoch_2_lr_0.01" in script
    listed = cli("list", "out", "-o", "json", cwd=sweep_dir)
    assert [row["id"] for row in json.loads(listed.stdout)] == [
        "epoch_1_lr_0.1",
        "epoch_1_lr_0.01",
        "epoch_2_lr_0.1",
        "epoch_2_lr_0.01",
    ]


def test_the_example_runs_outside_slurm_and_is_analysed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    template, config = str(EXAMPLES / "slurm.in.sh"), str(EXAMPLES / "config.yaml")
    assert cli("generate", template, "-c", config, "--out", str(out)).returncode == 0
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(entries) == 6
    for entry in entries:
        run = subprocess.run(
            ["bash", "slurm.sh"], cwd=out / entry["directory"], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        assert "# cloudmesh status=done progress=100" in run.stdout and "job local" in run.stdout
    first = json.loads((out / entries[0]["directory"] / "result.json").read_text())
    assert first == {"epoch": 1, "lr": 0.1, "optimizer": "sgd", "loss": 0.9, "job": "local"}
    analysis = subprocess.run(
        [sys.executable, str(EXAMPLES / "analyze.py"), str(out)], capture_output=True, text=True
    )
    assert analysis.returncode == 0, analysis.stderr
    assert "best: epoch_2_lr_0.1_optimizer_sgd (loss 0.81)" in analysis.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["experiments"] == 6 and len(summary["results"]) == 6 and summary["missing"] == []
    assert summary["results"][0]["parameters"] == {"epoch": 2, "lr": "0.1", "optimizer": "sgd"}
    (out / entries[1]["directory"] / "result.json").unlink()
    partial = subprocess.run(
        [sys.executable, str(EXAMPLES / "analyze.py"), str(out)], capture_output=True, text=True
    )
    assert partial.returncode == 1 and entries[1]["id"] in partial.stderr


def test_dry_run_prints_and_writes_nothing(sweep_dir: Path) -> None:
    args = ["generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", "--dry-run", "-o", "json"]
    result = cli(*args, "--limit", "3", "-e", "epoch=[1-1000] seed=[1-1000]", cwd=sweep_dir)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0] == {  # keys given with -e come first, in its order, as cloudmesh-ee has them
        "id": "epoch_1_seed_1_lr_0.1",
        "directory": "epoch_1/seed_1/lr_0.1",
        "epoch": "1",
        "seed": "1",
        "lr": "0.1",
    }
    assert len(rows) == 3 and "2,000,000 experiments (first 3 shown)" in result.stderr
    assert not (sweep_dir / "out").exists()


BAD = [
    (
        "template",
        "echo {nope}\necho {data.nothing}\n",
        {},
        ["slurm.in.sh:1: {nope}", "slurm.in.sh:2: {data.nothing}"],
    ),
    ("config", "data:\n  a: '{data.b}'\n  b: '{data.a}'\nexperiment: {x: [1]}\n", {}, ["cyclic reference"]),
    ("config", "experiment:\n  x: [1, 2]\nsweep:\n  exclude: ['x > 0']\n", {}, ["zero experiments"]),
    ("config", "experiment:\n  x: []\n", {}, ["zero experiments", "experiment.x"]),
    (
        "config",
        "experiment:\n  x: [1]\nsweep:\n  exclude: ['gpu == 1']\n",
        {},
        ["unknown key 'gpu'", "exclude rule"],
    ),
    ("config", "experiment:\n  x: [1, 2\n  y: 3\n", {}, ["config.yaml:3: invalid YAML"]),
    ("config", "experiment:\n  x: ['a b', 'a;b']\n", {}, ["would share the folder 'x_a-b'"]),
]


@pytest.mark.parametrize(("which", "text", "extra", "needles"), BAD)
def test_bad_input_exits_2_with_one_line(
    sweep_dir: Path, which: str, text: str, extra: dict[str, str], needles: list[str]
) -> None:
    target = sweep_dir / ("slurm.in.sh" if which == "template" else "config.yaml")
    target.write_text(text)
    if which == "template":
        (sweep_dir / "config.yaml").write_text("data: {}\nexperiment: {x: [1]}\n")
    else:
        (sweep_dir / "slurm.in.sh").write_text("echo {x}\n")
    result = cli("generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", cwd=sweep_dir)
    _one_line_error(result, 2, *needles)
    assert not (sweep_dir / "out").exists()
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["config.yaml", "slurm.in.sh"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "novalue"], "--set: expected key=value"),
        (["-e", "epoch"], "--experiment: expected key=values"),
        (["--layout", "tree"], "--layout: expected hierarchical or flat"),
        (["-c", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_options_exit_2(sweep_dir: Path, args: list[str], needle: str) -> None:
    result = cli("generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", *args, cwd=sweep_dir)
    _one_line_error(result, 2, needle)
    assert not (sweep_dir / "out").exists()


def test_existing_output_needs_force(sweep_dir: Path) -> None:
    assert cli("generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", cwd=sweep_dir).returncode == 0
    again = cli(
        "generate", "slurm.in.sh", "-c", "config.yaml", "--out", "out", "-e", "epoch=5", cwd=sweep_dir
    )
    _one_line_error(again, 2, "use --force")
    assert (sweep_dir / "out" / "epoch_1").is_dir()
    forced = cli(
        "generate",
        "slurm.in.sh",
        "-c",
        "config.yaml",
        "--out",
        "out",
        "-e",
        "epoch=5",
        "--force",
        cwd=sweep_dir,
    )
    assert forced.returncode == 0 and not (sweep_dir / "out" / "epoch_1").exists()


def test_commands_on_a_folder_that_is_not_a_sweep(tmp_path: Path) -> None:
    for command in ("submit", "status", "cancel", "list"):
        _one_line_error(cli(command, str(tmp_path)), 2, "no manifest.jsonl here")
    _one_line_error(cli("resubmit", str(tmp_path)), 2, "--failed or --all")


BUSY = "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass\n"


def test_trace_samples_the_cpu_and_passes_the_exit_code(tmp_path: Path) -> None:
    result = cli(
        "trace",
        "--cpu",
        "--interval",
        "0.1",
        "--csv",
        "t.csv",
        "--",
        sys.executable,
        "-c",
        BUSY,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "t.csv").read_text().splitlines()))
    assert len(rows) >= 3 and {row["device"] for row in rows} == {"cpu"}
    assert max(float(row["utilization_pct"]) for row in rows) > 20
    assert all(float(row["memory_mib"]) > 0 for row in rows)
    failing = cli("trace", "--cpu", "--", sys.executable, "-c", "import sys; sys.exit(3)", cwd=tmp_path)
    assert failing.returncode == 3 and (tmp_path / "trace-local.csv").exists()
    _one_line_error(cli("trace", "--", "surely-not-a-command-xyz", cwd=tmp_path), 2, "command not found")
