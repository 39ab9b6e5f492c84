"""Writer processes that make a sweep's folders and files while generation renders the next ones.

This takes the file system's work (``mkdir``, ``open``, ``write``, ``close``) off the rendering
process: on two cores, 100,000 experiments in less than half the time of writing them in one.
Threads do not help here, they take turns on the GIL around every system call. A writer is a
bare Python (no site, no imports but ``os`` and ``sys``) fed over a pipe, so it starts in a few
milliseconds and nothing is forked from a process that may run threads.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, NamedTuple

from cm_common import InputError, RuntimeFailure

# Reads frames of b"PARENTS PATHLEN [MODE NAMELEN SIZE]...\n" + path + (name + data)...: a new folder
# at path (its missing parents first where PARENTS is 1) and new files in it. A folder that exists
# ends it with exit 3.
_CHILD = """
import os, sys
stdin = open(0, "rb", buffering=1 << 18)
read = stdin.read
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
path = b""
try:
    for header in iter(stdin.readline, b""):
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
    sys.exit(f"{error.strerror}: {os.fsdecode(error.filename or path)}")
"""
_FOLDER_EXISTS = 3
# Two writers: on two cores, 100,000 experiments took 1.4 s with one (it alone did the file
# system's work) and 1.2 s with two. Pipes of 1 MiB and buffers of 256 KiB: with the defaults
# (64 KiB, 8 KiB) the processes took turns waiting on each other, 1.5 s instead of 1.3 s.
WRITERS = 2
_PIPE = 1 << 20
_BUFFER = 1 << 18

File = tuple[str, str, int]  # name, text, mode


class Writer:
    """Make new folders and files through the writer processes; leaving the block waits for all of them.

    Relative paths are taken from ``root``, where the writers work (the kernel then walks only the
    path below it); a folder's missing parents are made. A folder that exists raises InputError
    naming it (relative to ``root``); any other failure of a writer raises RuntimeFailure with its
    message. An error inside the block stops the writers before it is passed on (nothing writes on
    behind the caller's back)."""

    def __init__(self, root: str = "/", processes: int = WRITERS) -> None:
        self._root = root
        self._processes = processes
        self._children = [_start(root)]  # the others when the first has its share (small sweeps: one)
        self._last_parent = [""] * processes  # the parent folder each writer was last sent
        self._sent = 0

    def folder(self, path: str, files: Sequence[File] = ()) -> None:
        """Create the folder ``path`` (it must not exist) holding ``files``: (name, text, mode) each.

        One frame for all (a third of the pipe's traffic); each writer takes the next 64 frames."""
        at = (self._sent >> 6) % self._processes
        self._sent += 1
        if at == len(self._children):
            self._children.append(_start(self._root))
        parent = path.rpartition("/")[0]
        parents, self._last_parent[at] = parent != self._last_parent[at], parent
        header, parts = [str(int(parents)), str(len(path))], [path]
        for name, text, mode in files:
            header += (str(mode), str(len(name)), str(len(text)))
            parts += (name, text)
        frame = " ".join(header) + "\n" + "".join(parts)
        # the lengths counted characters: they are the bytes' only where all is ASCII (encoded at once)
        data = frame.encode() if frame.isascii() else _encoded(path, files, parents)
        child = self._children[at]
        try:
            child.stdin.write(data)
        except BrokenPipeError:
            self._failed(child)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        for child in self._children if kind is not None else ():
            child.process.kill()
        for child in self._children:
            with contextlib.suppress(BrokenPipeError):  # the writer stopped: its message says why
                child.stdin.close()
        try:
            for child in self._children:
                if child.process.wait() and kind is None:
                    self._failed(child)
        finally:
            for child in self._children:
                child.stderr.close()

    def _failed(self, child: _Child) -> None:
        for other in self._children:  # the others stop too: the caller gets one error
            if other is not child:
                other.process.kill()
        code = child.process.wait()
        text = child.stderr.read().decode(errors="replace")
        if code == _FOLDER_EXISTS:
            shown = os.path.relpath(os.path.join(self._root, text), self._root)
            raise InputError(f"two experiments would share the folder {shown!r}")
        message = text.strip().splitlines()
        raise RuntimeFailure(f"writing the experiments: {message[-1] if message else 'the writer stopped'}")


class _Child(NamedTuple):
    process: subprocess.Popen[bytes]
    stdin: IO[bytes]
    stderr: IO[bytes]


def _start(root: str) -> _Child:
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _CHILD],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        bufsize=_BUFFER,
    )
    assert process.stdin is not None and process.stderr is not None  # PIPE sets them
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux: with 64 KiB the processes keep waiting on each other
        with contextlib.suppress(OSError):  # beyond /proc/sys/fs/pipe-max-size: the default stays
            fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE)
    return _Child(process, process.stdin, process.stderr)


def _encoded(path: str, files: Sequence[File], parents: bool) -> bytes:
    """The frame where the text is not all ASCII: each part encoded, the lengths those of the bytes."""
    encoded_path = os.fsencode(path)
    header, parts = [b"%d %d" % (parents, len(encoded_path))], [encoded_path]
    for name, text, mode in files:
        encoded, data = os.fsencode(name), text.encode()
        header.append(b"%d %d %d" % (mode, len(encoded), len(data)))
        parts += (encoded, data)
    return b" ".join(header) + b"\n" + b"".join(parts)
