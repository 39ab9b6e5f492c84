"""Cluster profiles: partitions with their limits and charges, and named directives.

A profile is YAML (``$CM_HOME/profiles/NAME.yaml``, or a file given by path): see
``examples/profiles/university.yaml``. Times are written as Slurm writes them (``3-00:00:00``),
memory with Slurm's units (``9G``, ``512M``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cm_common import InputError, atomic_write_text, load_yaml

from ._profile_files import known_profiles, profiles_dir

# sbatch long options a named directive may set (its keys, and {slurm.directive.KEY})
DIRECTIVE_OPTIONS = frozenset(
    {
        "account",
        "constraint",
        "cpus-per-task",
        "gpus",
        "gpus-per-node",
        "gres",
        "mem",
        "mem-per-cpu",
        "nodes",
        "ntasks",
        "ntasks-per-node",
        "partition",
        "qos",
        "reservation",
        "time",
    }
)
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([KMGT]?)B?$", re.IGNORECASE)
_UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "": 1}
UNLIMITED = ("UNLIMITED", "INFINITE", "infinite", "unlimited")


def minutes(text: str) -> float:
    """A Slurm time (``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``) in minutes."""
    found = _TIME.match(str(text).strip())
    if not found:
        raise ValueError(f"not a Slurm time: {text!r} (e.g. 90, 1:30:00, 3-00:00:00)")
    days, first, second, third = found.groups()
    if days is None:
        if third is not None:  # HH:MM:SS
            return int(first) * 60 + int(second) + int(third) / 60
        return int(first) + int(second or 0) / 60  # MM or MM:SS
    hours, mins, secs = int(first), int(second or 0), int(third or 0)
    return int(days) * 1440 + hours * 60 + mins + secs / 60


def time_text(value: float) -> str:
    """Minutes as Slurm's ``D-HH:MM:SS``."""
    seconds = round(value * 60)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:{secs:02d}" if days else f"{hours:02d}:{mins:02d}:{secs:02d}"


def megabytes(text: str | int) -> float:
    """A Slurm memory size (``9G``, ``512M``, ``2048``: megabytes without a unit) in megabytes."""
    found = _SIZE.match(str(text).strip())
    if not found:
        raise ValueError(f"not a memory size: {text!r} (e.g. 9G, 512M)")
    return float(found.group(1)) * _UNITS[found.group(2).upper()]


def size_text(mb: float) -> str:
    """Megabytes as the shortest exact Slurm size (``9G``, ``1536M``)."""
    if mb >= 1024 and mb % 1024 == 0:
        return f"{int(mb // 1024)}G"
    return f"{int(mb)}M" if mb == int(mb) else f"{mb:g}M"


_QUOTE = "write the time as text: YAML reads an unquoted 1:00:00 as the number 3600"


def _time_field(value: Any) -> Any:
    if value is None or str(value) in UNLIMITED:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r}: {_QUOTE}")
    minutes(str(value))
    return str(value)


def _size_field(value: Any) -> Any:
    if value is None or str(value) in UNLIMITED:
        return None
    megabytes(str(value))
    return str(value)


class Charge(BaseModel):
    """Service units per hour: per core, per GPU, per GB of memory and per node, summed."""

    model_config = ConfigDict(extra="forbid")

    core: float = 0.0
    gpu: float = 0.0
    gb: float = 0.0
    node: float = 0.0

    def per_hour(self, cores: int, gpus: int, memory_mb: float, nodes: int) -> float:
        """The service units one hour of such a job costs."""
        return self.core * cores + self.gpu * gpus + self.gb * memory_mb / 1024 + self.node * nodes


class Partition(BaseModel):
    """One partition's limits (None: no limit) and its charge."""

    model_config = ConfigDict(extra="forbid")

    max_time: str | None = None
    default_time: str | None = None
    max_nodes: int | None = None
    max_cores: int | None = None  # per job
    cores_per_node: int | None = None
    mem_per_core: str | None = None
    mem_per_node: str | None = None
    default_mem_per_core: str | None = None
    gres: dict[str, int] = Field(default_factory=dict)  # "gpu:a100": GPUs of that type per node
    charge: Charge = Field(default_factory=lambda: Charge(core=1))

    _times = field_validator("max_time", "default_time", mode="before")(_time_field)
    _sizes = field_validator("mem_per_core", "mem_per_node", "default_mem_per_core", mode="before")(
        _size_field
    )


