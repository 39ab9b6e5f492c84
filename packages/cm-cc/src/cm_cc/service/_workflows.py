"""Uploaded workflows: ``$CM_HOME/cc/workflows/NAME/`` holds the workflow file and its scripts.

An upload is a YAML text or a .zip / .tar.gz archive (checked by ``extract_archive``). It is
checked whole in a staging folder (the workflow loads, every file it names lies inside the
upload) and only then renamed into place: a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cm_common import InputError, atomic_write_text, cm_home

from .._models import NAME_PATTERN, Job
from .._paths import lies_inside
from .._workflow import Workflow
from ._archive import ArchiveLimits, extract_archive
from ._limits import DocumentLimits, check_document

WORKFLOW_FILES = ("workflow.yaml", "workflow.yml")
FACTS = ".cm-cc.json"  # what listings show, kept at upload so that no listing parses a workflow
_FILE_FIELDS = ("script", "python", "notebook", "sweep", "workdir")


class NotFound(InputError):
    """A named thing does not exist (HTTP 404)."""


class Exists(InputError):
    """A named thing exists already (HTTP 409)."""


class BadUpload(InputError):
    """An upload that is not a usable YAML text or archive (HTTP 400)."""


def is_archive(data: bytes) -> bool:
    """True for zip or gzip data (by their magic bytes)."""
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b"))


def find_workflow_file(folder: Path) -> Path:
    """An upload's workflow file: workflow.yaml, else the only YAML file (at the top or one folder down)."""
    for root in (folder, *[d for d in folder.iterdir() if d.is_dir()][:1]):
        for name in WORKFLOW_FILES:
            if (root / name).is_file():
                return root / name
        yamls = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
        if len(yamls) == 1:
            return yamls[0]
        if yamls:
            names = ", ".join(p.name for p in yamls)
            raise InputError(f"the archive holds several YAML files ({names}); name one workflow.yaml")
    raise InputError("the archive holds no workflow file (workflow.yaml)")


def _check_inside(job: Job, folder: Path, source: str) -> None:
    for name in _FILE_FIELDS:
        value = getattr(job, name)
        if value and not lies_inside(value, folder):
            raise InputError(f"{source}: job {job.name!r}: {name} {value!r} must lie inside the upload")


def _size(folder: Path) -> int:
    return sum(os.path.getsize(Path(root, name)) for root, _, names in os.walk(folder) for name in names)


@dataclass
class StoredWorkflow:
    """An uploaded workflow: its name, file, jobs (name, kind, host, needs), upload time and bytes."""

    name: str
    file: str
    jobs: list[dict[str, Any]] = field(default_factory=list)
    uploaded: float = 0.0
    size: int = 0


class WorkflowLibrary:
    """The uploaded workflows of this CM_HOME."""

    def __init__(
        self,
        root: Path | None = None,
        limits: ArchiveLimits | None = None,
        document: DocumentLimits | None = None,
    ) -> None:
        self.root = root or cm_home() / "cc" / "workflows"
        self.limits = limits or ArchiveLimits()
        self.document = document or DocumentLimits()

    def _folder(self, name: str) -> Path:
        if not re.fullmatch(NAME_PATTERN, name) or len(name) > 100:
            raise NotFound(f"no workflow {name!r}")
        return self.root / name

    def _load(self, folder: Path, name: str) -> tuple[Workflow, StoredWorkflow]:
        try:
            return self._check(folder, name)
        except InputError as error:  # name files as in the upload, not by their place on the server
            message = str(error).replace(f"{folder.resolve()}/", "").replace(f"{folder}/", "")
            raise type(error)(" ".join(message.split())) from None

    def _check(self, folder: Path, name: str) -> tuple[Workflow, StoredWorkflow]:
        file = find_workflow_file(folder)
        source = f"{name}/{file.relative_to(folder)}"
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{source}: not UTF-8 text") from None
        check_document(text, source, self.document)
        workflow = Workflow.load(file)
        base = folder.resolve()
        for job in workflow.jobs:
            _check_inside(job, base, source)
        jobs = workflow.check()
        if not jobs:
            raise InputError(f"{source}: the workflow has no jobs")
        facts = [{"name": j.name, "kind": j.kind, "host": j.host or "", "needs": j.needs} for j in jobs]
        relative = str(file.relative_to(folder))
        return workflow, StoredWorkflow(name, relative, facts, time.time(), _size(folder))

    def get(self, name: str) -> StoredWorkflow:
        """One workflow's facts (kept at upload); NotFound when there is none of that name."""
        folder = self._folder(name)
        if not folder.is_dir():
            raise NotFound(f"no workflow {name!r}")
        try:
            return StoredWorkflow(**json.loads((folder / FACTS).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):  # stored before facts were kept: work them out once
            stored = self._load(folder, name)[1]
            stored.uploaded = folder.stat().st_mtime
            atomic_write_text(folder / FACTS, json.dumps(asdict(stored)))
            return stored

    def names(self) -> list[str]:
        """The names of the stored workflows, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def workflow(self, name: str) -> Workflow:
        """The stored workflow, loaded for a run."""
        stored = self.get(name)
        return Workflow.load(self._folder(name) / stored.file)

    def add(self, data: bytes, name: str | None = None, replace: bool = False) -> StoredWorkflow:
        """Check and store an upload (YAML or archive) under ``name`` (default: the workflow's own name)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # workflows hold commands and env values
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".upload-"))
        try:
            folder = staging / "workflow"
            if is_archive(data):
                try:
                    extract_archive(data, folder, self.limits)
                except InputError as error:
                    raise BadUpload(str(error)) from None
            else:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise BadUpload("the upload is neither UTF-8 YAML nor a .zip / .tar.gz archive") from None
                folder.mkdir(mode=0o700)
                (folder / "workflow.yaml").write_text(text, encoding="utf-8")
            workflow, stored = self._load(folder, name or "upload")
            target_name = name or workflow.spec.name
            if not re.fullmatch(NAME_PATTERN, target_name) or len(target_name) > 100:
                raise InputError(f"workflow name {target_name!r} is not usable; pass ?name=")
            target = self._folder(target_name)
            if target.exists() and not replace:
                raise Exists(f"workflow {target_name!r} exists already (upload with replace=true)")
            stored.name = target_name
            (folder / FACTS).write_text(json.dumps(asdict(stored)), encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            folder.rename(target)
            return stored
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def delete(self, name: str) -> None:
        """Remove a stored workflow (its runs stay)."""
        folder = self._folder(name)
        if not folder.is_dir():
            raise NotFound(f"no workflow {name!r}")
        shutil.rmtree(folder)
