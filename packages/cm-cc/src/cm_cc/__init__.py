"""cm-cc: a workflow engine for jobs on local, SSH and Slurm hosts, with live status, graph and resume.

from cm_cc import Workflow, Job

flow = Workflow("demo", [Job(name="fetch", exec="echo hi"), Job(name="use", exec="true", needs=["fetch"])])
flow.run(parallel=4)
print(flow.status())
"""

from typing import TYPE_CHECKING

from cm_common import lazy_exports

from ._version import __version__

if TYPE_CHECKING:
    from ._graph import GraphWriter, build, render
    from ._helpers import progress
    from ._models import CcSettings, Event, Host, Job, JobStatus, RunStatus, State, WorkflowSpec
    from ._scheduler import Engine, create_run
    from ._store import Store
    from ._workflow import Workflow, drive

# Loaded on first use: `cm-cc --help` and `cm-cc status` need neither pydot nor the engine.
_LAZY = {
    "GraphWriter": "._graph",
    "build": "._graph",
    "render": "._graph",
    "progress": "._helpers",
    "CcSettings": "._models",
    "Event": "._models",
    "Host": "._models",
    "Job": "._models",
    "JobStatus": "._models",
    "RunStatus": "._models",
    "State": "._models",
    "WorkflowSpec": "._models",
    "Engine": "._scheduler",
    "create_run": "._scheduler",
    "Store": "._store",
    "Workflow": "._workflow",
    "drive": "._workflow",
}
__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "CcSettings",
    "Engine",
    "Event",
    "GraphWriter",
    "Host",
    "Job",
    "JobStatus",
    "RunStatus",
    "State",
    "Store",
    "Workflow",
    "WorkflowSpec",
    "__version__",
    "build",
    "create_run",
    "drive",
    "progress",
    "render",
]
