"""The CLI end to end: background services in the registry, call, client, bench, users, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from helpers import EXAMPLES, cm_gas

from cm_gas import Client, ServiceError
from cm_gas._registry import Registry


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def calc(cm_home: Path) -> str:
    """The calculator served in the background as 'calc'; its URL."""
    started = cm_gas(
        "serve", f"{EXAMPLES / 'calculator.py'}", "--all", "--port", "0", "--background", "--name", "calc"
    )
    assert started.returncode == 0, started.stderr
    url: str = Registry().get("calc").url
    yield url
    cm_gas("stop", "calc")


def test_background_service_list_call_logs_stop(calc: str, cm_home: Path) -> None:
    listed = json.loads(cm_gas("list", "-o", "json").stdout)
    assert [(row["name"], row["state"], row["url"]) for row in listed] == [("calc", "running", calc)]
    assert listed[0]["spec"] == calc + "openapi.json"
    assert (cm_home / "gas" / "run" / "calc.pid").read_text().split()[0] == str(listed[0]["pid"])
    call = cm_gas("call", calc, "add", "x=1", "y=2.5")
    assert (call.returncode, call.stdout) == (0, "3.5\n")
    assert cm_gas("call", calc, "total", "values=[1, 2, 3]").stdout == "6\n"
    refused = cm_gas("call", calc, "divide", "x=1", "y=0")
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: divide: HTTP 400: ValueError: y must not be zero\n",
    )
    typed = cm_gas("call", calc, "add", "x=one")
    assert typed.returncode == 2 and typed.stderr.startswith("error: x=one: not a number")
    unknown = cm_gas("call", calc, "nope")
    assert (
        unknown.returncode == 2
        and "has no function 'nope' (it has add, divide, noop, total)" in unknown.stderr
    )
    wrong = cm_gas("call", calc, "add", "x=1", "--token", "wrong")
    assert (wrong.returncode, wrong.stderr) == (2, "error: add: HTTP 401: missing or wrong credentials\n")
    functions = json.loads(cm_gas("client", calc, "-o", "json").stdout)
    assert {
        "name": "add",
        "method": "POST",
        "path": "/add",
        "call": "add(x: number, y: number = 0.0)",
        "summary": "Add two numbers.",
    } in functions
    assert '"POST /add HTTP/1.1" 200' in cm_gas("logs", "calc").stdout
    again = cm_gas("serve", f"{EXAMPLES / 'calculator.py'}", "--all", "--background", "--name", "calc")
    assert again.returncode == 2 and f"already runs at {calc}" in again.stderr
    stopped = cm_gas("stop", "calc")
    assert (stopped.returncode, stopped.stderr) == (0, "stopped calc\n")
    with pytest.raises(httpx.ConnectError):
        httpx.get(calc + "health")
    assert cm_gas("list").stderr.startswith("no services")


def test_a_dead_service_is_noticed_and_forgotten(calc: str) -> None:
    pid = Registry().get("calc").pid
    os.killpg(pid, signal.SIGKILL)
    end = time.monotonic() + 10
    while Registry().get("calc").alive and time.monotonic() < end:
        time.sleep(0.05)
    listed = json.loads(cm_gas("list", "-o", "json").stdout)
    assert listed[0]["state"] == "dead"
    forgotten = cm_gas("stop", "calc")
    assert (forgotten.returncode, forgotten.stderr) == (0, "calc was not running; forgotten\n")
    assert Registry().entries() == []
    missing = cm_gas("stop", "calc")
    assert (missing.returncode, missing.stderr) == (2, "error: no service 'calc' (known: none)\n")


def test_bench_reports_latency_and_throughput(calc: str) -> None:
    done = cm_gas("bench", calc, "add", "--args", "x=1 y=2", "-n", "60", "-c", "4", "-o", "json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["function"], row["requests"], row["concurrency"], row["errors"]) == ("add", 60, 4, 0)
    assert 0 < row["min_ms"] <= row["median_ms"] <= row["p99_ms"] and row["throughput"] > 0
    csv = cm_gas("bench", calc, "divide", "-a", "x=1", "-a", "y=0", "-n", "5", "-c", "1", "-o", "csv")
    header, line = csv.stdout.splitlines()
    assert header.startswith("function,requests,concurrency,errors") and line.startswith("divide,5,1,5,")


def test_workers_and_basic_users(cm_home: Path) -> None:
    added = cm_gas("user", "add", "alice", "--password-stdin", stdin="correct horse\n")
    assert (added.returncode, added.stderr) == (0, "added alice\n")
    assert cm_gas("user", "list", "-o", "json").stdout.count('"alice"') == 1
    started = cm_gas(
        "serve",
        f"{EXAMPLES / 'model.py'}:Model",
        "--port",
        "0",
        "--auth",
        "basic",
        "--workers",
        "2",
        "--background",
        "--name",
        "model",
    )
    assert started.returncode == 0, started.stderr
    entry = Registry().get("model")
    try:
        end = time.monotonic() + 30
        while len(_children(entry.pid)) < 2 and time.monotonic() < end:
            time.sleep(0.1)
        assert len(_children(entry.pid)) >= 2  # uvicorn's manager and its two workers
        with Client(entry.url, user="alice", password="correct horse") as gas:
            assert 0 < gas.Model.predict(features=[1, 2, 3]) < 1
            assert gas.call("Model.version") == "tiny-1"
        with (
            Client(entry.url, user="alice", password="wrong password") as gas,
            pytest.raises(ServiceError) as error,
        ):
            gas.call("Model.version")
        assert error.value.status == 401
        call = cm_gas(
            "call", entry.url, "Model.sigmoid", "x=0", "--user", "alice", "--password", "correct horse"
        )
        assert call.stdout == "0.5\n"
    finally:
        assert cm_gas("stop", "model").returncode == 0
    assert cm_gas("user", "remove", "alice").returncode == 0
    gone = cm_gas("user", "remove", "alice")
    assert gone.returncode == 2 and gone.stderr.count("\n") == 1


def test_serve_refuses_unsafe_or_bad_options(tmp_path: Path) -> None:
    everywhere = "0.0.0.0"  # noqa: S104 - refused, never bound
    open_bind = cm_gas("serve", f"{EXAMPLES / 'calculator.py'}:add", "--host", everywhere, "--auth", "none")
    assert (open_bind.returncode, open_bind.stderr) == (
        2,
        "error: --auth none is allowed only on a loopback address, not '0.0.0.0'\n",
    )
    loose = tmp_path / "loose.py"
    loose.write_text("def f(x) -> int:\n    return 1\n")
    failed = cm_gas("serve", f"{loose}:f", "--background", "--name", "loose")
    assert (failed.returncode, failed.stderr) == (
        2,
        f"error: {loose}:1: f: parameter 'x' has no type annotation\n",
    )
    assert Registry().entries() == []
    bad_name = cm_gas("serve", f"{EXAMPLES / 'calculator.py'}:add", "--background", "--name", "../x")
    assert bad_name.returncode == 2 and "--name '../x'" in bad_name.stderr
