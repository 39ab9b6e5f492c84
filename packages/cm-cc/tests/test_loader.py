"""Workflow files in both forms, and bad input refused before anything runs (one line, exit 2)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from helpers import EXAMPLES, cli, write_workflow
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cm_cc import Job, Workflow
from cm_common import InputError


def test_cloudmesh_form_becomes_a_chain() -> None:
    flow = Workflow.load(EXAMPLES / "workflow" / "cloudmesh-workflow.yaml")
    jobs = {job.name: job for job in flow.check()}
    assert list(jobs) == ["start", "fetch-data", "compute", "analyze", "end"]
    assert jobs["end"].needs == ["analyze"] and jobs["start"].needs == []
    assert jobs["compute"].script == str(EXAMPLES / "workflow" / "compute.sh")
    assert jobs["start"].label == "{name}\\nprogress={progress}"


def test_cloudmesh_node_without_script_runs_name_sh(tmp_path: Path) -> None:
    (tmp_path / "a.sh").write_text("echo a\n")
    flow = write_workflow(
        tmp_path / "wf.yaml", {"workflow": {"nodes": {"a": {"kind": "local"}}, "dependencies": []}}
    )
    assert Workflow.load(flow).check()[0].script == str(tmp_path / "a.sh")


def test_native_form_mapping_of_jobs(tmp_path: Path) -> None:
    flow = write_workflow(
        tmp_path / "wf.yaml", {"jobs": {"a": {"exec": "true"}, "b": {"exec": "true", "needs": ["a"]}}}
    )
    assert [job.needs for job in Workflow.load(flow).check()] == [[], ["a"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "jobs": [
                    {"name": "a", "exec": "true", "needs": ["b"]},
                    {"name": "b", "exec": "true", "needs": ["a"]},
                ]
            },
            "dependency cycle: ",
        ),
        ({"jobs": [{"name": "a", "exec": "true", "needs": ["ghost"]}]}, "field needs: unknown job 'ghost'"),
        ({"jobs": [{"name": "a", "exec": "true"}, {"name": "a", "exec": "false"}]}, "duplicate job name 'a'"),
        ({"jobs": [{"name": "a", "script": "missing.sh"}]}, "field script: no such file"),
        ({"jobs": [{"name": "a"}]}, "needs exactly one of exec, script, python, notebook, sweep"),
        (
            {"workflow": {"nodes": {"a": {"exec": "true"}}, "dependencies": ["a,zz"]}},
            "unknown dependency 'zz'",
        ),
    ],
)
def test_bad_workflows_fail_in_one_line_with_exit_2(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    flow = write_workflow(tmp_path / "wf.yaml", data)
    result = cli("run", str(flow), "-q")
    assert result.returncode == 2
    assert message in result.stderr and str(flow) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (Path.cwd() / "wf.yaml").exists()


def test_a_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    flow = tmp_path / "wf.yaml"
    flow.write_text("jobs:\n  - name: a\n    exec: 'true'\n    timeout: -1\n")
    result = cli("run", str(flow))
    assert result.returncode == 2
    assert f"{flow}:4: field jobs.0.timeout: Input should be greater than 0 (value -1)" in result.stderr


def test_nothing_is_recorded_for_a_bad_workflow(tmp_path: Path, cm_home: Path) -> None:
    flow = write_workflow(tmp_path / "wf.yaml", {"jobs": [{"name": "a", "exec": "true", "needs": ["a"]}]})
    assert cli("run", str(flow)).returncode == 2
    assert not (cm_home / "cc" / "runs").exists() or not any((cm_home / "cc" / "runs").iterdir())


def test_unknown_label_placeholder_is_an_input_error() -> None:
    flow = Workflow("w", [Job(name="a", exec="true", label="{name} {nonsense}")])
    with pytest.raises(InputError, match="nonsense"):
        flow.check()


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 12), st.data())
def test_random_dags_pass_and_a_back_edge_is_a_cycle(size: int, data: st.DataObject) -> None:
    needs = [
        sorted(set(data.draw(st.lists(st.integers(0, i - 1), max_size=3)))) if i else [] for i in range(size)
    ]
    jobs = [Job(name=f"j{i}", exec="true", needs=[f"j{n}" for n in need]) for i, need in enumerate(needs)]
    assert [job.name for job in Workflow("ok", jobs).check()] == [f"j{i}" for i in range(size)]
    below = {"j0"}
    for job in jobs[1:]:
        if below & set(job.needs):
            below.add(job.name)
    assume(len(below) > 1)  # a back edge needs a job below j0
    looped = [jobs[0].model_copy(update={"needs": [max(below - {"j0"})]}), *jobs[1:]]
    with pytest.raises(InputError, match="dependency cycle"):
        Workflow("loop", looped).check()


def test_check_of_a_large_workflow_prints_a_summary_and_csv_every_job(tmp_path: Path) -> None:
    jobs = [{"name": f"j{i}", "exec": "true", **({"needs": [f"j{i - 1}"]} if i else {})} for i in range(60)]
    jobs.append({"name": "remote", "kind": "slurm", "exec": "true"})
    flow = write_workflow(tmp_path / "big.yaml", {"jobs": jobs})
    summary = cli("check", str(flow), check=True)
    assert f"{flow}: 61 jobs, 59 needs" in summary.stderr
    assert "j42" not in summary.stdout  # counts per kind, not a row per job
    assert [line.split() for line in summary.stdout.splitlines() if "│" in line] == [
        ["│", "local", "│", "60", "│"],
        ["│", "slurm", "│", "1", "│"],
    ]
    rows = cli("check", str(flow), "-o", "csv", check=True).stdout.splitlines()
    assert rows[0] == "name,kind,host,needs" and len(rows) == 62 and rows[43] == "j42,local,,j41"


def test_a_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    flow = tmp_path / "broken.yaml"
    flow.write_text("jobs:\n  - name: a\n    exec: [true\n  - name: b\n")
    result = cli("check", str(flow))
    assert result.returncode == 2
    assert f"{flow}:4: invalid YAML" in result.stderr and "Traceback" not in result.stderr


def test_loading_and_checking_turn_the_garbage_collector_back_on(tmp_path: Path) -> None:
    flow = write_workflow(tmp_path / "wf.yaml", {"jobs": [{"name": "a", "exec": "true", "timeout": -1}]})
    assert gc.isenabled()
    with pytest.raises(InputError, match="timeout"):
        Workflow.load(flow)
    assert gc.isenabled()
    flow = write_workflow(tmp_path / "wf.yaml", {"jobs": [{"name": "a", "exec": "true", "needs": ["b"]}]})
    with pytest.raises(InputError, match="unknown job 'b'"):
        Workflow.load(flow).check()
    assert gc.isenabled()
