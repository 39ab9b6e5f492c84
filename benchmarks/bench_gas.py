"""cm-gas: a generated endpoint beside a hand-written FastAPI endpoint of the same signature, and
``cm-gas generate`` of modules of 10 and 100 functions (1,000 with ``--full``).

    python benchmarks/bench_gas.py                    # 5 rounds of 2000 calls, 8 at once
    python benchmarks/bench_gas.py --rounds 3 --requests 1000 --concurrency 4

Both apps run under uvicorn in their own process (same flags: one worker, no access log) in one
run; rounds alternate between them (each round begins with the next), the same calls
(``add(x, y)`` with a JSON body) through the same async client; reported are the medians over
rounds of throughput and latency and the ratio generated / hand-written (target: at least 0.9).
The generated service runs with ``--auth none`` (the hand-written one has no auth) and again with
its bearer token. Then ``cm-gas generate MODULE --all`` runs as a whole command beside a bare
Python importing FastAPI and the module (target: 100 functions under 1 s). Writes
``results/gas_service.json`` and ``results/gas_generate.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from _suite import FULL, Run, Series, measure, python_floor, say, write_result

try:
    import httpx

    from cm_gas import Client, bench, generate
except ImportError:
    sys.exit("bench_gas: needs cm-gas (pip install packages/cm-common packages/cm-gas)")

FUNCTIONS = '''
def add(x: float, y: float) -> float:
    """Add two numbers."""
    return x + y
'''
HAND_WRITTEN = '''
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class AddRequest(BaseModel):
    x: float
    y: float


@app.post("/add")
def add(body: AddRequest) -> float:
    """Add two numbers."""
    return body.x + body.y


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
'''
LABELS = {
    "hand-written": "hand-written FastAPI endpoint",
    "generated": "cm-gas generated, --auth none",
    "generated+token": "cm-gas generated, bearer token",
}
TYPES = ["int", "float", "str", "bool", "list[int]", "dict[str, float]", "int | None"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _module_of(count: int) -> str:
    """A module of ``count`` documented functions with mixed parameter types."""
    parts = ["from __future__ import annotations\n"]
    for index in range(count):
        first, second = TYPES[index % len(TYPES)], TYPES[(index + 3) % len(TYPES)]
        parts.append(
            f"\ndef f{index}(a: {first}, b: {second} = None, c: str = 'x') -> dict[str, str]:\n"
            f'    """Function {index}.\n\n    Args:\n        a: the first\n        b: the second\n    """\n'
            "    return {'a': str(a), 'b': str(b), 'c': c}\n"
        )
    return "".join(parts)


def _start(folder: Path, module: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    command = [sys.executable, "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=folder, env=env)
    url = f"http://127.0.0.1:{port}/"
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(url + "health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"bench_gas: {module} did not start")


def _services(work: Path) -> dict[str, tuple[Path, str, bool]]:
    """name -> (folder, uvicorn app, whether it needs the token)."""
    (work / "functions.py").write_text(FUNCTIONS)
    (work / "hand").mkdir()
    (work / "hand" / "hand.py").write_text(HAND_WRITTEN)
    generate(f"{work / 'functions.py'}:add", work / "open", auth="none")
    generate(f"{work / 'functions.py'}:add", work / "token", auth="token")
    return {
        "hand-written": (work / "hand", "hand:app", False),
        "generated": (work / "open", "server:app", False),
        "generated+token": (work / "token", "server:app", True),
    }


def _generation(work: Path, started: float) -> None:
    """``cm-gas generate`` of modules of 10 and 100 functions (1,000 with --full) as whole commands,
    beside a bare Python importing FastAPI and the same module."""
    ours = Series("cm-gas generate MODULE --all", "ours")
    floor = Series("bare Python importing fastapi and the module", "floor")
    for index, count in enumerate([10, 100, *([1_000] if FULL else [])]):
        say(f"generate {count} functions")
        folder = work / f"gen{count}"
        folder.mkdir()
        (folder / "many.py").write_text(_module_of(count))
        out = folder / "out"
        command = [sys.executable, "-m", "cm_gas", "generate", "many.py", "--all", "--out", "out"]

        def made(out: Path = out, count: int = count) -> None:
            if (out / "openapi.yaml").read_text().count("operationId:") != count + 1:  # and /health
                raise RuntimeError(f"{out}: not {count} operations")

        runs = [
            (ours, Run(command, folder, before=partial(shutil.rmtree, out, True), check=made)),
            (floor, Run(python_floor("import sys; sys.path.insert(0, '.'); import fastapi, many"), folder)),
        ]
        measure(count, runs, warm=index == 0)
    notes = ["Target: generating a 100-function module under 1 s (the whole command)."]
    write_result("gas_generate", "cm-gas generate", "functions", [ours, floor], notes, started)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _throughput(work: Path, args: argparse.Namespace, started: float) -> None:
    """Rounds of ``args.requests`` calls to each service, a different one first each round."""
    os.environ["CM_HOME"] = str(work / "home")
    services = _services(work)
    running = {name: _start(path, app, {**os.environ}) for name, (path, app, _) in services.items()}
    token = (work / "home" / "gas" / "token").read_text().strip()  # made by the server at start
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in services}
    try:
        order = list(running.items())
        for round_ in range(args.rounds):
            # a different series first each round: no series always meets the warmest machine
            for name, (_, url) in order[round_ % len(order) :] + order[: round_ % len(order)]:
                with Client(url, token=token if services[name][2] else "") as client:
                    row = bench(client, "add", {"x": 1.5, "y": 2.25}, args.requests, args.concurrency)
                assert row["errors"] == 0, row
                results[name].append(row)
        rss = {name: _rss_mib(process.pid) for name, (process, _) in running.items()}
    finally:
        for process, _ in running.values():
            process.terminate()
            process.wait(20)
    base = statistics.median(r["throughput"] for r in results["hand-written"])
    shape = f"{args.rounds} rounds x {args.requests} calls, {args.concurrency} at once"
    print(f"add(x: float, y: float) -> float, {shape}")
    print(f"{'service':<18}{'req/s':>10}{'median ms':>12}{'p99 ms':>10}{'ratio':>8}")
    notes = [
        f"add(x: float, y: float) -> float with a JSON body; {shape}, through one async client;"
        " seconds are those of one round. Each server is one uvicorn worker without access log.",
    ]
    series = []
    for name, rows in results.items():
        throughput = statistics.median(r["throughput"] for r in rows)
        median = statistics.median(r["median_ms"] for r in rows)
        p99 = statistics.median(r["p99_ms"] for r in rows)
        print(f"{name:<18}{throughput:>10.0f}{median:>12.2f}{p99:>10.2f}{throughput / base:>8.2f}")
        notes.append(
            f"{LABELS[name]}: {throughput:.0f} calls/s, latency median {median:.2f} ms, p99 {p99:.2f} ms."
        )
        one = Series(LABELS[name], "reference" if name == "hand-written" else "ours")
        one.add(args.requests, [args.requests / r["throughput"] for r in rows], [rss[name]])
        series.append(one)
    notes.append(
        "Target: a generated endpoint's throughput within 10% of the hand-written one (0.90x or more)."
    )
    write_result(
        "gas_service",
        "cm-gas: a generated endpoint beside a hand-written one",
        "calls",
        series,
        notes,
        started,
        repeat=args.rounds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args, _ = parser.parse_known_args()  # run.py may pass --full
    with tempfile.TemporaryDirectory(prefix="bench-gas-") as folder:
        _throughput(Path(folder), args, time.perf_counter())
        _generation(Path(folder), time.perf_counter())


if __name__ == "__main__":
    main()
