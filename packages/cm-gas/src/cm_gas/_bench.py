"""``cm-gas bench``: latency (min, median, p99) and throughput of one endpoint under C concurrent callers."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from cm_common import RuntimeFailure

from ._client import Client


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def bench(
    client: Client, name: str, arguments: dict[str, Any], requests: int, concurrency: int
) -> dict[str, Any]:
    """Call ``name`` ``requests`` times, ``concurrency`` at once, after a short warm-up; the numbers."""
    method, path, kwargs = client.prepare(name, arguments)
    return asyncio.run(_run(client, method, path, kwargs, requests, concurrency, name))


async def _run(
    client: Client, method: str, path: str, kwargs: dict[str, Any], requests: int, concurrency: int, name: str
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors: dict[int, int] = {}
    left = requests
    async with httpx.AsyncClient(
        base_url=client.url, headers=client.http.headers, auth=client.http.auth, limits=limits, timeout=60
    ) as http:

        async def one() -> None:
            started = time.perf_counter()
            try:
                response = await http.request(method, path.lstrip("/"), **kwargs)
            except httpx.HTTPError as error:
                raise RuntimeFailure(f"cannot reach {client.url}: {error}") from None
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors[response.status_code] = errors.get(response.status_code, 0) + 1

        async def caller() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one()

        for _ in range(min(concurrency, requests)):  # warm-up: open the connections
            await one()
        latencies.clear()
        errors.clear()
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {
        "function": name,
        "requests": requests,
        "concurrency": concurrency,
        "errors": sum(errors.values()),
        "min_ms": round(min(latencies) * 1000, 3),
        "median_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "throughput": round(requests / seconds, 1),
        "seconds": round(seconds, 3),
        "statuses": {str(code): count for code, count in sorted(errors.items())},
    }
