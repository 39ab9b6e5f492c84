"""What a script asks Slurm for: its ``#SBATCH`` lines parsed, sbatch's defaults filled in (pure).

sbatch reads ``#SBATCH`` lines up to the first line that is neither blank nor a comment; so
does :func:`sbatch_options`. A later option replaces an earlier one, as in sbatch.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field

from cm_common import InputError

from ._profile import UNLIMITED, Partition, Profile, megabytes, minutes

# short options sbatch takes with a value, by their long name
SHORT = {
    "-A": "account",
    "-C": "constraint",
    "-c": "cpus-per-task",
    "-G": "gpus",
    "-N": "nodes",
    "-n": "ntasks",
    "-p": "partition",
    "-q": "qos",
    "-t": "time",
    "-J": "job-name",
    "-o": "output",
    "-e": "error",
    "-D": "chdir",
    "-a": "array",
}


def sbatch_options(text: str, source: str = "script") -> dict[str, str]:
    """The ``#SBATCH`` options of a script, by long name (``-t 10`` is ``{"time": "10"}``)."""
    options: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        if not stripped.startswith("#SBATCH"):
            continue
        try:
            words = shlex.split(stripped[len("#SBATCH") :], comments=True)
        except ValueError as error:
            raise InputError(f"{source}:{number}: cannot read #SBATCH line: {error}") from None
        while words:
            word = words.pop(0)
            if word.startswith("--"):
                name, sep, value = word[2:].partition("=")
                if not sep and words and not words[0].startswith("-"):
                    value = words.pop(0)
                options[name] = value
            elif word[:2] in SHORT:
                value = word[2:].lstrip("=") or (words.pop(0) if words else "")
                options[SHORT[word[:2]]] = value
    return options


@dataclass(frozen=True)
class Gres:
    """One generic resource per node: ``gpu:a100:2`` is name gpu, type a100, count 2."""

    name: str
    type: str
    count: int

    @property
    def key(self) -> str:
        """``name:type`` as a profile's gres table holds it (``name`` alone without a type)."""
        return f"{self.name}:{self.type}" if self.type else self.name


def parse_gres(text: str) -> list[Gres]:
    """``gpu:a100:2,shard:1`` -> Gres per item (count 1 where none is given)."""
    items = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        pieces = part.split(":")
        if pieces[-1].isdigit():
            count, pieces = int(pieces[-1]), pieces[:-1]
        else:
            count = 1
        items.append(Gres(pieces[0], ":".join(pieces[1:]), count))
    return items


@dataclass(frozen=True)
class Request:
    """A job's resources, sbatch's defaults and the profile's filled in."""

    partition: str
    minutes: float | None  # None: no limit asked and none set
    nodes: int
    cores: int  # in all
    cores_per_node: int
    mem_per_node_mb: float | None
    gres: list[Gres] = field(default_factory=list)  # per node
    options: dict[str, str] = field(default_factory=dict)

    @property
    def gpus(self) -> int:
        """GPUs in all."""
        return sum(item.count for item in self.gres if item.name == "gpu") * self.nodes

    @property
    def mem_per_core_mb(self) -> float | None:
        """Memory per core, for the profile's per-core limit."""
        if self.mem_per_node_mb is None:
            return None
        return self.mem_per_node_mb / max(self.cores_per_node, 1)

    @property
    def memory_mb(self) -> float:
        """Memory in all (0 when unknown)."""
        return (self.mem_per_node_mb or 0) * self.nodes

    @property
    def hours(self) -> float | None:
        """Requested hours."""
        return None if self.minutes is None else self.minutes / 60


def _int(options: dict[str, str], name: str, default: int, source: str) -> int:
    raw = options.get(name)
    if raw is None or raw == "":
        return default
    first = raw.split("-")[0]  # --nodes=2-4: at least 2
    if not first.isdigit() or int(first) < 1:
        raise InputError(f"{source}: --{name}={raw}: expected a whole number >= 1")
    return int(first)


def _minutes(options: dict[str, str], part: Partition, source: str) -> float | None:
    raw = options.get("time") or part.default_time or part.max_time
    if raw is None or raw in UNLIMITED:
        return None
    try:
        return minutes(raw)
    except ValueError as error:
        raise InputError(f"{source}: --time: {error}") from None


def _memory(options: dict[str, str], part: Partition, per_node: int, source: str) -> float | None:
    try:
        if options.get("mem-per-cpu"):
            return megabytes(options["mem-per-cpu"]) * per_node
        if options.get("mem"):
            mb = megabytes(options["mem"])
            return None if mb == 0 else mb  # --mem=0: the whole node
    except ValueError as error:
        raise InputError(f"{source}: {error}") from None
    default = part.default_mem_per_core
    return megabytes(default) * per_node if default else None


def _gpu(text: str, nodes: int) -> Gres:
    """``--gpus-per-node``/``--gpus`` value (``a100:2``, ``2``) as GPUs per node over ``nodes``."""
    kind, _, count = text.rpartition(":")
    if not count.isdigit():
        kind, count = text, "1"
    return Gres("gpu", kind, math.ceil(int(count) / nodes))


def _gres(options: dict[str, str], nodes: int) -> list[Gres]:
    items = parse_gres(options.get("gres", ""))
    if options.get("gpus-per-node"):
        items.append(_gpu(options["gpus-per-node"], 1))
    if options.get("gpus"):
        items.append(_gpu(options["gpus"], nodes))
    return items


def request(options: dict[str, str], profile: Profile, source: str = "script") -> Request:
    """The resources of a job with these ``#SBATCH`` options on ``profile``'s cluster.

    Unset values are sbatch's defaults: the default partition, its default (else maximum)
    time, one node, one task of one core, the partition's default memory per core.
    """
    name = options.get("partition") or profile.default_partition
    part = profile.partitions.get(name, Partition())
    nodes = _int(options, "nodes", 1, source)
    cpus = _int(options, "cpus-per-task", 1, source)
    if options.get("ntasks-per-node"):
        tasks = _int(options, "ntasks-per-node", 1, source) * nodes
    else:
        tasks = _int(options, "ntasks", 1, source)
    cores = tasks * cpus
    per_node = math.ceil(cores / nodes)
    return Request(
        partition=name,
        minutes=_minutes(options, part, source),
        nodes=nodes,
        cores=cores,
        cores_per_node=per_node,
        mem_per_node_mb=_memory(options, part, per_node, source),
        gres=_gres(options, nodes),
        options=options,
    )
