"""Bounds on an uploaded YAML document, checked before it is turned into Python objects.

A few hundred bytes of nested aliases expand to gigabytes ("billion laughs"), and deep nesting
overflows PyYAML's recursive composer. The depth is checked on the event stream (flat), then the
composed node graph (where an alias is one shared node) is measured as it would be expanded.
Both passes use libyaml where PyYAML has it: a 10,000-job upload took 5.8 s with the pure-Python
parser, 0.8 s with libyaml.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from cm_common import InputError


class TooLarge(InputError):
    """An upload over one of the service's size limits (HTTP 413)."""


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds an uploaded workflow document must stay within, aliases expanded."""

    max_nodes: int = 200_000
    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 64


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _yaml_error(error: yaml.YAMLError, source: str) -> InputError:
    mark = getattr(error, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return InputError(f"{where}: invalid YAML: {problem}")


def _check_depth(text: str, source: str, limit: int, loader: type) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > limit:
                where = f"{source}:{event.start_mark.line + 1}" if event.start_mark else source
                raise InputError(f"{where}: nested deeper than the limit of {limit} levels")
        elif isinstance(event, _CLOSE):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_keys(node: yaml.MappingNode, source: str) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                raise InputError(f"{source}:{key.start_mark.line + 1}: duplicate key {key.value!r}")
            seen.add(key.value)


def _measure(root: yaml.Node, source: str, limits: DocumentLimits) -> None:
    """Nodes and scalar bytes of the document with every alias expanded, without expanding it."""
    sizes: dict[int, tuple[int, int]] = {}
    inside: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            inside.discard(key)
            kids = _children(node)
            nodes = 1 + sum(sizes[id(kid)][0] for kid in kids)
            size = (len(node.value) if isinstance(node, yaml.ScalarNode) else 0) + sum(
                sizes[id(kid)][1] for kid in kids
            )
            if nodes > limits.max_nodes:
                raise TooLarge(f"{source}: expands to more than the limit of {limits.max_nodes} nodes")
            if size > limits.max_bytes:
                raise TooLarge(f"{source}: expands to more than the limit of {limits.max_bytes} bytes")
            if isinstance(node, yaml.MappingNode):
                _check_keys(node, source)
            sizes[key] = (nodes, size)
            continue
        if key in sizes:
            continue
        if key in inside:
            raise InputError(f"{source}:{node.start_mark.line + 1}: an alias refers to itself")
        inside.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in sizes)


def _compose(text: str, source: str, max_depth: int) -> yaml.Node | None:
    """The node graph, after the depth check (libyaml's composer recurses, as PyYAML's does)."""
    try:
        _check_depth(text, source, max_depth, _FAST_LOADER)
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        pass
    try:  # the same text again with the pure-Python parser: its messages say what it found
        _check_depth(text, source, max_depth, yaml.SafeLoader)
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise _yaml_error(error, source) from None


def check_document(text: str, source: str, limits: DocumentLimits | None = None) -> None:
    """Refuse a YAML text too deep, too large once its aliases are expanded, or with duplicate keys."""
    limits = limits or DocumentLimits()
    if len(text) > limits.max_bytes:
        raise TooLarge(f"{source}: {len(text)} bytes, more than the limit of {limits.max_bytes}")
    root = _compose(text, source, limits.max_depth)
    if root is not None:
        _measure(root, source, limits)
