"""The data of cm-vm: clouds in the settings, and the VM records of the inventory."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, SecretStr

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"


class Defaults(BaseModel):
    """What a boot uses when the command line does not say: image, size, key pair, login, group."""

    model_config = ConfigDict(extra="forbid")

    image: str | None = None
    size: str | None = None
    key: str | None = Field(default=None, description="key pair name at the provider")
    key_file: str | None = Field(default=None, description="local private key for ssh")
    username: str | None = None
    port: int = Field(default=22, ge=1, le=65535)
    security_group: str | None = None
    location: str | None = None


class CloudConfig(BaseModel):
    """One entry of the ``clouds:`` section: which libcloud driver, how to authenticate, where, defaults.

    ``kind`` is aws, google, azure, openstack, dummy or any libcloud provider name (``provider``
    and ``args`` then say which driver and which credentials it takes, in order).
    ``credentials`` hold secrets; ``env`` names environment variables that hold them instead.
    ``options`` go to the driver's constructor, ``boot_options`` to every create_node call.
    """

    model_config = ConfigDict(extra="forbid")

    kind: str
    provider: str | None = None
    args: list[str] | None = None
    credentials: dict[str, SecretStr] = {}
    env: dict[str, str] = {}
    region: str | None = None
    endpoint: str | None = None
    options: dict[str, Any] = {}
    boot_options: dict[str, Any] = {}
    defaults: Defaults = Defaults()
    label: str | None = None
    active: bool = True


class Clouds(RootModel[dict[str, CloudConfig]]):
    """The ``clouds:`` section of ``$CM_HOME/settings.yaml``: cloud name to its entry."""

    root: dict[str, CloudConfig] = {}


class VmSettings(BaseModel):
    """The ``vm:`` section: the name template of new VMs and how many provider calls run at once."""

    model_config = ConfigDict(extra="forbid")

    name: str = "{user}-vm-{counter}"
    parallel: int = Field(default=20, ge=1, le=200)
    cloud: str | None = Field(default=None, description="used when neither --cloud nor `cm set cloud` is")


@dataclass
class Vm:
    """One VM as the inventory keeps it."""

    name: str
    cloud: str
    id: str = ""
    state: str = "pending"
    public_ip: str | None = None
    private_ip: str | None = None
    image: str | None = None
    size: str | None = None
    username: str | None = None
    key_file: str | None = None
    port: int = 22
    created: str = ""
    updated: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str | None:
        """Where ssh reaches it: the public address, else the private one."""
        return self.public_ip or self.private_ip

    def record(self) -> dict[str, Any]:
        """A flat dict for the output layer."""
        data = asdict(self)
        data.pop("extra")
        return data
