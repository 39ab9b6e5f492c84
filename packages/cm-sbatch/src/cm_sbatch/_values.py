"""Sweep values in every form the cloudmesh tools accept: YAML lists, ``"1,2,3"``, ``"[1-3]"``, ``"a[1-2]"``.

A value is text, kept exactly as written: ``"3.10,3.9"`` gives ``3.10`` and ``3.9``, ``007``
stays ``007``, ``1e3`` stays ``1e3``. A number the config itself held (a YAML, JSON or Python
number) keeps the config's own spelling. Only an include/exclude rule reads a value as a number
(:func:`as_number`), and only where it compares the value with one.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from cm_common import InputError

Scalar = str | int | float | bool | None

_RANGE = re.compile(r"^(-?\d+)-(-?\d+)$")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+|\.\d+[eE][-+]?\d+)$")
_JSON_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$")
_KEY_START = re.compile(r"[A-Za-z_][\w.-]*=")


class Spelled(NamedTuple):
    """A number or boolean read from a config file, with the text the file spelled it with."""

    value: int | float | bool
    text: str


class Value(str):
    """One sweep value: ``str(value)`` is the text as written.

    ``data`` is what ``manifest.jsonl`` holds (the text, or the config's own number), ``json``
    that as JSON text, and ``number`` the config's own number or boolean (None for text).
    """

    data: Scalar
    json: str
    number: int | float | bool | None


def text_value(text: str) -> Value:
    """A value written as text (the comma form, a range, ``--set``, ``--experiment``)."""
    value = Value(text)
    value.data, value.json, value.number = text, json.dumps(text), None
    return value


def config_value(value: int | float | bool | None, spelling: str | None = None) -> Value:
    """A number, boolean or null a config held; ``spelling`` is its text in the file, if known."""
    if value is None:
        made = Value("")
        made.data, made.json, made.number = None, "null", None
        return made
    if isinstance(value, bool):
        made = Value(spelling or ("true" if value else "false"))
        made.data, made.json, made.number = value, "true" if value else "false", value
        return made
    text = spelling if spelling is not None else repr(value)
    made = Value(text)
    made.number = value
    if _JSON_NUMBER.match(text):
        made.data, made.json = value, text  # the manifest keeps the config's spelling: 0.10 stays 0.10
    else:
        made.data, made.json = text, json.dumps(text)
    return made


def as_number(value: Any) -> int | float | None:
    """The number a value reads as (``"0.10"`` -> 0.1, ``"007"`` -> 7), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    number = getattr(value, "number", None)
    if isinstance(number, int | float) and not isinstance(number, bool):
        return number
    if isinstance(value, str):
        text = value.strip()
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    return None


def as_bool(value: Any) -> bool | None:
    """The boolean a value reads as (``"True"``, ``"false"``), or None."""
    if isinstance(value, bool):
        return value
    number = getattr(value, "number", None)
    if isinstance(number, bool):
        return number
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _split_top(text: str, where: str) -> list[str]:
    """Split on commas outside brackets; unbalanced brackets and empty items are errors."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
            if depth > 1:
                raise InputError(f"{where}: {text!r}: brackets inside brackets")
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise InputError(f"{where}: {text!r}: unbalanced brackets")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise InputError(f"{where}: {text!r}: unbalanced brackets")
    parts.append("".join(current))
    if len(parts) > 1 and any(not part.strip() for part in parts):
        raise InputError(f"{where}: {text!r}: an empty item between commas")
    return [part.strip() for part in parts]


def _range(piece: str, text: str, where: str) -> list[str]:
    """The items of one bracket piece: ``1-3``, ``01-10`` or a single item such as ``4``."""
    match = _RANGE.match(piece)
    if match is None:
        if "-" in piece:
            raise InputError(f"{where}: {text!r}: [{piece}] is not a range of whole numbers such as [1-3]")
        return [piece]
    start, end = match.group(1), match.group(2)
    low, high = int(start), int(end)
    if low > high:
        raise InputError(f"{where}: {text!r}: range [{piece}] runs backwards")
    width = len(start) if start.startswith("0") and len(start) > 1 else 0
    return [str(number).zfill(width) for number in range(low, high + 1)]


def _brackets(part: str, text: str, where: str) -> list[str]:
    """Expand every ``[...]`` group of one item, the last varying fastest (``a[1-2]b[3-4]``)."""
    pieces = re.split(r"\[([^\[\]]*)\]", part)
    choices: list[list[str]] = []
    for position, piece in enumerate(pieces):
        if position % 2 == 0:
            choices.append([piece])
            continue
        items = [item.strip() for item in piece.split(",")]
        if any(not item for item in items):
            raise InputError(f"{where}: {text!r}: an empty item in [{piece}]")
        choices.append([value for item in items for value in _range(item, text, where)])
    return ["".join(combo) for combo in itertools.product(*choices)]


def expand_text(text: str, where: str) -> list[Value]:
    """The values of one text: split on top-level commas, each item's brackets expanded."""
    if not text.strip():
        return []
    return [
        text_value(item)
        for part in _split_top(text, where)
        for item in (_brackets(part, text, where) if "[" in part else [part])
    ]


def _one(item: Any, where: str) -> Value:
    if isinstance(item, Spelled):
        return config_value(item.value, item.text)
    if item is None or isinstance(item, bool | int | float):
        return config_value(item)
    if isinstance(item, str):
        return text_value(item)
    raise InputError(f"{where}: values must be scalars, got {type(item).__name__}")


def expand(value: Any, where: str = "experiment") -> list[Value]:
    """The list of values one sweep key takes, each a :class:`Value`.

    A list stays a list (its items must be scalars, each kept as written), except that an item
    ``"1-3"`` is the range it reads as: unquoted YAML ``epoch: [1-3]`` is the cloudmesh range.
    A string is split on top-level commas, each part expanded as a cloudmesh range (``[1-3]``,
    ``a[1-2]``, ``n[01-10]``, ``[1,4]``); any other scalar is a single value. Malformed ranges
    and lists (``[1-``, ``[a-c]``, ``[3-1]``, ``1,,2``) are errors naming ``where`` and the text.
    """
    if isinstance(value, Spelled):
        return [_one(value, where)]
    if isinstance(value, list | tuple):
        values: list[Value] = []
        for item in value:
            if isinstance(item, Spelled):
                values.append(_one(item, where))
            elif isinstance(item, str) and _RANGE.match(item.strip()):
                values.extend(text_value(text) for text in _range(item.strip(), item, where))
            elif isinstance(item, dict | list | tuple):
                raise InputError(f"{where}: values must be scalars, got {type(item).__name__}")
            else:
                values.append(_one(item, where))
        return values
    if isinstance(value, Mapping):
        raise InputError(f"{where}: expected a list of values, got a mapping")
    if isinstance(value, str):
        return expand_text(value, where)
    return [_one(value, where)]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def split_assignments(text: str) -> Iterator[str]:
    """``"epoch=1,2 cmd='echo a b'"`` -> ``epoch=1,2``, ``cmd='echo a b'``.

    A new assignment starts at whitespace outside quotes that is followed by ``name=``; any other
    whitespace belongs to the value, so ``cmd=echo a b`` is one assignment.
    """
    start, quote = 0, ""
    for position, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char.isspace() and _KEY_START.match(text, position + 1):
            if text[start:position].strip():
                yield text[start:position].strip()
            start = position + 1
    if quote:
        raise InputError(f"--experiment: {text!r}: a quote is not closed")
    if text[start:].strip():
        yield text[start:].strip()


def parse_sweep_option(text: str | Sequence[str]) -> dict[str, list[Value]]:
    """``"epoch=1,2,3 x=[1-4]"`` -> ``{"epoch": ["1", "2", "3"], "x": ["1", "2", "3", "4"]}``.

    Several texts (``-e`` given more than once) add up in order; a value may hold spaces
    (``cmd=echo a b``) and be quoted (``cmd='a b' x=1``).
    """
    texts = [text] if isinstance(text, str) else list(text)
    result: dict[str, list[Value]] = {}
    for one in texts:
        for token in split_assignments(one):
            key, sep, raw = token.partition("=")
            if not sep or not key:
                raise InputError(f"--experiment: expected key=values, got {token!r}")
            result[key] = expand_text(_unquote(raw), f"--experiment {key}")
    return result
