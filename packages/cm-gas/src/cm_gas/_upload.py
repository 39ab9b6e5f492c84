"""File uploads: what a function receives for an ``Upload`` parameter, with a name safe to use."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 200


@dataclasses.dataclass(frozen=True)
class Upload:
    """An uploaded file: its sanitised ``filename``, its ``content_type`` and its ``data``.

    The name never holds a folder, a leading dot, control characters or anything but
    letters, digits, ``.``, ``_`` and ``-``, so ``Path(folder) / upload.filename`` stays in ``folder``.
    """

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        """The number of bytes."""
        return len(self.data)


def safe_filename(name: str | None) -> str:
    """A file name safe to join to a folder: the last path part, ASCII letters, digits, ``._-``."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    last = re.split(r"[\\/]", plain)[-1]
    return _UNSAFE.sub("_", last).strip("._")[:MAX_NAME] or "upload"
