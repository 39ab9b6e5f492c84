"""``cm-gas serve``: uvicorn in the foreground (with ``--workers N`` processes), or in the background
under a name in the registry.

Every worker builds the app from the same options (passed in ``CM_GAS_SERVE``), so uvicorn's own
multi-process mode works for a module given by path.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from cm_common import InputError, RuntimeFailure, is_loopback, say, start_time

from ._app import MIB, service
from ._auth import AuthMode
from ._loader import load
from ._registry import Entry, Registry

ENV = "CM_GAS_SERVE"


@dataclasses.dataclass(frozen=True)
class Options:
    """How to serve: what, where, who may call, limits."""

    target: str
    every: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    auth: AuthMode = "token"
    get: bool = False
    allow_hosts: tuple[str, ...] = ()
    max_body: int = MIB
    max_upload: int = 10 * MIB
    debug: bool = False
    workers: int = 1

    @property
    def url(self) -> str:
        """The base URL."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"

    def app(self) -> FastAPI:
        """The app these options describe."""
        source = load(self.target, every=self.every)
        return service(
            *source.targets,
            title=f"{source.module_name} service",
            auth=self.auth,
            get=self.get,
            host=self.host,
            allow_hosts=self.allow_hosts,
            max_body=self.max_body,
            max_upload=self.max_upload,
            debug=self.debug,
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check(options: Options) -> FastAPI:
    """Refuse unsafe options and build the app once here, so bad input fails before uvicorn starts."""
    if options.auth == "none" and not is_loopback(options.host):
        raise InputError(f"--auth none is allowed only on a loopback address, not {options.host!r}")
    if options.workers < 1:
        raise InputError(f"--workers: expected at least 1, got {options.workers}")
    return options.app()


def create() -> FastAPI:
    """uvicorn's app factory in each worker: the options come from ``CM_GAS_SERVE``."""
    data = json.loads(os.environ[ENV])
    data["allow_hosts"] = tuple(data["allow_hosts"])
    return Options(**data).app()


def serve(options: Options) -> None:
    """Run uvicorn in this process until it is stopped."""
    import uvicorn

    check(options)
    say(f"cm-gas: serving {options.target} on {options.url} (auth: {options.auth}, spec at /openapi.json)")
    os.environ[ENV] = json.dumps(dataclasses.asdict(options))
    uvicorn.run(
        "cm_gas._serve:create",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


def serve_background(
    options: Options, name: str, registry: Registry | None = None, wait: float = 60
) -> Entry:
    """Start ``cm-gas serve`` detached, wait until it answers, and record it under ``name``."""
    registry = registry or Registry()
    registry.check_free(name)
    check(options)
    if options.port == 0:
        options = dataclasses.replace(options, port=free_port(options.host))
    log = registry.log_path(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cm_gas", "serve", *_arguments(options)]
    with open(log, "ab") as output:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True
        )
    entry = Entry(
        name=name,
        url=options.url,
        pid=process.pid,
        started=start_time(process.pid),
        target=options.target,
        log=str(log),
        auth=options.auth,
        created=time.time(),
    )
    _wait_ready(process, options.url, log, wait)
    registry.add(entry)
    return entry


def _arguments(options: Options) -> list[str]:
    args = [options.target, "--host", options.host, "--port", str(options.port), "--auth", options.auth]
    args += ["--max-body", str(options.max_body), "--max-upload", str(options.max_upload)]
    args += ["--workers", str(options.workers)]
    for host in options.allow_hosts:
        args += ["--allow-host", host]
    flags = {"--all": options.every, "--get": options.get, "--debug": options.debug}
    return args + [flag for flag, on in flags.items() if on]


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, wait: float) -> None:
    end = time.monotonic() + wait
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < end:
            if process.poll() is not None:
                lines = log.read_text(errors="replace").strip().splitlines()
                raise RuntimeFailure(
                    f"the service exited ({process.returncode}): {lines[-1] if lines else ''}"
                )
            try:
                if client.get(url + "health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    process.kill()
    raise RuntimeFailure(f"the service did not answer at {url} within {wait:.0f} s (log: {log})")
