"""Why a job failed, and a script's time or memory raised within its partition's limits (pure).

Reasons: ``oom`` (OUT_OF_MEMORY), ``timeout`` (TIMEOUT, DEADLINE), ``node_fail`` (NODE_FAIL,
BOOT_FAIL), ``preempted``, ``cancelled`` and ``exit`` (FAILED: a non-zero exit code).
Raises: ``x2`` (a factor) or ``+2h`` / ``+4G`` (an increment) or a plain value (``8:00:00``, ``16G``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cm_common import InputError, SlurmJob

from ._limits import check_request
from ._profile import Profile, megabytes, minutes, size_text, time_text
from ._request import SHORT, request, sbatch_options

REASONS = {
    "OUT_OF_MEMORY": "oom",
    "TIMEOUT": "timeout",
    "DEADLINE": "timeout",
    "NODE_FAIL": "node_fail",
    "BOOT_FAIL": "node_fail",
    "PREEMPTED": "preempted",
    "CANCELLED": "cancelled",
    "FAILED": "exit",
}
_INCREMENT = re.compile(r"^\+(\d+(?:\.\d+)?)([dhms]?)$", re.IGNORECASE)
_TIME_UNITS = {"d": 1440.0, "h": 60.0, "m": 1.0, "s": 1 / 60, "": 1.0}
_LONG = {value: key for key, value in SHORT.items()}


def reason(job: SlurmJob) -> str | None:
    """The reason a finished job failed (None when it did not)."""
    return REASONS.get(job.state)


def parse_reasons(text: str) -> set[str]:
    """``oom,timeout`` as a set; InputError names an unknown reason and the known ones."""
    chosen = {item.strip().lower() for item in text.split(",") if item.strip()}
    known = sorted(set(REASONS.values()))
    unknown = sorted(chosen - set(known))
    if unknown or not chosen:
        raise InputError(f"--reason: unknown reason {(unknown or [text])[0]!r} (one of {', '.join(known)})")
    return chosen


def raised_minutes(current: float | None, how: str) -> float:
    """The new time of ``--time HOW`` (``x2``, ``+2h``, ``+30m``, ``8:00:00``) in minutes."""
    try:
        if how.lower().startswith("x"):
            if current is None:
                raise InputError(f"--time {how}: the script asks for no time to multiply; give a time")
            return current * float(how[1:])
        found = _INCREMENT.match(how)
        if found:
            if current is None:
                raise InputError(f"--time {how}: the script asks for no time to add to; give a time")
            return current + float(found.group(1)) * _TIME_UNITS[found.group(2).lower()]
        return minutes(how)
    except ValueError:
        raise InputError(f"--time: expected x2, +2h or a Slurm time, got {how!r}") from None


def raised_megabytes(current: float | None, how: str) -> float:
    """The new memory of ``--mem HOW`` (``x2``, ``+4G``, ``16G``) in megabytes."""
    try:
        if how.lower().startswith("x"):
            if current is None:
                raise InputError(f"--mem {how}: the script asks for no memory to multiply; give a size")
            return current * float(how[1:])
        if how.startswith("+"):
            if current is None:
                raise InputError(f"--mem {how}: the script asks for no memory to add to; give a size")
            return current + megabytes(how[1:])
        return megabytes(how)
    except ValueError:
        raise InputError(f"--mem: expected x2, +4G or a size, got {how!r}") from None


def set_directive(text: str, name: str, value: str) -> str:
    """The script with ``--name`` set to ``value``: its ``#SBATCH`` lines for it replaced by one."""
    lines = text.splitlines(keepends=True)
    short = _LONG.get(name)
    kept: list[str] = []
    at = None
    header = True
    for line in lines:
        stripped = line.strip()
        if header and stripped and not stripped.startswith("#"):
            header = False
        if header and stripped.startswith("#SBATCH"):
            words = stripped.split()
            option = words[1] if len(words) > 1 else ""
            if option.split("=")[0] == f"--{name}" or (short is not None and option.startswith(short)):
                at = len(kept) if at is None else at
                continue
        kept.append(line)
    if at is None:  # after the shebang and the other #SBATCH lines
        at = 1 if kept and kept[0].startswith("#!") else 0
        while at < len(kept) and kept[at].startswith("#SBATCH"):
            at += 1
    kept.insert(at, f"#SBATCH --{name}={value}\n")
    return "".join(kept)


@dataclass(frozen=True)
class Raised:
    """A script's new text and what changed."""

    text: str
    time: str = ""
    mem: str = ""


def raise_script(
    text: str, profile: Profile | None, *, time: str | None, mem: str | None, source: str
) -> Raised:
    """``text`` with its time and memory raised; past its partition's limits an InputError names
    the limit and the partitions that allow it (without a profile nothing is capped)."""
    options = sbatch_options(text, source)
    new_time = new_mem = ""
    if time:
        now = request(options, profile, source).minutes if profile else _own_minutes(options)
        new_time = time_text(raised_minutes(now, time))
        text = set_directive(text, "time", new_time)
    if mem:
        per_cpu = "mem-per-cpu" in options
        name = "mem-per-cpu" if per_cpu else "mem"
        current = megabytes(options[name]) if options.get(name) else None
        if current is None and profile:
            req = request(options, profile, source)
            current = req.mem_per_node_mb
        new_mem = size_text(raised_megabytes(current, mem))
        text = set_directive(text, name, new_mem)
    if profile:
        req = request(sbatch_options(text, source), profile, source)
        for broken in check_request(req, profile):
            if (time and broken.option == "time") or (mem and broken.option.startswith("memory")):
                raise InputError(
                    f"{source}: {broken.option} {broken.requested} is over partition {broken.partition}'s "
                    f"{broken.limit} ({broken.suggestion})"
                )
    return Raised(text, new_time, new_mem)


def _own_minutes(options: dict[str, str]) -> float | None:
    raw = options.get("time")
    return minutes(raw) if raw else None
