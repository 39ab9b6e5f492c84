"""Safe extraction of uploaded workflow archives (.zip, .tar.gz).

Every member is checked before anything is written: no absolute paths, no ``..``, no links
or special files, and limits on total size, file count and compression ratio. Extraction
goes into a temp folder that is renamed into place only when all of it succeeded.
"""

from __future__ import annotations

import io
import shutil
import stat
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cm_common import InputError


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds an archive must stay within."""

    max_bytes: int = 50 * 1024 * 1024
    max_files: int = 2000
    max_ratio: float = 100.0


@dataclass(frozen=True)
class _Member:
    name: str
    size: int
    compressed: int
    is_dir: bool


def _check_name(name: str) -> str:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or name.startswith(("\\", "/")) or ":" in path.parts[0]:
        raise InputError(f"archive member {name!r}: absolute paths are not allowed")
    if ".." in path.parts or "\\" in name:
        raise InputError(f"archive member {name!r}: paths leaving the folder are not allowed")
    return name


def _check_limits(members: list[_Member], archive_size: int, limits: ArchiveLimits) -> None:
    files = [m for m in members if not m.is_dir]
    if len(files) > limits.max_files:
        raise InputError(f"archive holds {len(files)} files, more than the limit of {limits.max_files}")
    total = sum(m.size for m in files)
    if total > limits.max_bytes:
        raise InputError(f"archive expands to {total} bytes, more than the limit of {limits.max_bytes}")
    for member in files:
        if member.size > limits.max_ratio * max(member.compressed, 1) and member.size > 1024 * 1024:
            raise InputError(f"archive member {member.name!r}: compression ratio too high (a zip bomb?)")
    if total > limits.max_ratio * max(archive_size, 1) and total > 1024 * 1024:
        raise InputError("archive: compression ratio too high (a zip bomb?)")


def _zip_members(archive: zipfile.ZipFile) -> list[_Member]:
    members = []
    for info in archive.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise InputError(f"archive member {info.filename!r}: links and special files are not allowed")
        members.append(_Member(_check_name(info.filename), info.file_size, info.compress_size, info.is_dir()))
    return members


def _tar_members(archive: tarfile.TarFile) -> list[_Member]:
    members = []
    for info in archive.getmembers():
        if not (info.isfile() or info.isdir()):
            raise InputError(f"archive member {info.name!r}: links and special files are not allowed")
        members.append(_Member(_check_name(info.name), info.size, info.size, info.isdir()))
    return members


def _extract(data: bytes, target: Path, limits: ArchiveLimits) -> None:
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_limits(_zip_members(archive), len(data), limits)
            archive.extractall(target)  # noqa: S202 - every member was checked above
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            _check_limits(_tar_members(archive), len(data), limits)
            archive.extractall(target, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise InputError(f"not a .zip or .tar.gz archive: {error}") from None


def extract_archive(data: bytes, destination: Path, limits: ArchiveLimits | None = None) -> Path:
    """Check and extract ``data`` into ``destination`` (which must not exist yet).

    A rejected archive raises an InputError and leaves nothing behind.
    """
    if destination.exists():
        raise InputError(f"{destination.name}: already exists")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".upload-"))
    try:
        _extract(data, staging, limits or ArchiveLimits())
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination
