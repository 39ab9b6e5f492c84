"""What a typed Python callable says about itself: parameters, types, defaults, docs.

``describe`` turns a function (or a class's methods) into :class:`Function` records, the one
description the models, the app, the spec and the client are all made from.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

import docstring_parser

from cm_common import InputError

from ._upload import Upload

Kind = Literal["function", "method", "classmethod", "staticmethod"]
EMPTY = inspect.Parameter.empty
SCALARS: tuple[type, ...] = (int, float, str, bool, datetime.date, datetime.datetime, enum.Enum)
# Paths the app itself serves: no function may take them.
RESERVED = frozenset({"health", "openapi.json", "openapi.yaml", "docs"})


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter: its name, type, default (``EMPTY`` when required) and description."""

    name: str
    annotation: Any
    default: Any
    description: str
    positional_only: bool = False

    @property
    def required(self) -> bool:
        """True when the caller must give it (no default)."""
        return self.default is EMPTY

    @property
    def upload(self) -> bool:
        """True for a file part: ``bytes`` or :class:`Upload`."""
        return self.annotation in (bytes, Upload)


@dataclasses.dataclass(frozen=True)
class Function:
    """One operation of a service: ``add`` at ``/add``, or ``Model.predict`` at ``/Model/predict``."""

    name: str
    func: Callable[..., Any]
    params: tuple[Param, ...]
    returns: Any
    summary: str
    description: str
    returns_description: str
    is_async: bool
    kind: Kind = "function"
    owner: type | None = None

    @property
    def path(self) -> str:
        """The URL path: the name with dots as slashes."""
        return "/" + self.name.replace(".", "/")

    @property
    def operation_id(self) -> str:
        """The spec's operationId: the name with dots as underscores."""
        return self.name.replace(".", "_")

    @property
    def uploads(self) -> bool:
        """True when a parameter is a file part (the call is then multipart/form-data)."""
        return any(param.upload for param in self.params)

    @property
    def scalar_only(self) -> bool:
        """True when every parameter is a scalar (int, float, str, bool, date, Enum, Literal, Optional)."""
        return all(is_scalar(param.annotation) for param in self.params)


def is_scalar(annotation: Any) -> bool:
    """True for the types a query string can carry."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return True
    if origin in (typing.Union, types.UnionType):
        return all(arg is type(None) or is_scalar(arg) for arg in typing.get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, SCALARS)


def _where(obj: Any) -> str:
    """``file:line`` of a callable, for messages (its code object's, else the source's)."""
    code = getattr(inspect.unwrap(obj), "__code__", None)
    if code is not None:
        return f"{code.co_filename}:{code.co_firstlineno}"
    try:
        file = inspect.getsourcefile(obj) or "?"
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return getattr(obj, "__qualname__", repr(obj))
    return f"{file}:{line}"


def describe(
    func: Callable[..., Any], *, name: str | None = None, kind: Kind = "function", owner: type | None = None
) -> Function:
    """The :class:`Function` record of ``func``; an unannotated or ``*args`` parameter is an InputError."""
    label = name or func.__name__
    if label.split(".")[0] in RESERVED:
        raise InputError(f"{_where(func)}: {label}: the name {label!r} is reserved by the service")
    try:
        signature = inspect.signature(func)
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError, ValueError) as error:
        raise InputError(f"{_where(func)}: {label}: cannot read the type hints: {error}") from None
    docs = docstring_parser.parse(inspect.getdoc(func) or "")
    notes = {item.arg_name: item.description or "" for item in docs.params}
    listed = list(signature.parameters.values())
    if kind in ("method", "classmethod") and listed:
        listed = listed[1:]  # self or cls
    params = tuple(_param(func, label, parameter, hints, notes) for parameter in listed)
    if "return" not in hints:
        raise InputError(f"{_where(func)}: {label}: no return annotation (add '-> T', or '-> None')")
    returns = hints["return"]
    return Function(
        name=label,
        func=func,
        params=params,
        returns=None if returns is type(None) else returns,
        summary=(docs.short_description or "").strip(),
        description=(docs.long_description or "").strip(),
        returns_description=((docs.returns.description if docs.returns else None) or "").strip(),
        is_async=inspect.iscoroutinefunction(func),
        kind=kind,
        owner=owner,
    )


def _param(
    func: Callable[..., Any],
    label: str,
    parameter: inspect.Parameter,
    hints: dict[str, Any],
    notes: dict[str, str],
) -> Param:
    def where() -> str:  # only for an error: finding the source line is not free
        return f"{_where(func)}: {label}: parameter {parameter.name!r}"

    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        raise InputError(f"{where()}: *args and **kwargs cannot be served (name each parameter)")
    if parameter.name not in hints:
        raise InputError(f"{where()} has no type annotation")
    return Param(
        name=parameter.name,
        annotation=hints[parameter.name],
        default=parameter.default,
        description=(notes.get(parameter.name) or "").strip(),
        positional_only=parameter.kind is parameter.POSITIONAL_ONLY,
    )


def describe_class(cls: type) -> list[Function]:
    """Every public method of ``cls``: instance methods, classmethods and staticmethods."""
    found: list[Function] = []
    for attr in sorted(vars(cls)):
        if attr.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, attr)
        name = f"{cls.__name__}.{attr}"
        if isinstance(raw, staticmethod):
            found.append(describe(raw.__func__, name=name, kind="staticmethod", owner=cls))
        elif isinstance(raw, classmethod):
            found.append(describe(raw.__func__, name=name, kind="classmethod", owner=cls))
        elif inspect.isfunction(raw):
            found.append(describe(raw, name=name, kind="method", owner=cls))
    if not found:
        raise InputError(f"{_where(cls)}: class {cls.__name__} has no public methods to serve")
    if any(item.kind == "method" for item in found):
        _check_constructor(cls)
    return found


def _check_constructor(cls: type) -> None:
    """The one instance is made without arguments: refuse a class whose __init__ needs some."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return
    needed = [
        p.name
        for p in signature.parameters.values()
        if p.default is EMPTY and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if needed:
        raise InputError(
            f"{_where(cls)}: class {cls.__name__}: __init__ needs {', '.join(needed)}; "
            "the service makes its one instance without arguments"
        )


def describe_all(targets: list[Any]) -> list[Function]:
    """The records of functions and classes, in order; two with one name are an InputError."""
    found: list[Function] = []
    for target in targets:
        if inspect.isclass(target):
            found.extend(describe_class(target))
        elif callable(target):
            found.append(describe(target))
        else:
            raise InputError(f"{target!r} is neither a function nor a class")
    seen: set[str] = set()
    for item in found:
        if item.path.lower() in seen:
            raise InputError(f"two functions would be served at {item.path}")
        seen.add(item.path.lower())
    return found
