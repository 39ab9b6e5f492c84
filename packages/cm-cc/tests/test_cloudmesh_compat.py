"""cloudmesh-cc workflow files, unchanged: every node field it writes, its label placeholders, its colours."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from helpers import cli

from cm_cc import Workflow
from cm_cc._graph import Look, build
from cm_cc._labels import Label, RunTimes
from cm_cc._models import JobStatus, State
from cm_common import InputError, Variables

# A workflow as cloudmesh-cc saves it after a run (its own bookkeeping fields included), in its style.
SAVED = """workflow:
  nodes:
    start:
      name: start
      user: alice
      host: localhost
      kind: local
      status: done
      progress: 100
      label: start
      label_format: '{name} {progress}%'
      script: start.sh
      exec: null
      parent: []
      instance: null
      created: '2023-05-01 10:00:00'
      modified: '2023-05-01 10:01:00'
      output: start.log
      number: 0
    fetch:
      name: fetch
      user: alice
      host: localhost
      kind: local
      status: failed
      progress: 40
      label_format: '{name}\\n{now.%m/%d/%Y, %H--%M--%S}'
      exec: echo fetch
      parent: [start]
      shape: ellipse
      style: ''
      number: 1
    end:
      name: end
      kind: local
      status: ready
      exec: echo end
      style: filled,dashed
      parent: [fetch]
  dependencies:
    start-fetch:
      source: start
      destination: fetch
      name: start-fetch
    fetch-end:
      source: fetch
      destination: end
      name: fetch-end
colors:
  status:
    ready: '#FFFFEE'
    done: '#CCFFCC'
    failed: '#FFCCCC'
    running: '#CCE5FF'
    undefined: '#DBFF33'
