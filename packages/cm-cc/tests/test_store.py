"""The SQLite store: every transaction rolls back on error, ids do not clash, folders stay beside it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cm_cc import Job, State, Store, Workflow
from cm_cc._scheduler import create_run, new_run_id
from cm_common import RuntimeFailure


def test_a_run_id_clash_is_an_error_and_the_store_still_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    jobs = [Job(name="a", exec="true")]
    store.create_run("r1", "w", tmp_path, "{}", jobs)
    with pytest.raises(RuntimeFailure, match="r1"):
        store.create_run("r1", "w", tmp_path, "{}", jobs)
    store.create_run("r2", "w", tmp_path, "{}", jobs)
    store.update_job("r2", "a", state=State.DONE, exit_code=0)
    store.update_run("r1", state="done")
    assert store.jobs("r2")[0].state == State.DONE
    assert store.run("r1").state == "done"
    assert sorted(run.id for run in store.runs()) == ["r1", "r2"]


def test_a_failing_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    jobs = [Job(name="a", exec="true"), Job(name="b", exec="true")]
    with pytest.raises(ZeroDivisionError), store.transaction() as db:
        db.execute(
            "INSERT INTO runs (id, workflow, state, directory, spec, created) VALUES (?, ?, ?, ?, ?, ?)",
            ("x", "w", "ready", ".", "{}", 0),
        )
        _ = 1 / 0
    assert store.runs() == []
    store.create_run("x", "w", tmp_path, "{}", jobs)  # the same id is free again
    assert [job.name for job in store.jobs("x")] == ["a", "b"]


def test_a_duplicate_job_rolls_the_whole_run_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    with pytest.raises(RuntimeFailure):
        store.create_run("r", "w", tmp_path, "{}", [Job(name="a", exec="true"), Job(name="a", exec="true")])
    assert store.runs() == []
    store.create_run("r", "w", tmp_path, "{}", [Job(name="a", exec="true")])
    assert store.run("r").counts == {"ready": 1}


def test_another_process_sees_each_committed_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    store.create_run("r", "w", tmp_path, "{}", [Job(name="a", exec="true")])
    store.update_job("r", "a", state=State.RUNNING)
    reader = sqlite3.connect(tmp_path / "state.db")
    assert reader.execute("SELECT state FROM jobs").fetchall() == [("running",)]
    assert not store._db.in_transaction  # nothing left open


def test_run_ids_carry_64_random_bits() -> None:
    ids = {new_run_id() for _ in range(2000)}
    assert len(ids) == 2000
    stamp, _, random = next(iter(ids)).rpartition("-")
    assert len(random) == 16 and int(random, 16) >= 0
    assert len(stamp) == len("20261126-150812")


def test_a_store_keeps_its_run_folders_beside_it(tmp_path: Path, cm_home: Path) -> None:
    store = Store(tmp_path / "elsewhere" / "state.db")
    result = Workflow("w", [Job(name="a", exec="pwd")]).run(store=store)
    folder = Path(result.directory)
    assert folder.parent == tmp_path / "elsewhere" / "runs"
    assert (folder / "a" / "stdout").exists()
    assert not (cm_home / "cc" / "runs").exists()


def test_a_failed_record_leaves_no_run_folder(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    workflow = Workflow("w", [Job(name="a", exec="true")])
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        create_run(workflow.spec, workflow.check(), store)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
