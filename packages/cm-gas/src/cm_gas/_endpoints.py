"""Route handlers made from :class:`Function` records: JSON body, query string or multipart form.

Each handler validates the call (FastAPI, from the signature built here), then runs the user's
callable: ``async def`` is awaited, a plain function runs in the thread pool so a slow call never
blocks the others. Errors of the user's code become JSON answers, never a traceback.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Body, File, Form, HTTPException, Query, Request, UploadFile
from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as ReceivedFile
from starlette.responses import JSONResponse, Response

from cm_common import InputError

from ._introspect import Function, Param, is_scalar
from ._models import field_key, request_model, result_adapter
from ._upload import Upload, safe_filename

LOG = logging.getLogger("cm_gas")
CSRF_HEADER = "x-cm-request"
KEYWORD = inspect.Parameter.KEYWORD_ONLY
Handler = Callable[..., Awaitable[Response]]


def error(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The JSON error answer every part of a service gives: ``{"detail": "<one line>"}``."""
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _one_line(text: str, limit: int = 500) -> str:
    first = (text.strip().splitlines() or [""])[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


class Instances:
    """The one instance of each served class, made at start (or on first call) and then shared."""

    def __init__(self) -> None:
        self._made: dict[type, Any] = {}
        self._lock = threading.Lock()

    def get(self, cls: type) -> Any:
        """The instance of ``cls``, made once without arguments."""
        made = self._made.get(cls)
        if made is None:
            with self._lock:
                made = self._made.get(cls)
                if made is None:
                    made = self._made[cls] = cls()
        return made


def target(function: Function, instances: Instances) -> Callable[[], Callable[..., Any]]:
    """How to find the callable at call time (instance methods need the one instance)."""
    if function.kind == "method" and function.owner is not None:
        owner, attr = function.owner, function.func.__name__
        return lambda: getattr(instances.get(owner), attr)
    if function.kind == "classmethod" and function.owner is not None:
        bound = getattr(function.owner, function.func.__name__)
        return lambda: bound
    func = function.func
    return lambda: func


class Caller:
    """Runs one function with validated arguments and encodes what it returns."""

    def __init__(self, function: Function, find: Callable[[], Callable[..., Any]], debug: bool) -> None:
        self.function = function
        self.find = find
        self.debug = debug
        self.adapter: TypeAdapter[Any] | None = result_adapter(function)

    async def __call__(self, values: list[Any]) -> Response:
        """Call with ``values`` in parameter order and answer."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param, value in zip(self.function.params, values, strict=True):
            if param.positional_only:
                args.append(value)
            else:
                kwargs[param.name] = value
        try:
            func = self.find()
            if self.function.is_async:
                result = await func(*args, **kwargs)
            else:
                result = await run_in_threadpool(func, *args, **kwargs)
        except HTTPException:
            raise  # the user's code chose its own answer
        except (ValueError, TypeError) as failure:
            return error(400, _one_line(f"{type(failure).__name__}: {failure}"))
        except Exception as failure:
            return self._crash(failure, "failed")
        return self._encode(result)

    def _crash(self, failure: Exception, what: str) -> JSONResponse:
        LOG.error("%s %s", self.function.name, what, exc_info=failure)
        detail = f"{self.function.name} {what}: {type(failure).__name__}"
        if not self.debug:
            return error(500, detail)
        trace = "".join(traceback.format_exception(failure))
        return error(500, _one_line(f"{detail}: {failure}"), traceback=trace)

    def _encode(self, result: Any) -> Response:
        if self.function.returns is None:
            return Response(status_code=204)
        if self.function.returns is bytes:
            if not isinstance(result, bytes | bytearray):
                return self._crash(TypeError(f"returned {type(result).__name__}"), "returned no bytes")
            return Response(bytes(result), media_type="application/octet-stream")
        assert self.adapter is not None
        try:
            plain = self.adapter.dump_python(result, mode="json", warnings="error")
        except (PydanticSerializationError, ValueError, TypeError) as failure:
            return self._crash(failure, "returned a value that does not match its annotation")
        try:
            body = json.dumps(plain, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        except ValueError as failure:  # JSON has no inf or nan
            return self._crash(failure, "returned a number JSON cannot hold (inf or nan)")
        return Response(body.encode(), media_type="application/json")


def json_handler(caller: Caller) -> tuple[Handler, type[BaseModel] | None]:
    """A handler taking the parameters as one JSON object (none at all for a function without any)."""
    function = caller.function
    count = len(function.params)
    if count == 0:

        async def call_without_body() -> Response:
            return await caller([])

        return call_without_body, None
    model = request_model(function)
    optional = all(not param.required for param in function.params)

    async def call_with_body(body: Any) -> Response:
        given = body if body is not None else model()
        return await caller([getattr(given, field_key(index)) for index in range(count)])

    default = Body(None) if optional else Body(...)
    parameter = inspect.Parameter(
        "body", KEYWORD, annotation=model | None if optional else model, default=default
    )
    call_with_body.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    return call_with_body, model


def query_handler(caller: Caller) -> Handler:
    """A handler taking scalar parameters from the query string (``--get``)."""
    function = caller.function
    for param in function.params:
        if not is_scalar(param.annotation):
            raise InputError(
                f"{function.name}: parameter {param.name!r} is not a scalar, so the call cannot be a GET "
                "(leave it out of --get)"
            )

    async def call_with_query(**values: Any) -> Response:
        return await caller([values[param.name] for param in function.params])

    parameters = [
        inspect.Parameter(param.name, KEYWORD, annotation=param.annotation, default=_query(param))
        for param in function.params
    ]
    call_with_query.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return call_with_query


def _query(param: Param) -> Any:
    return Query(... if param.required else param.default, description=param.description or None)


REQUEST_NAME = "_cm_gas_request"


def form_handler(caller: Caller, max_upload: int) -> Handler:
    """A handler taking files (``bytes`` or :class:`Upload`) and scalars as a multipart form.

    The form must carry the ``X-CM-Request`` header (a page of another site cannot set it), and
    each file is refused (413) past ``max_upload`` bytes.
    """
    function = caller.function
    for param in function.params:
        if not param.upload and not is_scalar(param.annotation):
            raise InputError(
                f"{function.name}: parameter {param.name!r}: a call with files takes only scalars beside them"
            )

    async def call_with_form(**values: Any) -> Response:
        request: Request = values.pop(REQUEST_NAME)
        if CSRF_HEADER not in request.headers:
            return error(403, f"a form write needs the {CSRF_HEADER} header")
        args: list[Any] = []
        for param in function.params:
            value = values[param.name]
            if param.upload and isinstance(value, ReceivedFile):
                data = await value.read(max_upload + 1)
                if len(data) > max_upload:
                    return error(413, f"file {param.name!r} is over the limit of {max_upload} bytes")
                name = safe_filename(value.filename)
                kind = value.content_type or "application/octet-stream"
                value = data if param.annotation is bytes else Upload(name, kind, data)
            args.append(value)
        return await caller(args)

    parameters = [inspect.Parameter(REQUEST_NAME, KEYWORD, annotation=Request)]
    for param in function.params:
        if param.upload:
            annotation: Any = UploadFile if param.required else UploadFile | None
            default = File(... if param.required else None, description=param.description or None)
        else:
            annotation = param.annotation
            default = Form(... if param.required else param.default, description=param.description or None)
        parameters.append(inspect.Parameter(param.name, KEYWORD, annotation=annotation, default=default))
    call_with_form.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return call_with_form
