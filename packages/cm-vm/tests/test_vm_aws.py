"""libcloud's EC2 driver over HTTP against a moto EC2 server: boot, list, stop, start, terminate, keys."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from vm_helpers import MotoServer, cli, free_port, records, write_settings

from cm_vm._sshconfig import config_path


def _provider_states(cloud: str = "aws") -> dict[str, str]:
    return {vm["name"]: vm["state"] for vm in records("list", "--cloud", cloud, "--refresh")}


def test_boot_list_stop_start_terminate(aws: str) -> None:
    booted = records("boot", "--name", "a1", "--cloud", aws)
    assert [vm["name"] for vm in booted] == ["a1"]
    assert booted[0]["id"].startswith("i-")
    assert booted[0]["public_ip"]
    assert _provider_states() == {"a1": "running"}
    assert "Host a1\n" in config_path().read_text()

    assert records("stop", "a1")[0]["state"] == "stopped"
    assert _provider_states() == {"a1": "stopped"}
    assert "Host a1\n" not in config_path().read_text()

    started = records("start", "a1")
    assert started[0]["state"] == "running" and started[0]["public_ip"]
    assert _provider_states() == {"a1": "running"}
    assert "Host a1\n" in config_path().read_text()

    assert records("reboot", "a1")[0]["state"] == "running"
    assert records("terminate", "a1", "--yes")[0]["state"] == "terminated"
    assert _provider_states() == {}
    assert "Host a1" not in config_path().read_text()


def test_boot_n_names_from_the_template_and_hostlist_terminate(aws: str) -> None:
    user = re.sub(r"[^A-Za-z0-9._-]", "", getpass.getuser())
    names = [vm["name"] for vm in records("boot", "--n", "3", "--cloud", aws)]
    assert sorted(names) == [f"{user}-vm-{i}" for i in (1, 2, 3)]
    assert sorted(_provider_states()) == sorted(names)
    # the last booted VM is the default name
    assert records("info")[0]["name"] in names
    result = cli("terminate", f"{user}-vm-[1-2]", "--yes", check=True)
    assert result.returncode == 0
    assert sorted(_provider_states()) == [f"{user}-vm-3"]


def test_list_reads_the_inventory_and_refresh_the_provider(aws: str, moto_server: MotoServer) -> None:
    records("boot", "--name", "keep", "--cloud", aws)
    # A VM made outside cm-vm shows up only after --refresh.
    from libcloud.compute.base import NodeImage, NodeSize

    from cm_vm._compat import CompatEC2NodeDriver

    driver = CompatEC2NodeDriver(
        "testing",
        "x",
        region="us-east-1",
        host="127.0.0.1",
        port=moto_server.port,
        secure=False,
        signature_version="4",
    )
    size = NodeSize("t2.micro", "t2.micro", 0, 0, None, 0.0, driver)
    driver.create_node(name="outside", image=NodeImage(moto_server.image, "x", driver), size=size)
    assert [vm["name"] for vm in records("list", "--cloud", aws)] == ["keep"]
    assert [vm["name"] for vm in records("list", "--cloud", aws, "--refresh")] == ["keep", "outside"]
    # A Name tag is not unique at the provider: a second VM of the same name is listed by its id.
    twin = driver.create_node(name="outside", image=NodeImage(moto_server.image, "x", driver), size=size)
    names = [vm["name"] for vm in records("list", "--cloud", aws, "--refresh")]
    assert sorted(names) == sorted(["keep", "outside", twin.id])


def test_keys_add_and_list(aws: str, tmp_path: Path) -> None:
    public = tmp_path / "id.pub"
    public.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@here\n"
    )
    added = records("keys", "add", "mine", "--file", str(public), "--cloud", aws)
    assert added[0]["name"] == "mine" and added[0]["fingerprint"]
    assert [k["name"] for k in records("keys", "list", "--cloud", aws)] == ["mine"]
    booted = records("boot", "--name", "withkey", "--key", "mine", "--cloud", aws)
    assert booted[0]["name"] == "withkey"


def test_images_and_sizes(aws: str, moto_server: MotoServer) -> None:
    images = records("images", "--cloud", aws, "--filter", moto_server.image)
    assert [image["id"] for image in images] == [moto_server.image]
    sizes = records("sizes", "--cloud", aws, "--filter", "t2.micro")
    assert "t2.micro" in [size["id"] for size in sizes]


def test_name_in_use_is_one_line_exit_2(aws: str) -> None:
    records("boot", "--name", "twice", "--cloud", aws)
    result = cli("boot", "--name", "twice", "--cloud", aws)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: VM name 'twice' is already in use (cloud aws; see cm-vm list)"


def test_terminate_asks_unless_yes(aws: str) -> None:
    records("boot", "--name", "asked", "--cloud", aws)
    result = cli("terminate", "asked")
    assert result.returncode == 2 and "--yes" in result.stderr
    assert list(_provider_states()) == ["asked"]


def test_unreachable_endpoint_is_a_runtime_failure(cm_home: Path) -> None:
    write_settings(
        cm_home,
        {
            "clouds": {
                "down": {
                    "kind": "aws",
                    "endpoint": f"http://127.0.0.1:{free_port()}",
                    "region": "us-east-1",
                    "credentials": {"key": "k", "secret": "s"},
                }
            }
        },
    )
    result = cli("list", "--cloud", "down", "--refresh")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cloud down: list failed:")
    assert "Traceback" not in result.stderr


def test_list_follows_every_page(aws: str, moto_server: MotoServer) -> None:
    from libcloud.compute.base import NodeImage, NodeSize

    from cm_vm._compat import CompatEC2NodeDriver

    driver = CompatEC2NodeDriver(
        "testing",
        "x",
        region="us-east-1",
        host="127.0.0.1",
        port=moto_server.port,
        secure=False,
        signature_version="4",
    )
    size = NodeSize("t2.micro", "t2.micro", 0, 0, None, 0.0, driver)
    image = NodeImage(moto_server.image, "x", driver)
    for index in range(110):  # one reservation each; moto's pages hold 100
        driver.create_node(name=f"p{index:03d}", image=image, size=size)
    assert len(driver.list_nodes()) == 100  # libcloud alone reads the first page only
    listed = records("list", "--cloud", aws, "--refresh")
    assert sorted(vm["name"] for vm in listed) == [f"p{index:03d}" for index in range(110)]
