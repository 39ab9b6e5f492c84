"""cm-sbatch: parameter-sweep experiments for Slurm.

``Experiment`` expands a script template and configs into one folder per parameter
combination; ``SweepOutput`` submits them (one job each or job arrays), tracks their state
and resubmits failures; ``trace`` samples GPU or CPU usage and energy while a job runs;
``Profile`` (``load_profile``) describes a cluster: partitions, limits, charges, named directives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cm_common import lazy_exports

from ._version import __version__

if TYPE_CHECKING:
    from ._config import SweepSpec, deep_merge, merge_configs
    from ._experiment import Experiment, script_name
    from ._jobs import SweepOutput, WaitTimeout, trace_energy
    from ._profile import Charge, Partition, Profile, load_profile
    from ._render import Layout, Record, Run
    from ._rules import Rule, compile_rule
    from ._sweep import Sweep
    from ._trace import cpu_sampler, nvml_sampler, trace
    from ._values import Value, expand, parse_sweep_option
    from ._write import write_sweep

# Imported when first used, so that `cm-sbatch --help` and each command load only what they need.
_LATER = {
    "SweepSpec": "._config",
    "deep_merge": "._config",
    "merge_configs": "._config",
    "Experiment": "._experiment",
    "script_name": "._experiment",
    "SweepOutput": "._jobs",
    "WaitTimeout": "._jobs",
    "trace_energy": "._jobs",
    "Charge": "._profile",
    "Partition": "._profile",
    "Profile": "._profile",
    "load_profile": "._profile",
    "Layout": "._render",
    "Record": "._render",
    "Run": "._render",
    "Rule": "._rules",
    "compile_rule": "._rules",
    "Sweep": "._sweep",
    "cpu_sampler": "._trace",
    "nvml_sampler": "._trace",
    "trace": "._trace",
    "Value": "._values",
    "expand": "._values",
    "parse_sweep_option": "._values",
    "write_sweep": "._write",
}


__getattr__ = lazy_exports(__name__, _LATER)


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
