"""cm-cc service under load: clients ask for status and lists while a 500-job run goes.

    python benchmarks/bench_cc_service.py                         # 50 and 200 clients, 20 watchers
    python benchmarks/bench_cc_service.py --jobs 200 --clients 50 --watchers 0

A real ``cm-cc serve`` process (its own CM_HOME under a temp folder, a free loopback port) gets
a workflow of ``--jobs`` jobs in layers of 50 (each ``sleep --sleep`` and a progress line; every
job of a layer needs one job of the layer before). For each number of ``--clients``, the clients
(keep-alive connections, opened before the run starts, spread over ``--processes`` processes)
each ask every ``--interval`` seconds, in turn, for the run's status (``GET /api/runs/RUN``,
every job), the run list and the workflow list while a run goes; ``--watchers`` SSE clients
follow it. ``--repeat`` runs per size. Reported: p50 / p99 / max of each kind of request, the
failed requests (errors, disconnects, non-200 answers; target: none), and the status latency of
one client when idle. Target: status p99 under 100 ms with 200 clients. Writes
``results/cc_service.json`` (seconds per request). Needs ``cm-cc[service]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import httpx
    import yaml
except ImportError:
    sys.exit("bench_cc_service: needs cm-cc[service] (pip install 'packages/cm-cc[service]')")

from _suite import BIN, REPEAT, Series, say, write_result

TARGET_P99_MS = 100.0
KINDS = ("status", "runs", "workflows")
PATHS = {"status": "/api/runs/RUN", "runs": "/api/runs", "workflows": "/api/workflows"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _workflow(jobs: int, sleep: float) -> str:
    width = 50
    body = f"echo '# cloudmesh status=running progress=50'; sleep {sleep}"
    spec = []
    for index in range(jobs):
        layer, slot = divmod(index, width)
        needs = [f"j{(layer - 1) * width + slot}"] if layer else []
        spec.append({"name": f"j{index}", "exec": body, "needs": needs})
    return str(yaml.safe_dump({"name": "bench", "jobs": spec}))


async def _load(
    url: str, headers: dict[str, str], clients: int, watchers: int, interval: float, handoff: Handoff
) -> dict[str, Any]:
    """``clients`` clients polling status and lists (one request every ``interval`` seconds each, as a
    page or a script polls) until the run ends, and ``watchers`` SSE clients. The clients open their
    keep-alive connections before the run starts (a health request each, not measured)."""
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failures: list[str] = []
    over = asyncio.Event()
    # one client, one keep-alive connection: a shared pool of hundreds slows the Python client itself
    made = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for _ in range(clients + watchers)]
    async with contextlib.AsyncExitStack() as stack:
        for client in made:
            await stack.enter_async_context(client)
        await asyncio.gather(*(client.get("api/health") for client in made))
        handoff.ready.put(True)
        run = await asyncio.to_thread(handoff.run.get)
        paths = {"status": f"api/runs/{run}", "runs": "api/runs", "workflows": "api/workflows"}

        async def poll(client: httpx.AsyncClient, first: int) -> None:
            turn = first
            await asyncio.sleep(interval * first / clients)  # spread over the interval, not all at once
            while not over.is_set():
                kind = KINDS[turn % len(KINDS)]
                turn += 1
                tick = time.perf_counter()
                pause = asyncio.create_task(asyncio.sleep(interval))
                try:
                    answer = await client.get(paths[kind])
                except httpx.HTTPError as error:
                    failures.append(f"{kind}: {error.__class__.__name__}: {error}")
                    continue
                latencies[kind].append((time.perf_counter() - tick) * 1000)
                if answer.status_code != 200:
                    failures.append(f"{kind}: HTTP {answer.status_code}")
                elif kind == "status" and answer.json()["state"] in ("done", "failed", "cancelled"):
                    over.set()
                await pause

        async def watch(client: httpx.AsyncClient) -> int:
            """Follow the stream to its end; the snapshot with the events after it must show every job
            done (no event lost); return how many job events came."""
            count, event, states = 0, "", {}
            async with client.stream("GET", f"api/runs/{run}/events") as response:
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "snapshot":
                        states = {job["name"]: job["state"] for job in json.loads(line[5:])["jobs"]}
                    elif line.startswith("data:") and event == "update":
                        changes = [e for e in json.loads(line[5:]) if e.get("job")]
                        states.update({e["job"]: e["state"] for e in changes})
                        count += len(changes)
                    if event == "end":
                        break
            unfinished = sorted(name for name, state in states.items() if state != "done")
            if unfinished:
                failures.append(f"SSE: {len(unfinished)} jobs not done at the end, first {unfinished[0]}")
            return count

        streams = [asyncio.create_task(watch(client)) for client in made[clients:]]
        await asyncio.gather(*(poll(client, index) for index, client in enumerate(made[:clients])))
        events = await asyncio.gather(*streams)
    return {"latencies": latencies, "failures": failures, "events": events}


@dataclass
class Handoff:
    """Queues between the main process and a load process: ready (connections open), the run id."""

    ready: Any
    run: Any


def _loader(
    url: str, headers: dict[str, str], options: argparse.Namespace, part: int, handoff: Handoff, out: Any
) -> None:
    """One process's share of the clients (and, in the first, the watchers)."""
    clients = options.clients // options.processes + (part < options.clients % options.processes)
    load = _load(url, headers, clients, options.watchers if part == 0 else 0, options.interval, handoff)
    out.put(asyncio.run(load))


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = {kind: [value for part in parts for value in part["latencies"][kind]] for kind in KINDS}
    failures = [failure for part in parts for failure in part["failures"]]
    return {
        "latencies": latencies,
        "failures": failures,
        "events": [e for part in parts for e in part["events"]],
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _summary(values: list[float]) -> str:
    median, p99 = statistics.median(values), _p99(values)
    return f"x{len(values)}: p50 {median:.1f} ms, p99 {p99:.1f} ms, max {max(values):.1f} ms"


def _start(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CM_HOME": str(home)}
    server = subprocess.Popen(
        [str(BIN / "cm-cc"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > end or server.poll() is not None:
            sys.exit("bench_cc_service: the server did not start")
        time.sleep(0.1)


def _one_run(client: httpx.Client, url: str, options: argparse.Namespace) -> dict[str, Any]:
    """Start a run of the uploaded workflow once the load processes are connected; measure until it ends."""
    handoff = Handoff(multiprocessing.Queue(), multiprocessing.Queue())
    results: Any = multiprocessing.Queue()
    headers = dict(client.headers)
    loads = [
        multiprocessing.Process(target=_loader, args=(url, headers, options, part, handoff, results))
        for part in range(options.processes)
    ]
    for load in loads:
        load.start()
    for _ in loads:
        handoff.ready.get(timeout=120)
    started = time.perf_counter()
    run = client.post("api/workflows/bench/runs", json={"parallel": options.parallel}).json()["id"]
    for _ in loads:
        handoff.run.put(run)
    measured = _merge([results.get(timeout=600) for _ in loads])
    measured["wall"] = time.perf_counter() - started
    for load in loads:
        load.join(30)
    measured["status"] = client.get(f"api/runs/{run}").json()
    measured["run"] = run
    return measured


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _report(clients: int, runs: list[dict[str, Any]], options: argparse.Namespace) -> None:
    latencies = {kind: [v for r in runs for v in r["latencies"][kind]] for kind in KINDS}
    failures = [f for r in runs for f in r["failures"]]
    walls = ", ".join(f"{r['wall']:.1f} s" for r in runs)
    say(f"{clients} clients, {len(runs)} runs of {options.jobs} jobs ({walls}), {len(failures)} failed:")
    for kind in KINDS:
        say(f"    {kind:9} {_summary(latencies[kind])}")
    for failure in sorted(set(failures))[:5]:
        say(f"    failed: {failure}")
    events = [e for r in runs for e in r["events"]]
    if events:
        say(f"    {options.watchers} SSE clients per run: {min(events)}-{max(events)} job events each")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument(
        "--clients", default="50,200", help="comma-separated numbers of clients asking for status and lists"
    )
    parser.add_argument("--watchers", type=int, default=20, help="SSE clients following each run")
    parser.add_argument("--processes", type=int, default=4, help="client processes (a Python client is slow)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a client's requests")
    parser.add_argument("--sleep", type=float, default=0.2, help="seconds each job sleeps")
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs measured per number of clients")
    options, _ = parser.parse_known_args()  # run.py may pass --full: the sizes here do not grow
    started = time.perf_counter()
    series = {kind: Series(f"{kind}: GET {PATHS[kind]}", "ours") for kind in KINDS}
    notes: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="bench-cc-service-"))
    port = _port()
    url = f"http://127.0.0.1:{port}/"
    server = _start(home, port)
    try:
        headers = {"Authorization": "Bearer " + (home / "cc" / "token").read_text().strip()}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            yaml_type = {"Content-Type": "application/yaml"}
            client.post("api/workflows", content=_workflow(options.jobs, options.sleep), headers=yaml_type)
            for clients in [int(n) for n in options.clients.split(",")]:
                options.clients = clients
                runs = [_one_run(client, url, options) for _ in range(options.repeat)]
                _report(clients, runs, options)
                _add(series, notes, clients, runs, _peak_rss_mib(server.pid))
            idle = []
            for _ in range(200):
                tick = time.perf_counter()
                client.get(f"api/runs/{runs[-1]['run']}").raise_for_status()
                idle.append((time.perf_counter() - tick) * 1000)
            rss = _peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    say(f"idle, one client: status {_summary(idle)}")
    series["status"].add(1, [v / 1000 for v in idle], [rss])
    notes[:0] = [
        f"Each size: {options.repeat} runs of a {options.jobs}-job workflow (layers of 50, each job"
        f" sleeps {options.sleep:g} s, {options.parallel} at once) while the clients (keep-alive, over"
        f" {options.processes} processes) each make a request every {options.interval:g} s, in turn"
        f" status, run list, workflow list, and {options.watchers} SSE clients follow the run.",
        "Seconds are per request; 1 client is the status request when idle, after the runs.",
    ]
    write_result(
        "cc_service",
        "cm-cc serve under load",
        "clients",
        list(series.values()),
        notes,
        started,
        repeat=options.repeat,
    )


def _add(
    series: dict[str, Series], notes: list[str], clients: int, runs: list[dict[str, Any]], rss: float
) -> None:
    """The latencies of every request of these runs, and a note with the p99s and failures."""
    failures = sum(len(r["failures"]) for r in runs)
    total = sum(len(r["latencies"][kind]) for r in runs for kind in KINDS)
    p99s = []
    for kind in KINDS:
        values = [v for r in runs for v in r["latencies"][kind]]
        series[kind].add(clients, [v / 1000 for v in values], [rss])
        p99s.append(f"{kind} {_p99(values):.0f} ms")
    notes.append(f"{clients} clients: p99 {', '.join(p99s)}; {failures} of {total} requests failed")
    if clients >= 200:
        status = _p99([v for r in runs for v in r["latencies"]["status"]])
        verdict = "met" if status < TARGET_P99_MS and not failures else "NOT met"
        notes.append(f"Target, 200 clients: status p99 under {TARGET_P99_MS:.0f} ms, none failed: {verdict}.")


if __name__ == "__main__":
    main()
