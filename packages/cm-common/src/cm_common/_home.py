"""Where cm keeps its state."""

from __future__ import annotations

import os
from pathlib import Path


def cm_home() -> Path:
    """The folder holding cm's state: ``$CM_HOME``, else ``~/.cm``."""
    return Path(os.environ.get("CM_HOME") or Path.home() / ".cm").expanduser()


def settings_path() -> Path:
    """Where the settings file lives: ``$CM_HOME/settings.yaml``."""
    return cm_home() / "settings.yaml"
