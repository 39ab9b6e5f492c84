"""The inventory, names, hostlists and the ssh config fragment, with the file-backed dummy cloud."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from vm_helpers import cli, records

from cm_vm._hostlist import expand
from cm_vm._models import Vm
from cm_vm._sshconfig import config_path, host_entry, render


def test_dummy_lifecycle_without_an_account() -> None:
    names = [vm["name"] for vm in records("boot", "--cloud", "dummy", "--name", "d[1-3]")]
    assert names == ["d1", "d2", "d3"]
    assert [vm["state"] for vm in records("stop", "d[2-3]")] == ["stopped", "stopped"]
    listed = {vm["name"]: vm["state"] for vm in records("list", "--cloud", "dummy", "--refresh")}
    assert listed == {"d1": "running", "d2": "stopped", "d3": "stopped"}
    text = config_path().read_text()
    assert "Host d1\n" in text and "Host d2" not in text
    records("start", "d2")
    assert "Host d2\n" in config_path().read_text()
    records("terminate", "d[1-3]", "--yes")
    assert records("list", "--cloud", "dummy", "--refresh") == []
    assert "\nHost " not in config_path().read_text()


def test_dry_run_reserves_nothing() -> None:
    planned = records("boot", "--cloud", "dummy", "--n", "2", "--dry-run")
    assert [vm["state"] for vm in planned] == ["dry-run", "dry-run"]
    assert planned[0]["name"].endswith("-vm-<1>")
    assert records("list", "--cloud", "dummy", "--refresh") == []


def test_two_boots_racing_get_distinct_names() -> None:
    command = [sys.executable, "-m", "cm_vm", "boot", "--cloud", "dummy", "--n", "4", "--output", "json"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
    names = [vm["name"] for vm in records("list", "--cloud", "dummy")]
    assert len(names) == 12 and len(set(names)) == 12
    assert sorted(int(name.rsplit("-", 1)[1]) for name in names) == list(range(1, 13))


def test_not_found_and_bad_names_are_one_line() -> None:
    result = cli("info", "ghost")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no VM named 'ghost' (see cm-vm list, or cm-vm list --refresh)"
    bad = cli("boot", "--cloud", "dummy", "--name", "bad name")
    assert bad.returncode == 2 and bad.stderr.startswith("error: invalid VM name 'bad name'")
    nothing = cli("stop")
    assert nothing.returncode == 2 and "none booted yet" in nothing.stderr
    range_error = cli("stop", "vm[3-1]")
    assert range_error.returncode == 2 and "reversed" in range_error.stderr


def test_large_list_ends_with_a_summary() -> None:
    records("boot", "--cloud", "dummy", "--n", "30")
    result = cli("list", "--cloud", "dummy", "--limit", "5")
    assert result.returncode == 0
    assert "30 VMs (30 running); first 5 shown" in result.stderr
    assert len(records("list", "--cloud", "dummy")) == 30


@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=20, unique=True))
def test_hostlist_expands_what_it_is_given(numbers: list[int]) -> None:
    spec = ",".join(str(n) for n in numbers)
    assert expand(f"vm[{spec}]") == [f"vm{n}" for n in numbers]


def test_hostlist_forms() -> None:
    assert expand("a[1-3],b") == ["a1", "a2", "a3", "b"]
    assert expand("n[08-10]") == ["n08", "n09", "n10"]
    assert expand("r[1-2]c[1-2]") == ["r1c1", "r1c2", "r2c1", "r2c2"]


def test_ssh_config_skips_what_could_break_out_of_a_line() -> None:
    good = Vm("ok", "c", "i", "running", public_ip="10.0.0.1", username="ubuntu", key_file="/k/id key")
    assert host_entry(good) == (
        "Host ok\n    HostName 10.0.0.1\n    Port 22\n    User ubuntu\n"
        '    IdentityFile "/k/id key"\n    IdentitiesOnly yes\n    StrictHostKeyChecking accept-new\n'
        f"    UserKnownHostsFile {config_path().with_name('known_hosts')}"
    )
    hostile = Vm("bad", "c", "i", "running", public_ip="10.0.0.2\n    ProxyCommand evil")
    stopped = Vm("off", "c", "i", "stopped", public_ip="10.0.0.3")
    text = render([good, hostile, stopped])
    assert "Host ok" in text and "Host bad" not in text and "evil" not in text and "Host off" not in text
