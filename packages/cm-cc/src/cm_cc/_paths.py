"""Where a path of a workflow leads: one answer for the upload check, the CLI's loader and the run."""

from __future__ import annotations

from pathlib import Path

from cm_common import InputError


def final_path(value: str | Path, base: Path) -> Path:
    """``value`` as the run will use it: ``~`` expanded, relative to ``base``, ``..`` and links resolved."""
    try:
        expanded = Path(value).expanduser()
    except RuntimeError:  # ~name of a user this machine does not know
        raise InputError(f"path {str(value)!r}: cannot expand {str(value).split('/')[0]!r}") from None
    return (base / expanded).resolve()


def lies_inside(value: str | Path, folder: Path) -> bool:
    """True when ``value`` (relative to ``folder``) ends up inside ``folder`` once :func:`final_path` ran."""
    return final_path(value, folder).is_relative_to(folder.resolve())
