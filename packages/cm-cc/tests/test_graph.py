"""Graphs: SVG, PNG and DOT from pydot + graphviz, nodes coloured by state, label templates."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from helpers import EXAMPLES, cli

from cm_cc import Job, JobStatus, State, Workflow, build, render
from cm_common import InputError


def test_labels_fill_name_progress_status_host_and_times() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5).timestamp()
    status = JobStatus("fit", State.RUNNING, "ssh", "gpu1", progress=40, started=started, ended=started + 90)
    dot = build([status], {"fit": "{name} {progress}% {status} {host} {started.%H:%M} {elapsed} {now.%Y}"})
    text = dot.to_string()
    assert f'"fit 40% running gpu1 03:04 90.0 {datetime.now():%Y}"' in text
    assert "fillcolor=orange" in text


@pytest.mark.parametrize("suffix", ["svg", "png", "dot"])
def test_a_workflow_renders_in_each_format(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"graph.{suffix}"
    flow = Workflow("g", [Job(name="a", exec="true"), Job(name="b", exec="true", needs=["a"])])
    flow.graph(out)
    data = out.read_bytes()
    assert {"svg": b"<svg", "png": b"\x89PNG", "dot": b"digraph"}[suffix] in data[:300]


def test_unknown_format_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="graph format 'gif'"):
        render(build([], {}), tmp_path / "g.gif")


def test_graph_of_a_finished_run_shows_states(tmp_path: Path) -> None:
    flow = Workflow(
        "states",
        [
            Job(name="ok", exec="true"),
            Job(name="bad", exec="false"),
            Job(name="never", exec="true", needs=["bad"]),
        ],
    )
    run = flow.run().id
    out = tmp_path / "run.svg"
    assert cli("graph", run, "--out", str(out)).returncode == 0
    fills = re.findall(r'<title>(\w+)</title>\s*<path fill="(\w+)"', out.read_text())
    assert dict(fills) == {"ok": "palegreen", "bad": "tomato", "never": "lightgrey"}


def test_cloudmesh_labels_keep_their_line_breaks(tmp_path: Path) -> None:
    out = tmp_path / "cw.dot"
    assert (
        cli("graph", str(EXAMPLES / "workflow" / "cloudmesh-workflow.yaml"), "--out", str(out)).returncode
        == 0
    )
    assert r'label="fetch-data\nprogress=0"' in out.read_text()
