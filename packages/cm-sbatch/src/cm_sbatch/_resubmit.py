"""Resubmitting what failed, for the right reason: the failures of a sweep with their reasons,
and the raised scripts written (each old script kept beside it as ``SCRIPT.1``, ``SCRIPT.2``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cm_common import InputError, atomic_write_text, read_text

from ._raises import Raised, raise_script, reason

if TYPE_CHECKING:
    from ._jobs import SweepOutput
    from ._profile import Profile


@dataclass(frozen=True)
class Failure:
    """One failed experiment: its job, state, reason and exit code."""

    id: str
    job: str
    state: str
    reason: str
    exit_code: str


def failures(sweep: SweepOutput, reasons: set[str] | None = None) -> list[Failure]:
    """The failed experiments (those whose reason is in ``reasons``), in manifest order."""
    records = sweep.records()
    states = sweep.states(records)
    found = []
    for entry in sweep.experiments():
        job = states.get(entry["id"])
        why = reason(job) if job is not None else None
        if job is None or why is None or (reasons is not None and why not in reasons):
            continue
        found.append(Failure(entry["id"], job.id, job.state, why, job.exit_code))
    return found


def backup_name(script: Path) -> Path:
    """The first free ``SCRIPT.N`` beside ``script``."""
    number = 1
    while script.with_name(f"{script.name}.{number}").exists():
        number += 1
    return script.with_name(f"{script.name}.{number}")


def raise_scripts(
    sweep: SweepOutput,
    ids: list[str],
    profile: Profile | None,
    *,
    time: str | None,
    mem: str | None,
    write: bool = True,
) -> dict[str, Raised]:
    """Every script of ``ids`` raised; all are checked before any is written (``write``)."""
    scripts = {entry["id"]: sweep.out / entry["script"] for entry in sweep.experiments()}
    raised = {}
    for run_id in ids:
        path = scripts[run_id]
        raised[run_id] = raise_script(read_text(path), profile, time=time, mem=mem, source=str(path))
    if write:
        for run_id, new in raised.items():
            path = scripts[run_id]
            backup = backup_name(path)
            backup.write_bytes(path.read_bytes())
            atomic_write_text(path, new.text, mode=path.stat().st_mode & 0o777)
    return raised


def check_raise(time: str | None, mem: str | None, failed: bool) -> None:
    """--time and --mem only with --failed."""
    if (time or mem) and not failed:
        raise InputError("--time and --mem raise what failed: use them with --failed")
