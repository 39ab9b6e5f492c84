"""``cm-cc serve`` and ``cm-cc remote ...`` as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import cli, wait_until
from service_fixtures import free_port, workflow_yaml


@pytest.fixture
def served(cm_home: Path) -> Iterator[str]:
    """``cm-cc serve`` on a free port, as its own process; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return httpx.get(url + "api/health").status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, 30)
    yield url
    process.send_signal(signal.SIGINT)
    process.wait(20)


def test_serve_and_remote_commands(served: str, cm_home: Path, tmp_path: Path) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(workflow_yaml("demo"))
    remote = ("remote", "--url", served)
    assert "uploaded workflow demo (4 jobs)" in cli(*remote, "upload", str(file), check=True).stderr
    listed = json.loads(cli(*remote, "workflows", "--output", "json", check=True).stdout)
    assert [w["name"] for w in listed] == ["demo"]
    waited = cli(*remote, "run", "demo", "--wait", "--output", "json", check=True)
    assert {job["state"] for job in json.loads(waited.stdout)} == {"done"}
    runs = json.loads(cli(*remote, "runs", "--output", "json", check=True).stdout)
    run = runs[0]["id"]
    assert runs[0]["state"] == "done" and runs[0]["done"] == 4
    status = json.loads(cli(*remote, "status", run, "--output", "json", check=True).stdout)
    assert [job["name"] for job in status] == ["a", "b", "c", "d"]
    assert cli(*remote, "logs", run, "b", "--tail", "1", check=True).stdout == "hello from b\n"
    svg = tmp_path / "run.svg"
    cli(*remote, "graph", run, "--out", str(svg), check=True)
    assert svg.read_text().count("palegreen") == 4
    cancelled = cli(*remote, "cancel", run)
    assert cancelled.returncode == 2 and "done already" in cancelled.stderr
    assert cli(*remote, "delete", run, check=True).returncode == 0
    missing = cli(*remote, "status", run)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "404" in missing.stderr
    # the CLI sees the same state: runs started through the service are ordinary runs
    assert json.loads(cli("runs", "--output", "json", check=True).stdout) == []


def test_remote_status_of_a_large_run_is_a_summary(served: str, tmp_path: Path) -> None:
    jobs = [{"name": f"j{i}", "exec": "false" if i == 3 else "true"} for i in range(45)]
    file = tmp_path / "many.yaml"
    file.write_text(json.dumps({"name": "many", "jobs": jobs}))
    remote = ("remote", "--url", served)
    cli(*remote, "upload", str(file), check=True)
    waited = cli(*remote, "run", "many", "--wait")
    assert waited.returncode == 1
    assert "45 jobs" in waited.stdout and "1 job not done" in waited.stdout and "j4 " not in waited.stdout
    run = waited.stderr.split("every job: cm-cc remote status ")[1].split()[0]
    short = cli(*remote, "status", run)
    assert "j3 " in short.stdout and "j4 " not in short.stdout
    every = cli(*remote, "status", run, "--all")
    assert all(f"j{i} " in every.stdout for i in range(45))


def test_remote_run_and_cancel(served: str, tmp_path: Path) -> None:
    file = tmp_path / "slow.yaml"
    file.write_text("name: slow\njobs:\n  - name: wait\n    exec: sleep 60\n")
    remote = ("remote", "--url", served)
    cli(*remote, "upload", str(file), check=True)
    run = cli(*remote, "run", "slow", check=True).stdout.strip()
    wait_until(
        lambda: (
            json.loads(cli("status", run, "--output", "json").stdout or "[{}]")[0].get("state") == "running"
        )
    )
    assert cli(*remote, "cancel", run, check=True).returncode == 0
    watched = cli(*remote, "watch", run)
    assert watched.returncode == 1 and f"run {run} cancelled" in watched.stderr


def test_remote_without_a_token_is_refused(served: str, cm_home: Path) -> None:
    (cm_home / "cc" / "token").unlink()
    refused = cli("remote", "--url", served, "runs")
    assert refused.returncode == 2 and "401" in refused.stderr and "Traceback" not in refused.stderr


def test_serve_refuses_no_auth_off_loopback() -> None:
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):  # noqa: S104 - refused, never bound
        result = cli("serve", "--no-auth", "--host", host)
        assert result.returncode == 2
        assert (
            result.stderr.strip() == f"error: --no-auth is allowed only on a loopback address, not '{host}'"
        )


def test_serve_without_the_service_extra_says_how_to_get_it() -> None:
    # the service's packages made unimportable, as in an install without cm-cc[service]
    code = "import sys; sys.modules['uvicorn'] = None; from cm_cc.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "serve"], capture_output=True, text=True, env=dict(os.environ)
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "error: the service needs its extra packages: pip install 'cm-cc[service]'"
    )
