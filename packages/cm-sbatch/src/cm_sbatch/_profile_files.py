"""Where cluster profiles live on disk (``$CM_HOME/profiles/NAME.yaml``), without loading the model."""

from __future__ import annotations

from pathlib import Path

from cm_common import cm_home

PROFILES = "profiles"


def profiles_dir() -> Path:
    """Where profiles live: ``$CM_HOME/profiles``."""
    return cm_home() / PROFILES


def known_profiles() -> dict[str, Path]:
    """Every profile in ``$CM_HOME/profiles``, by file name."""
    folder = profiles_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}
