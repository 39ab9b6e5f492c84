"""A second process that makes a sweep's folders and files while generation renders the next ones.

On two cores this takes the file system's work (``mkdir``, ``open``, ``write``, ``close``) off
the rendering process: 100,000 experiments in about half the time of writing them in one. Threads
do not help here, they take turns on the GIL around every system call. The writer is a bare
Python (no site, no imports but ``os`` and ``sys``) fed over a pipe, so it starts in a few
milliseconds and nothing is forked from a process that may run threads.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence

from cm_common import InputError, RuntimeFailure

# Reads frames of b"PARENTS PATHLEN [MODE NAMELEN SIZE]...\n" + path + (name + data)...: a new folder
# at path (its missing parents first where PARENTS is 1) and new files in it. A folder that exists
# ends it with exit 3.
_CHILD = """
import os, sys
read = sys.stdin.buffer.read
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
path = b""
try:
    for header in iter(sys.stdin.buffer.readline, b""):
        fields = list(map(int, header.split()))
        folder = path = read(fields[1])
        if fields[0]:
            os.makedirs(os.path.dirname(folder) or b".", exist_ok=True)
        try:
            os.mkdir(folder)
        except FileExistsError:
            sys.stderr.write(os.fsdecode(folder))
            sys.exit(3)
        for at in range(2, len(fields), 3):
            mode, length, size = fields[at : at + 3]
            path = folder + b"/" + read(length)
            fd = os.open(path, flags, mode)
            try:
                os.write(fd, read(size))
            finally:
                os.close(fd)
except OSError as error:
    sys.exit(f"{error.strerror}: {os.fsdecode(path)}")
"""
_FOLDER_EXISTS = 3

File = tuple[str, str, int]  # name, text, mode


class Writer:
    """Make new folders and files through the writer process; leaving the block waits for all of them.

    Relative paths are taken from ``root``, where the writer works (the kernel then walks only the
    path below it). A folder that exists raises InputError naming it (relative to ``root``); any
    other failure of the writer raises RuntimeFailure with its message. An error inside the block
    stops the writer before it is passed on (nothing writes on behind the caller's back)."""

    def __init__(self, root: str = "/") -> None:
        self._root = root
        self._child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=root,
        )
        assert self._child.stdin is not None and self._child.stderr is not None  # PIPE sets them
        self._pipe, self._errors = self._child.stdin, self._child.stderr

    def folder(self, path: str, files: Sequence[File] = (), *, parents: bool = False) -> None:
        """Create the folder ``path`` (it must not exist; its missing parents too where ``parents``)
        holding ``files``: (name, text, mode) each. One frame for all: a third of the pipe's traffic."""
        encoded_path = os.fsencode(path)
        header, parts = [b"%d %d" % (parents, len(encoded_path))], [encoded_path]
        for name, text, mode in files:
            encoded, data = os.fsencode(name), text.encode()
            header.append(b"%d %d %d" % (mode, len(encoded), len(data)))
            parts += (encoded, data)
        try:
            self._pipe.write(b" ".join(header) + b"\n" + b"".join(parts))
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
        code = self._child.wait()
        text = self._errors.read().decode(errors="replace")
        if code == _FOLDER_EXISTS:
            shown = os.path.relpath(os.path.join(self._root, text), self._root)
            raise InputError(f"two experiments would share the folder {shown!r}")
        message = text.strip().splitlines()
        raise RuntimeFailure(f"writing the experiments: {message[-1] if message else 'the writer stopped'}")
