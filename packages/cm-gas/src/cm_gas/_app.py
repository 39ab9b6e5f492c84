"""``service(f, g, Model)``: the FastAPI app of typed functions, hardened like every cm service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cm_common import InputError, RequestGuard, allowed_hosts

from ._auth import AUTH_MODES, AuthMode, BasicCheck, TokenCheck, service_token
from ._endpoints import Caller, Instances, error, form_handler, json_handler, query_handler, target
from ._introspect import Function, describe_all
from ._spec import PUBLIC, finish

MIB = 1024 * 1024
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def service(
    *targets: Callable[..., Any] | type,
    title: str | None = None,
    version: str = "0.1.0",
    description: str | None = None,
    auth: AuthMode = "token",
    token: str | None = None,
    users: Path | None = None,
    get: bool | Collection[str] = False,
    host: str = "127.0.0.1",
    allow_hosts: Iterable[str] = (),
    max_body: int = MIB,
    max_upload: int = 10 * MIB,
    debug: bool = False,
) -> FastAPI:
    """A FastAPI app serving ``targets`` (functions, and classes under ``/Class/method``).

    Every call is a POST with a JSON object of the parameters, or a multipart form for a function
    taking files; ``get`` makes calls GETs with a query string: True for every function whose
    parameters are all scalars, or a collection of names (each must be all-scalar).
    ``auth`` is ``token`` (``token``, else the one in ``$CM_HOME/gas/token``), ``basic`` (the
    scrypt-hashed ``users`` file, default ``$CM_HOME/gas/users.json``) or ``none``. ``host`` and
    ``allow_hosts`` are the Host names the app answers to; bodies over ``max_body`` (files over
    ``max_upload``) are refused with 413 before they are read.
    """
    if auth not in AUTH_MODES:
        raise InputError(f"auth: expected one of {', '.join(AUTH_MODES)}, got {auth!r}")
    if not targets:
        raise InputError("nothing to serve: give at least one function or class")
    functions = describe_all(list(targets))
    _check_get(functions, get)
    instances = Instances()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for owner in {f.owner for f in functions if f.kind == "method" and f.owner is not None}:
            await run_in_threadpool(instances.get, owner)  # a model loads once, before the first call
        yield

    app = FastAPI(
        title=title or _title(functions),
        version=version,
        description=description or "",
        docs_url=None,  # the Swagger page loads scripts from a CDN; the spec is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.functions = functions
    _health(app)
    uploads = False
    for function in functions:
        if isinstance(get, bool):
            as_get = get and function.scalar_only and not function.uploads
        else:
            as_get = function.name in get
        uploads |= function.uploads
        _route(app, function, Caller(function, target(function, instances), debug), as_get, max_upload)
    _errors(app)
    spec_of = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(spec_of(), auth)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    check = _check(auth, token, users)
    app.add_middleware(Gate, check=check)
    app.add_middleware(
        RequestGuard,
        hosts=allowed_hosts(host, extra=allow_hosts),
        max_body=max(max_body, max_upload + 64 * 1024) if uploads else max_body,
        write_types=frozenset({"application/json"}),
        form_paths=frozenset(f.path for f in functions if f.uploads),
    )
    return app


def _title(functions: list[Function]) -> str:
    module = getattr(functions[0].func, "__module__", "") or "functions"
    return f"{module} service"


def _check_get(functions: list[Function], get: bool | Collection[str]) -> None:
    if isinstance(get, bool):
        return
    unknown = sorted(set(get) - {f.name for f in functions})
    if unknown:
        raise InputError(f"--get: no function {unknown[0]!r} is served")


def _check(auth: AuthMode, token: str | None, users: Path | None) -> Callable[[str | None], bool] | None:
    if auth == "token":
        return TokenCheck(token or service_token())
    if auth == "basic":
        return BasicCheck(users)
    return None


def _health(app: FastAPI) -> None:
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_api_route(
        "/health",
        health,
        methods=["GET"],
        summary="The service answers",
        operation_id="health",
        tags=["service"],
    )


def _route(app: FastAPI, function: Function, caller: Caller, as_get: bool, max_upload: int) -> None:
    method = "GET" if as_get else "POST"
    extra: dict[str, Any] = {}
    if function.uploads:
        if as_get:
            raise InputError(f"{function.name}: a call with files cannot be a GET")
        handler = form_handler(caller, max_upload)
    elif as_get:
        handler = query_handler(caller)
    else:
        handler, _ = json_handler(caller)
    if function.returns is None:
        extra["status_code"] = 204
    elif function.returns is bytes:
        binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        extra["responses"] = {200: {"content": binary}}
        extra["response_class"] = Response
    else:
        extra["response_model"] = function.returns
    try:
        app.add_api_route(
            function.path,
            handler,
            methods=[method],
            operation_id=function.operation_id,
            summary=function.summary or function.name,
            description=function.description,
            response_description=function.returns_description
            or ("Done" if function.returns is None else "The result"),
            tags=[function.owner.__name__ if function.owner else "functions"],
            **extra,
        )
    except (TypeError, ValueError, AssertionError) as failure:
        raise InputError(f"{function.name}: cannot be served: {str(failure).splitlines()[0]}") from None


def _errors(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)


async def _http_error(request: Request, failure: StarletteHTTPException) -> Response:
    if failure.status_code in (204, 304):
        return Response(status_code=failure.status_code)
    headers = dict(failure.headers or {})
    if failure.status_code == 405:  # name every method of the path, not just those of the first route
        methods: set[str] = set()
        for route in request.app.router.routes:
            if route.matches(request.scope)[0] != Match.NONE:
                methods |= getattr(route, "methods", None) or set()
        headers["Allow"] = ", ".join(sorted(methods))
    return error(failure.status_code, str(failure.detail), headers)


async def _invalid(request: Request, failure: RequestValidationError) -> Response:
    first = failure.errors()[0] if failure.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error(422, f"{where}: {first.get('msg', 'invalid')}")


async def _crash(request: Request, failure: Exception) -> Response:
    return error(500, f"internal error: {failure.__class__.__name__}")


class Gate:
    """ASGI middleware: refuses (401) a call without valid credentials before routing or reading the
    body (all but /health and /openapi.json), and adds no-sniff, no-framing headers to every answer."""

    def __init__(self, app: ASGIApp, check: Callable[[str | None], bool] | None) -> None:
        self.app = app
        self.check = check
        self.slow = isinstance(check, BasicCheck)  # scrypt: off the event loop
        self.challenge = getattr(check, "challenge", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.check is not None and scope["path"] not in PUBLIC:
            header = _header(scope, b"authorization")
            passed = await run_in_threadpool(self.check, header) if self.slow else self.check(header)
            if not passed:
                refusal = error(401, "missing or wrong credentials", {"WWW-Authenticate": self.challenge})
                refusal.headers.update(HEADERS)
                await refusal(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
