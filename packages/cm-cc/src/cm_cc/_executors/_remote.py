"""SSH connections (fabric) and the remote run folder of a job: ``~/.cm/cc/runs/RUN/JOB``."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fabric import Config, Connection
from paramiko import SSHConfig

from cm_common import load_settings

from .._command import remote_files
from .._models import CcSettings, Host
from ._base import JobContext


def ssh_config() -> SSHConfig | None:
    """The files of the ``cc.ssh_config`` setting, then ~/.ssh/config and the system one (None: no extras).

    paramiko reads no ``Include`` lines, so files such as cm-vm's fragment are named here.
    """
    extra = load_settings().section("cc", CcSettings).ssh_config
    if not extra:
        return None  # fabric reads ~/.ssh/config and /etc/ssh/ssh_config itself
    config = SSHConfig()
    for name in [*extra, "~/.ssh/config", "/etc/ssh/ssh_config"]:
        path = Path(os.path.expandvars(name)).expanduser()
        if path.is_file():  # a fragment not written yet is no error
            with path.open(encoding="utf-8") as handle:
                config.parse(handle)
    return config


def connect(host: Host) -> Connection:
    """A fabric connection; hostname, port, user and key not given come from the OpenSSH config."""
    kwargs: dict[str, Any] = {"key_filename": host.key} if host.key else {}
    parsed = ssh_config()
    config = {"config": Config(ssh_config=parsed)} if parsed is not None else {}
    return Connection(
        host.hostname, user=host.user, port=host.port, connect_kwargs=kwargs, connect_timeout=30, **config
    )


def remote_folder(ctx: JobContext) -> str:
    """The job's folder on the remote host, relative to the remote home."""
    return f".cm/cc/runs/{ctx.run}/{ctx.job.name}"


def upload(connection: Connection, ctx: JobContext) -> str:
    """Copy ``job.sh`` (and a python or notebook file) into the remote folder; return that folder."""
    folder = remote_folder(ctx)
    connection.run(f"mkdir -p {shlex.quote(folder)}", hide=True, in_stream=False)
    connection.put(str(ctx.script), remote=f"{folder}/job.sh")
    for name in remote_files(ctx.job):
        connection.put(str(ctx.directory / name), remote=f"{folder}/{name}")
    return folder


def job_command(ctx: JobContext, folder: str) -> str:
    """The remote shell line: cd to the workdir, note the pid (= process group), exec ``bash job.sh``."""
    home_folder = f'"$HOME"/{shlex.quote(folder)}'
    workdir = shlex.quote(ctx.job.workdir) if ctx.job.workdir else home_folder
    names = f"CM_CC_RUN={shlex.quote(ctx.run)} CM_CC_JOB={shlex.quote(ctx.job.name)} CM_CC_DIR={home_folder}"
    return (
        f"mkdir -p {workdir} && cd {workdir} && echo $$ > {home_folder}/job.pid && "
        f"{names} exec bash {home_folder}/job.sh"
    )


def kill_command(folder: str) -> str:
    """The remote shell line that stops a job's process group."""
    pid = f'"$HOME"/{shlex.quote(folder)}/job.pid'
    return f'test -s {pid} && kill -TERM -- -"$(cat {pid})"'


class Tee:
    """A text stream for fabric's ``out_stream``: appends to a local file and hands on whole lines."""

    def __init__(self, path: Any, on_line: Callable[[str], None] | None = None) -> None:
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.on_line = on_line
        self.partial = ""

    def write(self, text: str) -> int:
        """Append ``text`` and report each completed line."""
        self.handle.write(text)
        self.handle.flush()
        if self.on_line is not None:
            *lines, self.partial = (self.partial + text).split("\n")
            for line in lines:
                self.on_line(line)
        return len(text)

    def flush(self) -> None:
        """Flush the file."""
        self.handle.flush()

    def close(self) -> None:
        """Close the file."""
        self.handle.close()
