"""Executors: local subprocesses, SSH (fabric) and Slurm (sbatch, batched states, scancel)."""

from ._base import Executor, JobContext
from ._local import LocalExecutor

__all__ = ["Executor", "JobContext", "LocalExecutor"]
