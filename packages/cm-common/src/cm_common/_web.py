"""What every cm service shares: a request guard against cross-site writes, DNS rebinding and large
bodies, and the bearer token kept in a 0600 file.

The guard is plain ASGI, so cm-common needs no web framework; each service adds it with
``app.add_middleware(RequestGuard, ...)``.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from ._files import atomic_write_text

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Content types a page of any origin may send without a CORS preflight.
SIMPLE_TYPES = FORM_TYPES | {"text/plain"}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names a server bound to ``bind`` answers to: itself, its loopback names, and ``extra``."""
    names = {bind.lower().strip("[]"), *(name.lower().strip("[]") for name in extra)}
    if is_loopback(bind) or bind in ("0.0.0.0", "::"):  # noqa: S104 - names, not a bind
        names.update(LOOPBACK_NAMES)
    return frozenset(names)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``[::1]`` too): where a service may run without auth."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """``host[:port]`` or ``[v6]:port`` without the port, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    """ASGI middleware that refuses, before the app sees the request:

    - a ``Host`` not in ``hosts`` (400: a rebound DNS name reaching a loopback server);
    - a CORS preflight (403; no CORS headers are ever sent, so cross-origin writes cannot happen);
    - a write (POST, PUT, PATCH, DELETE) whose ``Origin`` is present and is not the server's own (403);
    - a write body of a media type outside ``write_types`` (415); form types only on ``form_paths``;
    - a body-less write, or a form write, without the ``header`` a cross-origin page cannot set (403),
      except on ``form_paths``, whose handlers check their own CSRF token;
    - a body over ``max_body`` bytes (413), by its ``Content-Length`` or while it streams.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: Iterable[str],
        max_body: int,
        write_types: Iterable[str] = ("application/json",),
        form_paths: Iterable[str] = (),
        header: str = "x-cm-request",
    ) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.max_body = max_body
        self.write_types = frozenset(write_types)
        self.form_paths = frozenset(form_paths)
        self.header = header.lower()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = scope.get("headers", [])
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in raw}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _answer(send, *refusal)
            return
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            await self._limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _refusal(self, scope: MutableMapping[str, Any], headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if _host_name(host) not in self.hosts:
            return 400, f"host {host!r} is not allowed"
        method = scope.get("method", "GET")
        if method == "OPTIONS" and "access-control-request-method" in headers:
            return 403, "cross-origin requests are not allowed"
        if method in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        if origin is not None and origin.lower() != f"{scheme}://{host.lower()}":
            return 403, f"cross-origin write from {origin!r} refused"
        return self._body_refusal(scope, headers)

    def _body_refusal(
        self, scope: MutableMapping[str, Any], headers: dict[str, str]
    ) -> tuple[int, str] | None:
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return 413, f"request body over the limit of {self.max_body} bytes"
        has_body = "transfer-encoding" in headers or (length.isdigit() and int(length) > 0)
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        on_form_path = scope.get("path", "") in self.form_paths
        if has_body and media not in self.write_types and not (media in FORM_TYPES and on_form_path):
            allowed = ", ".join(sorted(self.write_types)) or "none"
            return 415, f"content type {media or 'none'!r} not accepted here (use {allowed})"
        needs_header = not has_body or media in SIMPLE_TYPES
        if needs_header and not on_form_path and self.header not in headers:
            return 403, f"a write without a body or as a form needs the {self.header} header"
        return None

    async def _limited(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """Run the app with a receive that counts body bytes; past the limit, answer 413 and stop."""
        state = {"read": 0, "started": False, "refused": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.max_body:
                    if not state["started"]:
                        state["refused"] = True
                        await _answer(send, 413, f"request body over the limit of {self.max_body} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the guard has answered; the app's own answer is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise  # the app's own failure; its handlers and the server report it


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def load_or_create_token(path: str | Path) -> str:
    """The bearer token stored at ``path``; made (``secrets.token_urlsafe``) and stored 0600 if missing."""
    file = Path(path)
    if file.exists():
        token = file.read_text(encoding="utf-8").strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    atomic_write_text(file, token + "\n", mode=0o600)
    return token


def token_matches(expected: str, header: str | None) -> bool:
    """True when an ``Authorization: Bearer <token>`` header carries ``expected`` (constant-time)."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), expected.encode())
