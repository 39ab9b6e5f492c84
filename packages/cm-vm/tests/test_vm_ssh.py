"""ssh, put, get and wait on the real sshd (127.0.0.1) through VM records; a cm-cc job on a VM by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from vm_helpers import cli, records, write_settings

from cm_vm._sshconfig import config_path


def _lab(cm_home: Path, sshd: dict[str, str]) -> None:
    """A dummy cloud whose VMs get the sshd's address, user, key and port."""
    defaults = {
        "image": "1",
        "size": "1",
        "username": sshd["user"],
        "key_file": sshd["key"],
        "port": int(sshd["port"]),
    }
    write_settings(
        cm_home,
        {
            "clouds": {"lab": {"kind": "dummy", "options": {"address": sshd["host"]}, "defaults": defaults}},
            "cc": {"ssh_config": [str(config_path())]},
        },
    )


@pytest.mark.ssh
def test_ssh_command_put_get_wait(cm_home: Path, sshd: dict[str, str], tmp_path: Path) -> None:
    _lab(cm_home, sshd)
    records("boot", "--name", "machine_a", "--cloud", "lab")
    assert records("wait", "machine_a", "--timeout", "60")[0]["state"] == "running"
    hello = cli("ssh", "machine_a", "--command", "echo hello from $USER")
    assert (hello.returncode, hello.stdout) == (0, f"hello from {sshd['user']}\n")
    assert cli("ssh", "--command", "exit 7").returncode == 7  # the last booted VM by default

    local = tmp_path / "data.txt"
    local.write_text("payload\n")
    assert cli("put", str(local), "machine_a", f"/tmp/cm-vm-test-{os.getpid()}.txt").returncode == 0
    back = tmp_path / "back.txt"
    got = cli("get", "machine_a", f"/tmp/cm-vm-test-{os.getpid()}.txt", str(back))
    assert got.returncode == 0, got.stderr
    assert back.read_text() == "payload\n"
    missing = cli("get", "machine_a", "/nonexistent/file", str(tmp_path / "x"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.ssh
def test_openssh_uses_the_fragment(cm_home: Path, sshd: dict[str, str]) -> None:
    _lab(cm_home, sshd)
    records("boot", "--name", "machine_b", "--cloud", "lab")
    result = subprocess.run(
        ["ssh", "-F", str(config_path()), "-o", "BatchMode=yes", "machine_b", "echo", "via-openssh"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "via-openssh\n"), result.stderr


@pytest.mark.ssh
def test_a_cm_cc_job_runs_on_a_vm_by_name(cm_home: Path, sshd: dict[str, str], tmp_path: Path) -> None:
    pytest.importorskip("cm_cc", reason="cm-cc is not installed in this environment")
    _lab(cm_home, sshd)
    records("boot", "--name", "machine_a", "--cloud", "lab")
    assert "Host machine_a\n" in config_path().read_text()
    flow = tmp_path / "wf.yaml"
    job = {"name": "predict", "kind": "ssh", "host": "machine_a", "exec": "echo predicted on $CM_CC_JOB"}
    flow.write_text(yaml.safe_dump({"name": "hybrid", "jobs": [job]}))
    run = subprocess.run(
        [sys.executable, "-m", "cm_cc", "run", str(flow), "-q", "-o", "json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    from cm_cc import Store

    record = Store().runs()[0]
    assert record.state == "done"
    assert (Path(record.directory) / "predict" / "stdout").read_text() == "predicted on predict\n"

    records("terminate", "machine_a", "--yes")
    assert "machine_a" not in config_path().read_text()
    again = subprocess.run(
        [sys.executable, "-m", "cm_cc", "run", str(flow), "-q", "-o", "json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=240,
    )
    assert again.returncode != 0  # the name no longer resolves to the VM
