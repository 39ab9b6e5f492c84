"""What a person sees of cm-sbatch (-q, --version, help, usage errors), and a sweep another tool ran:
its outcome records in ``jobs.jsonl`` (the documented format cm-cc writes) read by status and resubmit."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from sbatch_helpers import cli
from typer.testing import CliRunner

from cm_sbatch.cli import app

TEMPLATE = """#!/bin/bash
#SBATCH --time=00:05:00
#SBATCH --partition={partition}
if [ "{x}" = "2" ] && [ ! -e retried ]; then touch retried; exit 3; fi
echo "x={x} job=${SLURM_JOB_ID:-local}" > output.txt
"""


def _generate(tmp_path: Path, partition: str = "debug") -> Path:
    (tmp_path / "job.in.sh").write_text(TEMPLATE)
    config = {"partition": partition, "experiment": {"x": "1,2,3"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = cli("generate", "job.in.sh", "-c", "config.json", "--out", "out", "-q", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    return tmp_path / "out"


def _status(out: Path) -> dict[str, dict[str, object]]:
    result = cli("status", str(out), "-o", "json")
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_quiet_generate_prints_nothing_and_version_names_the_package(tmp_path: Path) -> None:
    assert (_generate(tmp_path) / "manifest.jsonl").is_file()
    assert cli("--version").stdout == f"cm-sbatch {version('cm-sbatch')}\n"


def test_usage_error_is_one_line_exit_2(tmp_path: Path) -> None:
    result = cli("status", str(tmp_path), "--bogus")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: no such option: --bogus (see cm-sbatch status --help)\n"
    close = cli("generate", "t.sh", "--dryrun")
    assert close.stderr == "error: no such option: --dryrun (did you mean --dry-run?)\n"


def test_help_texts_have_no_rest_markup() -> None:
    runner = CliRunner()
    command = typer.main.get_command(app)
    for path in [[], *([name] for name in getattr(command, "commands", {}))]:
        shown = runner.invoke(app, [*path, "--help"], prog_name="cm-sbatch")
        assert shown.exit_code == 0, path
        assert "``" not in shown.output and ":func:" not in shown.output, path


def test_status_and_resubmit_read_the_outcomes_another_tool_recorded(tmp_path: Path) -> None:
    out = _generate(tmp_path)
    outcomes = [
        {"id": "x_1", "job": "", "state": "COMPLETED", "exit_code": 0, "elapsed": "0:01"},
        {"id": "x_2", "job": "", "state": "FAILED", "exit_code": 3, "elapsed": "0:02"},
    ]
    extra = {"ended": "2026-12-01T23:05:09+00:00", "runner": "cm-cc", "run": "r1"}
    with open(out / "jobs.jsonl", "a", encoding="utf-8") as handle:
        handle.writelines(json.dumps({**o, **extra}) + "\n" for o in outcomes)
    rows = _status(out)
    assert {key: row["state"] for key, row in rows.items()} == {
        "x_1": "COMPLETED",
        "x_2": "FAILED",
        "x_3": "UNSUBMITTED",
    }
    assert rows["x_2"]["elapsed"] == "0:02"
    plan = cli("resubmit", str(out), "--failed", "--dry-run", "-o", "json")
    assert plan.returncode == 0, plan.stderr
    assert [row["id"] for row in json.loads(plan.stdout)] == ["x_2"]
    table = cli("status", str(out))
    assert "FAILED" in table.stdout and "x_3" in table.stdout


def test_status_and_list_of_a_large_sweep_are_short_and_all_shows_every_row(tmp_path: Path) -> None:
    (tmp_path / "job.in.sh").write_text("#!/bin/bash\necho {x}\n")
    (tmp_path / "config.json").write_text(json.dumps({"experiment": {"x": "[1-45]"}}))
    made = cli("generate", "job.in.sh", "-c", "config.json", "--out", "out", "-q", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "out"
    failed = [{"id": f"x_{n}", "job": "", "state": "FAILED", "exit_code": 1} for n in (7, 9)]
    with open(out / "jobs.jsonl", "a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in failed)
    short = cli("status", str(out))
    assert short.returncode == 0, short.stderr
    assert "45 experiments" in short.stdout and "2 experiments failed" in short.stdout
    assert "x_7" in short.stdout and "x_9" in short.stdout and "x_8 " not in short.stdout
    assert f"every experiment: cm-sbatch status {out} --all (or -o csv)" in short.stderr
    every = cli("status", str(out), "--all")
    assert all(f"x_{n} " in every.stdout for n in range(1, 46))
    assert len(json.loads(cli("status", str(out), "-o", "json").stdout)) == 45
    listed = cli("list", str(out))
    assert "45 experiments, first 40 shown" in listed.stdout and "x_40 " in listed.stdout
    assert "x_41 " not in listed.stdout and "--all (or -o csv)" in listed.stderr
    assert "x_45 " in cli("list", str(out), "--all").stdout
    assert len(json.loads(cli("list", str(out), "-o", "json").stdout)) == 45


@pytest.mark.slurm
def test_status_after_cm_cc_ran_the_folder_then_resubmit_on_slurm(slurm: str, tmp_path: Path) -> None:
    """The whole path: cm-sbatch generates, cm-cc runs it here, cm-sbatch reads and resubmits."""
    out = _generate(tmp_path, slurm)
    ran = subprocess.run(
        [sys.executable, "-m", "cm_cc", "run", "--sweep", str(out), "-q"], capture_output=True, text=True
    )
    assert ran.returncode == 1 and ran.stdout == "", ran.stderr
    rows = _status(out)
    assert {key: row["state"] for key, row in rows.items()} == {
        "x_1": "COMPLETED",
        "x_2": "FAILED",
        "x_3": "COMPLETED",
    }
    again = cli("resubmit", str(out), "--failed", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert [row["id"] for row in json.loads(again.stdout)] == ["x_2"]
    waited = cli("status", str(out), "--wait", "180", "-o", "json")
    states = {row["id"]: row["state"] for row in json.loads(waited.stdout)}
    assert states == dict.fromkeys(("x_1", "x_2", "x_3"), "COMPLETED")
    folder = next(
        json.loads(line)["directory"]
        for line in (out / "manifest.jsonl").read_text().splitlines()
        if '"x_2"' in line
    )
    written = (out / folder / "output.txt").read_text()
    assert written.startswith("x=2 job=") and "job=local" not in written  # Slurm ran it this time
