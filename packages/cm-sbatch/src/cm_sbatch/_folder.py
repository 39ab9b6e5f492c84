"""The output folder's format: its file names and the manifest record, for the writer and the job tracker.

OUT/manifest.jsonl   one line per experiment: {"id", "directory", "parameters", "script"}
OUT/submit.sh        submits every experiment with sbatch, each from its own folder
OUT/jobs.jsonl       job records, appended by submit and resubmit
OUT/.cm-sbatch/      job-array scripts, task lists and their logs
OUT/DIRECTORY/       one experiment: the rendered script and config.yaml
"""

from __future__ import annotations

import functools
import json
import shlex
from pathlib import Path
from typing import Any

from cm_common import InputError

MANIFEST = "manifest.jsonl"
SUBMIT = "submit.sh"
JOBS = "jobs.jsonl"
STATE_DIR = ".cm-sbatch"
CONFIG = "config.yaml"
KEEP = (JOBS, STATE_DIR)  # what a regeneration with --force carries over

SUBMIT_HEAD = """#!/usr/bin/env bash
# Submits every experiment of this sweep with sbatch, each from its own folder.
# `cm-sbatch submit <this folder>` does the same and records the job ids for `cm-sbatch status`.
set -euo pipefail
cd "$(dirname "$0")"
"""


def manifest_line(run_id: str, directory: str, parameters: str, script: str) -> str:
    """One manifest line; ``parameters`` is the JSON object's text (its values as written)."""
    # ids and folders hold only [A-Za-z0-9._+-/]: JSON strings as they are
    return (
        f'{{"id": "{run_id}", "directory": "{directory}", '
        f'"parameters": {parameters}, "script": "{directory}/{_json_text(script)}"}}\n'
    )


def submit_line(directory: str, script: str) -> str:
    """The line of ``submit.sh`` that submits one experiment."""
    return f"(cd {shlex.quote(directory)} && sbatch {_quoted(script)})\n"


@functools.cache
def _json_text(text: str) -> str:
    """``text`` inside a JSON string (made once per script name, not once per experiment)."""
    return json.dumps(text)[1:-1]


@functools.cache
def _quoted(text: str) -> str:
    return shlex.quote(text)


def read_manifest(out: Path) -> list[dict[str, Any]]:
    """Every record of ``OUT/manifest.jsonl``, in order."""
    path = out / MANIFEST
    if not path.is_file():
        raise InputError(f"{out}: no {MANIFEST} here; run cm-sbatch generate first")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
