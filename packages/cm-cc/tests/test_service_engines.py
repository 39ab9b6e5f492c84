"""How the service starts engines and feeds its event streams: the spare engine, clients joining mid-run."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import httpx
import psutil
import yaml
from helpers import gone, wait_until
from service_fixtures import start_server, stop_server

from cm_cc import Store
from cm_cc.service._runs import RECENT, EventBus


def _spares() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):  # a child that ends meanwhile
            if "--spare" in child.cmdline():
                found.append(child)
    return found


def _wide(name: str, count: int, sleep: float) -> str:
    jobs = [{"name": f"j{i}", "exec": f"sleep {sleep}"} for i in range(count)]
    return str(yaml.safe_dump({"name": name, "jobs": jobs}))


def _follow(url: str, headers: dict[str, str], run: str, seen: list[dict[str, str]]) -> None:
    """Read the run's stream to its end: the snapshot's job states with every update after it."""
    states: dict[str, str] = {}
    event = ""
    with httpx.stream("GET", f"{url}api/runs/{run}/events", headers=headers, timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "snapshot":
                states = {job["name"]: job["state"] for job in json.loads(line[5:])["jobs"]}
            elif line.startswith("data:") and event == "update":
                states.update({e["job"]: e["state"] for e in json.loads(line[5:]) if e.get("job")})
            elif line.startswith("data:") and event == "end":
                states[""] = json.loads(line[5:])["state"]
                break
    seen.append(states)


def test_a_run_starts_in_the_waiting_spare_engine_and_the_spare_ends_with_the_server(cm_home: Path) -> None:
    running, uv, thread = start_server(cm_home)
    runs = uv.config.app.state.service.runs
    try:
        wait_until(lambda: runs.spare is not None)
        spare = runs.spare
        assert [p.pid for p in _spares()] == [spare]
        with running.client() as api:
            assert api.post("api/workflows", content=_wide("w", 2, 0)).status_code == 201
            run = api.post("api/workflows/w/runs", json={}).json()["id"]
            wait_until(lambda: api.get(f"api/runs/{run}").json()["state"] == "done")
        record = Store().run(run)
        assert record.pid == spare  # the spare took the run: its pid is the engine's
        assert (Path(record.directory) / "engine.log").exists()
        wait_until(lambda: runs.spare not in (None, spare))  # the next spare, a little later
        last = runs.spare
    finally:
        stop_server(uv, thread)
    wait_until(lambda: gone(last))  # the server's end closes the spare's stdin: it exits
    assert _spares() == []


def test_clients_joining_mid_run_see_every_job_end(cm_home: Path) -> None:
    server, uv, thread = start_server(cm_home)
    runs = uv.config.app.state.service.runs
    try:
        with server.client() as api:
            assert api.post("api/workflows", content=_wide("w", 40, 0.05)).status_code == 201
            run = api.post("api/workflows/w/runs", json={"parallel": 4}).json()["id"]
            # the run is this server's: new clients may start from a shared status and the events since
            assert runs.owned_since(run) is not None
            seen: list[dict[str, str]] = []
            threads = []
            for _ in range(8):  # they join while jobs start and end
                follower = threading.Thread(target=_follow, args=(server.url, dict(api.headers), run, seen))
                threads.append(follower)
                follower.start()
                time.sleep(0.05)
            for follower in threads:
                follower.join(60)
    finally:
        stop_server(uv, thread)
    assert len(seen) == 8
    for states in seen:
        assert states.pop("") == "done"
        assert states == {f"j{i}": "done" for i in range(40)}


def test_kept_events_are_replayed_only_while_none_is_forgotten() -> None:
    bus = EventBus()
    begun = time.monotonic()
    bus.publish("r", {"run": "r", "job": "a", "state": "running"})
    bus.publish("r", {"run": "r", "job": "a", "state": "done"})
    replay = bus.since("r", begun, time.monotonic())
    assert replay is not None and [json.loads(text)["state"] for text, _ in replay] == ["running", "done"]
    assert bus.since("r", time.monotonic(), time.monotonic()) == []
    bus._recent["r"][0] = (begun - RECENT - 1, bus._recent["r"][0][1])  # the first event grows old
    bus.publish("r", {"run": "r", "job": "b", "state": "running"})
    assert bus.since("r", begun - RECENT - 2, time.monotonic()) is None  # it is gone: no replay
    assert bus.since("r", begun, time.monotonic()) is not None
