"""Sweep values in every form the cloudmesh tools accept: YAML lists, ``"1,2,3"``, ``"[1-3]"``, ``"a[1-2]"``.

Numbers stay numbers: ``"1,2"`` gives ``[1, 2]`` and ``"0.1,0.01"`` gives ``[0.1, 0.01]``.
"""

from __future__ import annotations

import re
from typing import Any

from cm_common import InputError

Scalar = str | int | float | bool | None

_BRACKET = re.compile(r"^(?P<prefix>[^\[\]]*)\[(?P<body>[^\[\]]*)\](?P<suffix>[^\[\]]*)$")
_RANGE = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+|\d+\.\d*[eE][-+]?\d+)$")


def parse_scalar(text: str) -> Scalar:
    """``"3"`` -> 3, ``"0.1"`` -> 0.1, ``"true"`` -> True; anything else stays text (stripped)."""
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _expand_body(body: str, where: str) -> list[str]:
    items: list[str] = []
    for piece in body.split(","):
        match = _RANGE.match(piece)
        if match is None:
            if piece.strip():
                items.append(piece.strip())
            continue
        start, end = match.group(1), match.group(2)
        low, high = int(start), int(end)
        if low > high:
            raise InputError(f"{where}: range [{piece.strip()}] runs backwards")
        width = len(start) if start.startswith("0") and len(start) > 1 else 0
        items.extend(str(number).zfill(width) for number in range(low, high + 1))
    return items


def expand(value: Any, where: str = "experiment") -> list[Scalar]:
    """The list of values one sweep key takes.

    A list stays a list (its items must be scalars), except that an item ``"1-3"`` is the range
    it reads as: unquoted YAML ``epoch: [1-3]`` is the cloudmesh range, not the text "1-3".
    A string is split on top-level commas, each part expanded as a cloudmesh range (``[1-3]``,
    ``a[1-2]``, ``n[01-10]``, ``[1,4]``); any other scalar is a single value.
    """
    if isinstance(value, list | tuple):
        values: list[Scalar] = []
        for item in value:
            if isinstance(item, dict | list | tuple):
                raise InputError(f"{where}: values must be scalars, got {type(item).__name__}")
            if isinstance(item, str) and _RANGE.match(item):
                values.extend(parse_scalar(text) for text in _expand_body(item, where))
            else:
                values.append(item)
        return values
    if isinstance(value, dict):
        raise InputError(f"{where}: expected a list of values, got a mapping")
    if not isinstance(value, str):
        return [value]
    values = []
    for part in _split_top(value):
        if not part.strip():
            continue
        match = _BRACKET.match(part.strip())
        if match is None:
            values.append(parse_scalar(part))
            continue
        texts = [
            f"{match.group('prefix')}{item}{match.group('suffix')}"
            for item in _expand_body(match.group("body"), where)
        ]
        values.extend(parse_scalar(text) for text in texts)
    return values


def parse_sweep_option(text: str) -> dict[str, list[Scalar]]:
    """``"epoch=1,2,3 x=[1-4]"`` -> ``{"epoch": [1, 2, 3], "x": [1, 2, 3, 4]}``."""
    result: dict[str, list[Scalar]] = {}
    for token in text.split():
        key, sep, raw = token.partition("=")
        if not sep or not key:
            raise InputError(f"--experiment: expected key=values, got {token!r}")
        result[key] = expand(raw, f"--experiment {key}")
    return result
