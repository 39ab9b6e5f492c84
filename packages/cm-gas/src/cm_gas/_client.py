"""A client of any cm-gas service: functions by name, typed from the service's own spec.

with Client("http://127.0.0.1:8000/") as gas:
    gas.call("add", x=1, y=2)      # 3.0
    gas.add(x=1, y=2)              # the same
    gas.call("Model.predict", values=[1, 2])
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from pydantic_core import to_jsonable_python

from cm_common import CmError, InputError, RuntimeFailure

from ._auth import token_path

CSRF = {"x-cm-request": "cm-gas"}


class ServiceError(CmError):
    """A service answered with an error: ``status`` and its one-line ``detail``.

    Exit code 2 for a 4xx (the call was wrong), 1 for a 5xx (the service failed)."""

    def __init__(self, name: str, status: int, detail: str) -> None:
        super().__init__(f"{name}: HTTP {status}: {detail}", exit_code=2 if status < 500 else 1)
        self.status = status
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Operation:
    """One function of a service, as its spec describes it."""

    name: str
    method: str
    path: str
    summary: str
    params: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    files: tuple[str, ...]
    body: bool

    def signature(self) -> str:
        """``add(x: number, y: number = 0.0)``."""
        parts = []
        for name, schema in self.params.items():
            text = f"{name}: {_type_name(schema)}"
            if name not in self.required:
                text += f" = {json.dumps(schema.get('default'))}"
            parts.append(text)
        return f"{self.name}({', '.join(parts)})"


def _type_name(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type_name(option) for option in schema["anyOf"])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return "|".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if schema.get("type") == "array" and "items" in schema:
        return f"array[{_type_name(schema['items'])}]"
    if _is_file(schema):
        return "file"
    return str(schema.get("type", "any"))


def _is_file(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "binary" or "contentMediaType" in schema


class Client:
    """Calls the functions of the service at ``url``.

    Credentials: ``token`` (Bearer), or ``user`` and ``password`` (Basic); with neither, the token
    in ``$CM_HOME/gas/token`` when there is one.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = dict(CSRF)
        auth: httpx.BasicAuth | None = None
        if user is not None:
            auth = httpx.BasicAuth(user, password or "")
        else:
            if token is None and token_path().exists():
                token = token_path().read_text(encoding="utf-8").strip()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        self.url = url if url.endswith("/") else url + "/"
        self.http = httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=timeout)
        self._operations: dict[str, Operation] | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def _send(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path.lstrip("/"), **kwargs)
        except httpx.HTTPError as error:
            raise RuntimeFailure(f"cannot reach {self.url}: {error}") from None
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text))
            except (ValueError, AttributeError):
                detail = response.text.strip()[:200]
            raise ServiceError(name, response.status_code, detail)
        return response

    @property
    def spec(self) -> dict[str, Any]:
        """The service's OpenAPI document."""
        data: dict[str, Any] = self._send("openapi.json", "GET", "openapi.json").json()
        return data

    def operations(self) -> dict[str, Operation]:
        """The service's functions by name (``add``, ``Model.predict``), read once from its spec."""
        if self._operations is None:
            self._operations = parse_operations(self.spec)
        return self._operations

    def operation(self, name: str) -> Operation:
        """One function; an unknown name is an InputError that lists the known ones."""
        found = self.operations().get(name)
        if found is None:
            known = ", ".join(sorted(self.operations())) or "none"
            raise InputError(f"{self.url} has no function {name!r} (it has {known})")
        return found

    def prepare(self, name: str, arguments: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """The method, path and httpx arguments of a call (checked against the spec)."""
        op = self.operation(name)
        unknown = sorted(set(arguments) - set(op.params))
        if unknown:
            raise InputError(
                f"{name}: no parameter {unknown[0]!r} (it takes {', '.join(op.params) or 'none'})"
            )
        missing = [param for param in op.required if param not in arguments]
        if missing:
            raise InputError(f"{name}: missing {', '.join(missing)}")
        plain = {key: to_jsonable_python(value) for key, value in arguments.items() if key not in op.files}
        if op.method == "GET":
            return "GET", op.path, {"params": plain}
        if op.files:
            files = {key: _file(key, arguments[key]) for key in op.files if key in arguments}
            data = {
                key: value if isinstance(value, str) else json.dumps(value) for key, value in plain.items()
            }
            return "POST", op.path, {"data": data, "files": files}
        return "POST", op.path, {"json": plain} if op.body else {}

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Call function ``name``: the parsed JSON result, bytes for a binary one, None for no content.

        File parameters take bytes, a Path, or a (filename, bytes) pair."""
        method, path, kwargs = self.prepare(name, arguments)
        response = self._send(name, method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Bound(self, name)


class _Bound:
    """``client.add(...)`` and ``client.Model.predict(...)``."""

    def __init__(self, client: Client, name: str) -> None:
        self._client = client
        self._name = name

    def __getattr__(self, name: str) -> _Bound:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Bound(self._client, f"{self._name}.{name}")

    def __call__(self, **arguments: Any) -> Any:
        return self._client.call(self._name, **arguments)


def _file(name: str, value: Any) -> tuple[str, bytes]:
    if isinstance(value, Path):
        return value.name, value.read_bytes()
    if isinstance(value, bytes | bytearray):
        return name, bytes(value)
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[0]), bytes(value[1])
    raise InputError(f"file parameter {name!r}: give bytes, a Path or (filename, bytes)")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return dict(node)


def parse_operations(spec: dict[str, Any]) -> dict[str, Operation]:
    """The functions of a cm-gas spec (every operation but the health check), by name."""
    found: dict[str, Operation] = {}
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if path == "/health" or not isinstance(op, dict):
                continue
            name = path.strip("/").replace("/", ".")
            params: dict[str, dict[str, Any]] = {}
            required: list[str] = []
            files: list[str] = []
            for item in op.get("parameters", []):
                params[item["name"]] = item.get("schema", {})
                if item.get("required"):
                    required.append(item["name"])
            content = op.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                schema = _resolve(spec, body.get("schema", {}))
                for key, value in schema.get("properties", {}).items():
                    params[key] = _resolve(spec, value)
                    if media.startswith("multipart/") and _is_file(_uploaded(value)):
                        files.append(key)
                required += schema.get("required", [])
            found[name] = Operation(
                name=name,
                method=method.upper(),
                path=path,
                summary=op.get("summary", ""),
                params=params,
                required=tuple(required),
                files=tuple(files),
                body=bool(content),
            )
    return found


def _uploaded(schema: dict[str, Any]) -> dict[str, Any]:
    """A file property, also when optional (``anyOf: [file, null]``)."""
    for option in schema.get("anyOf", []):
        if _is_file(option):
            return dict(option)
    return schema


def coerce(op: Operation, name: str, text: str) -> Any:
    """A shell argument's value for parameter ``name``: typed by its schema; ``@FILE`` for a file."""
    if name not in op.params:
        raise InputError(f"{op.name}: no parameter {name!r} (it takes {', '.join(op.params) or 'none'})")
    if name in op.files:
        path = Path(text[1:] if text.startswith("@") else text)
        if not path.is_file():
            raise InputError(f"{name}={text}: no such file {path}")
        return path
    schema = op.params[name]
    kinds = {option.get("type") for option in schema.get("anyOf", [schema])}
    if kinds <= {"string", "null"} and "string" in kinds and "enum" not in schema:
        return text
    try:
        return json.loads(text)
    except ValueError:
        if "string" in kinds or "enum" in schema or "$ref" in schema:
            return text
        raise InputError(
            f"{name}={text}: not a {_type_name(schema)} (JSON values: 1, 2.5, true, [1, 2])"
        ) from None
