"""Atomic writes, file locks and YAML loading with errors that name file and line."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._errors import InputError
from ._gc import paused_gc


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_write_bytes` does."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename.

    A reader sees either the old or the new content, never half of it. ``mode`` sets the
    file's permissions (the temp file starts at 0600).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def file_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created if missing) for the block."""
    lock = Path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML safely; a syntax error becomes an InputError naming ``source`` and the line."""
    import yaml  # here, not on top: `--help` of every cm command then starts without it (15 ms)

    # libyaml's loader parses four times faster than the pure-Python one; PyYAML without libyaml has none.
    try:
        with paused_gc():
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe
    except yaml.YAMLError:
        pass
    try:  # the same text again with the pure-Python loader: its messages say what it found
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{where}: invalid YAML: {problem}") from None


def read_text(path: str | os.PathLike[str]) -> str:
    """A UTF-8 file's text; a missing or unreadable file is an InputError naming it."""
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise InputError(f"{file}: cannot read: {error.__class__.__name__}") from None


def load_yaml(path: str | os.PathLike[str]) -> Any:
    """Read and parse a YAML (or JSON) file; errors name the file and line."""
    return parse_yaml(read_text(path), str(path))
