"""The REST API with httpx against a real uvicorn server (real engines in child processes, real SQLite)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from helpers import gone, wait_until
from service_fixtures import (  # noqa: F401
    Server,
    api_fixture,
    csrf_of,
    server_fixture,
    start_server,
    wait_state,
    workflow_yaml,
)

from cm_cc import Store

ROUTES = [
    ("GET", "api/workflows"),
    ("POST", "api/workflows"),
    ("GET", "api/workflows/demo"),
    ("DELETE", "api/workflows/demo"),
    ("POST", "api/workflows/demo/runs"),
    ("GET", "api/runs"),
    ("GET", "api/runs/r1"),
    ("POST", "api/runs/r1/cancel"),
    ("POST", "api/runs/r1/resume"),
    ("DELETE", "api/runs/r1"),
    ("GET", "api/runs/r1/graph.svg"),
    ("GET", "api/runs/r1/jobs/a/log"),
    ("GET", "api/runs/r1/events"),
    ("GET", "api/openapi.json"),
    ("GET", "api/events"),
]


def _events(client: httpx.Client, run: str) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    with client.stream("GET", f"api/runs/{run}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                found.append((event, json.loads(line[5:])))
    return found


def _start(api: httpx.Client, text: str, name: str = "demo", **options: object) -> str:
    assert api.post("api/workflows", content=text, params={"name": name}).status_code == 201
    response = api.post(f"api/workflows/{name}/runs", json=options)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_health_is_open_and_the_token_file_is_private(server: Server) -> None:
    with server.client(None) as anonymous:
        answer = anonymous.get("api/health")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    token_file = server.home / "cc" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip() == server.token


@pytest.mark.parametrize("token", [None, "wrong-token", "ünïcode"])
def test_every_route_but_health_needs_the_token(server: Server, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}".encode()} if token else {}
    headers["X-CM-Request"] = b"x"  # past the request guard: the token gate answers
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        for method, path in ROUTES:
            answer = client.request(method, path)
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json() == {"detail": "missing or wrong bearer token"}
            assert answer.headers["www-authenticate"] == "Bearer"
        page = client.get("")
        assert page.status_code == 401 and 'name="token"' in page.text


def test_upload_run_watch_status_log_graph(api: httpx.Client) -> None:
    stored = api.post("api/workflows", content=workflow_yaml("demo", sleep=0.2))
    assert stored.status_code == 201
    assert [job["name"] for job in stored.json()["jobs"]] == ["a", "b", "c", "d"]
    assert [w["name"] for w in api.get("api/workflows").json()] == ["demo"]
    run = api.post("api/workflows/demo/runs", json={"parallel": 2}).json()
    assert run["state"] in ("ready", "running") and run["total"] == 4

    seen = _events(api, run["id"])
    assert seen[0][0] == "snapshot" and seen[-1] == ("end", {"state": "done"})
    changes = [c for event, data in seen if event == "update" for c in data]  # type: ignore[union-attr]
    assert {(c["job"], c["state"]) for c in changes} >= {("a", "running"), ("a", "done"), ("d", "done")}
    assert any(c["job"] == "b" and c["progress"] == 50 for c in changes)

    status = wait_state(api, run["id"], ("done",))
    assert status["counts"] == {"done": 4} and status["progress"] == 100.0
    for job in status["jobs"]:
        assert job["state"] == "done" and job["progress"] == 100 and job["exit_code"] == 0
        assert job["started"] <= job["ended"] and job["elapsed"] >= 0.2
    log = api.get(f"api/runs/{run['id']}/jobs/c/log").json()
    assert log["text"].endswith("hello from c\n") and log["end"] == log["size"]
    part = api.get(f"api/runs/{run['id']}/jobs/c/log", params={"offset": 2, "length": 9}).json()
    assert part["text"] == "cloudmesh" and (part["offset"], part["end"]) == (2, 11)
    tail = api.get(f"api/runs/{run['id']}/jobs/c/log", params={"tail": 1}).json()
    assert tail["text"] == "hello from c\n"
    svg = api.get(f"api/runs/{run['id']}/graph.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.count("palegreen") == 4
    assert [r["id"] for r in api.get("api/runs").json()] == [run["id"]]


def test_failure_skips_dependents_and_end_reports_failed(api: httpx.Client) -> None:
    run = _start(api, workflow_yaml("bad", fail=True), "bad")
    assert _events(api, run)[-1] == ("end", {"state": "failed"})
    jobs = {job["name"]: job for job in wait_state(api, run, ("failed",))["jobs"]}
    assert jobs["b"]["state"] == "failed" and jobs["b"]["exit_code"] == 3
    assert jobs["c"]["state"] == "done" and jobs["d"]["state"] == "skipped"
    stderr = api.get(f"api/runs/{run}/jobs/b/log", params={"stream": "stderr"})
    assert stderr.status_code == 200 and stderr.json()["text"] == "b broke\n"
    stdout = api.get(f"api/runs/{run}/jobs/b/log").json()["text"]
    assert stdout.endswith("hello from b\n") and "broke" not in stdout


def _states(api: httpx.Client, run: str) -> dict[str, str]:
    return {job["name"]: job["state"] for job in api.get(f"api/runs/{run}").json()["jobs"]}


def test_cancel_stops_what_runs_and_delete_removes_the_run(api: httpx.Client) -> None:
    jobs = [{"name": "quick", "exec": "true"}, {"name": "slow", "exec": "sleep 60", "needs": ["quick"]}]
    run = _start(api, yaml.safe_dump({"jobs": jobs}), "slow")
    wait_until(lambda: _states(api, run)["slow"] == "running")
    pid = next(job.pid for job in Store().jobs(run) if job.name == "slow")
    assert pid and not gone(pid)
    refused = api.delete(f"api/runs/{run}")
    assert refused.status_code == 409 and "cancel it first" in refused.json()["detail"]
    assert api.post(f"api/runs/{run}/cancel").status_code == 202
    assert wait_state(api, run, ("cancelled",))["counts"] == {"done": 1, "cancelled": 1}
    assert _states(api, run) == {"quick": "done", "slow": "cancelled"}
    wait_until(lambda: gone(pid), 10)
    again = api.post(f"api/runs/{run}/cancel")
    assert again.status_code == 409 and "cancelled already" in again.json()["detail"]
    directory = Path(Store().run(run).directory)
    assert directory.is_dir()
    assert api.delete(f"api/runs/{run}").status_code == 204
    assert not directory.exists()
    assert api.get(f"api/runs/{run}").status_code == 404


def test_resume_runs_only_what_is_not_done(api: httpx.Client, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    text = yaml.safe_dump(
        {
            "jobs": [
                {"name": "first", "exec": f"echo ran >> {tmp_path}/first.txt"},
                {"name": "second", "exec": f"test -e {flag}", "needs": ["first"]},
            ]
        }
    )
    run = _start(api, text, "twice")
    wait_state(api, run, ("failed",))
    flag.touch()
    assert api.post(f"api/runs/{run}/resume").status_code == 202
    assert wait_state(api, run, ("done",))["counts"] == {"done": 2}
    assert (tmp_path / "first.txt").read_text() == "ran\n"
    assert api.post(f"api/runs/{run}/resume").status_code == 409


def test_runs_started_by_the_cli_are_seen_and_streamed(api: httpx.Client, tmp_path: Path) -> None:
    file = tmp_path / "cli.yaml"
    file.write_text(workflow_yaml("from-cli", sleep=0.5))
    process = subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "run", str(file), "-q"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: bool(api.get("api/runs").json()))
        run = api.get("api/runs").json()[0]
        assert run["workflow"] == "from-cli"
        seen = _events(api, run["id"])
        assert seen[-1] == ("end", {"state": "done"})
        assert any(event == "update" for event, _ in seen) or seen[0][1]["state"] == "done"  # type: ignore[index]
    finally:
        assert process.wait(60) == 0


def test_errors_are_json_with_the_right_status(api: httpx.Client) -> None:
    cases = [
        (api.get("api/runs/nope"), 404, "no run 'nope'"),
        (api.get("api/workflows/nope"), 404, "no workflow 'nope'"),
        (api.post("api/workflows/nope/runs"), 404, "no workflow 'nope'"),
        (api.post("api/workflows", content=b""), 400, "empty upload"),
        (api.post("api/workflows", content=b"\xff\xfe bad"), 400, "neither UTF-8"),
        (api.post("api/workflows", content="jobs: [{name: a}]"), 422, "needs exactly one of"),
        (api.post("api/workflows", content="jobs:\n  - name: a\n    exec: x\n    needs: [b]\n"), 422, "b"),
        (
            api.post("api/workflows", content="jobs: [{name: a, script: /etc/passwd}]"),
            422,
            "inside the upload",
        ),
        (api.post("api/workflows", content="jobs: [{name: a, script: ../x.sh}]"), 422, "inside the upload"),
        (api.post("api/workflows", params={"name": "../x"}, content="jobs: []"), 422, "name"),
        (api.get("api/runs/x/jobs/a/log", params={"tail": 0}), 422, "tail"),
        (api.post("api/workflows/x/runs", json={"parallel": 0}), 422, "parallel"),
        (api.get("api/nothing-here"), 404, "Not Found"),
    ]
    for answer, code, text in cases:
        assert answer.status_code == code, answer.text
        assert answer.headers["content-type"] == "application/json" and text in answer.json()["detail"]
    assert not (api.get("api/workflows").json())
    api.post("api/workflows", content=workflow_yaml("twin"))
    duplicate = api.post("api/workflows", content=workflow_yaml("twin"))
    assert duplicate.status_code == 409
    assert (
        api.post("api/workflows", content=workflow_yaml("twin"), params={"replace": "true"}).status_code
        == 201
    )
    assert api.get("api/runs/x/cancel").status_code == 405  # no state change on GET
    assert api.delete("api/workflows/twin").status_code == 204
    assert api.get("api/workflows").json() == []


def test_security_headers_and_no_cors(api: httpx.Client) -> None:
    answer = api.get("api/runs", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    preflight = api.options(
        "api/runs", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers


def test_gui_login_cookie_needs_the_csrf_token_for_changes(server: Server) -> None:
    with server.client(None) as browser:
        form = browser.get("login")
        assert form.status_code == 200
        csrf = csrf_of(form.text)
        assert browser.post("login", data={"token": server.token}).status_code == 403  # no CSRF token
        assert browser.post("login", data={"token": "wrong", "csrf": csrf}).status_code == 401
        login = browser.post("login", data={"token": server.token, "csrf": csrf})
        assert login.status_code == 303 and login.headers["location"] == "./"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path" not in cookie
        assert browser.get("").status_code == 200 and csrf_of(browser.get("").text) == csrf
        assert browser.get("api/runs").status_code == 200
        yaml_type = {"Content-Type": "application/yaml"}
        for header in ("cm-cc", "wrong"):
            refused = browser.post(
                "api/workflows", content=workflow_yaml(), headers={**yaml_type, "X-CM-Request": header}
            )
            assert refused.status_code == 401
        assert browser.get("api/workflows").json() == []
        sent = browser.post(
            "api/workflows", content=workflow_yaml(), headers={**yaml_type, "X-CM-Request": csrf}
        )
        assert sent.status_code == 201
        assert browser.post("logout").status_code == 403
        assert browser.post("logout", data={"csrf": csrf}).status_code == 303
        browser.cookies.clear()
        assert browser.get("api/runs").status_code == 401


def test_pages_render_escaped(api: httpx.Client) -> None:
    text = yaml.safe_dump({"name": "x", "jobs": [{"name": "a", "exec": "true"}]})
    run = _start(api, text, "esc")
    wait_state(api, run, ("done",))
    page = api.get("")
    assert page.status_code == 200 and f'href="./runs/{run}"' in page.text and "esc" in page.text
    run_page = api.get(f"runs/{run}")
    assert 'data-root="../"' in run_page.text and 'href="../static/app.js"' not in run_page.text
    assert 'src="../static/app.js"' in run_page.text and 'tr data-job="a"' in run_page.text
    assert api.get("runs/%3Cscript%3E").status_code == 404
    assert "<script>" not in api.get("runs/%3Cscript%3E").text
    assert api.get("static/app.js").status_code == 200


def test_no_auth_server_needs_no_token(cm_home: Path) -> None:
    running, uv, thread = start_server(cm_home, auth=False)
    try:
        with running.client(None) as client:
            assert client.get("api/runs").status_code == 200
            assert client.post("api/workflows", content=workflow_yaml()).status_code == 201
    finally:
        uv.should_exit = True
        thread.join(20)
    assert not (cm_home / "cc" / "token").exists()


def test_lifespan_passes_the_middleware(cm_home: Path) -> None:
    from cm_cc.service import create_app

    app = create_app("token")
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, str]:
        return inbox.pop(0)

    async def send(message: dict[str, str]) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_an_engine_killed_mid_run_is_cleaned_up_and_can_resume(api: httpx.Client, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    jobs = [{"name": "wait", "exec": f"while [ ! -e {flag} ]; do sleep 0.1; done"}]
    run = _start(api, yaml.safe_dump({"jobs": jobs}), "crash")
    wait_until(lambda: _states(api, run)["wait"] == "running")
    record = Store().run(run)
    job_pid = Store().jobs(run)[0].pid
    assert record.pid and job_pid
    os.kill(record.pid, signal.SIGKILL)
    status = wait_state(api, run, ("failed",))
    assert status["jobs"][0]["message"].startswith("engine exited with code -9")
    wait_until(lambda: gone(job_pid), 10)  # its job did not outlive it
    flag.touch()
    assert api.post(f"api/runs/{run}/resume").status_code == 202
    assert wait_state(api, run, ("done",))["counts"] == {"done": 1}


def test_the_stream_of_every_run_shows_service_and_cli_runs(api: httpx.Client, tmp_path: Path) -> None:
    file = tmp_path / "cli.yaml"
    file.write_text(workflow_yaml("from-cli"))
    seen: dict[str, list[str]] = {}
    with api.stream("GET", "api/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        mine = _start(api, workflow_yaml("here"), "here")
        cli_run = subprocess.Popen(
            [sys.executable, "-m", "cm_cc", "run", str(file), "-q"], env=dict(os.environ)
        )
        for line in lines:
            if line.startswith("data:"):
                for change in json.loads(line[5:]):
                    assert change["job"] is None
                    seen.setdefault(change["run"], []).append(change["state"])
            if len(seen) == 2 and all(states[-1] == "done" for states in seen.values()):
                break
    assert cli_run.wait(60) == 0
    assert "running" in seen.pop(mine)
    assert next(iter(seen.values()))[-1] == "done"  # the CLI's run, followed through the store
    assert api.delete(f"api/runs/{mine}").status_code == 204
