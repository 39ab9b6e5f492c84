"""A second process that writes a sweep's files while generation renders the next ones.

On two cores this takes the file system's work (``open``, ``write``, ``close``) off the
rendering process: 100,000 experiments in about half the time of writing them in one. Threads
do not help here, they take turns on the GIL around every system call. The writer is a bare
Python (no site, no imports but ``os`` and ``sys``) fed over a pipe, so it starts in a few
milliseconds and nothing is forked from a process that may run threads.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

from cm_common import RuntimeFailure

# Reads frames of b"MODE PATHLEN SIZE\n" + path + data; writes each as a new file.
_CHILD = """
import os, sys
read = sys.stdin.buffer.read
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
path = b""
try:
    for header in iter(sys.stdin.buffer.readline, b""):
        mode, length, size = header.split()
        path = read(int(length))
        fd = os.open(path, flags, int(mode))
        try:
            os.write(fd, read(int(size)))
        finally:
            os.close(fd)
except OSError as error:
    sys.exit(f"{error.strerror}: {os.fsdecode(path)}")
"""


class Writer:
    """Write new files through the writer process; leaving the block waits for every file.

    A failure of the writer raises RuntimeFailure with its message; an error inside the block stops
    the writer before it is passed on (nothing writes on behind the caller's back)."""

    def __init__(self) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._child.stdin is not None and self._child.stderr is not None  # PIPE sets them
        self._pipe, self._errors = self._child.stdin, self._child.stderr

    def add(self, path: str, text: str, mode: int = 0o644) -> None:
        """Create ``path`` (it must not exist) holding ``text``."""
        name, data = os.fsencode(path), text.encode()
        try:
            self._pipe.write(b"%d %d %d\n%b%b" % (mode, len(name), len(data), name, data))
        except BrokenPipeError:
            self._failed()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self._child.kill()
        with contextlib.suppress(BrokenPipeError):  # the writer stopped: its message says why
            self._pipe.close()
        try:
            if self._child.wait() and kind is None:
                self._failed()
        finally:
            self._errors.close()

    def _failed(self) -> None:
        self._child.wait()
        message = self._errors.read().decode(errors="replace").strip().splitlines()
        raise RuntimeFailure(f"writing the experiments: {message[-1] if message else 'the writer stopped'}")
