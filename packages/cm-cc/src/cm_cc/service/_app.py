"""The FastAPI app: the REST API, the web GUI, error answers in JSON, security headers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cm_common import InputError, RequestGuard, RuntimeFailure, allowed_hosts

from .._models import CcSettings
from .._store import Store
from .._version import __version__
from ._api import WRITE_TYPES, health_router, router
from ._gui import FORM_PATHS, gui_router
from ._limits import TooLarge
from ._runs import Conflict, RunManager
from ._service import CSRF_HEADER, Service
from ._workflows import BadUpload, Exists, NotFound, WorkflowLibrary

HERE = Path(__file__).parent
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # with no-referrer a browser sends "Origin: null" on form posts
}
_STATUS = {NotFound: 404, Exists: 409, Conflict: 409, BadUpload: 400, TooLarge: 413}
MAX_BODY: int = CcSettings.model_fields["max_body"].default


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def create_app(
    token: str | None,
    *,
    store: Store | None = None,
    library: WorkflowLibrary | None = None,
    watch_interval: float = 0.5,
    hosts: Iterable[str] | None = None,
    max_body: int = MAX_BODY,
) -> FastAPI:
    """The service's app; ``token`` None turns authentication off (``cm-cc serve``: on loopback only).

    ``store`` and ``library`` default to the ones of CM_HOME, the same state the CLI uses.
    ``hosts`` are the names the ``Host`` header may carry (default: those of a loopback server);
    bodies over ``max_body`` bytes are refused (413) before they are read.
    """
    shared = store or Store()
    runs = RunManager(shared, watch_interval)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(runs.recover)  # runs of an engine killed with an earlier server
        runs.keep_spare()
        gc.freeze()  # the long-lived objects of the app are left out of full collections (shorter pauses)
        yield
        await runs.close()

    app = FastAPI(
        title="cm-cc service",
        version=__version__,
        description="Submit, watch and control cm-cc workflows. Every endpoint but /api/health needs "
        "`Authorization: Bearer TOKEN` (the token is in $CM_HOME/cc/token).",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.service = Service(token, shared, library or WorkflowLibrary(), runs)
    app.include_router(health_router)
    app.include_router(router)
    app.include_router(gui_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(InputError, _bad_input)  # type: ignore[arg-type]
    app.add_exception_handler(RuntimeFailure, _failure)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
    app.add_middleware(TokenGate)
    app.add_middleware(
        RequestGuard,
        hosts=allowed_hosts("127.0.0.1") if hosts is None else hosts,
        max_body=max_body,
        write_types=WRITE_TYPES,
        form_paths=FORM_PATHS,
        header=CSRF_HEADER,
    )
    app.add_middleware(SecurityHeaders)
    return app


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    headers = dict(error.headers or {})
    if error.status_code == 405:  # name every method of the path, not just those of the first route
        methods: set[str] = set()
        for route in request.app.router.routes:
            if route.matches(request.scope)[0] != Match.NONE:
                methods |= getattr(route, "methods", None) or set()
        headers["Allow"] = ", ".join(sorted(methods))
    return _error(error.status_code, str(error.detail), headers)


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _error(422, f"{where}: {first.get('msg', 'invalid')}")


async def _bad_input(request: Request, error: InputError) -> Response:
    return _error(_STATUS.get(type(error), 422), " ".join(str(error).split()))  # one line


async def _failure(request: Request, error: RuntimeFailure) -> Response:
    return _error(500, str(error))


async def _crash(request: Request, error: Exception) -> Response:
    return _error(500, f"internal error: {error.__class__.__name__}")  # no message: it may hold paths


class SecurityHeaders:
    """ASGI middleware adding CSP, nosniff, no framing and a same-origin referrer to every answer
    (streams too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(_SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TokenGate:
    """ASGI middleware refusing (401) any /api request but the health check without the token,
    before routing or body parsing, so nothing about a request is looked at before it is authorized."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path = scope["path"][len(root) :] if root and scope["path"].startswith(root) else scope["path"]
        if path.startswith("/api/") and path != "/api/health":
            request = Request(scope)
            if not request.app.state.service.authorized(request):
                refusal = _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
