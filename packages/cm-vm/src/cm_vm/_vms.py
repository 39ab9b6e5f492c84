"""What the commands do: boot, list, act on and wait for VMs, keeping inventory and ssh config in step.

Faces (the CLI) call these; they reach clouds only through :class:`Provider`.
"""

from __future__ import annotations

import getpass
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from cm_common import CmError, InputError, RuntimeFailure

from . import _sshconfig
from ._config import choose, clouds, vm_settings
from ._hostlist import expand
from ._inventory import Inventory, check_name
from ._models import CloudConfig, Vm
from ._provider import Provider, now
from ._ssh import guess_user, wait_reachable

Progress = Callable[[int], None]


def user_name() -> str:
    """The local user name, reduced to characters a VM name may hold."""
    return re.sub(r"[^A-Za-z0-9._-]", "", getpass.getuser()) or "user"


@dataclass
class BootPlan:
    """What a boot will do: where, which names, image, size and key pair."""

    cloud: str
    config: CloudConfig
    names: list[str]
    count: int
    image: str
    size: str
    key: str | None
    template: str = ""
    values: dict[str, str] = field(default_factory=dict)


def plan_boot(
    cloud: str | None,
    name: str | None,
    count: int,
    image: str | None,
    size: str | None,
    key: str | None,
) -> BootPlan:
    """Check the boot's input against the settings, before anything is reserved or sent."""
    if count < 1:
        raise InputError(f"--n {count}: expected at least 1")
    cloud_name, config = choose(cloud)
    names = expand(name) if name else []
    if names and count > 1 and len(names) != count:
        raise InputError(f"--name {name!r} gives {len(names)} names but --n is {count}")
    for each in names:
        check_name(each)
    chosen_image = image or config.defaults.image
    chosen_size = size or config.defaults.size
    if not chosen_image:
        raise InputError(
            f"no image: pass --image or set clouds.{cloud_name}.defaults.image (see cm-vm images)"
        )
    if not chosen_size:
        raise InputError(f"no size: pass --size or set clouds.{cloud_name}.defaults.size (see cm-vm sizes)")
    template = vm_settings().name
    values = {"user": user_name(), "cloud": cloud_name}
    return BootPlan(
        cloud_name,
        config,
        names,
        len(names) or count,
        chosen_image,
        chosen_size,
        key or config.defaults.key,
        template,
        values,
    )


def preview(plan: BootPlan, inventory: Inventory) -> list[Vm]:
    """The VMs a boot would create (``--dry-run``): nothing is reserved or sent."""
    names = plan.names
    if not names:
        names = [plan.template.format(**plan.values, counter=f"<{i + 1}>") for i in range(plan.count)]
    taken = {vm.name for vm in inventory.all()}
    for each in names:
        if each in taken:
            raise InputError(f"VM name {each!r} is already in use (see cm-vm list)")
    return [Vm(n, plan.cloud, state="dry-run", image=plan.image, size=plan.size) for n in names]


def boot(plan: BootPlan, inventory: Inventory, progress: Progress | None = None) -> list[Vm]:
    """Create the VMs of ``plan``, their provider requests in flight together; return their records."""
    provider = Provider(plan.cloud, plan.config)
    provider.driver  # noqa: B018 - credentials are checked before any name is reserved
    if plan.names:
        inventory.reserve(plan.names, plan.cloud)
        names = plan.names
    else:
        names = inventory.reserve_next(plan.template, plan.values, plan.count, plan.cloud)
    done: list[Vm] = []
    errors: list[str] = []
    finished: list[str] = []

    def one(name: str) -> Vm | None:
        try:
            return provider.boot(name, plan.image, plan.size, plan.key)
        except CmError as error:
            errors.append(error.message)
            return None
        finally:
            finished.append(name)
            if progress:
                progress(len(finished))

    workers = min(len(names), vm_settings().parallel)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for vm in pool.map(one, names):
            if vm is not None:
                vm.username = plan.config.defaults.username or guess_user(plan.image)
                done.append(vm)
    inventory.delete(set(names) - {vm.name for vm in done})
    inventory.put(done)
    if done:
        inventory.last = done[-1].name
    write_ssh_config(inventory)
    if errors:
        raise RuntimeFailure(f"{len(errors)} of {len(names)} boots failed; first: {errors[0]}")
    return done


