"""Config files merged deeply in order, ``--set`` on top, and the sweep taken out of them.

Sections: ``experiment:`` (or ``experiments:``) holds the swept keys; ``sweep:`` holds ``zip``,
``include``, ``exclude`` and ``repeat``; every other key is an attribute. The ``ee:`` and
``sbatch:`` sections of cloudmesh-ee and cloudmesh-sbatch configs are ordinary attributes.
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

from cm_common import InputError, load_yaml

from ._values import Scalar, expand, parse_scalar

ConfigInput = str | os.PathLike[str] | Mapping[str, Any]
SWEEP_SECTIONS = ("experiment", "experiments")
META_SECTION = "sweep"
_KEY = re.compile(r"^[A-Za-z_][\w-]*$")


def load_config(source: ConfigInput) -> dict[str, Any]:
    """One config: a mapping as given, or a YAML/JSON file (errors name file and line)."""
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    path = Path(source)
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from None
    else:
        data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_set(item: str) -> tuple[str, Scalar]:
    """``"data.batch=32"`` -> ``("data.batch", 32)``."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set: expected key=value, got {item!r}")
    return key.strip(), parse_scalar(value)


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

    values: dict[str, list[Scalar]] = field(default_factory=dict)
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


def split_sweep(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(attributes, raw experiment section, sweep meta section) of a merged config."""
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
        raise InputError(f"{META_SECTION}: expected a mapping (zip, include, exclude, repeat)")
    unknown = set(meta) - {"zip", "include", "exclude", "repeat"}
    if unknown:
        raise InputError(
            f"{META_SECTION}: unknown field {sorted(unknown)[0]!r} (zip, include, exclude, repeat)"
        )
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
