"""A generated sweep checked against its cluster profile, and what it costs, before and after it ran.

Reads each experiment's script (its ``#SBATCH`` lines) and the profile named by ``--profile`` or
by the first experiment's ``config.yaml`` (``system.host``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cm_common import InputError, load_yaml, read_text

from ._charge import charge, elapsed_hours, su
from ._folder import CONFIG, read_manifest
from ._limits import Violation, check_request
from ._profile import Profile, find_profile, load_profile
from ._request import Request, request, sbatch_options


def sweep_profile(out: Path, name: str | None = None, *, strict: bool = False) -> Profile | None:
    """The profile ``name``, else the one the sweep's ``system.host`` names, else None
    (``strict``: an InputError when that host has no profile)."""
    if name:
        return load_profile(name)
    entries = read_manifest(out)
    if not entries:
        return None
    path = out / entries[0]["directory"] / CONFIG
    data = load_yaml(path) if path.is_file() else None
    system = data.get("system") if isinstance(data, Mapping) else None
    host = system.get("host") if isinstance(system, Mapping) else None
    if not host:
        return None
    return load_profile(str(host)) if strict else find_profile(str(host))


def needed_profile(out: Path, name: str | None) -> Profile:
    """:func:`sweep_profile`, an InputError when there is none."""
    profile = sweep_profile(out, name, strict=True)
    if profile is None:
        raise InputError(f"{out}: no profile: give --profile NAME or set system.host in the config")
    return profile


@dataclass(frozen=True)
class Planned:
    """One experiment's script and what it asks for."""

    id: str
    directory: str
    script: Path
    request: Request


def plan(
    out: Path, profile: Profile, ids: set[str] | None = None, texts: Mapping[str, str] | None = None
) -> list[Planned]:
    """Every experiment (or those in ``ids``) with its parsed request (``texts``: scripts by id
    that replace those on disk, as a dry run of a raise has them)."""
    planned = []
    for entry in read_manifest(out):
        if ids is not None and entry["id"] not in ids:
            continue
        script = out / entry["script"]
        text = texts[entry["id"]] if texts and entry["id"] in texts else read_text(script)
        options = sbatch_options(text, str(script))
        planned.append(
            Planned(entry["id"], entry["directory"], script, request(options, profile, str(script)))
        )
    return planned


def violations(planned: list[Planned], profile: Profile) -> list[dict[str, Any]]:
    """One row per violation: experiment, partition, option, requested, limit, suggestion."""
    rows = []
    for item in planned:
        for found in check_request(item.request, profile):
            rows.append(_row(item.id, found))
    return rows


def _row(run_id: str, found: Violation) -> dict[str, Any]:
    return {
        "id": run_id,
        "partition": found.partition,
        "option": found.option,
        "requested": found.requested,
        "limit": found.limit,
        "suggestion": found.suggestion,
    }


def costs(
    planned: list[Planned], profile: Profile, elapsed: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per experiment: partition, cores, GPUs, hours and SU requested; elapsed and SU used
    where ``elapsed`` (by experiment id, Slurm's elapsed text) has it."""
    rows = []
    for item in planned:
        req = item.request
        used_hours = elapsed_hours(elapsed.get(item.id, "")) if elapsed else None
        rows.append(
            {
                "id": item.id,
                "partition": req.partition,
                "nodes": req.nodes,
                "cores": req.cores,
                "gpus": req.gpus,
                "hours": None if req.hours is None else round(req.hours, 4),
                "su_requested": charge(req, profile),
                "elapsed": elapsed.get(item.id, "") if elapsed else "",
                "su_used": None if used_hours is None else charge(req, profile, used_hours),
            }
        )
    return rows


def cost_summary(rows: list[dict[str, Any]]) -> str:
    """``312 SU requested, 47 SU used`` (used only once some ran)."""
    unbounded = sum(1 for row in rows if row["su_requested"] is None)
    requested = sum(row["su_requested"] or 0 for row in rows)
    text = f"{su(requested)} SU requested"
    if unbounded:
        text += f" ({unbounded} without a time limit not counted)"
    used = [row["su_used"] for row in rows if row["su_used"] is not None]
    if used:
        text += f", {su(sum(used))} SU used"
    return text
