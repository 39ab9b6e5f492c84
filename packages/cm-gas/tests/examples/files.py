"""File uploads: a sanitised name and a size limit, without the function doing anything for them."""

from __future__ import annotations

import hashlib

from cm_gas import Upload


def checksum(file: Upload, algorithm: str = "sha256") -> dict[str, str | int]:
    """Name, size and digest of an uploaded file.

    Args:
        file: the file
        algorithm: a hashlib algorithm name
    """
    if algorithm not in ("sha256", "md5", "sha1"):
        raise ValueError(f"unknown algorithm {algorithm!r}")
    digest = hashlib.new(algorithm, file.data).hexdigest()
    return {"filename": file.filename, "size": file.size, "digest": digest}


def word_count(text: bytes) -> int:
    """Words in an uploaded text file."""
    return len(text.split())


def upper(data: bytes) -> bytes:
    """The uploaded bytes in upper case (a binary answer)."""
    return data.upper()
