"""cm-vm: one CLI for virtual machines across clouds, through Apache Libcloud.

from cm_vm import Inventory, Provider, load_cloud

name, cloud = load_cloud("aws")          # from the clouds section of $CM_HOME/settings.yaml
provider = Provider(name, cloud)
vm = provider.boot("machine-a", image="ami-0f65671a86f061fcd", size="t2.micro")
Inventory().put([vm])
print([v.name for v in provider.vms()])
"""

from ._config import choose as load_cloud
from ._hostlist import expand
from ._inventory import Inventory
from ._kinds import KINDS, Kind
from ._models import CloudConfig, Clouds, Defaults, Vm, VmSettings
from ._provider import Provider
from ._sshconfig import config_path as ssh_config_path
from ._version import __version__

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
