"""Placeholders shared by cm-sbatch templates and cm-cc labels.

``{name}``, dotted ``{a.b.c}`` and ``{os.VAR}`` (from the environment) are replaced;
``{name!q}`` is replaced by the value quoted for a POSIX shell (``shlex.quote``); shell
syntax ``${VAR}`` and ``$VAR`` and braces around anything that is not a name
(``{1..3}``, ``{ print $1 }``) stay as written; ``{{`` and ``}}`` write a literal brace.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import InputError

# A name, then dotted parts that may hold strftime-like text ({now.%H:%M} in cm-cc labels),
# then an optional !q: the value quoted for a shell.
_TOKEN = re.compile(r"\{\{|\}\}|(?<!\$)\{([A-Za-z_][\w-]*(?:\.[\w%:-]+)*)(!q)?\}")
_MISSING = object()

Lookup = Callable[[str], Any]


class PlaceholderError(InputError):
    """Placeholders that could not be resolved, all of them named in one message."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Placeholder:
    """A ``{path}`` (or ``{path!q}``, ``quote`` True) found in a template, with its 1-based line."""

    path: str
    line: int
    quote: bool = False

    def text(self, value: Any) -> str:
        """``value`` as this placeholder writes it: booleans as ``true``/``false``, quoted for ``!q``."""
        text = _text(value)
        return shlex.quote(text) if self.quote else text

    def __str__(self) -> str:
        return f"{{{self.path}{'!q' if self.quote else ''}}}"


def lookup_path(values: Mapping[str, Any], path: str, env: Mapping[str, str] | None = None) -> Any:
    """Find ``path`` in ``values``: ``os.X`` from ``env``, a flat key, or a walk through nested dicts.

    Raises KeyError when nothing is there.
    """
    if path.startswith("os."):
        return (os.environ if env is None else env)[path[3:]]
    if path in values:
        return values[path]
    node: Any = values
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(path)
    return node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class Template:
    """A text compiled once into literal parts and placeholders, rendered many times."""

    def __init__(self, text: str, source: str = "<template>") -> None:
        self.source = source
        self.parts: list[str | Placeholder] = []
        self._compile(text)

    def _compile(self, text: str) -> None:
        literal: list[str] = []
        position = 0
        line = 1
        for match in _TOKEN.finditer(text):
            chunk = text[position : match.start()]
            literal.append(chunk)
            line += chunk.count("\n")
            token = match.group(0)
            if match.group(1) is None:
                literal.append(token[0])
            else:
                self.parts.append("".join(literal))
                literal = []
                self.parts.append(Placeholder(match.group(1), line, match.group(2) is not None))
            position = match.end()
        literal.append(text[position:])
        self.parts.append("".join(literal))
        self.parts = [part for part in self.parts if part != ""]

    @property
    def placeholders(self) -> list[Placeholder]:
        """Every placeholder in order of appearance."""
        return [part for part in self.parts if isinstance(part, Placeholder)]

    def render(self, lookup: Lookup | Mapping[str, Any]) -> str:
        """Fill every placeholder; a :class:`PlaceholderError` names each one left unresolved."""
        find = lookup if callable(lookup) else (lambda path: lookup_path(lookup, path))
        out: list[str] = []
        missing: list[Placeholder] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                out.append(part.text(find(part.path)))
            except KeyError:
                missing.append(part)
        if missing:
            where = ", ".join(f"{self.source}:{p.line}: {p}" for p in missing)
            raise PlaceholderError(
                f"unresolved placeholder{'s' if len(missing) > 1 else ''}: {where}",
                [p.path for p in missing],
            )
        return "".join(out)


class _Resolver:
    """Resolves references between values of one tree, detecting cycles."""

    def __init__(self, data: Mapping[str, Any], env: Mapping[str, str] | None, source: str) -> None:
        self.data = data
        self.env = env
        self.source = source
        self.done: dict[str, Any] = {}
        self.stack: list[str] = []
        self.missing: dict[str, str] = {}

    def value(self, path: str) -> Any:
        if path in self.done:
            return self.done[path]
        if path in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(path) :], path])
            raise InputError(f"{self.source}: cyclic reference: {cycle}")
        raw = lookup_path(self.data, path, self.env)
        self.stack.append(path)
        try:
            result = self.node(raw, path)
        finally:
            self.stack.pop()
        self.done[path] = result
        return result

    def node(self, raw: Any, path: str) -> Any:
        if isinstance(raw, str):
            return self.string(raw, path)
        if isinstance(raw, Mapping):
            return {key: self.child(f"{path}.{key}" if path else str(key), item) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.child(f"{path}.{index}", item) for index, item in enumerate(raw)]
        return raw

    def child(self, path: str, raw: Any) -> Any:
        if path in self.done:
            return self.done[path]
        if path in self.stack:
            return self.value(path)  # raises the cycle error
        self.stack.append(path)
        try:
            result = self.node(raw, path)
        finally:
            self.stack.pop()
        self.done[path] = result
        return result

    def string(self, raw: str, path: str) -> Any:
        if "{" not in raw and "}" not in raw:
            return raw
        template = Template(raw, path)
        parts = template.parts
        if len(parts) == 1 and isinstance(parts[0], Placeholder) and not parts[0].quote:
            return self.reference(parts[0].path, path, raw)
        return template.render(lambda ref: self.text_reference(ref, path, raw))

    def reference(self, ref: str, path: str, raw: str) -> Any:
        try:
            return self.value(ref)
        except KeyError:
            self.missing.setdefault(ref, path)
            return raw

    def text_reference(self, ref: str, path: str, raw: str) -> str:
        value = self.reference(ref, path, raw)
        return raw if value is raw else _text(value)


def resolve_references(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: str = "config"
) -> dict[str, Any]:
    """Resolve ``{a.b}`` and ``{os.X}`` references between the values of ``data``.

    A value that is exactly one placeholder keeps the type of what it refers to. Cycles
    and unresolved references raise an InputError naming them all.
    """
    resolver = _Resolver(data, env, source)
    result = resolver.node(data, "")
    if resolver.missing:
        names = ", ".join(f"{{{ref}}} (in {where})" for ref, where in resolver.missing.items())
        raise PlaceholderError(f"{source}: unresolved placeholders: {names}", list(resolver.missing))
    return dict(result)
