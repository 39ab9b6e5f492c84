"""cm-cc service under load: 200 clients ask for status and lists while a 500-job run goes.

    python benchmarks/bench_cc_service.py                         # 500 jobs, 200 clients, 20 watchers
    python benchmarks/bench_cc_service.py --jobs 200 --clients 50 --watchers 0

A real ``cm-cc serve`` process (its own CM_HOME under a temp folder, a free loopback port) gets
a workflow of ``--jobs`` jobs in layers of 50 (each ``sleep --sleep`` and a progress line; every
job of a layer needs one job of the layer before). While it runs, ``--clients`` concurrent clients
(keep-alive connections, spread over ``--processes`` processes) each ask every ``--interval``
seconds, in turn, for the run's status (``GET /api/runs/RUN``, every job), the run list and the
workflow list; ``--watchers`` SSE clients follow the run. Reported: p50 / p99 / max of each kind
of request, the failed requests (errors, disconnects, non-200 answers; target: none), and the
status latency of one client once the run is over (idle). Target: status p99 under 100 ms with
200 clients. Needs ``cm-cc[service]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import httpx
    import yaml
except ImportError:
    sys.exit("bench_cc_service: needs cm-cc[service] (pip install 'packages/cm-cc[service]')")

TARGET_P99_MS = 100.0
KINDS = ("status", "runs", "workflows")


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
    url: str, headers: dict[str, str], run: str, clients: int, watchers: int, interval: float
) -> dict[str, Any]:
    """``clients`` clients polling status and lists (one request every ``interval`` seconds each, as a
    page or a script polls) until the run ends, and ``watchers`` SSE clients."""
    paths = {"status": f"api/runs/{run}", "runs": "api/runs", "workflows": "api/workflows"}
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failures: list[str] = []
    over = asyncio.Event()

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
        count = 0
        async with client.stream("GET", f"api/runs/{run}/events") as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    count += line.count('"job"') or 1
                if line == "event: end":
                    break
        return count

    limits = httpx.Limits(
        max_connections=clients + watchers + 5, max_keepalive_connections=clients + watchers + 5
    )
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        streams = [asyncio.create_task(watch(client)) for _ in range(watchers)]
        await asyncio.gather(*(poll(client, index) for index in range(clients)))
        events = await asyncio.gather(*streams)
    return {"latencies": latencies, "failures": failures, "events": events}


def _loader(
    url: str, headers: dict[str, str], run: str, options: argparse.Namespace, part: int, out: Any
) -> None:
    """One process's share of the clients (and, in the first, the watchers)."""
    clients = options.clients // options.processes + (part < options.clients % options.processes)
    load = _load(url, headers, run, clients, options.watchers if part == 0 else 0, options.interval)
    out.put(asyncio.run(load))


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = {kind: [value for part in parts for value in part["latencies"][kind]] for kind in KINDS}
    failures = [failure for part in parts for failure in part["failures"]]
    return {
        "latencies": latencies,
        "failures": failures,
        "events": [e for part in parts for e in part["events"]],
    }


def _summary(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (
        f"x{len(values)}: p50 {statistics.median(values):.1f} ms, p99 {p99:.1f} ms, max {values[-1]:.1f} ms"
    )


def _start(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CM_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "serve", "--port", str(port)],
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=200, help="clients asking for status and lists")
    parser.add_argument("--watchers", type=int, default=20, help="SSE clients following the run")
    parser.add_argument("--processes", type=int, default=4, help="client processes (a Python client is slow)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a client's requests")
    parser.add_argument("--sleep", type=float, default=0.2, help="seconds each job sleeps")
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-cc-service-"))
    port = _port()
    url = f"http://127.0.0.1:{port}/"
    server = _start(home, port)
    try:
        headers = {"Authorization": "Bearer " + (home / "cc" / "token").read_text().strip()}
        yaml_type = {"Content-Type": "application/yaml"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            client.post("api/workflows", content=_workflow(args.jobs, args.sleep), headers=yaml_type)
            started = time.perf_counter()
            run = client.post("api/workflows/bench/runs", json={"parallel": args.parallel}).json()["id"]
            results: Any = multiprocessing.Queue()
            loads = [
                multiprocessing.Process(target=_loader, args=(url, headers, run, args, part, results))
                for part in range(args.processes)
            ]
            for load in loads:
                load.start()
            measured = _merge([results.get(timeout=600) for _ in loads])
            wall = time.perf_counter() - started
            for load in loads:
                load.join(30)
            status = client.get(f"api/runs/{run}").json()
            idle = []
            for _ in range(200):
                tick = time.perf_counter()
                client.get(f"api/runs/{run}").raise_for_status()
                idle.append((time.perf_counter() - tick) * 1000)
    finally:
        server.terminate()
        server.wait(30)

    latencies, failures = measured["latencies"], measured["failures"]
    total = sum(len(values) for values in latencies.values())
    print(
        f"cm-cc service: {args.jobs}-job run (parallel {args.parallel}, sleep {args.sleep} s): {wall:.1f} s,"
    )
    print(f"  state {status['state']}, counts {status['counts']}")
    print(
        f"  {args.clients} clients, a request each every {args.interval:g} s, while it ran"
        f" ({total} requests, {len(failures)} failed):"
    )
    for kind in KINDS:
        print(f"    {kind:9} {_summary(latencies[kind])}")
    for failure in sorted(set(failures))[:5]:
        print(f"    failed: {failure}")
    if args.watchers:
        events = measured["events"]
        print(f"  {args.watchers} SSE clients: {min(events)}-{max(events)} job events each (all ended)")
    print(f"  idle, one client: status {_summary(idle)}")
    p99 = sorted(latencies["status"])[min(len(latencies["status"]) - 1, int(len(latencies["status"]) * 0.99))]
    verdict = "met" if p99 < TARGET_P99_MS and not failures else "NOT met"
    print(f"  target status p99 < {TARGET_P99_MS:.0f} ms and no failed request: {verdict}")


if __name__ == "__main__":
    main()
