"""The ``cm-vm`` command (also ``cm vm``): boot, list, ssh, start, stop and terminate VMs on any cloud."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cm_common import (
    InputError,
    OutputOption,
    command_app,
    output_format,
    print_records,
    progress_bar,
    say,
)
from cm_common import run as run_app

if TYPE_CHECKING:
    from ._provider import Provider

# The commands import the rest when they run: the models pull in pydantic, which `--help` need not pay.

app = command_app(
    "vm", help="Virtual machines on any cloud (Apache Libcloud): boot, list, ssh, start, stop, terminate."
)
config_app = command_app(help="The clouds section of the settings: check it, import a cloudmesh.yaml.")
keys_app = command_app(help="Key pairs at the provider.")
app.add_typer(config_app, name="config")
app.add_typer(keys_app, name="keys")

VM_COLUMNS = ["name", "cloud", "state", "public_ip", "private_ip", "image", "size", "username"]
CloudOption = Annotated[str | None, typer.Option("--cloud", help="cloud name (default: cm get cloud)")]
NamesArgument = Annotated[
    str | None, typer.Argument(help="VM names or a hostlist such as vm[1-3] (default: the last booted)")
]
NameArgument = Annotated[str | None, typer.Argument(help="VM name (default: the last booted)")]
LimitOption = Annotated[int, typer.Option("--limit", help="rows shown in a table (0: all)")]


def _show(vms: list[Any], output: OutputOption, limit: int = 0, what: str = "VMs") -> None:
    """VM records as a table (the first ``limit`` rows, with a summary) or json/yaml/csv (all)."""
    fmt = output_format(output)
    records = [vm.record() for vm in vms]
    shown = records[:limit] if fmt == "table" and limit > 0 else records
    print_records(shown, fmt, columns=VM_COLUMNS if fmt == "table" else None)
    if len(shown) < len(records) or len(records) > 20:
        states: dict[str, int] = {}
        for record in records:
            states[record["state"]] = states.get(record["state"], 0) + 1
        counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        more = (
            f"; first {len(shown)} shown (--limit 0 or --output json for all)"
            if len(shown) < len(records)
            else ""
        )
        say(f"{len(records)} {what} ({counts}){more}")


@app.command()
def boot(
    name: Annotated[
        str | None, typer.Option("--name", help="VM name or hostlist (default: from vm.name)")
    ] = None,
    n: Annotated[int, typer.Option("--n", help="how many VMs")] = 1,
    cloud: CloudOption = None,
    image: Annotated[str | None, typer.Option("--image", help="image id (default from the cloud)")] = None,
    size: Annotated[str | None, typer.Option("--size", help="size id (default from the cloud)")] = None,
    key: Annotated[str | None, typer.Option("--key", help="key pair name at the provider")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would be booted, change nothing")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Boot VMs: one named, or --n of them named from the template (requests sent together)."""
    from . import _vms
    from ._inventory import Inventory

    plan = _vms.plan_boot(cloud, name, n, image, size, key)
    inventory = Inventory()
    if dry_run:
        _show(_vms.preview(plan, inventory), output)
        return
    with progress_bar(plan.count, "booting") as progress:
        vms = _vms.boot(plan, inventory, progress)
    _show(vms, output)


@app.command("list")
def list_command(
    cloud: CloudOption = None,
    every: Annotated[bool, typer.Option("--all", help="VMs of every cloud")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="read the provider again")] = False,
    limit: LimitOption = 100,
    output: OutputOption = None,
) -> None:
    """The VMs of the current cloud (or --cloud, or --all); --refresh reads the provider again."""
    from . import _vms
    from ._inventory import Inventory

    if every and cloud:
        raise InputError("--all and --cloud exclude each other")
    _show(_vms.list_vms(cloud, every, refresh, Inventory()), output, limit)


@app.command()
def info(name: NameArgument = None, output: OutputOption = None) -> None:
    """Everything the inventory knows about one VM."""
    from . import _vms
    from ._inventory import Inventory

    inventory = Inventory()
    vm = inventory.get(_vms.names_of(name, inventory)[0])
    fmt = output_format(output)
    record = vm.record()
    if fmt == "table":
        print_records([{"field": k, "value": v} for k, v in record.items()], fmt)
    else:
        print_records([record], fmt)


def _act(names: str | None, action: str, output: OutputOption) -> None:
    from . import _vms
    from ._inventory import Inventory

    inventory = Inventory()
    _show(_vms.act(_vms.names_of(names, inventory), action, inventory), output)


@app.command()
def start(names: NamesArgument = None, output: OutputOption = None) -> None:
    """Start stopped VMs."""
    _act(names, "start", output)


@app.command()
def stop(names: NamesArgument = None, output: OutputOption = None) -> None:
    """Stop running VMs."""
    _act(names, "stop", output)


@app.command()
def reboot(names: NamesArgument = None, output: OutputOption = None) -> None:
    """Reboot VMs."""
    _act(names, "reboot", output)


@app.command()
def terminate(
    names: NamesArgument = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
    output: OutputOption = None,
) -> None:
    """Terminate VMs (asks first unless --yes) and forget them."""
    from . import _vms
    from ._inventory import Inventory

    inventory = Inventory()
    chosen = _vms.names_of(names, inventory)
    for each in chosen:
        inventory.get(each)
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("terminate asks for confirmation: pass --yes when not at a terminal")
        typer.confirm(f"terminate {len(chosen)} VM(s): {', '.join(chosen)}?", abort=True, err=True)
    _show(_vms.act(chosen, "terminate", inventory), output)


