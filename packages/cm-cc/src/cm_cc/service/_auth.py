"""Where the service's bearer token lives: ``$CM_HOME/cc/token`` (made on first start, mode 0600)."""

from __future__ import annotations

from pathlib import Path

from cm_common import cm_home, load_or_create_token


def token_path() -> Path:
    """Where the token lives: ``$CM_HOME/cc/token``."""
    return cm_home() / "cc" / "token"


def service_token() -> str:
    """The token of this CM_HOME, made and stored (0600) on first use."""
    return load_or_create_token(token_path())
