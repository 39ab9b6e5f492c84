"""The OpenSSH config fragment ``$CM_HOME/vm/ssh_config``: one ``Host`` entry per running VM.

Users may ``Include`` it from ``~/.ssh/config``; ``cm-vm ssh`` and any OpenSSH or paramiko
client then reach a VM by its name. It is rewritten atomically whenever VMs change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cm_common import atomic_write_text, cm_home

from ._models import Vm

# A value a provider returned must not break out of its line; anything else is skipped.
_SAFE = re.compile(r"^[^\s\"#]+$")
_SAFE_PATH = re.compile(r"^[^\n\r\"]+$")


def config_path() -> Path:
    """Where the fragment lives."""
    return cm_home() / "vm" / "ssh_config"


def _path_value(path: str) -> str:
    return f'"{path}"' if " " in path else path


def host_entry(vm: Vm) -> str | None:
    """The ``Host`` block of ``vm``, or None when it has no usable address."""
    address = vm.address
    if vm.state != "running" or not address or not _SAFE.match(address):
        return None
    lines = [f"Host {vm.name}", f"    HostName {address}", f"    Port {int(vm.port)}"]
    if vm.username and _SAFE.match(vm.username):
        lines.append(f"    User {vm.username}")
    if vm.key_file and _SAFE_PATH.match(vm.key_file):
        lines += [
            f"    IdentityFile {_path_value(str(Path(vm.key_file).expanduser()))}",
            "    IdentitiesOnly yes",
        ]
    known = _path_value(str(config_path().with_name("known_hosts")))
    lines += ["    StrictHostKeyChecking accept-new", f"    UserKnownHostsFile {known}"]
    return "\n".join(lines)


def render(vms: Iterable[Vm]) -> str:
    """The whole fragment for ``vms``."""
    head = [
        "# Written by cm-vm: one Host per running VM; rewritten on boot, start, stop and terminate.",
        f"# Use it from ~/.ssh/config with:  Include {config_path()}",
        "",
    ]
    blocks = [block for block in map(host_entry, sorted(vms, key=lambda vm: vm.name)) if block]
    return "\n".join(head) + "\n\n".join(blocks) + ("\n" if blocks else "")


def write(vms: Iterable[Vm]) -> Path:
    """Rewrite the fragment atomically; return its path."""
    path = config_path()
    atomic_write_text(path, render(vms), mode=0o600)
    return path
