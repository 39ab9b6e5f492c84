"""One provider interface over libcloud: boot, list, start, stop, reboot, terminate, images, sizes, keys.

Every libcloud call goes through :meth:`Provider._call`, which turns a provider's error into
one RuntimeFailure line. Each thread gets its own driver (libcloud connections are not
shared safely between threads), so ``boot --n`` can keep many requests in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from cm_common import InputError, RuntimeFailure, cm_home

from ._kinds import driver_arguments, kind_of
from ._models import CloudConfig, Vm

T = TypeVar("T")
ACTIONS = {"start": "start_node", "stop": "stop_node", "reboot": "reboot_node", "terminate": "destroy_node"}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _driver_class(name: str, cloud: CloudConfig) -> Any:
    provider = kind_of(cloud).provider
    if provider == "dummy":
        from ._dummy import FileDummyNodeDriver

        return FileDummyNodeDriver
    if provider == "ec2" and cloud.endpoint:
        from ._compat import CompatEC2NodeDriver

        return CompatEC2NodeDriver
    from libcloud.compute.providers import get_driver

    try:
        return get_driver(provider)
    except AttributeError:
        raise InputError(f"cloud {name!r}: libcloud has no compute provider {provider!r}") from None


def _first(values: list[str] | None) -> str | None:
    return str(values[0]) if values else None


class Provider:
    """The VMs of one configured cloud, through its libcloud driver."""

    def __init__(self, name: str, cloud: CloudConfig) -> None:
        self.name = name
        self.cloud = cloud
        self.kind = kind_of(cloud)
        self._local = threading.local()

    @property
    def driver(self) -> Any:
        """This thread's libcloud driver (built on first use)."""
        driver = getattr(self._local, "driver", None)
        if driver is None:
            driver = self._local.driver = self._make_driver()
        return driver

    def _make_driver(self) -> Any:
        if self.kind.provider == "dummy":
            path = cm_home() / "vm" / "dummy" / f"{self.name}.json"
            return _driver_class(self.name, self.cloud)(str(path), self.cloud.options.get("address"))
        args, kwargs = driver_arguments(self.name, self.cloud)
        cls = _driver_class(self.name, self.cloud)
        with self._call("connect"):
            return cls(*args, **kwargs)

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except (InputError, RuntimeFailure):
            raise
        except Exception as error:  # libcloud, requests and socket errors alike
            text = " ".join(str(error).split())[:300] or type(error).__name__
            raise RuntimeFailure(f"cloud {self.name}: {what} failed: {text}") from None

    def _do(self, what: str, call: Callable[[], T]) -> T:
        with self._call(what):
            return call()

    def vm(self, node: Any) -> Vm:
        """The inventory record of a libcloud node."""
        extra = node.extra or {}
        image = extra.get("image_id") or (node.image.id if node.image else None)
        size = extra.get("instance_type") or (node.size.id if node.size else None)
        return Vm(
            name=str(node.name or node.id),
            cloud=self.name,
            id=str(node.id),
            state=str(node.state.value if hasattr(node.state, "value") else node.state),
            public_ip=_first(node.public_ips),
            private_ip=_first(node.private_ips),
            image=None if image is None else str(image),
            size=None if size is None else str(size),
            port=self.cloud.defaults.port,
            key_file=self.cloud.defaults.key_file,
            updated=now(),
        )

    def boot(self, name: str, image: str, size: str, key: str | None = None) -> Vm:
        """Create one VM called ``name`` and return its record."""
        from libcloud.compute.base import NodeImage, NodeSize

        driver = self.driver
        kwargs: dict[str, Any] = dict(self.cloud.boot_options)
        if key and self.kind.key_arg:
            kwargs[self.kind.key_arg] = key
        group = self.cloud.defaults.security_group
        if group and self.kind.group_arg:
            kwargs[self.kind.group_arg] = [group]
        node_image = NodeImage(id=image, name=image, driver=driver)
        node_size = NodeSize(id=size, name=size, ram=0, disk=0, bandwidth=None, price=0.0, driver=driver)
        node = self._do(
            f"boot {name}", lambda: driver.create_node(name=name, image=node_image, size=node_size, **kwargs)
        )
        vm = self.vm(node)
        vm.name, vm.created = name, now()
        return vm

    def vms(self) -> list[Vm]:
        """Every VM the provider reports, terminated ones left out."""
        if self.kind.provider == "ec2":
            from ._compat import list_nodes

            nodes = self._do("list", lambda: list_nodes(self.driver))
        else:
            nodes = self._do("list", self.driver.list_nodes)
        vms: dict[str, Vm] = {}
        for vm in map(self.vm, nodes):
            if vm.state == "terminated":
                continue
            if vm.name in vms:  # names are tags, not unique at the provider: the id names the others
                vm.name = vm.id
            vms[vm.name] = vm
        return list(vms.values())

    def act(self, vm: Vm, action: str) -> None:
        """Start, stop, reboot or terminate ``vm``; a refusal is a RuntimeFailure."""
        from libcloud.compute.base import Node
        from libcloud.compute.types import NodeState

        driver = self.driver
        node = Node(
            id=vm.id, name=vm.name, state=NodeState.UNKNOWN, public_ips=[], private_ips=[], driver=driver
        )
        done = self._do(f"{action} {vm.name}", lambda: getattr(driver, ACTIONS[action])(node))
        if done is False:
            raise RuntimeFailure(f"cloud {self.name}: {action} {vm.name}: the provider refused")

    def images(self) -> list[dict[str, Any]]:
        """The images the provider offers, as records."""
        images = self._do("list images", self.driver.list_images)
        return [{"id": str(image.id), "name": image.name or ""} for image in images]

    def sizes(self) -> list[dict[str, Any]]:
        """The sizes (flavors, instance types) the provider offers, as records."""
        sizes = self._do("list sizes", self.driver.list_sizes)
        return [
            {"id": str(s.id), "name": s.name or "", "ram": s.ram, "disk": s.disk, "price": s.price}
            for s in sizes
        ]

    def keys(self) -> list[dict[str, Any]]:
        """The key pairs the provider holds."""
        pairs = self._do("list keys", self.driver.list_key_pairs)
        return [{"name": pair.name, "fingerprint": pair.fingerprint or ""} for pair in pairs]

    def add_key(self, name: str, public_key: str) -> dict[str, Any]:
        """Upload a public key as key pair ``name``."""
        pair = self._do(f"add key {name}", lambda: self.driver.import_key_pair_from_string(name, public_key))
        return {"name": pair.name, "fingerprint": pair.fingerprint or ""}
