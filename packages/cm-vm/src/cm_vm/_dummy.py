"""libcloud's dummy driver, kept in a file so that a demo without a cloud account lasts between commands.

libcloud's own DummyNodeDriver lives in memory, names its nodes itself and cannot stop or
start; this subclass keeps its nodes and key pairs in ``$CM_HOME/vm/dummy/CLOUD.json``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from libcloud.compute.base import (
    KeyPair,
    Node,
    NodeAuthPassword,
    NodeAuthSSHKey,
    NodeImage,
    NodeLocation,
    NodeSize,
)
from libcloud.compute.drivers.dummy import DummyNodeDriver
from libcloud.compute.types import NodeState

from cm_common import atomic_write_text, file_lock


class FileDummyNodeDriver(DummyNodeDriver):
    """A dummy cloud whose nodes and key pairs persist in ``path``.

    New nodes get the address ``address`` when given, else one of the documentation range 192.0.2.0/24.
    """

    name = "Dummy (file)"

    def __init__(self, path: str, address: str | None = None) -> None:
        super().__init__(0)  # type: ignore[no-untyped-call]
        self.path = Path(path)
        self.address = address

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        with file_lock(self.path.with_suffix(".lock")):
            data = json.loads(self.path.read_text()) if self.path.exists() else {"nodes": [], "keys": []}
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                atomic_write_text(self.path, json.dumps(data, indent=1), mode=0o600)

    def _node(self, entry: dict[str, Any]) -> Node:
        return Node(
            id=entry["id"],
            name=entry["name"],
            state=NodeState(entry["state"]),
            public_ips=[entry["address"]],
            private_ips=[],
            driver=self,
            extra={"image_id": entry["image"], "instance_type": entry["size"]},
        )

    def list_nodes(self) -> list[Node]:
        with self._state() as data:
            return [self._node(entry) for entry in data["nodes"]]

    def create_node(
        self,
        name: str,
        size: NodeSize,
        image: NodeImage,
        location: NodeLocation | None = None,
        auth: NodeAuthSSHKey | NodeAuthPassword | None = None,
        **_: Any,
    ) -> Node:
        with self._state() as data:
            count = len(data["nodes"]) + 1
            entry = {
                "id": f"dummy-{uuid.uuid4().hex[:12]}",
                "name": name,
                "state": NodeState.RUNNING.value,
                "address": self.address or f"192.0.2.{count % 254 + 1}",
                "image": str(image.id),
                "size": str(size.id),
            }
            data["nodes"].append(entry)
            return self._node(entry)

    def _set_state(self, node: Node, state: NodeState | None) -> bool:
        with self._state() as data:
            for entry in data["nodes"]:
                if entry["id"] == node.id:
                    if state is None:
                        data["nodes"].remove(entry)
                    else:
                        entry["state"] = state.value
                    return True
        return False

    def destroy_node(self, node: Node) -> bool:
        return self._set_state(node, None)

    def reboot_node(self, node: Node) -> bool:
        return self._set_state(node, NodeState.RUNNING)

    def start_node(self, node: Node) -> bool:
        return self._set_state(node, NodeState.RUNNING)

    def stop_node(self, node: Node) -> bool:
        return self._set_state(node, NodeState.STOPPED)

    def list_key_pairs(self) -> list[KeyPair]:
        with self._state() as data:
            return [KeyPair(k["name"], k["public_key"], "", self) for k in data["keys"]]

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        with self._state() as data:
            data["keys"] = [k for k in data["keys"] if k["name"] != name]
            data["keys"].append({"name": name, "public_key": key_material})
        return KeyPair(name, key_material, "", self)
