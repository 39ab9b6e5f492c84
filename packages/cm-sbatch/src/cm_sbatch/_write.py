"""Writing a sweep to disk (the only I/O of generation): one folder per record, all or nothing.

Everything goes into a temporary folder beside ``out`` that is renamed into place at the end;
a failure removes it. Regenerating with ``force`` keeps the job records (``jobs.jsonl``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from cm_common import InputError, file_lock

from ._folder import CONFIG, JOBS, KEEP, MANIFEST, SUBMIT, SUBMIT_HEAD, manifest_line, submit_line
from ._render import Record
from ._writer import Writer


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"{out}: exists and is not empty; use --force to regenerate (job records are kept)")


def _write_records(
    records: Iterable[Record], tmp: Path, script: str, nested: bool, progress: Callable[[int], None] | None
) -> int:
    """Write every record; memory stays flat: folders are checked by mkdir, nested ids by their hash."""
    root = str(tmp)
    seen: set[int] = set()
    count = 0
    with (
        open(tmp / MANIFEST, "w", encoding="utf-8") as manifest,
        open(tmp / SUBMIT, "w") as submit,
        Writer(root) as files,
    ):
        submit.write(SUBMIT_HEAD)
        for record in records:
            if nested:  # a nested folder is unique by construction, its flat id need not be
                if hash(record.id) in seen and any(e == record.id for e in _ids(tmp / MANIFEST, manifest)):
                    raise InputError(f"two experiments would share the id {record.id!r}")
                seen.add(hash(record.id))
            files.folder(record.directory, [(script, record.script, 0o755), (CONFIG, record.config, 0o644)])
            manifest.write(manifest_line(record.id, record.directory, record.parameters, script))
            submit.write(submit_line(record.directory, script))
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
    records: Iterable[Record],
    out: str | os.PathLike[str],
    *,
    script: str,
    nested: bool = True,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every record under ``out`` (each script named ``script``); return how many.

    ``nested`` says the folders nest one level per key (their ids are then checked apart).
    ``out`` must not exist or be empty unless ``force``; then it is replaced whole, except its
    job records. Bad input raises InputError and leaves ``out`` as it was.
    """
    target = Path(os.path.abspath(out))
    _check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        count = _write_records(records, tmp, script, nested, progress)
        if count == 0:
            raise InputError("the sweep yields zero experiments: the include/exclude rules keep none")
        if target.is_dir():
            _swap(target, tmp)
        else:
            os.rename(tmp, target)
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
