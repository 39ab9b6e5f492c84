"""cm-sbatch: parameter-sweep experiments for Slurm.

``Experiment`` expands a script template and configs into one folder per parameter
combination; ``SweepOutput`` submits them (one job each or job arrays), tracks their state
and resubmits failures; ``trace`` samples GPU or CPU usage and energy while a job runs.
"""

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

__all__ = [
    "Experiment",
    "Layout",
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
    "merge_configs",
    "nvml_sampler",
    "parse_sweep_option",
    "script_name",
    "trace",
    "trace_energy",
    "write_sweep",
]
