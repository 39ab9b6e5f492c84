"""A job's request checked against its partition's limits (pure), with the partitions that allow it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._profile import Partition, Profile, megabytes, minutes, size_text, time_text
from ._request import Request


@dataclass(frozen=True)
class Violation:
    """One limit a request breaks: what is asked, the limit, and the partitions that would allow it."""

    option: str
    requested: str
    limit: str
    partition: str
    allowed_by: tuple[str, ...] = ()  # partitions that allow the whole request
    alone: tuple[str, ...] = ()  # partitions whose limit on this option alone allows it

    @property
    def suggestion(self) -> str:
        """``allowed by: X, Y``, else which partitions would allow this value alone."""
        if self.allowed_by:
            return f"allowed by: {', '.join(self.allowed_by)}"
        if self.alone:
            return f"no partition allows the whole request; {self.option} alone: {', '.join(self.alone)}"
        return "no partition allows it"


# one check: (option, requested text, limit text) when the request breaks the partition's limit
Check = Callable[[Request, Partition], tuple[str, str, str] | None]


def _time(req: Request, part: Partition) -> tuple[str, str, str] | None:
    if part.max_time is None or req.minutes is None or req.minutes <= minutes(part.max_time):
        return None
    return "time", time_text(req.minutes), f"max_time {part.max_time}"


def _nodes(req: Request, part: Partition) -> tuple[str, str, str] | None:
    if part.max_nodes is None or req.nodes <= part.max_nodes:
        return None
    return "nodes", str(req.nodes), f"max_nodes {part.max_nodes}"


def _cores(req: Request, part: Partition) -> tuple[str, str, str] | None:
    if part.max_cores is not None and req.cores > part.max_cores:
        return "cores", str(req.cores), f"max_cores {part.max_cores}"
    if part.cores_per_node is not None and req.cores_per_node > part.cores_per_node:
        return "cores per node", str(req.cores_per_node), f"cores_per_node {part.cores_per_node}"
    return None


def _memory(req: Request, part: Partition) -> tuple[str, str, str] | None:
    per_core, per_node = req.mem_per_core_mb, req.mem_per_node_mb
    if per_core is not None and part.mem_per_core and per_core > megabytes(part.mem_per_core):
        return "memory per core", size_text(per_core), f"mem_per_core {part.mem_per_core}"
    if per_node is not None and part.mem_per_node and per_node > megabytes(part.mem_per_node):
        return "memory per node", size_text(per_node), f"mem_per_node {part.mem_per_node}"
    return None


def _gres(req: Request, part: Partition) -> tuple[str, str, str] | None:
    for item in req.gres:
        if item.type:
            have = part.gres.get(item.key, 0)
        else:  # gpu:2 takes any type
            have = max([n for key, n in part.gres.items() if key.split(":")[0] == item.name] or [0])
        if item.count > have:
            offered = ", ".join(f"{key}:{n}" for key, n in part.gres.items()) or "none"
            return "gres", f"{item.key}:{item.count}", f"gres per node {offered}"
    return None


CHECKS: tuple[Check, ...] = (_time, _nodes, _cores, _memory, _gres)


def check_request(req: Request, profile: Profile) -> list[Violation]:
    """Every limit of its partition that ``req`` breaks (an unknown partition is one violation)."""
    if req.partition not in profile.partitions:
        known = tuple(profile.partitions)
        return [
            Violation("partition", req.partition, "not a partition of " + profile.name, req.partition, known)
        ]
    part = profile.partitions[req.partition]
    fits = tuple(
        name
        for name, other in profile.partitions.items()
        if name != req.partition and not any(check(req, other) for check in CHECKS)
    )
    found = []
    for check in CHECKS:
        broken = check(req, part)
        if broken is not None:
            alone = tuple(
                name
                for name, other in profile.partitions.items()
                if name != req.partition and not check(req, other)
            )
            found.append(Violation(*broken, req.partition, fits, alone))
    return found
