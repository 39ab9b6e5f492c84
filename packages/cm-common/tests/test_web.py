"""The request guard, driven through the ASGI protocol, and the token file."""

from __future__ import annotations

import asyncio
import json
import stat
from typing import Any

import pytest

from cm_common import RequestGuard, allowed_hosts, is_loopback, load_or_create_token, token_matches

HOST = "127.0.0.1:8000"


class Recorder:
    """A tiny ASGI app that reads the whole body, keeps it, and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionError("client went away")
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(
    guard: RequestGuard,
    method: str = "POST",
    *,
    path: str = "/api/x",
    headers: dict[str, str] | None = None,
    chunks: list[bytes] | None = None,
) -> tuple[int, dict[str, Any] | None, int]:
    """Send one request; return the status, the JSON body (or None) and how many chunks were read."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "scheme": "http",
        "headers": [(k.lower().encode(), v.encode()) for k, v in ({"host": HOST} | (headers or {})).items()],
    }
    pending = list(chunks or [b""])
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    parsed = json.loads(body) if body.startswith(b"{") else None
    return starts[0]["status"], parsed, read


@pytest.fixture
def app() -> Recorder:
    return Recorder()


@pytest.fixture
def guard(app: Recorder) -> RequestGuard:
    return RequestGuard(app, hosts=allowed_hosts("127.0.0.1"), max_body=100, form_paths={"/login"})


JSON = {"content-type": "application/json"}


def test_a_json_write_from_the_same_origin_passes(guard: RequestGuard, app: Recorder) -> None:
    headers = JSON | {"content-length": "2", "origin": "http://127.0.0.1:8000"}
    assert call(guard, headers=headers, chunks=[b"{}"])[0] == 200
    assert app.bodies == [b"{}"]


def test_a_rebound_host_name_is_refused(guard: RequestGuard, app: Recorder) -> None:
    status, body, _ = call(guard, "GET", headers={"host": "evil.example:8000"})
    assert (status, body) == (400, {"detail": "host 'evil.example:8000' is not allowed"})
    assert app.bodies == []


def test_loopback_names_and_extra_hosts_are_allowed() -> None:
    assert allowed_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert allowed_hosts("10.0.0.5", extra=["Lab.Example"]) == {"10.0.0.5", "lab.example"}


def test_ipv6_host_with_port_is_understood(app: Recorder) -> None:
    guard = RequestGuard(app, hosts=allowed_hosts("::1"), max_body=10)
    assert call(guard, "GET", headers={"host": "[::1]:8000"})[0] == 200


def test_a_cross_origin_write_is_refused_even_with_json(guard: RequestGuard, app: Recorder) -> None:
    headers = JSON | {"content-length": "2", "origin": "http://127.0.0.1:9999"}
    status, body, read = call(guard, headers=headers, chunks=[b"{}"])
    assert status == 403 and "cross-origin" in body["detail"]
    assert (app.bodies, read) == ([], 0)


def test_a_preflight_is_refused_without_cors_headers(guard: RequestGuard) -> None:
    headers = {"origin": "http://evil.example", "access-control-request-method": "POST"}
    assert call(guard, "OPTIONS", headers=headers)[0] == 403


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_writes_of_other_content_types_are_refused(guard: RequestGuard, app: Recorder, media: str) -> None:
    status, body, _ = call(guard, headers={"content-type": media, "content-length": "2"}, chunks=[b"{}"])
    assert status == 415 and media in body["detail"]
    assert app.bodies == []


def test_a_body_less_write_needs_the_custom_header(guard: RequestGuard, app: Recorder) -> None:
    status, body, _ = call(guard)
    assert status == 403 and "x-cm-request" in body["detail"]
    assert call(guard, headers={"x-cm-request": "1"})[0] == 200
    assert app.bodies == [b""]


def test_a_form_path_takes_a_form_without_the_header(guard: RequestGuard, app: Recorder) -> None:
    form = {"content-type": "application/x-www-form-urlencoded", "content-length": "3"}
    assert call(guard, path="/login", headers=form, chunks=[b"a=b"])[0] == 200
    assert app.bodies == [b"a=b"]


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    guard: RequestGuard, app: Recorder
) -> None:
    status, body, read = call(guard, headers=JSON | {"content-length": "101"}, chunks=[b"x" * 101])
    assert (status, read, app.bodies) == (413, 0, [])
    assert "100 bytes" in body["detail"]


def test_a_streamed_body_stops_at_the_limit(guard: RequestGuard, app: Recorder) -> None:
    chunks = [b"x" * 60] * 1000  # 60 kB announced as chunked; only the first two chunks are read
    status, _, read = call(guard, headers=JSON | {"transfer-encoding": "chunked"}, chunks=chunks)
    assert (status, read, app.bodies) == (413, 2, [])


def test_an_app_failure_is_not_swallowed() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("bug")

    guard = RequestGuard(broken, hosts={"127.0.0.1"}, max_body=10)
    with pytest.raises(RuntimeError, match="bug"):
        call(guard, headers=JSON | {"content-length": "2"}, chunks=[b"{}"])


def test_the_token_is_made_once_and_kept_private(tmp_path: Any) -> None:
    path = tmp_path / "svc" / "token"
    token = load_or_create_token(path)
    assert load_or_create_token(path) == token and len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token_matches(token, f"Bearer {token}")
    assert not token_matches(token, f"Basic {token}")
    assert not token_matches(token, "Bearer wrong") and not token_matches(token, None)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("[::1]", True),
        ("::1", True),
        ("0.0.0.0", False),  # noqa: S104 - a name under test, not a bind
        ("10.0.0.5", False),
        ("lab.example", False),
    ],
)
def test_loopback_addresses_are_told_apart(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
