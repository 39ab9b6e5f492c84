"""cm-cc service under load: 50 SSE clients watch a 500-job run while the status endpoint is timed.

    python benchmarks/bench_cc_service.py                 # 500 jobs, 50 watchers
    python benchmarks/bench_cc_service.py --jobs 200 --clients 20

A real ``cm-cc serve`` process (its own CM_HOME under a temp folder, a free loopback port) gets
a workflow of ``--jobs`` jobs in layers of 50 (each ``sleep --sleep`` and a progress line; every
job of a layer needs one job of the layer before). ``--clients`` SSE clients, in their own process,
follow the run from its start; this process meanwhile asks ``GET /api/runs/RUN`` (the whole status,
every job) back to back and reports its p50 / p99 / max latency (target: p99 under 50 ms), and what
the watchers received. Needs ``cm-cc[service]``.
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

TARGET_P99_MS = 50.0


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
    return yaml.safe_dump({"name": "bench", "jobs": spec})


async def _watch(url: str, headers: dict[str, str], run: str, clients: int) -> list[tuple[int, float]]:
    """Follow the run's SSE stream with ``clients`` clients; (events, seconds to the end) of each."""

    async def one(client: httpx.AsyncClient) -> tuple[int, float]:
        start, count = time.perf_counter(), 0
        async with client.stream("GET", f"api/runs/{run}/events") as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    count += line.count('"job"') or 1
                if line == "event: end":
                    break
        return count, time.perf_counter() - start

    limits = httpx.Limits(max_connections=clients + 5)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:
        return list(await asyncio.gather(*(one(client) for _ in range(clients))))


def _watchers(url: str, headers: dict[str, str], run: str, clients: int, out: Any) -> None:
    out.put(asyncio.run(_watch(url, headers, run, clients)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sleep", type=float, default=0.2, help="seconds each job sleeps")
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-cc-service-"))
    port = _port()
    env = {**os.environ, "CM_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        end = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > end or server.poll() is not None:
                sys.exit("bench_cc_service: the server did not start")
            time.sleep(0.1)
        headers = {"Authorization": "Bearer " + (home / "cc" / "token").read_text().strip()}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            client.post("api/workflows", content=_workflow(args.jobs, args.sleep)).raise_for_status()
            started = time.perf_counter()
            run = client.post("api/workflows/bench/runs", json={"parallel": args.parallel}).json()["id"]
            results: Any = multiprocessing.Queue()
            watchers = multiprocessing.Process(
                target=_watchers, args=(url, headers, run, args.clients, results)
            )
            watchers.start()
            latencies = []
            while True:
                tick = time.perf_counter()
                status = client.get(f"api/runs/{run}").json()
                latencies.append((time.perf_counter() - tick) * 1000)
                if status["state"] in ("done", "failed", "cancelled"):
                    break
            wall = time.perf_counter() - started
            watched = results.get(timeout=120)
            watchers.join(30)
    finally:
        server.terminate()
        server.wait(30)

    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    events = [count for count, _ in watched]
    print(
        f"cm-cc service: {args.jobs}-job run (parallel {args.parallel}, sleep {args.sleep} s): {wall:.1f} s,"
    )
    print(f"  state {status['state']}, counts {status['counts']}")
    print(f"  {len(watched)} SSE clients: {min(events)}-{max(events)} job events each (all ended)")
    print(
        f"  GET /api/runs/RUN ({args.jobs} jobs each) x{len(latencies)} while it ran: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
