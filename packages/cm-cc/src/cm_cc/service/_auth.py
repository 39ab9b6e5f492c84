"""The service's bearer token: made on first start, stored in CM_HOME with mode 0600."""

from __future__ import annotations

import secrets
from pathlib import Path

from cm_common import atomic_write_text, cm_home


def token_path() -> Path:
    """Where the token lives: ``$CM_HOME/cc/token``."""
    return cm_home() / "cc" / "token"


def load_or_create_token(path: Path | None = None) -> str:
    """Read the token, or make and store a new one (mode 0600) when there is none."""
    file = path or token_path()
    if file.exists():
        token = file.read_text(encoding="utf-8").strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    atomic_write_text(file, token + "\n", mode=0o600)
    return token


def token_matches(expected: str, header: str | None) -> bool:
    """True when an ``Authorization: Bearer <token>`` header carries ``expected``."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), expected.encode())
