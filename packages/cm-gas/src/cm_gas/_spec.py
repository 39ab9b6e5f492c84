"""The service's OpenAPI 3.1 document: FastAPI's, with cm-gas's error answers and security scheme."""

from __future__ import annotations

import json
from typing import Any

import yaml

from cm_common import InputError

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


def validate(spec: dict[str, Any]) -> None:
    """Check the spec against the OpenAPI 3.1 schema (openapi-spec-validator)."""
    from openapi_spec_validator import validate as check  # slow to import: only generate needs it

    try:
        check(json.loads(json.dumps(spec)))
    except Exception as error:  # the validator raises its own error family
        raise InputError(f"the generated spec is not valid OpenAPI: {str(error).splitlines()[0]}") from None
