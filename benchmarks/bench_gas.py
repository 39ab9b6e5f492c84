"""cm-gas: a generated endpoint beside a hand-written FastAPI endpoint of the same signature, and the
time to generate a 100-function module.

    python benchmarks/bench_gas.py                    # 5 rounds of 2000 calls, 8 at once
    python benchmarks/bench_gas.py --rounds 3 --requests 1000 --concurrency 4

Both apps run under uvicorn in their own process (same flags: one worker, no access log) in one
run; rounds alternate between them (each round begins with the next), the same calls
(``add(x, y)`` with a JSON body) through the same async client; reported are the medians over
rounds of throughput and latency and the ratio generated / hand-written (target: at least 0.9).
The generated service runs with ``--auth none`` (the hand-written one has no auth) and again with
its bearer token. Then
``cm-gas generate MODULE --all`` of a module of 100 typed functions is timed as a whole command and
in-process (target: under 1 s).
"""

from __future__ import annotations

import argparse
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


def _generation(work: Path, count: int, rounds: int) -> dict[str, float]:
    module = work / "many.py"
    module.write_text(_module_of(count))
    whole, inside = [], []
    for round_ in range(rounds):
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cm_gas",
                "generate",
                str(module),
                "--all",
                "--out",
                str(work / f"g{round_}"),
            ],
            check=True,
            capture_output=True,
        )
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        made = generate(str(module), work / f"i{round_}", every=True)
        inside.append(time.perf_counter() - started)
        assert made.operations == count
    return {"command_s": statistics.median(whole), "in_process_s": statistics.median(inside)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--functions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-gas-") as folder:
        work = Path(folder)
        os.environ["CM_HOME"] = str(work / "home")
        env = {**os.environ}
        services = _services(work)
        running = {name: _start(path, app, env) for name, (path, app, _) in services.items()}
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
        finally:
            for process, _ in running.values():
                process.terminate()
                process.wait(20)
        generation = _generation(work, args.functions, 3)
    base = statistics.median(r["throughput"] for r in results["hand-written"])
    shape = f"{args.rounds} rounds x {args.requests} calls, {args.concurrency} at once"
    print(f"add(x: float, y: float) -> float, {shape}")
    print(f"{'service':<18}{'req/s':>10}{'median ms':>12}{'p99 ms':>10}{'ratio':>8}")
    for name, rows in results.items():
        throughput = statistics.median(r["throughput"] for r in rows)
        median = statistics.median(r["median_ms"] for r in rows)
        p99 = statistics.median(r["p99_ms"] for r in rows)
        print(f"{name:<18}{throughput:>10.0f}{median:>12.2f}{p99:>10.2f}{throughput / base:>8.2f}")
    print(
        f"generate {args.functions} functions: {generation['command_s']:.2f} s as a command, "
        f"{generation['in_process_s']:.2f} s in-process (target: under 1 s)"
    )


if __name__ == "__main__":
    main()
