"""cm-vm: ``list`` of 1,000 VMs and ``boot --n 20`` against a moto EC2 server on 127.0.0.1, beside
cloudmesh-cloud where it runs.

    python benchmarks/bench_vm.py

List: 1,000 instances are booted once (``cm-vm boot --n 1000``); then, as whole commands, median
of three: ``cm-vm list --refresh -o json`` (reads every instance from the provider and rewrites
the inventory and the ssh config), ``cm-vm list -o json`` (the inventory alone) and the table with
its summary. The floor is a bare Python process making the same libcloud DescribeInstances calls.

Boot: ``cm-vm boot --n 20`` through a local proxy that adds 0.25 s to every request (a cloud's
round trip; moto answers at once) and counts the requests in flight, with ``vm.parallel`` 20
(the default) and 1 (one request after the other, the way cloudmesh-cloud boots).
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml
from _suite import BIN, Run, Series, measure, reference_venv, say, write_result

VMS = 1_000
BOOTS = 20
LATENCY = 0.25
IMAGE = "ami-03cf127a"  # one of moto's built-in AMIs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()  # noqa: S310 - local
            return process, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the moto server did not start")


class SlowProxy(http.server.ThreadingHTTPServer):
    """Forwards to moto after ``LATENCY`` seconds and records the most requests in flight."""

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.target = target
        self.lock = threading.Lock()
        self.now = self.peak = self.total = 0

    def reset(self) -> None:
        with self.lock:
            self.now = self.peak = self.total = 0


class _Forward(http.server.BaseHTTPRequestHandler):
    server: SlowProxy

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def _forward(self, method: str) -> None:
        size = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(size) if size else None
        with self.server.lock:
            self.server.now += 1
            self.server.total += 1
            self.server.peak = max(self.server.peak, self.server.now)
        try:
            time.sleep(LATENCY)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            request = urllib.request.Request(  # noqa: S310 - the local moto server
                self.server.target + self.path, body, headers, method=method
            )
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - local
                status, data, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, data, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        finally:
            with self.server.lock:
                self.server.now -= 1
        self.send_response(status)
        self.send_header("Content-Type", kind or "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


def write_settings(home: Path, clouds: dict[str, str], parallel: int) -> None:
    entry = {
        "kind": "aws",
        "region": "us-east-1",
        "credentials": {"key": "testing", "secret": "testing"},
        "defaults": {"image": IMAGE, "size": "t2.micro", "username": "ubuntu"},
    }
    data = {
        "clouds": {name: {**entry, "endpoint": url} for name, url in clouds.items()},
        "vm": {"parallel": parallel},
    }
    (home / "settings.yaml").write_text(yaml.safe_dump(data))


FLOOR = """
import sys
from cm_vm._compat import CompatEC2NodeDriver, list_nodes
port = int(sys.argv[1])
d = CompatEC2NodeDriver("testing", "testing", region="us-east-1", host="127.0.0.1", port=port,
                        secure=False, signature_version="4")
assert len(list_nodes(d)) >= 1000
"""

REFERENCE_NOTE = (
    "cloudmesh-cloud {version}: `cms vm list --refresh` cannot run here: {why}. Its EC2 provider also "
    "takes no endpoint (it always calls AWS) and keeps its inventory in MongoDB, so it cannot list moto's "
    "VMs."
)


def reference(home: Path) -> str:
    """Why cloudmesh-cloud gives no numbers here (tried for real each time)."""
    python = reference_venv("vm-cloudmesh-cloud-4.4.1", ["cloudmesh-cloud==4.4.1"])
    if python is None:
        return "cloudmesh-cloud 4.4.1 does not install from PyPI here: no reference numbers."
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(
        [str(python.parent / "cms"), "vm", "list", "--refresh"],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=300,
    )
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    why = lines[-1].strip()[:400] if lines else f"exit {result.returncode}"
    return REFERENCE_NOTE.format(version="4.4.1", why=why)


def main() -> None:
    started = time.perf_counter()
    notes: list[str] = []
    moto, url = start_moto()
    proxy = SlowProxy(url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    slow = f"http://127.0.0.1:{proxy.server_address[1]}"
    cm = str(BIN / "cm-vm")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-vm-") as tmp:
            home = Path(tmp)
            env = {**os.environ, "HOME": str(home), "CM_HOME": str(home / "cm")}
            (home / "cm").mkdir()
            write_settings(home / "cm", {"aws": url, "slow": slow}, parallel=20)
            say(f"booting {VMS} VMs on moto ...")
            t = time.perf_counter()
            subprocess.run(
                [cm, "boot", "--n", str(VMS), "--cloud", "aws", "-o", "json"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            notes.append(
                f"cm-vm boot --n {VMS} on moto (no added latency): {time.perf_counter() - t:.1f} s, once."
            )

            refresh = Series(f"cm-vm list --refresh -o json ({VMS} VMs)", "ours")
            inventory = Series(f"cm-vm list -o json ({VMS} VMs, inventory)", "ours")
            table = Series(f"cm-vm list ({VMS} VMs, table of 100 + summary)", "ours")
            floor = Series("bare libcloud list_nodes in python", "floor")
            port = url.rsplit(":", 1)[1]
            runs = [
                (refresh, Run([cm, "list", "--cloud", "aws", "--refresh", "-o", "json"], home, env)),
                (inventory, Run([cm, "list", "--cloud", "aws", "-o", "json"], home, env)),
                (table, Run([cm, "list", "--cloud", "aws"], home, env)),
                (floor, Run([sys.executable, "-c", FLOOR, port], home, env)),
            ]
            say("list")
            measure(VMS, runs, warm=True)

            series = [refresh, inventory, table, floor]
            for parallel in (20, 1):
                peaks: list[int] = []

                def before(parallel: int = parallel) -> None:
                    write_settings(home / "cm", {"aws": url, "slow": slow}, parallel=parallel)
                    proxy.reset()

                def check(peaks: list[int] = peaks) -> None:
                    assert proxy.total >= BOOTS, proxy.total
                    peaks.append(proxy.peak)

                boot = Series(
                    f"cm-vm boot --n {BOOTS}, vm.parallel {parallel} (+{LATENCY} s per request)", "ours"
                )
                argv = [cm, "boot", "--n", str(BOOTS), "--cloud", "slow", "-o", "json"]
                say(f"boot, parallel {parallel}")
                measure(BOOTS, [(boot, Run(argv, home, env, before=before, check=check))])
                notes.append(
                    f"boot --n {BOOTS} with vm.parallel {parallel}: at most {max(peaks)} requests in flight."
                )
                series.append(boot)
            notes.append(reference(home))
            say(notes[-1])
    finally:
        proxy.shutdown()
        moto.terminate()
        moto.wait(timeout=10)
    notes.append("The floor: the same DescribeInstances pages through libcloud in a fresh Python process.")
    write_result("vm", "cm-vm list and boot against moto EC2", "VMs", series, notes, started)


if __name__ == "__main__":
    main()
