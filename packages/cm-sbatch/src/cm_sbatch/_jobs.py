"""A generated sweep folder and its jobs: submit (one job each or job arrays), status, resubmit, cancel.

Job records are JSON lines appended to ``OUT/jobs.jsonl`` under a lock; the last record of an
experiment wins. States come from cm-common's batched Slurm adapter (never one call per job),
except for a record that carries its own ``state``: the outcome written by another tool that ran
the experiment (cm-cc), taken as written.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cm_common import FINISHED, InputError, RuntimeFailure, SlurmJob, file_lock, job_states, last_progress
from cm_common import max_array_size as slurm_max_array_size
from cm_common import sbatch as slurm_sbatch
from cm_common import scancel as slurm_scancel

from ._folder import JOBS, MANIFEST, STATE_DIR

UNSUBMITTED = "UNSUBMITTED"
FAILED_STATES = FINISHED - {"COMPLETED"}
_OWN_OPTIONS = ("--job-name", "-J", "--output", "-o", "--error", "-e", "--array", "-a", "--chdir", "-D")
_TAIL = 1 << 20

ARRAY_SCRIPT = """#!/bin/bash
{directives}#SBATCH --job-name={name}
#SBATCH --output={logs}/array-%A_%a.out
# One task of a cm-sbatch job array: run the experiment listed on line TASK+1 of the task file
# in its own folder, its output there as slurm-<array job>_<task>.out.
line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {tasks})
cd {out}/"${{line%/*}}"
exec bash "./${{line##*/}}" > "slurm-${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}.out" 2>&1
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def directives(script: Path) -> list[str]:
    """The ``#SBATCH`` lines of a script that a job array can share (not name, output, chdir)."""
    lines = []
    with open(script, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#SBATCH"):
                if line.strip() and not line.startswith("#"):
                    break
                continue
            option = line.split()[1] if len(line.split()) > 1 else ""
            if not option.split("=")[0].startswith(_OWN_OPTIONS):
                lines.append(line.rstrip("\n"))
    return lines


class SweepOutput:
    """A folder written by :meth:`Experiment.generate`: its experiments and their jobs."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(os.path.abspath(out))
        if not (self.out / MANIFEST).is_file():
            raise InputError(f"{self.out}: no {MANIFEST} here; run cm-sbatch generate first")

    def experiments(self) -> list[dict[str, Any]]:
        """The manifest: id, directory, parameters and script of every experiment."""
        with open(self.out / MANIFEST, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def records(self) -> dict[str, dict[str, Any]]:
        """The latest job record of each submitted experiment."""
        path = self.out / JOBS
        if not path.exists():
            return {}
        latest: dict[str, dict[str, Any]] = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    latest[record["id"]] = record
        return latest

    def _record(self, records: Iterable[dict[str, Any]]) -> None:
        with file_lock(self.out / JOBS), open(self.out / JOBS, "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(record) + "\n" for record in records)

    def _select(self, ids: Sequence[str] | None) -> list[dict[str, Any]]:
        experiments = self.experiments()
        if ids is None:
            return experiments
        known = {entry["id"]: entry for entry in experiments}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InputError(f"{self.out}: no experiment {unknown[0]!r}")
        return [known[i] for i in ids]

    # ---- submit ---------------------------------------------------------------------------

    def submit(
        self,
        *,
        array: bool = False,
        max_parallel: int | None = None,
        dry_run: bool = False,
        ids: Sequence[str] | None = None,
        options: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Submit the experiments not submitted yet (or ``ids``); return the new job records.

        ``array`` submits them as job arrays (split at the cluster's MaxArraySize, one array per
        set of shared ``#SBATCH`` lines); ``max_parallel`` caps how many run at once.
        ``dry_run`` returns the plan without calling sbatch.
        """
        if max_parallel is not None and max_parallel < 1:
            raise InputError(f"--max-parallel: expected a number >= 1, got {max_parallel}")
        if ids is None:
            done = self.records()
            todo = [entry for entry in self.experiments() if entry["id"] not in done]
        else:
            todo = self._select(ids)
        if not todo:
            return []
        if array:
            return self._submit_arrays(todo, max_parallel, dry_run, options, progress)
        return self._submit_jobs(todo, max_parallel, dry_run, options, progress)

    def _submit_jobs(
        self,
        todo: list[dict[str, Any]],
        max_parallel: int | None,
        dry_run: bool,
        options: Sequence[str],
        progress: Callable[[int], None] | None,
    ) -> list[dict[str, Any]]:
        plans = []
        for number, entry in enumerate(todo):
            extra = list(options)
            if max_parallel:
                extra += [f"--job-name=cm-{self.out.name}-{number % max_parallel}", "--dependency=singleton"]
            plans.append((entry, extra))
        if dry_run:
            return [self._plan(entry, extra) for entry, extra in plans]
        first, extra = plans[0]
        slurm_sbatch(self.out / first["script"], ["--test-only", *extra], cwd=self.out / first["directory"])
        submitted: list[dict[str, Any]] = []
        for entry, extra in plans:
            try:
                job = slurm_sbatch(self.out / entry["script"], extra, cwd=self.out / entry["directory"])
            except RuntimeFailure as error:
                raise RuntimeFailure(
                    f"{error.message} (after submitting {len(submitted)} of {len(plans)})"
                ) from None
            record = {"id": entry["id"], "job": job, "submitted": _now(), "array": False}
            self._record([record])
            submitted.append(record)
            if progress:
                progress(len(submitted))
        return submitted

    def _plan(self, entry: dict[str, Any], extra: Sequence[str]) -> dict[str, Any]:
        command = ["sbatch", "--parsable", *extra, Path(entry["script"]).name]
        return {
            "id": entry["id"],
            "job": "",
            "command": f"cd {shlex.quote(entry['directory'])} && {shlex.join(command)}",
        }

    def _submit_arrays(
        self,
        todo: list[dict[str, Any]],
        max_parallel: int | None,
        dry_run: bool,
        options: Sequence[str],
        progress: Callable[[int], None] | None,
    ) -> list[dict[str, Any]]:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for entry in todo:
            groups.setdefault(tuple(directives(self.out / entry["script"])), []).append(entry)
        size = slurm_max_array_size() if not dry_run else 1001
        state = self.out / STATE_DIR
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        chunks = [
            (lines, group[i : i + size])
            for lines, group in groups.items()
            for i in range(0, len(group), size)
        ]
        submitted: list[dict[str, Any]] = []
        for number, (lines, chunk) in enumerate(chunks):
            tasks = state / f"array-{stamp}-{number}.tasks"
            script = state / f"array-{stamp}-{number}.sh"
            limit = f"%{max_parallel}" if max_parallel else ""
            extra = [*options, f"--array=0-{len(chunk) - 1}{limit}"]
            if dry_run:
                command = shlex.join(["sbatch", "--parsable", *extra, str(script.relative_to(self.out))])
                submitted += [
                    {"id": e["id"], "job": f"_{i}", "command": command} for i, e in enumerate(chunk)
                ]
                continue
            (state / "logs").mkdir(parents=True, exist_ok=True)
            tasks.write_text("".join(f"{entry['script']}\n" for entry in chunk), encoding="utf-8")
            script.write_text(
                ARRAY_SCRIPT.format(
                    directives="".join(f"{line}\n" for line in lines),
                    name=f"cm-{self.out.name}",
                    logs=shlex.quote(str(state / "logs")),
                    tasks=shlex.quote(str(tasks)),
                    out=shlex.quote(str(self.out)),
                ),
                encoding="utf-8",
            )
            try:
                job = slurm_sbatch(script, extra, cwd=self.out)
            except RuntimeFailure as error:
                raise RuntimeFailure(
                    f"{error.message} (after submitting {len(submitted)} of {len(todo)})"
                ) from None
            records = [
                {"id": entry["id"], "job": f"{job}_{task}", "submitted": _now(), "array": True}
                for task, entry in enumerate(chunk)
            ]
            self._record(records)
            submitted += records
            if progress:
                progress(len(submitted))
        return submitted

    # ---- status ---------------------------------------------------------------------------

    def _output_file(self, entry: dict[str, Any], job: str) -> Path | None:
        folder: Path = self.out / entry["directory"]
        candidate = folder / f"slurm-{job}.out"
        if candidate.exists():
            return candidate
        outs = sorted(folder.glob("*.out"), key=lambda p: p.stat().st_mtime)
        return Path(outs[-1]) if outs else None

    @staticmethod
    def _progress(path: Path | None) -> dict[str, str]:
        if path is None:
            return {}
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL))
            text = handle.read().decode("utf-8", "replace")
        return last_progress(text.splitlines())

    @staticmethod
    def states(records: dict[str, dict[str, Any]]) -> dict[str, SlurmJob]:
        """The state of each experiment's latest record, by experiment id.

        A record with a ``state`` (an outcome cm-cc wrote) is taken as written; the others are
        asked of Slurm in one batch.
        """
        asked = [record["job"] for record in records.values() if "state" not in record]
        slurm = job_states(asked) if asked else {}
        return {
            key: slurm[record["job"]] if "state" not in record else _outcome(record)
            for key, record in records.items()
        }

    def status(self) -> list[dict[str, Any]]:
        """One record per experiment: id, parameters, job, state, elapsed, progress, energy_j."""
        experiments = self.experiments()
        records = self.records()
        states = self.states(records)
        rows = []
        for entry in experiments:
            record = records.get(entry["id"])
            row: dict[str, Any] = {"id": entry["id"], "parameters": entry["parameters"]}
            if record is None:
                row.update(job="", state=UNSUBMITTED, elapsed="", progress="", energy_j=None)
            else:
                slurm = states[entry["id"]]
                pairs = self._progress(self._output_file(entry, record["job"]))
                row.update(
                    job=record["job"],
                    state=slurm.state,
                    elapsed=slurm.elapsed,
                    progress=pairs.get("progress", ""),
                    energy_j=trace_energy(self.out / entry["directory"]),
                )
            rows.append(row)
        return rows

    def resubmit(
        self,
        *,
        failed: bool = True,
        array: bool = False,
        max_parallel: int | None = None,
        dry_run: bool = False,
    ) -> list[dict[str, Any]]:
        """Submit again the experiments that failed, timed out or were cancelled (``failed``), or all."""
        if not failed:
            return self.submit(
                ids=[e["id"] for e in self.experiments()],
                array=array,
                max_parallel=max_parallel,
                dry_run=dry_run,
            )
        ids = [key for key, state in self.states(self.records()).items() if state.state in FAILED_STATES]
        if not ids:
            return []
        return self.submit(ids=ids, array=array, max_parallel=max_parallel, dry_run=dry_run)

    def cancel(self) -> list[str]:
        """Cancel every recorded job that has not finished; return their ids."""
        states = self.states(self.records()).values()
        active = [state.id for state in states if not state.finished and state.state != "UNKNOWN"]
        slurm_scancel(active)
        return active

    def wait(self, timeout: float = 600, interval: float = 1.0) -> list[dict[str, Any]]:
        """Poll :meth:`status` until every submitted job has finished; return the rows.

        After ``timeout`` seconds :class:`WaitTimeout` says how many are still going (its ``rows``
        hold the last status).
        """
        deadline = time.monotonic() + timeout
        while True:
            rows = self.status()
            pending = [r for r in rows if r["state"] != UNSUBMITTED and r["state"] not in FINISHED]
            if not pending:
                return rows
            if time.monotonic() > deadline:
                first = pending[0]
                raise WaitTimeout(
                    f"{self.out}: {len(pending)} jobs not finished after {timeout:g} s"
                    f" (first: {first['id']}, job {first['job']}, {first['state']})",
                    rows,
                )
            time.sleep(interval)


class WaitTimeout(RuntimeFailure):
    """:meth:`SweepOutput.wait` ran out of time; ``rows`` is the last status, unfinished jobs included."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.rows = rows


def _outcome(record: dict[str, Any]) -> SlurmJob:
    """An outcome record (``state``, ``elapsed``, ``exit_code``) as the state Slurm would report."""
    code = record.get("exit_code")
    return SlurmJob(
        record["job"], record["state"], record.get("elapsed", ""), "" if code is None else str(code)
    )


def trace_energy(folder: Path) -> float | None:
    """Joules recorded by ``cm-sbatch trace`` in ``folder`` (the last energy of each device, summed)."""
    total = None
    for path in sorted(folder.glob("trace-*.csv")):
        last: dict[str, float] = {}
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("energy_j"):
                    last[row["device"]] = float(row["energy_j"])
        if last:
            total = (total or 0.0) + sum(last.values())
    return None if total is None else round(total, 3)
