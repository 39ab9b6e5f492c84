"""The service's OpenAPI 3.1 document: FastAPI's, with cm-gas's error answers and security scheme."""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from cm_common import InputError, RuntimeFailure

ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ANSWERS = {
    "400": "Bad input: a value the function refused (its ValueError or TypeError), or a Host not allowed",
    "401": "Missing or wrong credentials",
    "403": "A cross-site write, or a body-less or form write without the X-CM-Request header",
    "413": "The body or a file is over the limit",
    "415": "A body of a content type other than the one documented",
    "422": "The arguments do not match the parameters",
    "500": "The function failed (the answer names the error's type; the server log has the traceback)",
}
# Shared answers live once under components/responses (a smaller spec, quicker to check and read).
NAMES = {
    "400": "BadInput",
    "401": "Unauthorized",
    "403": "Forbidden",
    "413": "TooLarge",
    "415": "UnsupportedType",
    "422": "InvalidArguments",
    "500": "FunctionFailed",
}
SCHEMES = {
    "token": ("bearerAuth", {"type": "http", "scheme": "bearer"}),
    "basic": ("basicAuth", {"type": "http", "scheme": "basic"}),
}
PUBLIC = frozenset({"/health", "/openapi.json"})


def finish(spec: dict[str, Any], auth: str) -> dict[str, Any]:
    """Replace FastAPI's validation-error answers with cm-gas's ``Error``, document every error answer,
    and declare the security scheme (``auth``: token, basic or none)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR
    scheme = SCHEMES.get(auth)
    if scheme:
        spec["components"]["securitySchemes"] = {scheme[0]: scheme[1]}
        spec["security"] = [{scheme[0]: []}]
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if path in PUBLIC:
                operation["security"] = []
                operation.get("responses", {}).pop("422", None)
                codes = ["400"]
            else:
                codes = _codes(method, operation, bool(scheme))
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses[code] = {"$ref": f"#/components/responses/{NAMES[code]}"}
    spec["components"]["responses"] = {
        NAMES[code]: {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
        for code, text in ANSWERS.items()
    }
    return spec


def _codes(method: str, operation: dict[str, Any], auth: bool) -> list[str]:
    codes = ["400", "401"] if auth else ["400"]
    if method != "get":
        codes += ["403", "413", "415"]
    if operation.get("parameters") or operation.get("requestBody"):
        codes.append("422")
    return [*codes, "500"]


def to_yaml(spec: dict[str, Any]) -> str:
    """The spec as YAML (plain types only: a JSON round trip first)."""
    plain = json.loads(json.dumps(spec))
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when there, 10x quicker
    return yaml.dump(plain, Dumper=dumper, sort_keys=False, allow_unicode=True)


def _schemas(node: Any) -> Iterator[tuple[str, Any]]:
    """Every Schema Object of a spec's paths and components, with where it is."""
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "schema" or where.endswith("/components/schemas"):
                    yield f"{where}/{key}", value
                else:
                    stack.append((f"{where}/{key}", value))
        elif isinstance(item, list):
            stack.extend((f"{where}/{index}", value) for index, value in enumerate(item))


@functools.cache
def _document_validator() -> Any:
    import jsonschema_rs

    # The package's folder without importing it: its __init__ alone takes a tenth of a second.
    found = importlib.util.find_spec("openapi_spec_validator")
    if found is None or not found.submodule_search_locations:
        raise RuntimeFailure("openapi-spec-validator is not installed: it ships the OpenAPI 3.1 schema")
    meta = Path(found.submodule_search_locations[0], "resources", "schemas", "v3.1", "schema.json")
    return jsonschema_rs.validator_for(json.loads(meta.read_text(encoding="utf-8")))


def validate(spec: dict[str, Any]) -> None:
    """Check the spec against the OpenAPI 3.1 schema, and each Schema Object against JSON Schema 2020-12.

    jsonschema-rs (Rust) does in milliseconds what openapi-spec-validator (pure Python) needs
    seconds for on a 100-function spec; the OpenAPI 3.1 schema is the one that package ships.
    """
    import jsonschema_rs

    plain = json.loads(json.dumps(spec))
    for error in _document_validator().iter_errors(plain):
        where = "/".join(str(part) for part in error.instance_path)
        raise InputError(f"the generated spec is not valid OpenAPI 3.1 at /{where}: {error.message}")
    for where, schema in _schemas(plain):
        try:
            jsonschema_rs.meta.validate(schema)  # JSON Schema 2020-12, OpenAPI 3.1's dialect
        except jsonschema_rs.ValidationError as error:
            raise InputError(
                f"the generated spec has an invalid schema at {where}: {error.message}"
            ) from None
