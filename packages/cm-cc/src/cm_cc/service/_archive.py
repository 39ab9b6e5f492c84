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
import zlib
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
    path: str
    size: int
    compressed: int
    is_dir: bool


def _check_name(name: str) -> str:
    """The member's path without a leading ``./`` (``tar czf x.tar.gz -C dir .``); '' for the top itself."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or name.startswith(("\\", "/")):
        raise InputError(f"archive member {name!r}: absolute paths are not allowed")
    if path.parts and ":" in path.parts[0]:
        raise InputError(f"archive member {name!r}: absolute paths are not allowed")
    if ".." in path.parts or "\\" in name:
        raise InputError(f"archive member {name!r}: paths leaving the folder are not allowed")
    return str(path) if path.parts else ""


def _check_tree(members: list[_Member]) -> None:
    """Refuse a member twice, or a file that another member needs as its folder (``d`` and ``d/e``)."""
    files: dict[str, str] = {}
    folders: dict[str, str] = {}
    for member in members:
        if not member.path:
            continue
        kind = folders if member.is_dir else files
        if member.path in files or (not member.is_dir and member.path in folders):
            raise InputError(f"archive member {member.name!r}: the archive holds {member.path!r} twice")
        kind[member.path] = member.name
        for parent in PurePosixPath(member.path).parents:
            folders.setdefault(str(parent), member.name)
    for path in files:
        if path in folders:
            raise InputError(f"archive member {folders[path]!r}: {path!r} is a file, not a folder")


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
        path = _check_name(info.filename)
        members.append(_Member(info.filename, path, info.file_size, info.compress_size, info.is_dir()))
    _check_tree(members)
    return members


def _tar_members(archive: tarfile.TarFile) -> list[_Member]:
    members = []
    for info in archive.getmembers():
        if not (info.isfile() or info.isdir()):
            raise InputError(f"archive member {info.name!r}: links and special files are not allowed")
        members.append(_Member(info.name, _check_name(info.name), info.size, info.size, info.isdir()))
    _check_tree(members)
    return members


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip ``data``, counting: more than ``limit`` bytes stop it at once (a declared 4 GiB
    member is never inflated). Several gzip members one after the other are read as one stream."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as error:
            raise InputError(f"not a .zip or .tar.gz archive: {error}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise InputError(f"archive expands to more than the limit of {limit} bytes")
        if not inflater.eof:
            raise InputError("not a .zip or .tar.gz archive: the gzip data is cut short")
        rest = inflater.unused_data
    return bytes(out)


def _extract_zip(archive: zipfile.ZipFile, target: Path, members: list[_Member]) -> None:
    """Write every member, reading at most its declared size; a bad CRC or size names the member."""
    for info, member in zip(archive.infolist(), members, strict=True):
        destination = target / member.path if member.path else target
        if member.is_dir:
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, destination.open("wb") as sink:
                shutil.copyfileobj(source, sink)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
            raise InputError(f"archive member {member.name!r}: {error}") from None


def _extract(data: bytes, target: Path, limits: ArchiveLimits) -> None:
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = _zip_members(archive)
                _check_limits(members, len(data), limits)
                _extract_zip(archive, target, members)
        except zipfile.BadZipFile as error:
            raise InputError(f"not a usable .zip archive: {error}") from None
        return
    # a tar holds a 512-byte header per member and pads each to 512 bytes
    raw = _gunzip(data, limits.max_bytes + 1024 * (limits.max_files + 16))
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
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
