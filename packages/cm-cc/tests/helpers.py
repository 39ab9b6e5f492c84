"""Shared helpers of the cm-cc tests: running the real CLI, writing workflow files and sweep manifests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def cli(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``cm-cc ARGS`` in a fresh interpreter (the real command, the test's CM_HOME)."""
    result = subprocess.run(
        [sys.executable, "-m", "cm_cc", *args], capture_output=True, text=True, cwd=cwd, env=dict(os.environ)
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write_workflow(path: Path, data: dict[str, Any]) -> Path:
    """Write a workflow file; return its path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_sweep(out: Path, count: int, body: str) -> list[str]:
    """A cm-sbatch style output folder: ``count`` experiments, each ``bash script`` from its folder."""
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for index in range(count):
        ident = f"exp-{index}"
        folder = out / ident
        folder.mkdir()
        (folder / "slurm.sh").write_text(f"#!/usr/bin/env bash\nX={index}\n{body}\n")
        entry = {"id": ident, "directory": ident, "parameters": {"x": index}, "script": f"{ident}/slurm.sh"}
        lines.append(json.dumps(entry))
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return [f"exp-{index}" for index in range(count)]


def wait_until(predicate: Any, limit: float = 60.0) -> None:
    """Wait (bounded) until ``predicate()`` is true; fail the test if it never is."""
    import time

    end = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.05)


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (missing, or a zombie nobody reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")
