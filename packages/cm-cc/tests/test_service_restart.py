"""A server started after its engines died marks their runs interrupted (leftover jobs killed, streams
end, resume works); state and run folders are private; listings come from facts kept at upload."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import time
from pathlib import Path

import httpx
import yaml
from service_fixtures import (  # noqa: F401
    Server,
    api_fixture,
    server_fixture,
    start_server,
    stop_server,
    wait_state,
    workflow_yaml,
)

from cm_cc import Job, Store, Workflow
from cm_common import start_time


def _killed_engine() -> tuple[int, str]:
    """The pid and start time of a process killed with SIGKILL, as an engine killed with its server."""
    engine = subprocess.Popen(["sleep", "100"])
    started = start_time(engine.pid)
    engine.send_signal(signal.SIGKILL)
    engine.wait()
    return engine.pid, started


def test_runs_of_a_dead_engine_become_interrupted_and_resume(cm_home: Path) -> None:
    store = Store()
    workflow = Workflow(
        "crashed", [Job(name="a", exec="echo resumed"), Job(name="b", exec="true", needs=["a"])]
    )
    run = workflow.create_run(store)
    leftover = subprocess.Popen(["sleep", "300"], start_new_session=True)  # job a's process, left behind
    pid, started = _killed_engine()
    store.update_run(run, state="running", pid=pid, pid_start=started, started=time.time())
    store.update_job(run, "a", state="running", pid=leftover.pid, started=time.time())
    store.close()

    running, uv, thread = start_server(cm_home)
    try:
        assert leftover.wait(timeout=10) == -signal.SIGKILL
        with running.client() as api:
            status = api.get(f"api/runs/{run}").json()
            assert (status["state"], status["active"]) == ("interrupted", False)
            jobs = {job["name"]: job for job in status["jobs"]}
            assert jobs["a"]["state"] == "cancelled" and "interrupted" in jobs["a"]["message"]
            assert jobs["b"]["state"] == "ready"
            with api.stream("GET", f"api/runs/{run}/events", timeout=10) as stream:
                events = [line for line in stream.iter_lines() if line.startswith("event:")]
            assert events == ["event: snapshot", "event: end"]
            assert api.post(f"api/runs/{run}/resume", json={}).status_code == 202
            assert wait_state(api, run, ("done", "failed"))["state"] == "done"
            assert api.get(f"api/runs/{run}/jobs/a/log").json()["text"].strip() == "resumed"
    finally:
        stop_server(uv, thread)
        if leftover.poll() is None:
            leftover.kill()


def test_a_live_engine_is_left_alone(cm_home: Path) -> None:
    store = Store()
    run = Workflow("alive", [Job(name="a", exec="true")]).create_run(store)
    engine = subprocess.Popen(["sleep", "60"])
    try:
        store.update_run(run, state="running", pid=engine.pid, pid_start=start_time(engine.pid))
        running, uv, thread = start_server(cm_home)
        try:
            with running.client() as api:
                status = api.get(f"api/runs/{run}").json()
                assert (status["state"], status["active"]) == ("running", True)
        finally:
            stop_server(uv, thread)
    finally:
        engine.kill()
        engine.wait()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_and_run_folders_are_private(api: httpx.Client, server: Server) -> None:
    text = yaml.safe_dump({"name": "p", "jobs": [{"name": "a", "exec": "true", "env": {"SECRET": "s3"}}]})
    assert api.post("api/workflows", content=text).status_code == 201
    run = api.post("api/workflows/p/runs", json={}).json()["id"]
    wait_state(api, run, ("done",))
    cc = server.home / "cc"
    assert _mode(cc / "state.db") == 0o600
    assert _mode(cc / "state.db-wal") == 0o600
    assert _mode(cc / "runs") == 0o700 and _mode(cc / "runs" / run) == 0o700
    assert _mode(cc / "workflows" / "p") == 0o700


def test_an_older_database_becomes_private(cm_home: Path) -> None:
    (cm_home / "cc").mkdir()
    path = cm_home / "cc" / "state.db"
    Store(path).close()
    path.chmod(0o644)
    Store(path).close()
    assert _mode(path) == 0o600


def test_listings_use_the_facts_kept_at_upload(api: httpx.Client, server: Server) -> None:
    assert api.post("api/workflows", content=workflow_yaml("kept")).status_code == 201
    folder = server.home / "cc" / "workflows" / "kept"
    (folder / "workflow.yaml").write_text("jobs: [this no longer parses\n")  # a listing would fail on it
    listing = api.get("api/workflows").json()
    assert [(w["name"], w["job_count"]) for w in listing] == [("kept", 4)]
    assert "jobs" not in listing[0] and listing[0]["size"] > 0
    one = api.get("api/workflows/kept").json()
    assert [job["name"] for job in one["jobs"]] == ["a", "b", "c", "d"]
    assert 'data-workflow="kept"' in api.get("").text


def test_an_upload_without_facts_gets_them_once(api: httpx.Client, server: Server) -> None:
    assert api.post("api/workflows", content=workflow_yaml("old")).status_code == 201
    facts = server.home / "cc" / "workflows" / "old" / ".cm-cc.json"
    facts.unlink()  # as an upload of an earlier version
    assert [w["job_count"] for w in api.get("api/workflows").json()] == [4]
    assert json.loads(facts.read_text())["name"] == "old"
