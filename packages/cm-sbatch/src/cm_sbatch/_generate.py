"""Writing a sweep to disk: one folder per run, manifest.jsonl and submit.sh, all or nothing.

Everything goes into a temporary folder beside ``out`` that is renamed into place at the end;
a failure removes it. Regenerating with ``force`` keeps the job records (``jobs.jsonl``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cm_common import InputError, file_lock

if TYPE_CHECKING:
    from ._experiment import Experiment

MANIFEST = "manifest.jsonl"
SUBMIT = "submit.sh"
JOBS = "jobs.jsonl"
STATE_DIR = ".cm-sbatch"
KEEP = (JOBS, STATE_DIR)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL

SUBMIT_HEAD = """#!/usr/bin/env bash
# Submits every experiment of this sweep with sbatch, each from its own folder.
# `cm-sbatch submit <this folder>` does the same and records the job ids for `cm-sbatch status`.
set -euo pipefail
cd "$(dirname "$0")"
"""


def _write(path: str, text: str, mode: int = 0o644) -> None:
    fd = os.open(path, _FLAGS, mode)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"{out}: exists and is not empty; use --force to regenerate (job records are kept)")


def _write_runs(experiment: Experiment, tmp: Path, progress: Callable[[int], None] | None) -> int:
    """Write every run; memory stays flat: folders are checked by mkdir, nested ids by their hash."""
    root = str(tmp)
    last_parent = root
    nested = experiment.layout == "hierarchical"
    seen: set[int] = set()
    count = 0
    script = experiment.script
    with open(tmp / MANIFEST, "w", encoding="utf-8") as manifest, open(tmp / SUBMIT, "w") as submit:
        submit.write(SUBMIT_HEAD)
        for position, index, run_id, directory in experiment._indexed():
            if nested:  # a nested folder is unique by construction, its flat id need not be
                if hash(run_id) in seen and any(entry == run_id for entry in _ids(tmp / MANIFEST, manifest)):
                    raise InputError(f"two experiments would share the id {run_id!r}")
                seen.add(hash(run_id))
            folder = f"{root}/{directory}"
            parent = folder.rpartition("/")[0]
            if parent != last_parent:
                os.makedirs(parent, exist_ok=True)
                last_parent = parent
            try:
                os.mkdir(folder)
            except FileExistsError:
                raise InputError(f"two experiments would share the folder {directory!r}") from None
            text, config, line = experiment._files(position, index, run_id, directory)
            _write(f"{folder}/{script}", text, 0o755)
            _write(f"{folder}/config.yaml", config)
            manifest.write(line)
            submit.write(f"(cd {shlex.quote(directory)} && sbatch {shlex.quote(script)})\n")
            count += 1
            if progress is not None and count % 256 == 0:
                progress(count)
    if progress is not None:
        progress(count)
    os.chmod(tmp / SUBMIT, 0o755)  # noqa: S103 - a script people run
    return count


def _ids(path: Path, handle: TextIO) -> Iterator[str]:
    """The ids written to the manifest so far (read back only on a hash clash)."""
    handle.flush()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)["id"]


def write_sweep(
    experiment: Experiment, out: Path, *, force: bool = False, progress: Callable[[int], None] | None = None
) -> int:
    """Generate every run of ``experiment`` under ``out``; return how many.

    ``out`` must not exist or be empty unless ``force``; then it is replaced whole, except its
    job records. Bad input raises InputError and leaves ``out`` as it was.
    """
    out = Path(os.path.abspath(out))
    _check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        count = _write_runs(experiment, tmp, progress)
        if count == 0:
            raise InputError("the sweep yields zero experiments: the include/exclude rules keep none")
        if out.is_dir():
            _swap(out, tmp)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return count


def _swap(out: Path, tmp: Path) -> None:
    """Replace ``out`` by ``tmp``, carrying the job records over under their lock."""
    old = out.parent / f".{out.name}.{os.getpid()}.old"
    with file_lock(out / JOBS):
        for name in KEEP:
            source = out / name
            if source.is_dir():
                shutil.copytree(source, tmp / name)
            elif source.exists():
                shutil.copy2(source, tmp / name)
        os.rename(out, old)
        os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