@app.command()
def wait(
    name: NameArgument = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds")] = 300,
    no_ssh: Annotated[bool, typer.Option("--no-ssh", help="only wait for running, not for ssh")] = False,
    output: OutputOption = None,
) -> None:
    """Wait until a VM is running with an address and answers over ssh."""
    from . import _vms
    from ._inventory import Inventory

    inventory = Inventory()
    _show([_vms.wait(_vms.names_of(name, inventory)[0], timeout, inventory, ssh=not no_ssh)], output)


@app.command()
def ssh(
    name: NameArgument = None,
    command: Annotated[str | None, typer.Option("--command", "-c", help="remote command line")] = None,
) -> None:
    """Run a command on a VM over ssh (its exit code is this one's), or log in without --command."""
    from . import _ssh, _sshconfig, _vms
    from ._inventory import Inventory

    inventory = Inventory()
    vm = inventory.get(_vms.names_of(name, inventory)[0])
    if command is None:
        import os
        import shutil

        client = shutil.which("ssh")
        if client is None:
            raise InputError("an interactive login needs the ssh client (or pass --command)")
        _vms.write_ssh_config(inventory)
        os.execv(client, [client, "-F", str(_sshconfig.config_path()), vm.name])  # noqa: S606
    raise typer.Exit(_ssh.run(vm, command))


@app.command()
def put(
    source: Annotated[Path, typer.Argument(help="local file")],
    name: Annotated[str, typer.Argument(help="VM name")],
    target: Annotated[str | None, typer.Argument(help="remote path (default: the home folder)")] = None,
) -> None:
    """Copy a local file to a VM."""
    from . import _ssh
    from ._inventory import Inventory

    say(f"copied to {name}:{_ssh.put(Inventory().get(name), source, target)}")


@app.command()
def get(
    name: Annotated[str, typer.Argument(help="VM name")],
    source: Annotated[str, typer.Argument(help="remote path")],
    target: Annotated[Path | None, typer.Argument(help="local path (default: here)")] = None,
) -> None:
    """Copy a file from a VM."""
    from . import _ssh
    from ._inventory import Inventory

    say(f"copied to {_ssh.get(Inventory().get(name), source, target)}")


def _provider(cloud: str | None) -> Provider:
    from . import _config
    from ._provider import Provider

    return Provider(*_config.choose(cloud))


def _filtered(
    records: list[dict[str, Any]], text: str | None, limit: int, output: OutputOption, what: str
) -> None:
    if text:
        records = [r for r in records if text.lower() in f"{r['id']} {r['name']}".lower()]
    fmt = output_format(output)
    shown = records[:limit] if fmt == "table" and limit > 0 else records
    print_records(shown, fmt)
    if len(shown) < len(records):
        say(f"{len(records)} {what}; first {len(shown)} shown (--filter, --limit 0 or --output json)")


@app.command()
def images(
    cloud: CloudOption = None,
    filter_text: Annotated[
        str | None, typer.Option("--filter", help="only ids or names containing TEXT")
    ] = None,
    limit: LimitOption = 50,
    output: OutputOption = None,
) -> None:
    """The images a cloud offers."""
    _filtered(_provider(cloud).images(), filter_text, limit, output, "images")


@app.command()
def sizes(
    cloud: CloudOption = None,
    filter_text: Annotated[
        str | None, typer.Option("--filter", help="only ids or names containing TEXT")
    ] = None,
    limit: LimitOption = 50,
    output: OutputOption = None,
) -> None:
    """The sizes (instance types, flavors) a cloud offers."""
    _filtered(_provider(cloud).sizes(), filter_text, limit, output, "sizes")


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="key pair name at the provider")],
    file: Annotated[Path, typer.Option("--file", help="public key file")] = Path("~/.ssh/id_ed25519.pub"),
    cloud: CloudOption = None,
    output: OutputOption = None,
) -> None:
    """Upload a public key as a key pair."""
    path = file.expanduser()
    if not path.is_file():
        raise InputError(f"{path}: no such public key file")
    text = path.read_text(encoding="utf-8").strip()
    if not text.startswith(("ssh-", "ecdsa-")) or "PRIVATE KEY" in text:
        raise InputError(f"{path}: not an OpenSSH public key (expected a line starting with ssh-...)")
    print_records([_provider(cloud).add_key(name, text)], output_format(output))


@keys_app.command("list")
def keys_list(cloud: CloudOption = None, output: OutputOption = None) -> None:
    """The key pairs a cloud holds."""
    print_records(_provider(cloud).keys(), output_format(output), columns=["name", "fingerprint"])


@config_app.command("check")
def config_check(output: OutputOption = None) -> None:
    """Validate the clouds section; say exactly what each cloud is missing (secrets masked)."""
    from . import _config

    records = _config.check()
    print_records(records, output_format(output))
    problem = _config.file_problem()
    if problem:
        say(f"warning: {problem}")
    bad = [r["cloud"] for r in records if r["status"] != "ok"]
    if bad:
        raise InputError(f"{len(bad)} cloud(s) incomplete: {', '.join(bad)}")


@config_app.command("import")
def config_import(
    file: Annotated[
        Path | None, typer.Argument(help="cloudmesh.yaml (default ~/.cloudmesh/cloudmesh.yaml)")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Read the clouds of a cloudmesh.yaml into the clouds section (secrets kept 0600, shown masked)."""
    from . import _config

    source = file or _config.default_cloudmesh_file()
    entries = _config.read_cloudmesh(source)
    path = _config.save(entries)
    say(f"imported {len(entries)} cloud(s) from {source} into {path}")
    rows = [r for r in _config.check() if r["cloud"] in entries]
    print_records(rows, output_format(output))


def main() -> NoReturn:
    """Entry point of the ``cm-vm`` command."""
    run_app(app, prog_name="cm-vm")
