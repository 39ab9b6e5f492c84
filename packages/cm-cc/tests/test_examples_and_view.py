"""The example workflows (cloudmesh-cc form and native form) run to done; the live view renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import EXAMPLES, cli
from rich.console import Console

from cm_cc import Event, State, Store
from cm_cc._live import LiveView


@pytest.mark.parametrize("name", ["cloudmesh-workflow.yaml", "cloudmesh-exec.yaml", "native.yaml"])
def test_example_workflows_run_to_done(name: str, tmp_path: Path) -> None:
    graph = tmp_path / "graph.svg"
    result = cli("run", str(EXAMPLES / "workflow" / name), "-q", "-o", "json", "--graph", str(graph))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(row["state"] == "done" and row["progress"] == 100 for row in rows)
    assert graph.read_text().count('fill="palegreen"') == len(rows)


def test_the_cloudmesh_chain_runs_in_order() -> None:
    assert cli("run", str(EXAMPLES / "workflow" / "cloudmesh-workflow.yaml"), "-q").returncode == 0
    run = Store().runs()[0]
    steps = (Path(run.directory) / "steps.txt").read_text().split()
    assert steps == ["start", "fetch-data", "compute", "analyze", "end"]


def test_logs_with_output_give_a_record() -> None:
    assert cli("run", str(EXAMPLES / "workflow" / "cloudmesh-exec.yaml"), "-q").returncode == 0
    run = Store().runs()[0].id
    record = json.loads(cli("logs", run, "left", "-o", "json").stdout)[0]
    assert record["stream"] == "stdout" and record["text"].endswith("left\n")


def test_live_view_counts_states_and_draws_running_bars() -> None:
    view = LiveView({"a": State.READY, "b": State.READY, "c": State.READY})
    view(Event("r", "a", "done"))
    view(Event("r", "b", "running", progress=40))
    view(Event("r", None, "running"))
    console = Console(record=True, width=80)
    console.print(view)
    text = console.export_text()
    assert "ready 1" in text and "running 1" in text and "done 1" in text
    name, bar = text.splitlines()[1].split()
    assert (name, bar.count("━")) == ("b", 12)  # the running job, its bar 40% of 30 cells
