"""Helpers of the cm-sbatch tests: run the CLI as a subprocess, where the examples are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "sweep"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``cm-sbatch ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "cm_sbatch", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )
