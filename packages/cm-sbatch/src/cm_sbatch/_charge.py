"""Service units a job costs (pure): the partition's charge per hour times the hours."""

from __future__ import annotations

from ._profile import Profile, minutes
from ._request import Request


def charge_per_hour(req: Request, profile: Profile) -> float:
    """SU per hour of ``req`` on its partition (0 for a partition the profile lacks)."""
    part = profile.partitions.get(req.partition)
    if part is None:
        return 0.0
    return part.charge.per_hour(req.cores, req.gpus, req.memory_mb, req.nodes)


def charge(req: Request, profile: Profile, hours: float | None = None) -> float | None:
    """SU of ``req`` for ``hours`` (default: the hours it requests; None when it requests no limit)."""
    spent = req.hours if hours is None else hours
    if spent is None:
        return None
    return charge_per_hour(req, profile) * spent


def elapsed_hours(text: str) -> float | None:
    """Slurm's elapsed time (``00:05:12``, ``1-02:00:00``, ``05:12``) in hours; None when empty."""
    if not text or text in ("INVALID", "N/A"):
        return None
    return minutes(text) / 60


def su(value: float | None) -> str:
    """SU as a short number (``312``, ``0.25``), ``-`` for unknown."""
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"
