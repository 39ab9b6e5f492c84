"""The Python API without traps: what generate returns, then's folder, typed states, one error family,
run() inside a loop, reading a job's log, and the docs' ten-line script run as written."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, write_sweep
from pydantic import ValidationError

from cm_cc import Host, Job, State, Store, Workflow
from cm_common import InputError


@dataclass
class Generated:
    """What cm_sbatch's Experiment.generate returns, as far as cm-cc cares: the folder as ``out``."""

    out: Path


def test_from_sweep_takes_what_generate_returns_and_then_runs_in_the_sweep_folder(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 2, "echo $X > x.txt")
    flow = Workflow.from_sweep(Generated(out), then="cat */x.txt; pwd")
    status = flow.run()
    assert status.state is State.DONE
    assert flow.log("then") == f"0\n1\n{out}\n"


def test_then_runs_in_the_workdir_given(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 1, "true")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    flow = Workflow.from_sweep(str(out), then="pwd", workdir=elsewhere)
    assert flow.run().state == State.DONE
    assert flow.log("then") == f"{elsewhere}\n"


def test_run_status_state_is_a_state_like_a_jobs() -> None:
    flow = Workflow("w", [Job(name="bad", exec="exit 4")])
    status = flow.run()
    assert isinstance(status.state, State) and status.state is State.FAILED
    assert isinstance(Store().runs()[0].state, State)
    assert isinstance(flow.status()[0].state, State)


def test_bad_input_is_an_input_error_naming_the_field_and_keeping_the_cause() -> None:
    with pytest.raises(
        InputError, match=r"^Job: field retries: .*greater than or equal to 0 \(value -1\)$"
    ) as caught:
        Job(name="a", exec="true", retries=-1)
    assert isinstance(caught.value.__cause__, ValidationError)
    with pytest.raises(InputError, match=r"^Job: field name: String should match pattern .*\(value 'a b'\)"):
        Job(name="a b", exec="true")
    with pytest.raises(InputError, match=r"^Host: field port: .*less than or equal to 65535 \(value 70000\)"):
        Host(hostname="x", port=70000)
    with pytest.raises(InputError, match=r"^WorkflowSpec: field hosts\.h\.port: .*65535 \(value 70000\)"):
        Workflow("w", hosts={"h": {"hostname": "x", "port": 70000}})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="this workflow has not run yet"):
        Workflow("w").status()


def test_run_inside_a_running_loop_points_to_arun_and_leaves_no_coroutine_behind() -> None:
    flow = Workflow("w", [Job(name="a", exec="echo hi")])

    async def inside() -> str:
        with pytest.raises(InputError, match=r"await workflow\.arun\(\.\.\.\)"):
            flow.run()
        return (await flow.arun()).state

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "coroutine ... was never awaited" warning fails the test
        assert asyncio.run(inside()) == State.DONE
    assert flow.log("a") == "hi\n"


def test_log_reads_stdout_and_stderr_and_names_an_unknown_job() -> None:
    flow = Workflow("w", [Job(name="a", exec="echo out; echo err >&2")])
    run = flow.run().id
    assert (flow.log("a"), flow.log("a", stream="stderr")) == ("out\n", "err\n")
    assert Workflow("other").log("a", run) == "out\n"
    with pytest.raises(InputError, match=rf"run {run} has no job 'b' \(jobs: a\)"):
        flow.log("b")


def _docs_script() -> str:
    text = (ROOT / "docs" / "cc.md").read_text()
    section = text.split("## From Python: a sweep in ten lines", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.mark.slurm
def test_the_docs_ten_line_script_runs_as_written(tmp_path: Path, slurm: str) -> None:
    pytest.importorskip(
        "cm_sbatch", reason="the docs' script uses cm-sbatch (installed in the integration run)"
    )
    script = _docs_script()
    assert len(script.strip().splitlines()) <= 10
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done {'done': 4}\nlr=0.001\nlr=0.01\nlr=0.1\n"
    slurm_ids = [job.slurm_id for job in Store().jobs(Store().runs()[0].id) if job.name.startswith("exp-")]
    assert len(slurm_ids) == 3 and all(slurm_ids)
