"""Directory names from parameters: ``epoch_1_x_1_y_10``, safe for any shell, capped with a short hash."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_SEGMENT = 64
MAX_NAME = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def value_text(value: Any) -> str:
    """How a value is written into a script: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _digest(text: str) -> str:
    import hashlib  # only for long names: its import (OpenSSL) is 2 ms of every command's start

    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]


def cap(name: str, limit: int, identity: str) -> str:
    """``name`` itself when short enough, else its start and a hash of ``identity``."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9].rstrip('_-.')}-{_digest(identity)}"


def sanitise(text: str) -> str:
    """Only letters, digits and ``._+-``; runs of anything else become one ``-``; no leading dot or dash."""
    clean = _UNSAFE.sub("-", text).strip("-")
    clean = clean.lstrip(".-")
    return clean or "_"


def segment(key: str, value: Any) -> str:
    """The name part of one key and value: ``epoch_1``, capped at :data:`MAX_SEGMENT` characters."""
    text = f"{sanitise(key)}_{sanitise(value_text(value))}"
    return cap(text, MAX_SEGMENT, json.dumps([key, value], default=str))


def experiment_id(segments: list[str], identity: str) -> str:
    """The id of an experiment (and its flat directory name): its segments joined by ``_``."""
    return cap("_".join(segments), MAX_NAME, identity) if segments else "default"
