"""pydantic models from :class:`Function` records: the JSON body of a call and the result's encoder."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PydanticSchemaGenerationError, TypeAdapter, create_model

from cm_common import InputError

from ._introspect import EMPTY, Function


def model_name(function: Function, suffix: str) -> str:
    """``Model.predict`` -> ``ModelPredictRequest``."""
    parts = re.split(r"[._]", function.name)
    return "".join(part[:1].upper() + part[1:] for part in parts if part) + suffix


def field_key(index: int) -> str:
    """The model's own name of parameter ``index``: parameters are aliases, so a parameter called
    ``json`` or ``model_config`` cannot clash with a BaseModel attribute."""
    return f"p{index}"


def request_model(function: Function) -> type[BaseModel]:
    """The JSON body of a call: one field per parameter, required unless it has a default, no extras."""
    fields: dict[str, Any] = {}
    for index, param in enumerate(function.params):
        check_type(function, param.name, param.annotation)
        default = ... if param.default is EMPTY else param.default
        info = Field(default, alias=param.name, title=param.name, description=param.description or None)
        fields[field_key(index)] = (param.annotation, info)
    # JSON has no inf or nan: a body that spells them (Python's json module reads them) is refused.
    config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=False, allow_inf_nan=False)
    try:
        return create_model(model_name(function, "Request"), __config__=config, **fields)
    except (PydanticSchemaGenerationError, TypeError, ValueError) as error:
        raise InputError(f"{function.name}: {_first_line(error)}") from None


def result_adapter(function: Function) -> TypeAdapter[Any] | None:
    """The encoder of the result (None for ``-> None`` and ``-> bytes``)."""
    if function.returns is None or function.returns is bytes:
        return None
    try:
        return TypeAdapter(function.returns)
    except (PydanticSchemaGenerationError, TypeError, ValueError) as error:
        raise InputError(f"{function.name}: return type: {_first_line(error)}") from None


def check_type(function: Function, name: str, annotation: Any) -> None:
    """An InputError naming the parameter when pydantic cannot validate ``annotation``."""
    try:
        TypeAdapter(annotation)
    except (PydanticSchemaGenerationError, TypeError, ValueError) as error:
        raise InputError(f"{function.name}: parameter {name!r}: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
