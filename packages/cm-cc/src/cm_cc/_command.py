"""What a job runs, as the ``job.sh`` written into its run folder and, locally, as an argument list."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from functools import lru_cache
from pathlib import Path

from ._models import Job

# A command made of plain words runs without a shell; anything else goes through bash.
_SHELL_SYNTAX = set("|&;<>()$`\\\"'*?[]{}~#!=%\n")
# Builtins that mean something else (or nothing) as a program of the same name.
_BUILTINS = {"cd", "exit", "exec", "export", "set", "unset", "source", "ulimit", "umask", "trap", "eval"}
_BUILTINS |= {"alias", "wait", "read", "shopt", "hash", "type", "command", "builtin", "return", "shift"}


@lru_cache(maxsize=256)
def _program(name: str) -> bool:
    return name not in _BUILTINS and shutil.which(name) is not None


def simple_argv(command: str) -> list[str] | None:
    """``command`` as an argument list when it is plain words (no shell syntax at all), else None."""
    if _SHELL_SYNTAX & set(command):
        return None
    words = command.split()
    return words if words and _program(words[0]) else None


def _exports(job: Job) -> str:
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in job.env.items())


def remote_files(job: Job) -> dict[str, Path]:
    """Files a remote (ssh or Slurm-over-ssh) job needs next to its ``job.sh``: remote name -> local file."""
    if job.python:
        return {"job.py": Path(job.python)}
    if job.notebook:
        return {"job.ipynb": Path(job.notebook)}
    return {}


def script_text(job: Job, *, remote: bool, directory: Path) -> str:
    """The ``job.sh`` of ``job``: the workflow's env as exports, then the action.

    Local python and notebook jobs use this interpreter and the original files; remote ones
    ``python3`` and the copies of :func:`remote_files`, in the job's remote folder.
    """
    python = "python3" if remote else shlex.quote(sys.executable)
    if job.script is not None:
        return _with_exports(Path(job.script).read_text(encoding="utf-8"), _exports(job))
    body = _exports(job)
    if job.exec is not None:
        body += job.exec + "\n"
    elif job.python is not None:
        source = '"$CM_CC_DIR/job.py"' if remote else shlex.quote(job.python)
        body += f"exec {python} {source}\n"
    elif job.notebook is not None:
        source = '"$CM_CC_DIR/job.ipynb"' if remote else shlex.quote(job.notebook)
        out = '"$CM_CC_DIR/output.ipynb"' if remote else shlex.quote(str(directory / "output.ipynb"))
        parameters = shlex.quote(json.dumps(job.parameters))
        body += f"exec {python} -m papermill --log-output {source} {out} -y {parameters}\n"
    return "#!/usr/bin/env bash\n" + body


def _with_exports(script: str, exports: str) -> str:
    """``script`` with ``exports`` after its leading comments (so ``#SBATCH`` lines stay in front)."""
    lines = script.splitlines(keepends=True)
    head = 0
    while head < len(lines) and (lines[head].startswith("#") or not lines[head].strip()):
        head += 1
    shebang = "" if script.startswith("#!") else "#!/usr/bin/env bash\n"
    return shebang + "".join(lines[:head]) + exports + "".join(lines[head:])


def local_argv(job: Job, script: Path) -> list[str]:
    """How a local job starts: a plain ``exec`` command or a python file directly, else ``bash job.sh``."""
    if job.exec is not None:
        argv = simple_argv(job.exec)
        if argv is not None:
            return argv
    if job.python is not None:
        return [sys.executable, job.python]
    return ["bash", str(script)]
