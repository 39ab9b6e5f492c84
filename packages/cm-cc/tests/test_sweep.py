"""A cm-sbatch output folder run as a workflow: a job per experiment, then a fan-in job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import EXAMPLES, cli, write_sweep, write_workflow

from cm_cc import Job, Store, Workflow
from cm_common import InputError

RESULT = 'echo "# cloudmesh status=running progress=50"; echo "{\\"loss\\": $X}" > result.json'


def test_cli_sweep_then_analyze_with_a_graph(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    ids = write_sweep(out, 4, RESULT)
    analyze = EXAMPLES / "sweep" / "analyze.py"
    graph = out / "workflow.svg"
    result = cli(
        "run", "--sweep", str(out), "--then", f"python3 {analyze} {out}", "--graph", str(graph), "-o", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row["state"] for row in json.loads(result.stdout)}
    assert rows == {**{f"exp-{ident}": "done" for ident in ids}, "then": "done"}
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(row["loss"] for row in summary["results"]) == [0, 1, 2, 3] and summary["missing"] == []
    svg = graph.read_text()
    assert "<svg" in svg and svg.count('fill="palegreen"') == 5


def test_a_workflow_job_fans_out_and_a_job_needing_it_waits_for_all(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 3, RESULT)
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "jobs": [
                {"name": "prepare", "exec": "true"},
                {"name": "train", "sweep": "sweep", "needs": ["prepare"]},
                {
                    "name": "collect",
                    "exec": "ls */result.json | wc -l > count",
                    "workdir": "sweep",
                    "needs": ["train"],
                },
            ]
        },
    )
    jobs = Workflow.load(flow).check()
    assert [job.name for job in jobs] == ["prepare", "train-exp-0", "train-exp-1", "train-exp-2", "collect"]
    assert jobs[-1].needs == ["train-exp-0", "train-exp-1", "train-exp-2"]
    assert jobs[1].needs == ["prepare"] and jobs[1].workdir == str(out / "exp-0")
    assert Workflow.load(flow).run().state == "done"
    assert (out / "count").read_text().strip() == "3"


def test_a_failed_experiment_skips_the_fan_in_only(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 3, '[ "$X" != 1 ]')
    flow = Workflow.from_sweep(out, then="true")
    assert flow.run(parallel=2).state == "failed"
    assert {job.name: job.state.value for job in flow.status()} == {
        "exp-exp-0": "done",
        "exp-exp-1": "failed",
        "exp-exp-2": "done",
        "then": "skipped",
    }
    assert Store().runs()[0].workflow == "sweep"


def test_a_bad_manifest_line_names_file_line_and_field(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 2, "true")
    manifest = out / "manifest.jsonl"
    manifest.write_text(manifest.read_text() + '{"id": "x", "directory": "x"}\n')
    with pytest.raises(InputError, match=r"manifest.jsonl:3: field script: Field required"):
        Workflow.from_sweep(out).check()
    result = cli("run", "--sweep", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "manifest.jsonl: no such file" in result.stderr


def test_sweep_jobs_take_kind_and_resources() -> None:
    job = Job(name="s", sweep="x", kind="slurm", resources={"partition": "debug", "time": "00:01:00"})
    assert job.resources["time"] == "00:01:00"
    with pytest.raises(InputError, match=r"Job: field resources: .*not an sbatch option name: .--wrap."):
        Job(name="s", exec="true", kind="slurm", resources={"--wrap": "x"})
