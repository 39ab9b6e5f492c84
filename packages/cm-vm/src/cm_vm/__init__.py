"""cm-vm: one CLI for virtual machines across clouds, through Apache Libcloud.

from cm_vm import Inventory, Provider, load_cloud

name, cloud = load_cloud("aws")          # from the clouds section of $CM_HOME/settings.yaml
provider = Provider(name, cloud)
vm = provider.boot("machine-a", image="ami-0f65671a86f061fcd", size="t2.micro")
Inventory().put([vm])
print([v.name for v in provider.vms()])
"""

from typing import TYPE_CHECKING

from cm_common import lazy_exports

from ._version import __version__

if TYPE_CHECKING:
    from ._config import choose as load_cloud
    from ._hostlist import expand
    from ._inventory import Inventory
    from ._kinds import KINDS, Kind
    from ._models import CloudConfig, Clouds, Defaults, Vm, VmSettings
    from ._provider import Provider
    from ._sshconfig import config_path as ssh_config_path

# Imported when first used, so that `--help` and each command load only what they need.
_LATER = {
    "load_cloud": "._config:choose",
    "expand": "._hostlist",
    "Inventory": "._inventory",
    "KINDS": "._kinds",
    "Kind": "._kinds",
    "CloudConfig": "._models",
    "Clouds": "._models",
    "Defaults": "._models",
    "Vm": "._models",
    "VmSettings": "._models",
    "Provider": "._provider",
    "ssh_config_path": "._sshconfig:config_path",
}
__getattr__ = lazy_exports(__name__, _LATER)


__all__ = [
    "KINDS",
    "CloudConfig",
    "Clouds",
    "Defaults",
    "Inventory",
    "Kind",
    "Provider",
    "Vm",
    "VmSettings",
    "__version__",
    "expand",
    "load_cloud",
    "ssh_config_path",
]
