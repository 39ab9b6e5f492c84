"""What a person sees of cm-cc: -q, the summary of a large run, --version, help texts, usage errors;
and the outcome of each experiment written back into the cm-sbatch folder it ran."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import typer
from helpers import cli, write_sweep
from typer.testing import CliRunner

from cm_cc.cli import app


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    write_sweep(tmp_path / "sweep", 3, "true")
    result = cli("run", "--sweep", str(tmp_path / "sweep"), "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_quiet_prints_only_the_error_on_failure(tmp_path: Path) -> None:
    write_sweep(tmp_path / "sweep", 2, '[ "$X" != 1 ]')
    result = cli("run", "--sweep", str(tmp_path / "sweep"), "-q")
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: run ") and "failed 1" in lines[0]


def test_a_large_run_ends_with_a_summary_not_every_row(tmp_path: Path) -> None:
    ids = write_sweep(tmp_path / "sweep", 45, '[ "$X" != 7 ]')
    result = cli("run", "--sweep", str(tmp_path / "sweep"), "--parallel", "2")
    assert result.returncode == 1
    assert "45 jobs" in result.stdout and "1 job not done" in result.stdout
    assert "exp-exp-7" in result.stdout and "exp-exp-8 " not in result.stdout
    run = result.stderr.split("every job: cm-cc status ")[1].split()[0]
    full = cli("status", run, "-o", "json")
    assert sorted(row["name"] for row in json.loads(full.stdout)) == sorted(f"exp-{i}" for i in ids)
    short = cli("status", run)
    assert "45 jobs" in short.stdout and "exp-exp-7" in short.stdout and "exp-exp-8 " not in short.stdout
    assert f"every job: cm-cc status {run} --all (or -o csv)" in short.stderr
    every = cli("status", run, "--all")
    assert all(f"exp-{i} " in every.stdout for i in ids)


def test_version_and_one_line_usage_errors() -> None:
    assert cli("--version").stdout == f"cm-cc {version('cm-cc')}\n"
    bad = cli("run", "--bogus")
    assert bad.returncode == 2
    assert bad.stderr == "error: no such option: --bogus (see cm-cc run --help)\n"
    close = cli("run", "--parralel", "2")
    assert close.stderr == "error: no such option: --parralel (did you mean --parallel?)\n"


def _commands(group: typer.Typer) -> list[list[str]]:
    command = typer.main.get_command(group)
    paths: list[list[str]] = [[]]
    for name, sub in getattr(command, "commands", {}).items():
        paths.append([name])
        paths += [[name, inner] for inner in getattr(sub, "commands", {})]
    return paths


def test_help_texts_have_no_rest_markup() -> None:
    runner = CliRunner()
    for path in _commands(app):
        shown = runner.invoke(app, [*path, "--help"], prog_name="cm-cc")
        assert shown.exit_code == 0, path
        for markup in ("``", ":func:", ":class:", ":meth:", ":ref:"):
            assert markup not in shown.output, (path, markup)


def test_each_experiments_outcome_is_recorded_in_the_sweep_folder(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 3, '[ "$X" != 1 ] || exit 3')
    result = cli("run", "--sweep", str(out), "-q")
    assert result.returncode == 1
    records = [json.loads(line) for line in (out / "jobs.jsonl").read_text().splitlines()]
    by_id = {record["id"]: record for record in records}
    assert {key: record["state"] for key, record in by_id.items()} == {
        "exp-0": "COMPLETED",
        "exp-1": "FAILED",
        "exp-2": "COMPLETED",
    }
    assert by_id["exp-1"]["exit_code"] == 3 and by_id["exp-0"]["exit_code"] == 0
    for record in records:
        assert record["runner"] == "cm-cc" and record["job"] == "" and record["run"]
        assert record["elapsed"].count(":") == 1 and record["ended"].endswith("+00:00")


def test_a_workflow_without_sweeps_writes_no_outcome(tmp_path: Path) -> None:
    flow = tmp_path / "wf.yaml"
    flow.write_text("jobs:\n  - name: a\n    exec: 'true'\n")
    assert cli("run", str(flow), "-q").returncode == 0
    assert not list(tmp_path.rglob("jobs.jsonl"))
