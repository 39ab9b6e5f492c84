"""Run state in SQLite (WAL): one transaction per transition, readable by any other process."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cm_common import InputError, RuntimeFailure, cm_home

from ._models import Job, JobStatus, RunStatus, State

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, state TEXT NOT NULL, directory TEXT NOT NULL,
  spec TEXT NOT NULL, created REAL NOT NULL, started REAL, ended REAL,
  pid INTEGER, pid_start TEXT NOT NULL DEFAULT '', parallel INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS jobs (
  run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, name TEXT NOT NULL,
  state TEXT NOT NULL, kind TEXT NOT NULL, host TEXT NOT NULL DEFAULT '', attempt INTEGER NOT NULL DEFAULT 0,
  progress INTEGER NOT NULL DEFAULT 0, exit_code INTEGER, pid INTEGER,
  slurm_id TEXT NOT NULL DEFAULT '', started REAL, ended REAL, message TEXT NOT NULL DEFAULT '',
  needs TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (run, name)
);
"""
_JOB_FIELDS = set(JobStatus.__dataclass_fields__) - {"name", "needs"}
_STATUS_FIELDS = set(JobStatus.__dataclass_fields__)
_RUN_COLUMNS = "id, workflow, state, directory, spec, created"
_JOB_COLUMNS = "run, seq, name, state, kind, host, needs"
_RUN_FIELDS = {"state", "started", "ended", "pid", "pid_start", "parallel"}


def _private(path: Path) -> None:
    """Make the database file 0600 (runs hold commands and env values), created so or changed."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def default_path() -> Path:
    """Where the state database lives: ``$CM_HOME/cc/state.db``."""
    return cm_home() / "cc" / "state.db"


class Store:
    """The SQLite state of every run; safe to share between threads, and to read from other processes.

    Run folders live beside the database, in ``runs/`` next to ``path``.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.runs_folder = self.path.parent / "runs"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private(self.path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        for suffix in ("-wal", "-shm"):  # SQLite makes them with the database's mode; older ones too
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write(self, sql: str, rows: Iterable[list[Any]]) -> None:
        with self.transaction() as db:
            db.executemany(sql, rows)

    def create_run(self, run: str, workflow: str, directory: Path, spec: str, jobs: list[Job]) -> None:
        """Record a new run and all its jobs (state ready) in one transaction.

        A run id already taken raises RuntimeFailure and leaves the store as it was.
        """
        row = (run, workflow, State.READY.value, str(directory), spec, time.time())
        job_rows = [
            (run, seq, job.name, State.READY.value, job.kind, job.host or "", json.dumps(job.needs))
            for seq, job in enumerate(jobs)
        ]
        try:
            with self.transaction() as db:
                db.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", row)  # noqa: S608
                db.executemany(f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", job_rows)  # noqa: S608
        except sqlite3.IntegrityError as error:
            raise RuntimeFailure(f"cannot record run {run!r}: {error}") from error

    def update_job(self, run: str, name: str, **fields: Any) -> None:
        """Change fields of one job in one transaction."""
        self.update_jobs(run, [name], **fields)

    def update_jobs(self, run: str, names: Iterable[str], **fields: Any) -> None:
        """Change the same fields of several jobs in one transaction."""
        unknown = set(fields) - _JOB_FIELDS
        if unknown:
            raise ValueError(f"not job fields: {sorted(unknown)}")
        columns = ", ".join(f"{key} = ?" for key in fields)
        values = [_plain(value) for value in fields.values()]
        sql = f"UPDATE jobs SET {columns} WHERE run = ? AND name = ?"  # noqa: S608 - columns checked above
        self._write(sql, ([*values, run, n] for n in names))

    def update_run(self, run: str, **fields: Any) -> None:
        """Change fields of a run in one transaction."""
        unknown = set(fields) - _RUN_FIELDS
        if unknown:
            raise ValueError(f"not run fields: {sorted(unknown)}")
        columns = ", ".join(f"{key} = ?" for key in fields)
        self._write(f"UPDATE runs SET {columns} WHERE id = ?", [[*map(_plain, fields.values()), run]])  # noqa: S608

    def delete_run(self, run: str) -> None:
        """Forget a run and its jobs in one transaction."""
        self._write("DELETE FROM runs WHERE id = ?", [[run]])  # jobs go with it (ON DELETE CASCADE)

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, tuple(args)))

    def spec(self, run: str) -> str:
        """The workflow (jobs already expanded) the run was made from, as JSON."""
        rows = self._query("SELECT spec FROM runs WHERE id = ?", [run])
        if not rows:
            raise InputError(f"no run {run!r} (see cm-cc runs)")
        return str(rows[0]["spec"])

    def jobs(self, run: str) -> list[JobStatus]:
        """Every job of ``run`` in workflow order."""
        rows = self._query("SELECT * FROM jobs WHERE run = ? ORDER BY seq", [run])
        return [_job_status(row) for row in rows]

    def run(self, run: str | None = None) -> RunStatus:
        """One run (the latest when ``run`` is None), with counts of jobs per state."""
        if run is None:
            rows = self._query("SELECT * FROM runs ORDER BY created DESC, id DESC LIMIT 1")
            if not rows:
                raise InputError("no runs yet")
        else:
            rows = self._query("SELECT * FROM runs WHERE id = ?", [run])
            if not rows:
                raise InputError(f"no run {run!r} (see cm-cc runs)")
        return self._run_status(rows[0])

    def runs(self) -> list[RunStatus]:
        """All runs, newest first."""
        return [
            self._run_status(row) for row in self._query("SELECT * FROM runs ORDER BY created DESC, id DESC")
        ]

    def _run_status(self, row: sqlite3.Row) -> RunStatus:
        counts = self._query(
            "SELECT state, COUNT(*) AS n FROM jobs WHERE run = ? GROUP BY state", [row["id"]]
        )
        fields = {key: row[key] for key in row.keys() if key != "spec"}  # noqa: SIM118 - sqlite3.Row
        fields["state"] = State(fields["state"])
        return RunStatus(**fields, counts={r["state"]: r["n"] for r in counts})


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, State) else value


def _job_status(row: sqlite3.Row) -> JobStatus:
    fields = {key: row[key] for key in row.keys() if key in _STATUS_FIELDS}  # noqa: SIM118 - sqlite3.Row
    fields["state"] = State(fields["state"])
    fields["needs"] = json.loads(fields["needs"])
    return JobStatus(**fields)
