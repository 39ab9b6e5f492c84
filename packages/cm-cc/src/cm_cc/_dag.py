"""Checking a workflow and turning it into a graph: sweeps fanned out, paths resolved, cycles refused."""

from __future__ import annotations

import graphlib
import os
from pathlib import Path

from cm_common import InputError, paused_gc

from ._models import Job, WorkflowSpec
from ._paths import final_path
from ._sweep import fan_out


def _file_path(value: str, base: Path, folders: dict[str, str]) -> str:
    """:func:`final_path` of a file, its folder resolved once per :func:`expand` (``folders``): thousands
    of scripts side by side cost one ``lstat`` each, not a lookup of every link on the way.
    Strings and ``os.path``, not ``Path`` objects: at 10,000 jobs ``Path`` alone took a tenth of a second."""
    name = value.rpartition("/")[2]
    folder = value[: len(value) - len(name)]  # with its last slash: "/" for "/job.sh", "" for "job.sh"
    if value.startswith("~") or name in ("", ".", ".."):
        return str(final_path(value, base))
    if folder not in folders:
        folders[folder] = os.path.join(final_path(folder or ".", base), "")
    path = folders[folder] + name
    return os.path.realpath(path) if os.path.islink(path) else path


def _resolve(job: Job, base: Path, folders: dict[str, str]) -> Job:
    update: dict[str, str] = {}
    for key in ("script", "python", "notebook"):
        value = getattr(job, key)
        if value is not None:
            update[key] = _file_path(value, base, folders)
    if job.workdir is not None and job.kind != "ssh" and not (job.kind == "slurm" and job.host):
        update["workdir"] = str(final_path(job.workdir, base))
    return job.model_copy(update=update) if update else job


def expand(spec: WorkflowSpec, source: str = "workflow") -> list[Job]:
    """Concrete jobs of ``spec``: sweeps fanned out (needing a sweep means all its parts), paths absolute."""
    with paused_gc():
        return _expand(spec, source)


def _expand(spec: WorkflowSpec, source: str) -> list[Job]:
    base = Path(spec.base)
    jobs: list[Job] = []
    parts: dict[str, list[str]] = {}
    folders: dict[str, str] = {}
    for job in spec.jobs:
        if job.sweep is None:
            jobs.append(_resolve(job, base, folders))
            continue
        fanned = fan_out(job, final_path(job.sweep, base))
        parts[job.name] = [item.name for item in fanned]
        jobs.extend(fanned)
    if parts:
        jobs = [
            job.model_copy(update={"needs": [n for need in job.needs for n in parts.get(need, [need])]})
            for job in jobs
        ]
    check(jobs, source)
    return jobs


def check(jobs: list[Job], source: str) -> None:
    """Refuse duplicate names, unknown needs or hosts, missing files and cycles, before anything runs."""
    seen: set[str] = set()
    for job in jobs:
        if job.name in seen:
            raise InputError(f"{source}: duplicate job name {job.name!r}")
        seen.add(job.name)
    for job in jobs:
        for need in job.needs:
            if need not in seen:
                raise InputError(f"{source}: job {job.name!r}: field needs: unknown job {need!r}")
        for key in ("script", "python", "notebook"):
            value = getattr(job, key)
            if value is not None and not os.path.isfile(value):
                raise InputError(f"{source}: job {job.name!r}: field {key}: no such file {value!r}")
        runs_here = job.kind == "local" or (job.kind == "slurm" and not job.host)
        if runs_here and job.workdir is not None and not os.path.isdir(job.workdir):
            raise InputError(f"{source}: job {job.name!r}: field workdir: no such folder {job.workdir!r}")
    refuse_cycles(jobs, source)


def refuse_cycles(jobs: list[Job], source: str = "workflow") -> None:
    """A cycle among the needs is an InputError naming it (``a -> b -> a``: a is needed by b, b by a).

    The standard library's topological sort: networkx took a tenth of a second to import alone.
    """
    try:
        graphlib.TopologicalSorter({job.name: job.needs for job in jobs}).prepare()
    except graphlib.CycleError as error:
        raise InputError(f"{source}: dependency cycle: {' -> '.join(error.args[1])}") from None
