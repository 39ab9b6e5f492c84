"""Config files merged deeply in order, ``--set`` on top, and the sweep taken out of them.

Sections: ``experiment:`` (or ``experiments:``) holds the swept keys; ``sweep:`` holds ``zip``,
``include``, ``exclude`` and ``repeat``; every other key is an attribute. The ``ee:`` and
``sbatch:`` sections of cloudmesh-ee and cloudmesh-sbatch configs are ordinary attributes.
Configs are YAML, JSON, Python or notebooks (the last two read, never run: see ``_pyconfig``).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cm_common import InputError, parse_yaml, read_text

from ._pyconfig import read_notebook, read_python
from ._values import Spelled, Value, as_number, expand

ConfigInput = str | os.PathLike[str] | Mapping[str, Any]
SWEEP_SECTIONS = ("experiment", "experiments")
META_SECTION = "sweep"
META_FIELDS = ("zip", "include", "exclude", "repeat")
SUFFIXES = (".yaml", ".yml", ".json", ".py", ".ipynb")
_KEY = re.compile(r"^[A-Za-z_][\w-]*$")
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpellingLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that keeps the text of every number and boolean beside its value."""


def _spelled(kind: str) -> Any:
    def construct(loader: Any, node: yaml.ScalarNode) -> Spelled:
        return Spelled(getattr(loader, f"construct_yaml_{kind}")(node), node.value)

    return construct


for _kind in ("int", "float", "bool"):
    _SpellingLoader.add_constructor(f"tag:yaml.org,2002:{_kind}", _spelled(_kind))


def _plain(node: Any) -> Any:
    """``node`` with every :class:`Spelled` replaced by its value."""
    if isinstance(node, Spelled):
        return node.value
    if isinstance(node, dict):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def _spelling_kept(data: dict[Any, Any]) -> dict[str, Any]:
    """Plain values everywhere but in the sweep sections, whose numbers keep their spelling."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = _plain(key)
        if name in SWEEP_SECTIONS and isinstance(value, dict):
            result[name] = {str(_plain(k)): v for k, v in value.items()}
        else:
            result[name] = _plain(value)
    return result


def _read_yaml(path: Path) -> Any:
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_SpellingLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        return parse_yaml(text, str(path))  # raises the error that names the file and line


def _read_json(path: Path) -> Any:
    try:
        return json.loads(
            read_text(path),
            parse_int=lambda text: Spelled(int(text), text),
            parse_float=lambda text: Spelled(float(text), text),
        )
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from None


_READERS = {
    ".yaml": _read_yaml,
    ".yml": _read_yaml,
    ".json": _read_json,
    ".py": read_python,
    ".ipynb": read_notebook,
}


def load_config(source: ConfigInput) -> dict[str, Any]:
    """One config: a mapping, or a YAML, JSON, Python or notebook file (errors name file and line)."""
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    path = Path(source)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        kinds = ", ".join(SUFFIXES)
        raise InputError(f"{path}: unsupported config type {path.suffix or '(no suffix)'} (one of {kinds})")
    data = reader(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    return _spelling_kept(data)


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_set(item: str) -> tuple[str, str]:
    """``"data.batch=32"`` -> ``("data.batch", "32")``: the value is text, exactly as given."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set: expected key=value, got {item!r}")
    return key.strip(), value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted ``path`` in nested dicts, creating the levels that are missing."""
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


@dataclass
class SweepSpec:
    """What is swept: each key's values, zip groups, include/exclude rules and repeats."""

    values: dict[str, list[Value]] = field(default_factory=dict)
    zip: list[list[str]] = field(default_factory=list)
    include: list[Any] = field(default_factory=list)
    exclude: list[Any] = field(default_factory=list)
    repeat: int = 1


def merge_configs(
    configs: Sequence[ConfigInput], overrides: Sequence[str] | Mapping[str, Any] = ()
) -> dict[str, Any]:
    """Every config merged in order, then the ``--set`` overrides on top."""
    data: dict[str, Any] = {}
    for source in configs:
        data = deep_merge(data, load_config(source))
    pairs = overrides.items() if isinstance(overrides, Mapping) else (parse_set(item) for item in overrides)
    for key, value in pairs:
        set_path(data, key, value)
    return data


def _near_miss(name: str, known: str) -> bool:
    """True when ``name`` is ``known`` but for its case or one typo (one letter added, dropped,
    changed or two swapped): ``Experiment``, ``experimnt``, ``experment``, ``expreiment``."""
    a, b = name.lower(), known
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def check_sections(data: Mapping[str, Any], source: str) -> None:
    """A config without a sweep section whose key is a near miss of one is an error with the suggestion."""
    if any(key in data for key in SWEEP_SECTIONS):
        return
    for key in data:
        for known in SWEEP_SECTIONS:
            if isinstance(data[key], Mapping) and _near_miss(str(key), known):
                raise InputError(
                    f"{source}: section {key!r} is not one cm-sbatch knows; did you mean {known!r}?"
                    f" (as written, it is an attribute and the config has no sweep)"
                )


def split_sweep(
    data: dict[str, Any], source: str = "config"
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(attributes, raw experiment section, sweep meta section) of a merged config."""
    check_sections(data, source)
    attributes = dict(data)
    raw: dict[str, Any] = {}
    for name in [key for key in data if key in SWEEP_SECTIONS]:
        section = attributes.pop(name)
        if section is None:
            continue
        if not isinstance(section, Mapping):
            raise InputError(f"{name}: expected a mapping of key: values, got {type(section).__name__}")
        raw.update(section)
    meta = attributes.pop(META_SECTION, None) or {}
    if not isinstance(meta, Mapping):
        raise InputError(f"{META_SECTION}: expected a mapping ({', '.join(META_FIELDS)})")
    unknown = set(meta) - set(META_FIELDS)
    if unknown:
        raise InputError(f"{META_SECTION}: unknown field {sorted(unknown)[0]!r} ({', '.join(META_FIELDS)})")
    return attributes, raw, dict(meta)


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    if isinstance(value, list):
        return value
    raise InputError(f"{META_SECTION}.{name}: expected a list, got {type(value).__name__}")


def build_spec(experiment: Mapping[str, Any], meta: Mapping[str, Any]) -> SweepSpec:
    """The SweepSpec of a resolved experiment section (``--experiment`` merged in) and the meta section."""
    values = {str(key): expand(value, f"experiment.{key}") for key, value in experiment.items()}
    for key in values:
        if not _KEY.match(key):
            raise InputError(f"experiment: key {key!r} must be a name (letters, digits, _ or -)")
    groups = _as_list(meta.get("zip"), "zip")
    if groups and all(isinstance(item, str) for item in groups):
        groups = [groups]
    for group in groups:
        if not isinstance(group, list) or not all(isinstance(key, str) for key in group):
            raise InputError(f"{META_SECTION}.zip: expected lists of sweep keys, got {group!r}")
        for key in group:
            if key not in values:
                raise InputError(f"{META_SECTION}.zip: unknown sweep key {key!r}")
    repeat = meta.get("repeat", 1)
    repeat = as_number(repeat) if isinstance(repeat, str) else repeat  # --set sweep.repeat=3 is text
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise InputError(f"{META_SECTION}.repeat: expected a whole number >= 1, got {repeat!r}")
    if repeat > 1 and "repeat" in values:
        raise InputError(f"{META_SECTION}.repeat: 'repeat' is already a sweep key")
    return SweepSpec(
        values,
        [list(group) for group in groups],
        _as_list(meta.get("include"), "include"),
        _as_list(meta.get("exclude"), "exclude"),
        repeat,
    )
