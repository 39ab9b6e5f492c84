"""A cm-sbatch output folder as jobs: one per experiment of its ``manifest.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from cm_common import InputError

from ._models import ExperimentRef, Job

MANIFEST = "manifest.jsonl"


class Experiment(BaseModel):
    """One line of a cm-sbatch manifest."""

    model_config = ConfigDict(extra="allow")

    id: str
    directory: str
    script: str
    parameters: dict[str, object] = {}


def read_manifest(out: Path) -> list[Experiment]:
    """The experiments of the sweep in ``out``; a bad line is an InputError naming file and line."""
    manifest = out / MANIFEST
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{manifest}: no such file (is {out} a cm-sbatch output folder?)") from None
    experiments = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            experiments.append(Experiment.model_validate_json(line))
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "<line>"
            raise InputError(f"{manifest}:{number}: field {field}: {problem['msg']}") from None
    if not experiments:
        raise InputError(f"{manifest}: no experiments")
    return experiments


def fan_out(job: Job, out: Path) -> list[Job]:
    """The jobs ``job`` (``sweep: out``) stands for: one per experiment, ``bash script`` in its folder."""
    jobs = []
    for experiment in read_manifest(out):
        fields = job.model_dump(
            exclude={"sweep", "name", "needs", "parameters", "script", "workdir", "experiment"}
        )
        jobs.append(
            Job(
                **fields,
                name=f"{job.name}-{experiment.id}",
                needs=list(job.needs),
                script=str((out / experiment.script).resolve()),
                workdir=str((out / experiment.directory).resolve()),
                parameters=json.loads(json.dumps(experiment.parameters, default=str)),
                experiment=ExperimentRef(out=str(out), id=experiment.id),
            )
        )
    return jobs
