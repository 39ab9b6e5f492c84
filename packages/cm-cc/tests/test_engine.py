"""The engine on real local processes: order, parallelism, failure and skip, retries, timeout, cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pytest
from helpers import cli, gone, wait_until, write_workflow
from hypothesis import given, settings
from hypothesis import strategies as st

from cm_cc import Engine, Event, Job, State, Store, Workflow


def states(flow: Workflow) -> dict[str, State]:
    return {job.name: job.state for job in flow.status()}


def test_failure_skips_dependents_while_an_independent_branch_goes_on(tmp_path: Path) -> None:
    flow = Workflow(
        "branches",
        [
            Job(name="a", exec="true"),
            Job(name="bad", exec="echo '# cloudmesh status=done progress=100'; exit 1", needs=["a"]),
            Job(name="after-bad", exec="true", needs=["bad"]),
            Job(name="later", exec="true", needs=["after-bad"]),
            Job(name="good", exec=f"touch {tmp_path / 'good'}", needs=["a"]),
            Job(name="after-good", exec="true", needs=["good"]),
        ],
    )
    result = flow.run(parallel=2)
    assert result.state == "failed"
    assert states(flow) == {
        "a": State.DONE,
        "bad": State.FAILED,
        "after-bad": State.SKIPPED,
        "later": State.SKIPPED,
        "good": State.DONE,
        "after-good": State.DONE,
    }
    bad = next(job for job in flow.status() if job.name == "bad")
    assert bad.exit_code == 1 and bad.progress == 100
    assert (tmp_path / "good").exists()


def test_ready_jobs_run_at_the_same_time(tmp_path: Path) -> None:
    def meet(me: str, other: str) -> Job:
        waits = f"touch {me}; for i in $(seq 400); do [ -f {other} ] && exit 0; sleep 0.05; done; exit 1"
        return Job(name=me, exec=waits, workdir=str(tmp_path))

    flow = Workflow("meet", [meet("left", "right"), meet("right", "left")])
    assert flow.run(parallel=2).state == "done"


def test_dependencies_run_in_order(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    jobs = [Job(name=f"s{i}", exec=f"echo s{i} >> {log}", needs=[f"s{i - 1}"] if i else []) for i in range(8)]
    assert Workflow("chain", jobs).run(parallel=4).state == "done"
    assert log.read_text().split() == [f"s{i}" for i in range(8)]


def test_retries_with_backoff_until_it_works(tmp_path: Path) -> None:
    counter = tmp_path / "tries"
    flaky = f"echo x >> {counter}; [ $(wc -l < {counter}) -ge 3 ]"
    flow = Workflow("flaky", [Job(name="flaky", exec=flaky, retries=3, backoff=0.01)])
    assert flow.run().state == "done"
    job = flow.status()[0]
    assert job.attempt == 3 and job.state == State.DONE
    assert counter.read_text().count("x") == 3


def test_retries_run_out(tmp_path: Path) -> None:
    flow = Workflow("never", [Job(name="never", exec="exit 7", retries=2, backoff=0.0)])
    assert flow.run().state == "failed"
    job = flow.status()[0]
    assert (job.attempt, job.exit_code, job.state) == (3, 7, State.FAILED)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    script = "sleep 300 & echo $! > child.pid; wait"
    flow = Workflow("slow", [Job(name="slow", exec=script, workdir=str(tmp_path), timeout=2)])
    flow.run()
    job = flow.status()[0]
    assert job.state == State.TIMEOUT and job.message == "timed out after 2 s"
    assert job.pid is not None and job.pid > 1
    children = [int(pid) for pid in (tmp_path / "child.pid").read_text().split()]
    assert children
    # signalled before the run ended; on a loaded machine the kernel may take a moment to end them
    pids = [job.pid, *children]
    wait_until(lambda: all(gone(pid) for pid in pids), limit=5)


def test_cancel_from_an_event_hook_stops_running_and_waiting_jobs(tmp_path: Path) -> None:
    flow = Workflow(
        "cancel",
        [
            Job(
                name="long",
                exec="sleep 300 & echo $! > child.pid; echo '# cloudmesh progress=10'; wait",
                workdir=str(tmp_path),
            ),
            Job(name="next", exec="true", needs=["long"]),
        ],
    )
    store = Store()
    run = flow.create_run(store)
    engine = Engine(run, store=store)

    def hook(event: Event) -> None:
        if event.job == "long" and event.progress == 10:
            engine.cancel()

    engine.hooks.append(hook)
    result = asyncio.run(engine.run())
    assert result.state == "cancelled"
    assert {job.name: job.state for job in store.jobs(run)} == {
        "long": State.CANCELLED,
        "next": State.CANCELLED,
    }
    assert gone(int((tmp_path / "child.pid").read_text()))


def test_fail_fast_cancels_what_runs(tmp_path: Path) -> None:
    flow = Workflow(
        "ff",
        [
            Job(name="long", exec=f"touch {tmp_path / 'started'}; sleep 300"),
            Job(name="bad", exec=f"while [ ! -f {tmp_path / 'started'} ]; do sleep 0.05; done; exit 2"),
        ],
    )
    assert flow.run(parallel=2, fail_fast=True).state == "failed"
    assert states(flow) == {"long": State.CANCELLED, "bad": State.FAILED}


def test_progress_and_events_from_a_python_job(tmp_path: Path) -> None:
    source = tmp_path / "job.py"
    source.write_text("from cm_cc import progress\nfor p in (10, 60, 90):\n    progress(p)\nprint('ok')\n")
    events: list[Event] = []
    flow = Workflow("py", [Job(name="py", python=str(source))])
    assert flow.run(on_event=events.append).state == "done"
    seen = [event.progress for event in events if event.job == "py" and event.state == "running"]
    assert [p for p in (10, 60, 90) if p in seen] == [10, 60, 90]
    assert [event.state for event in events if event.job is None] == ["running", "done"]


def test_env_workdir_and_the_run_folder(tmp_path: Path, cm_home: Path) -> None:
    flow = Workflow(
        "env",
        [
            Job(
                name="env",
                exec='echo "$GREETING from $(pwd)"',
                env={"GREETING": "hi there"},
                workdir=str(tmp_path),
            )
        ],
    )
    result = flow.run()
    folder = Path(result.directory) / "env"
    assert folder.parent.parent == cm_home / "cc" / "runs"
    assert (folder / "stdout").read_text() == f"hi there from {tmp_path}\n"
    assert "export GREETING='hi there'" in (folder / "job.sh").read_text()


def test_a_notebook_job_gets_its_parameters(tmp_path: Path) -> None:
    book = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell("size = 1", metadata={"tags": ["parameters"]})
    book.cells = [
        tagged,
        nbformat.v4.new_code_cell(f"open({str(tmp_path / 'size.txt')!r}, 'w').write(str(size))"),
    ]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, tmp_path / "book.ipynb")
    flow = Workflow("nb", [Job(name="nb", notebook=str(tmp_path / "book.ipynb"), parameters={"size": 42})])
    result = flow.run()
    assert result.state == "done", (Path(result.directory) / "nb" / "stderr").read_text()[-2000:]
    assert (tmp_path / "size.txt").read_text() == "42"
    assert (Path(result.directory) / "nb" / "output.ipynb").exists()


def test_cli_run_status_runs_logs_and_cancel(tmp_path: Path) -> None:
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "name": "cli",
            "jobs": [
                {"name": "hello", "exec": "echo hello world"},
                {"name": "wait", "exec": f"echo $$ > {tmp_path / 'pid'}; sleep 300", "needs": ["hello"]},
            ],
        },
    )
    import subprocess
    import sys

    engine = subprocess.Popen([sys.executable, "-m", "cm_cc", "run", str(flow), "-q"], stderr=subprocess.PIPE)
    store = Store()
    wait_until(lambda: bool(store.runs()) and (tmp_path / "pid").exists())
    run = store.runs()[0].id
    wait_until(lambda: {j.name: j.state for j in store.jobs(run)}["wait"] == State.RUNNING)
    status = json.loads(cli("status", run, "-o", "json", check=True).stdout)
    assert {row["name"]: row["state"] for row in status} == {"hello": "done", "wait": "running"}
    assert cli("logs", run, "hello", check=True).stdout == "hello world\n"
    assert json.loads(cli("runs", "-o", "json", check=True).stdout)[0]["id"] == run
    assert "asked engine" in cli("cancel", run, check=True).stderr
    assert engine.wait(timeout=60) == 1
    assert {j.name: j.state for j in store.jobs(run)}["wait"] == State.CANCELLED
    assert gone(int((tmp_path / "pid").read_text()))
    assert cli("logs", run, "nope").returncode == 2


def test_settings_give_the_default_parallelism(tmp_path: Path, cm_home: Path) -> None:
    (cm_home / "settings.yaml").write_text("cc:\n  parallel: 3\n")
    flow = write_workflow(tmp_path / "wf.yaml", {"jobs": [{"name": "a", "exec": "true"}]})
    assert cli("run", str(flow), "-q").returncode == 0
    assert Store().runs()[0].parallel == 3
    (cm_home / "settings.yaml").write_text("cc:\n  parallel: 0\n")
    result = cli("run", str(flow), "-q")
    assert result.returncode == 2 and "field cc.parallel" in result.stderr


def test_a_broken_event_hook_does_not_stop_the_run(caplog: pytest.LogCaptureFixture) -> None:
    heard: list[tuple[str | None, str]] = []

    def broken(event: Event) -> None:
        heard.append((event.job, event.state))
        raise ValueError("hook bug")

    assert Workflow("hooked", [Job(name="a", exec="true")]).run(on_event=broken).state == "done"
    assert heard[0] == (None, "running") and ("a", "done") in heard and heard[-1] == (None, "done")
    logged = [r for r in caplog.records if "on_event hook" in r.message and r.exc_info]
    assert len(logged) == len(heard) and all(str(r.exc_info[1]) == "hook bug" for r in logged if r.exc_info)


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 8), st.data())
def test_random_dags_run_in_order_and_skip_exactly_below_failures(size: int, data: st.DataObject) -> None:
    import tempfile

    needs = [
        sorted(set(data.draw(st.lists(st.integers(0, i - 1), max_size=2)))) if i else [] for i in range(size)
    ]
    failing = set(data.draw(st.lists(st.integers(0, size - 1), max_size=2)))
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "log"
        jobs = [
            Job(
                name=f"j{i}",
                exec=f"echo start j{i} >> {log}; echo end j{i} >> {log}; exit {int(i in failing)}",
                needs=[f"j{n}" for n in need],
            )
            for i, need in enumerate(needs)
        ]
        flow = Workflow("random", jobs)
        flow.run(parallel=3)
        lines = log.read_text().splitlines() if log.exists() else []
    below: set[int] = set()
    for i, need in enumerate(needs):
        if any(n in failing or n in below for n in need):
            below.add(i)
    expected = {
        f"j{i}": State.SKIPPED if i in below else State.FAILED if i in failing else State.DONE
        for i in range(size)
    }
    assert states(flow) == expected
    for i, need in enumerate(needs):
        if i not in below:
            start = lines.index(f"start j{i}")
            assert all(lines.index(f"end j{n}") < start for n in need)


def test_the_engine_runs_in_a_worker_thread_and_the_store_is_readable_meanwhile(tmp_path: Path) -> None:
    import threading

    gate = tmp_path / "gate"
    flow = Workflow(
        "threaded", [Job(name="wait", exec=f"while [ ! -f {gate} ]; do sleep 0.05; done; echo ok")]
    )
    results = []
    worker = threading.Thread(target=lambda: results.append(flow.run()))
    worker.start()
    wait_until(lambda: flow.last_run is not None and flow.status()[0].state == State.RUNNING)
    assert Store().run(flow.last_run).state == "running"
    gate.touch()
    worker.join(timeout=60)
    assert results[0].state == "done"