Directive = dict[Annotated[str, Field(min_length=1)], str]


class Profile(BaseModel):
    """A cluster: its partitions, the default one, and the named directives of its users."""

    model_config = ConfigDict(extra="forbid")

    name: str
    hosts: list[str] = Field(default_factory=list)  # the system.host values that pick this profile
    default_partition: str
    partitions: dict[str, Partition]
    directives: dict[str, Directive] = Field(default_factory=dict)

    @field_validator("directives", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for name, entry in value.items():
            if isinstance(entry, dict) and not isinstance(entry.get("time", ""), str):
                raise ValueError(f"directives.{name}.time: {entry['time']!r}: {_QUOTE}")
        return {
            name: {str(k): str(v) for k, v in entry.items()} if isinstance(entry, dict) else entry
            for name, entry in value.items()
        }

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        known = ", ".join(self.partitions)
        if self.default_partition not in self.partitions:
            raise ValueError(f"default_partition {self.default_partition!r} is not a partition ({known})")
        for name, entry in self.directives.items():
            unknown = sorted(set(entry) - DIRECTIVE_OPTIONS)
            if unknown:
                raise ValueError(
                    f"directives.{name}: unknown sbatch option {unknown[0]!r} "
                    f"(one of {', '.join(sorted(DIRECTIVE_OPTIONS))})"
                )
            partition = entry.get("partition")
            if partition is not None and partition not in self.partitions:
                raise ValueError(f"directives.{name}: partition {partition!r} is not a partition ({known})")
        return self

    def partition(self, name: str | None) -> Partition:
        """The partition ``name`` (the default for None); InputError names the known ones."""
        key = name or self.default_partition
        if key not in self.partitions:
            raise InputError(
                f"profile {self.name}: no partition {key!r} (known: {', '.join(self.partitions)})"
            )
        return self.partitions[key]

    def directive(self, name: str) -> Directive:
        """The named directive; InputError lists the known ones."""
        if name not in self.directives:
            known = ", ".join(self.directives) or "none"
            raise InputError(f"profile {self.name}: no directive {name!r} (known: {known})")
        return self.directives[name]


def parse_profile(data: Any, source: str) -> Profile:
    """A profile from loaded YAML; InputError names the file and the field."""
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise InputError(f"{source}: {where}: {first['msg']}") from None


def read_profile(path: Path) -> Profile:
    """The profile in the YAML file ``path``."""
    return parse_profile(load_yaml(path), str(path))


def find_profile(host: str) -> Profile | None:
    """The profile named ``host`` or listing it in its ``hosts``; None when there is none."""
    known = known_profiles()
    if host in known:
        return read_profile(known[host])
    for file in known.values():
        profile = read_profile(file)
        if host in profile.hosts:
            return profile
    return None


def load_profile(name: str | os.PathLike[str]) -> Profile:
    """A profile by path, by name in ``$CM_HOME/profiles``, or by one of its ``hosts``."""
    text = str(name)
    path = Path(text).expanduser()
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        if not path.is_file():
            raise InputError(f"{path}: no such profile file")
        return read_profile(path)
    found = find_profile(text)
    if found is not None:
        return found
    names = (
        ", ".join(known_profiles()) or f"none: put one in {profiles_dir()}, or run cm-sbatch profile import"
    )
    raise InputError(f"no profile for host {text!r} (known: {names})")


def dump_profile(profile: Profile) -> str:
    """The profile as YAML: name, hosts, default partition, partitions (charges in full), directives."""
    from ._render import dump_yaml

    data: dict[str, Any] = {"name": profile.name}
    if profile.hosts:
        data["hosts"] = profile.hosts
    data["default_partition"] = profile.default_partition
    data["partitions"] = {
        name: {**part.model_dump(exclude_defaults=True, mode="json"), "charge": part.charge.model_dump()}
        for name, part in profile.partitions.items()
    }
    if profile.directives:
        data["directives"] = profile.directives
    return dump_yaml(data)


def save_profile(profile: Profile, path: Path) -> None:
    """Write the profile atomically."""
    atomic_write_text(path, dump_profile(profile))
