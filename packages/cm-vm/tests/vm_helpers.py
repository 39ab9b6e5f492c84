"""Helpers of the cm-vm tests: the CLI as a subprocess, the moto server, settings files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def cli(*args: str, check: bool = False, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cm-vm ARGS`` in a fresh interpreter (the real command, the test's CM_HOME)."""
    result = subprocess.run(
        [sys.executable, "-m", "cm_vm", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=dict(os.environ),
        timeout=240,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def records(*args: str) -> list[dict[str, Any]]:
    """``cm-vm ARGS --output json``, parsed."""
    result = cli(*args, "--output", "json", check=True)
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def write_settings(home: Path, data: dict[str, Any]) -> Path:
    """Write ``$CM_HOME/settings.yaml`` (mode 0600, as it holds secrets)."""
    path = home / "settings.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A moto server process answering the EC2 API on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    port: int
    image: str = "ami-03cf127a"  # one of moto's built-in AMIs

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls) -> MotoServer:
        """Start it and wait until it answers."""
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = cls(process, port)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/moto-api/", timeout=2).close()  # noqa: S310 - local
                return server
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.2)

    def reset(self) -> None:
        """Forget every instance and key pair."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - local

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(timeout=10)
