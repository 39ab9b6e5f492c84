"""cm-cc: a workflow engine for jobs on local, SSH and Slurm hosts, with live status, graph and resume.

from cm_cc import Workflow, Job

flow = Workflow("demo", [Job(name="fetch", exec="echo hi"), Job(name="use", exec="true", needs=["fetch"])])
flow.run(parallel=4)
print(flow.status())
"""

from ._graph import GraphWriter, build, render
from ._helpers import progress
from ._models import CcSettings, Event, Host, Job, JobStatus, RunStatus, State, WorkflowSpec
from ._scheduler import Engine, create_run
from ._store import Store
from ._version import __version__
from ._workflow import Workflow, drive

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
