"""cm-sbatch: parameter-sweep experiments for Slurm.

``Experiment`` expands a script template and configs into one folder per parameter
combination; ``SweepOutput`` submits them (one job each or job arrays), tracks their state
and resubmits failures; ``trace`` samples GPU or CPU usage and energy while a job runs;
``Profile`` (``load_profile``) describes a cluster: partitions, limits, charges, named directives.
"""

from typing import TYPE_CHECKING, Any

from ._config import SweepSpec, deep_merge, merge_configs
from ._experiment import Experiment, script_name
from ._jobs import SweepOutput, WaitTimeout, trace_energy
from ._render import Layout, Record, Run
from ._rules import Rule, compile_rule
from ._sweep import Sweep
from ._trace import cpu_sampler, nvml_sampler, trace
from ._values import Value, expand, parse_sweep_option
from ._version import __version__
from ._write import write_sweep

if TYPE_CHECKING:
    from ._profile import Charge, Partition, Profile, load_profile

_LAZY = ("Charge", "Partition", "Profile", "load_profile")  # pydantic loaded only when asked for


def __getattr__(name: str) -> Any:
    """The profile model, imported on first use."""
    if name in _LAZY:
        from . import _profile

        return getattr(_profile, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Charge",
    "Experiment",
    "Layout",
    "Partition",
    "Profile",
    "Record",
    "Rule",
    "Run",
    "Sweep",
    "SweepOutput",
    "SweepSpec",
    "Value",
    "WaitTimeout",
    "__version__",
    "compile_rule",
    "cpu_sampler",
    "deep_merge",
    "expand",
    "load_profile",
    "merge_configs",
    "nvml_sampler",
    "parse_sweep_option",
    "script_name",
    "trace",
    "trace_energy",
    "write_sweep",
]
