"""Persistent variables (``cm set cloud=aws``) kept in ``$CM_HOME/variables.yaml``.

Every change takes a file lock, reads, changes and atomically rewrites the file, so
concurrent processes lose nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path

from ._errors import InputError
from ._files import atomic_write_text, file_lock, load_yaml
from ._home import cm_home


class Variables(MutableMapping[str, str]):
    """A dict-like view of the variables file; every write is locked and atomic."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cm_home() / "variables.yaml"
        self._lock = self.path.with_name(self.path.name + ".lock")

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data = load_yaml(self.path) or {}
        if not isinstance(data, dict):
            raise InputError(f"{self.path}: expected a mapping of names to values")
        return {str(key): str(value) for key, value in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        import yaml  # on the first write only: `--help` of every cm command starts without it

        atomic_write_text(self.path, yaml.safe_dump(data, sort_keys=True), mode=0o600)

    def update_many(self, values: dict[str, str]) -> None:
        """Set several variables in one locked transaction."""
        for key in values:
            check_name(key)
        with file_lock(self._lock):
            data = self._read()
            data.update(values)
            self._write(data)

    def __getitem__(self, key: str) -> str:
        return self._read()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.update_many({key: value})

    def __delitem__(self, key: str) -> None:
        with file_lock(self._lock):
            data = self._read()
            del data[key]
            self._write(data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def check_name(name: str) -> str:
    """Return ``name`` if it is a usable variable name, else raise an InputError."""
    if not name or not all(ch.isalnum() or ch in "_.-" for ch in name):
        raise InputError(f"invalid variable name {name!r}: use letters, digits, '_', '.', '-'")
    return name


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``key=value`` into its parts; an InputError names a malformed one."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InputError(f"expected key=value, got {text!r}")
    return check_name(key.strip()), value
