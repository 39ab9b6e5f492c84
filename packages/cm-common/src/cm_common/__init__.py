"""cm-common: the thin layer shared by the cm packages.

Settings and CM_HOME, persistent variables, the output layer, placeholders, timers, errors,
atomic files, a paused garbage collector for bulk work, and the CLI runner every cm command
goes through.
"""

from typing import TYPE_CHECKING

from ._cli import OutputOption, QuietOption, add_version_option, command_app, output_format, run
from ._errors import CmError, InputError, RuntimeFailure
from ._files import atomic_write_bytes, atomic_write_text, file_lock, load_yaml, parse_yaml, read_text
from ._gc import paused_gc
from ._home import cm_home, settings_path
from ._lazy import lazy_exports
from ._output import (
    SUMMARY_AT,
    OutputFormat,
    Summary,
    format_records,
    make_table,
    plural,
    print_records,
    print_table,
    progress_bar,
    say,
    stderr_console,
)
from ._placeholders import (
    Placeholder,
    PlaceholderError,
    Template,
    lookup_path,
    resolve_references,
)
from ._progress import last_progress, parse_progress_line, progress_line
from ._variables import Variables, parse_assignment
from ._version import __version__

if TYPE_CHECKING:
    from ._proc import alive, process_started, start_time
    from ._settings import Settings, load_settings
    from ._slurm import (
        FINISHED,
        TIMED_OUT,
        CommandResult,
        Runner,
        SlurmJob,
        job_states,
        max_array_size,
        run_here,
        sbatch,
        scancel,
        slurm_call,
    )
    from ._slurm_settings import SlurmSettings, load_slurm_settings
    from ._timer import StopWatch, TimerRecord
    from ._web import RequestGuard, allowed_hosts, is_loopback, load_or_create_token, token_matches

# Loaded on first use: the settings pull in pydantic (~50 ms), only services need the web guard,
# and Slurm and the timers (logging, socket: 5 ms) only the commands that use them.
_LAZY = {
    "FINISHED": "._slurm",
    "TIMED_OUT": "._slurm",
    "CommandResult": "._slurm",
    "Runner": "._slurm",
    "SlurmJob": "._slurm",
    "job_states": "._slurm",
    "max_array_size": "._slurm",
    "run_here": "._slurm",
    "sbatch": "._slurm",
    "scancel": "._slurm",
    "slurm_call": "._slurm",
    "StopWatch": "._timer",
    "TimerRecord": "._timer",
    "Settings": "._settings",
    "load_settings": "._settings",
    "SlurmSettings": "._slurm_settings",
    "load_slurm_settings": "._slurm_settings",
    "alive": "._proc",
    "process_started": "._proc",
    "start_time": "._proc",
    "RequestGuard": "._web",
    "allowed_hosts": "._web",
    "is_loopback": "._web",
    "load_or_create_token": "._web",
    "token_matches": "._web",
}


__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "FINISHED",
    "SUMMARY_AT",
    "TIMED_OUT",
    "CmError",
    "CommandResult",
    "InputError",
    "OutputFormat",
    "OutputOption",
    "Placeholder",
    "PlaceholderError",
    "QuietOption",
    "RequestGuard",
    "Runner",
    "RuntimeFailure",
    "Settings",
    "SlurmJob",
    "SlurmSettings",
    "StopWatch",
    "Summary",
    "Template",
    "TimerRecord",
    "Variables",
    "__version__",
    "add_version_option",
    "alive",
    "allowed_hosts",
    "atomic_write_bytes",
    "atomic_write_text",
    "cm_home",
    "command_app",
    "file_lock",
    "format_records",
    "is_loopback",
    "job_states",
    "last_progress",
    "lazy_exports",
    "load_or_create_token",
    "load_settings",
    "load_slurm_settings",
    "load_yaml",
    "lookup_path",
    "make_table",
    "max_array_size",
    "output_format",
    "parse_assignment",
    "parse_progress_line",
    "parse_yaml",
    "paused_gc",
    "plural",
    "print_records",
    "print_table",
    "process_started",
    "progress_bar",
    "progress_line",
    "read_text",
    "resolve_references",
    "run",
    "run_here",
    "say",
    "sbatch",
    "scancel",
    "settings_path",
    "slurm_call",
    "start_time",
    "stderr_console",
    "token_matches",
]
