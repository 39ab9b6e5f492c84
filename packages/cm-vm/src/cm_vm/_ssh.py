"""Commands and file copies on a VM over SSH (fabric), and waiting until a VM answers."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from cm_common import InputError, RuntimeFailure

from ._models import Vm

# Login names of common images, for VMs whose cloud sets no default username.
_IMAGE_USERS = (
    ("ubuntu", "ubuntu"),
    ("debian", "admin"),
    ("amzn", "ec2-user"),
    ("amazon", "ec2-user"),
    ("al2023", "ec2-user"),
    ("rhel", "ec2-user"),
    ("centos", "centos"),
    ("fedora", "fedora"),
    ("rocky", "rocky"),
    ("cc-", "cc"),
)


def guess_user(image: str | None) -> str | None:
    """The usual login of an image, guessed from its name (None when it is not a known family)."""
    lowered = (image or "").lower()
    return next((user for part, user in _IMAGE_USERS if part in lowered), None)


def connection(vm: Vm, timeout: float = 30) -> Any:
    """A fabric connection to ``vm`` with its user, port and key."""
    from fabric import Connection

    if not vm.address:
        raise InputError(f"VM {vm.name!r} has no address yet (state {vm.state}; see cm-vm wait)")
    kwargs: dict[str, Any] = {"key_filename": str(Path(vm.key_file).expanduser())} if vm.key_file else {}
    return Connection(
        vm.address, user=vm.username, port=vm.port, connect_kwargs=kwargs, connect_timeout=timeout
    )


def _failure(vm: Vm, error: Exception) -> RuntimeFailure:
    text = " ".join(str(error).split()) or type(error).__name__
    return RuntimeFailure(f"ssh {vm.name} ({vm.address}): {type(error).__name__}: {text}")


def run(vm: Vm, command: str) -> int:
    """Run ``command`` (a remote shell line, as the user typed it) and stream its output; its exit code."""
    try:
        with connection(vm) as conn:
            result = conn.run(
                command, warn=True, hide=False, in_stream=False, out_stream=sys.stdout, err_stream=sys.stderr
            )
            return int(result.exited)
    except (InputError, RuntimeFailure):
        raise
    except Exception as error:  # paramiko's SSHException, socket errors
        raise _failure(vm, error) from None


def put(vm: Vm, source: Path, target: str | None) -> str:
    """Copy a local file to the VM; return where it landed."""
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    try:
        with connection(vm) as conn:
            return str(conn.put(str(source), remote=target or source.name).remote)
    except Exception as error:
        raise _failure(vm, error) from None


def get(vm: Vm, source: str, target: Path | None) -> str:
    """Copy a file from the VM; return the local path."""
    local = target or Path(Path(source).name)
    try:
        with connection(vm) as conn:
            return str(conn.get(source, local=str(local)).local)
    except FileNotFoundError:
        raise RuntimeFailure(f"ssh {vm.name}: no such remote file {source!r}") from None
    except Exception as error:
        raise _failure(vm, error) from None


def reachable(vm: Vm, timeout: float = 10) -> bool:
    """Whether ``vm`` accepts an SSH login and runs ``true``."""
    try:
        with connection(vm, timeout=timeout) as conn:
            return bool(conn.run("true", hide=True, warn=True, in_stream=False).ok)
    except Exception:
        return False


def wait_reachable(vm: Vm, deadline: float, interval: float = 2) -> None:
    """Poll until ``vm`` answers over SSH; a RuntimeFailure at ``deadline`` (a monotonic time)."""
    while not reachable(vm, timeout=max(1, min(10, deadline - time.monotonic()))):
        if time.monotonic() + interval > deadline:
            raise RuntimeFailure(f"VM {vm.name!r} did not answer over ssh in time")
        time.sleep(interval)
