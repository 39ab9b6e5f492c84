"""Helpers for the jobs themselves."""

from __future__ import annotations

import sys

from cm_common import progress_line


def progress(percent: int, status: str = "running") -> None:
    """Report progress from a Python job: prints ``# cloudmesh status=running progress=N`` and flushes."""
    print(progress_line(percent, status), file=sys.stdout, flush=True)
