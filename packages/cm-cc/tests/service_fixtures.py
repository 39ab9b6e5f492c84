"""Fixtures of the service tests: a real uvicorn server on a free loopback port, in a thread."""

from __future__ import annotations

import io
import re
import socket
import stat
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from cm_cc.service import create_app
from cm_cc.service._auth import service_token


@dataclass
class Server:
    """A running service: its base URL, its token and the CM_HOME it works on."""

    url: str
    token: str | None
    home: Path

    def client(self, token: str | None = "same") -> httpx.Client:  # noqa: S107 - "same": the server's
        """An httpx client as ``cm_cc.client`` is one: the server's token unless ``token`` says otherwise
        (None: no header), the X-CM-Request header, and a body's type told by its bytes when not given."""
        value = self.token if token == "same" else token
        headers = {"Authorization": f"Bearer {value}"} if value else {}
        headers["X-CM-Request"] = "test"
        hooks = {"request": [typed_body]}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, event_hooks=hooks)


def body_type(data: bytes) -> str:
    """The content type the API wants for an upload of ``data`` (as the client and the GUI send it)."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    return "application/gzip" if data.startswith(b"\x1f\x8b") else "application/yaml"


def typed_body(request: httpx.Request) -> None:
    """Give a request body without a content type the one of its bytes."""
    if "content-type" not in request.headers and request.content:
        request.headers["Content-Type"] = body_type(request.content)


def csrf_of(page: str) -> str:
    """The CSRF token a GUI page carries (its ``cm-csrf`` meta tag)."""
    found = re.search(r'<meta name="cm-csrf" content="([^"]+)">', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    home: Path, auth: bool = True, **options: Any
) -> tuple[Server, uvicorn.Server, threading.Thread]:
    """Start uvicorn with the app (``options`` go to create_app) in a thread; return when it accepts
    connections."""
    token = service_token() if auth else None
    port = free_port()
    config = uvicorn.Config(
        create_app(token, watch_interval=0.1, **options),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < end, "uvicorn did not start"
        time.sleep(0.02)
    return Server(f"http://127.0.0.1:{port}/", token, home), server, thread


def stop_server(uv: uvicorn.Server, thread: threading.Thread) -> None:
    """Stop a server of :func:`start_server`."""
    uv.should_exit = True
    thread.join(20)
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(name="server")
def server_fixture(cm_home: Path) -> Iterator[Server]:
    """A real server with a token, on this test's CM_HOME."""
    running, uv, thread = start_server(cm_home)
    yield running
    stop_server(uv, thread)


@pytest.fixture(name="open_server")
def open_server_fixture(cm_home: Path) -> Iterator[Server]:
    """A real server without a token (``cm-cc serve --no-auth``), on this test's CM_HOME."""
    running, uv, thread = start_server(cm_home, auth=False)
    yield running
    stop_server(uv, thread)


def untouched(server: Server) -> bool:
    """True when no workflow is stored (nor a staging folder left) and no run was recorded."""
    from cm_cc import Store

    folder = server.home / "cc" / "workflows"
    stored = list(folder.iterdir()) if folder.exists() else []
    return stored == [] and Store().runs() == []


@pytest.fixture(name="api")
def api_fixture(server: Server) -> Iterator[httpx.Client]:
    """An httpx client of ``server`` carrying its token."""
    with server.client() as client:
        yield client


def workflow_yaml(name: str = "demo", sleep: float = 0.0, fail: bool = False) -> str:
    """A small native workflow: a -> (b, c) -> d, with progress lines."""
    body = f"echo '# cloudmesh status=running progress=50'; sleep {sleep}; echo hello from $CM_CC_JOB"
    jobs = [
        {"name": "a", "exec": body},
        {"name": "b", "exec": body + ("; echo b broke >&2; exit 3" if fail else ""), "needs": ["a"]},
        {"name": "c", "exec": body, "needs": ["a"]},
        {"name": "d", "exec": body, "needs": ["b", "c"]},
    ]
    return str(yaml.safe_dump({"name": name, "jobs": jobs}, sort_keys=False))


def wait_state(client: httpx.Client, run: str, states: tuple[str, ...], limit: float = 60) -> dict:  # type: ignore[type-arg]
    """Poll the status endpoint (bounded) until the run reaches one of ``states``; return the status."""
    end = time.monotonic() + limit
    while True:
        status = client.get(f"api/runs/{run}").json()
        if status["state"] in states and not status["active"]:
            return status  # type: ignore[no-any-return]
        assert time.monotonic() < end, f"run {run} stayed {status['state']}"
        time.sleep(0.1)


def pack_zip(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A .zip of ``entries`` plus symlinks ``links`` (name -> target)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def pack_tar(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A .tar.gz of ``entries`` plus symlinks ``links`` (name -> target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()