"""


def _node(dot: str, name: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f'"{name}" ['))


def test_a_saved_cloudmesh_workflow_loads_and_draws_its_fields(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(SAVED)
    (tmp_path / "start.sh").write_text("echo start\n")
    flow = Workflow.load(tmp_path / "flow.yaml")
    jobs = {job.name: job for job in flow.check()}
    assert jobs["fetch"].needs == ["start"] and jobs["end"].needs == ["fetch"]
    assert jobs["start"].label == "{name} {progress}%" and jobs["start"].shape == "diamond"
    assert (jobs["fetch"].shape, jobs["fetch"].style) == ("ellipse", "")
    states = {"start": State.DONE, "fetch": State.FAILED, "end": State.READY}
    statuses = [JobStatus(j.name, states[j.name], needs=j.needs, progress=100) for j in jobs.values()]
    labels = {j.name: j.label or "" for j in jobs.values()}
    dot = build(statuses, labels, flow.spec.label, Look.of(flow.spec, jobs.values())).to_string()
    assert _node(dot, "start") == '"start" [label="start 100%", fillcolor="#CCFFCC", shape=diamond];'
    fetch = _node(dot, "fetch")
    assert 'fillcolor="#FFCCCC"' in fetch and "shape=ellipse" in fetch and "style=filled" in fetch
    assert re.search(r'label="fetch\\n\d\d/\d\d/\d{4}, \d\d:\d\d:\d\d"', fetch)
    assert (
        _node(dot, "end") == '"end" [label="end", fillcolor="#FFFFEE", shape=diamond, style="filled,dashed"];'
    )
    assert '"start" -> "fetch"' in dot and '"fetch" -> "end"' in dot
    result = cli("graph", str(tmp_path / "flow.yaml"), "--out", str(tmp_path / "g.svg"))
    assert result.returncode == 0, result.stderr
    assert 'fill="#ffffee"' in (tmp_path / "g.svg").read_text().lower()  # every job ready


def test_label_time_forms() -> None:
    started, ended = (
        time.mktime((2024, 3, 5, 9, 7, 1, 0, 0, -1)),
        time.mktime((2024, 3, 5, 9, 8, 31, 0, 0, -1)),
    )
    status = JobStatus("a", State.DONE, started=started, ended=ended)
    run = RunTimes(started - 60, ended)
    text = (
        "{now.%m/%d/%Y, %H--%M--%S}|{tstart.%H--%M}|{tend.}|{dt.}|{dt.%M min %S s}|{t0.%H--%M--%S}"
        "|{t1.%Y}|{dt0.%H--%M--%S}|{dt1.}|{created.%H--%M}|{modified.%d/%m}|{started.%H:%M}"
    )
    now = time.mktime((2024, 3, 5, 9, 10, 1, 0, 0, -1))
    assert Label(text, "t").render(status, now=now, run=run) == (
        "03/05/2024, 09:10:01|09:07|03/05/2024, 09:08:31|00:01:30|01 min 30 s|09:06:01"
        "|2024|00:04:00|00:02:30|09:06|05/03|09:07"
    )
    assert Label("{now.}", "t").render(status, now=now) == "03/05/2024, 09:10:01"
    assert Label("{tend.%H}", "t").render(JobStatus("b", State.READY)) == ""  # not ended yet


def test_label_variables_environment_and_quoting(monkeypatch: pytest.MonkeyPatch) -> None:
    Variables()["debug"] = "true"
    monkeypatch.setenv("CM_TEST_WHO", "alice")
    status = JobStatus("a b", State.RUNNING, progress=40, message="it's")
    label = Label("{name!q} {cm.debug} {os.CM_TEST_WHO} {progress} {message!q}", "t")
    assert label.render(status, variables=lambda: dict(Variables())) == "'a b' true alice 40 'it'\"'\"'s'"


@pytest.mark.parametrize(
    ("label", "found"),
    [
        ("{name} {nonsense}", "{nonsense}"),
        ("{name bad}", "{name bad}"),
        ("{cm.surely_unset}", "{cm.surely_unset}"),
        ("{os.CM_SURELY_UNSET}", "{os.CM_SURELY_UNSET}"),
        ("{when.%H--%M}", "{when.%H--%M}"),
    ],
)
def test_an_unresolvable_label_placeholder_stops_the_check(tmp_path: Path, label: str, found: str) -> None:
    text = f"workflow:\n  nodes:\n    a:\n      name: a\n      exec: 'true'\n      label: '{label}'\n"
    (tmp_path / "w.yaml").write_text(text)
    with pytest.raises(InputError) as raised:
        Workflow.load(tmp_path / "w.yaml").check()
    message = str(raised.value)
    assert str(tmp_path / "w.yaml") in message and "label of a" in message and found in message
    result = cli("run", str(tmp_path / "w.yaml"))
    assert result.returncode == 2 and found in result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs: []\n", r"w.yaml:1: field jobs: no jobs"),
        ("name: x\n", r"w.yaml: field jobs: no jobs"),
        ("workflow:\n  nodes: {}\n", r"w.yaml:2: field workflow.nodes: no nodes"),
        (
            "workflow:\n  nodes:\n    a:\n      name: b\n      exec: 'true'\n",
            r"w.yaml:4: field workflow.nodes.a.name: 'b' differs from the node's key 'a'",
        ),
        (
            "jobs:\n  - name: a\n    exec: 'true'\n    colour: red\n",
            r"w.yaml:4: field jobs.0.colour: Extra inputs",
        ),
    ],
)
def test_empty_and_wrong_workflows_are_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "w.yaml").write_text(text)
    with pytest.raises(InputError, match=message):
        Workflow.load(tmp_path / "w.yaml")


def test_a_missing_local_workdir_is_found_by_check(tmp_path: Path) -> None:
    text = "jobs:\n  - name: a\n    exec: 'true'\n    workdir: nowhere\n"
    (tmp_path / "w.yaml").write_text(text)
    result = cli("check", str(tmp_path / "w.yaml"))
    assert result.returncode == 2
    assert f"job 'a': field workdir: no such folder {str(tmp_path / 'nowhere')!r}" in result.stderr
    os.mkdir(tmp_path / "nowhere")
    assert cli("check", str(tmp_path / "w.yaml")).returncode == 0