def write_ssh_config(inventory: Inventory) -> None:
    """Rewrite the ssh config fragment from the inventory."""
    _sshconfig.write(inventory.all())


def refresh(cloud_names: list[str], inventory: Inventory) -> None:
    """Read the VMs of ``cloud_names`` from their providers into the inventory."""
    known = clouds()
    for name in cloud_names:
        inventory.sync(name, Provider(name, known[name]).vms())
    write_ssh_config(inventory)


def list_vms(cloud: str | None, every: bool, fresh: bool, inventory: Inventory) -> list[Vm]:
    """The records of one cloud (``--cloud`` or the current one) or of all (``every``)."""
    if every:
        names = [n for n, c in clouds().items() if c.active] if fresh else []
        if fresh:
            refresh(names, inventory)
        return inventory.all()
    name, _ = choose(cloud)
    if fresh:
        refresh([name], inventory)
    return inventory.all(name)


def names_of(text: str | None, inventory: Inventory) -> list[str]:
    """The VM names of a hostlist, else the VM booted last."""
    if text:
        return expand(text)
    last = inventory.last
    if last is None:
        raise InputError("no VM named and none booted yet (pass a NAME)")
    return [last]


_AFTER = {"start": "running", "stop": "stopped", "reboot": "running"}


def act(names: list[str], action: str, inventory: Inventory) -> list[Vm]:
    """Start, stop, reboot or terminate the named VMs (together); return their records."""
    vms = [inventory.get(name) for name in names]
    known = clouds()
    providers: dict[str, Provider] = {}
    for vm in vms:
        if vm.cloud not in known:
            raise InputError(f"VM {vm.name!r} is on cloud {vm.cloud!r}, which is no longer configured")
        providers.setdefault(vm.cloud, Provider(vm.cloud, known[vm.cloud]))
    if any(not vm.id for vm in vms):
        pending = next(vm.name for vm in vms if not vm.id)
        raise InputError(f"VM {pending!r} is still booting (see cm-vm list --refresh)")
    with ThreadPoolExecutor(max_workers=min(len(vms), vm_settings().parallel)) as pool:
        list(pool.map(lambda vm: providers[vm.cloud].act(vm, action), vms))
    if action == "terminate":
        inventory.delete(names)
        for vm in vms:
            vm.state = "terminated"
    else:
        for vm in vms:
            vm.state, vm.updated = _AFTER[action], now()
        inventory.put(vms)
        if action == "start":  # addresses may change on start
            refresh(sorted(providers), inventory)
            vms = [inventory.get(vm.name) for vm in vms]
    write_ssh_config(inventory)
    return vms


def wait(name: str, timeout: float, inventory: Inventory, ssh: bool = True) -> Vm:
    """Poll until ``name`` is running with an address and (``ssh``) answers over SSH."""
    deadline = time.monotonic() + timeout
    vm = inventory.get(name)
    provider = Provider(vm.cloud, clouds()[vm.cloud])
    while True:
        seen = {each.name: each for each in provider.vms()}
        current = seen.get(name)
        if current is not None and current.state == "running" and current.address:
            break
        if time.monotonic() + 2 > deadline:
            state = current.state if current else "gone"
            raise RuntimeFailure(
                f"VM {name!r} is not running with an address after {timeout:g} s (state {state})"
            )
        time.sleep(2)
    inventory.sync(vm.cloud, list(seen.values()))
    write_ssh_config(inventory)
    vm = inventory.get(name)
    if ssh:
        wait_reachable(vm, deadline)
    return vm
