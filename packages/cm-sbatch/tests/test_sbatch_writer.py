"""The writer process that creates a sweep's files beside the rendering one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cm_common import InputError, RuntimeFailure
from cm_sbatch._writer import Writer


def test_files_are_written_whole_with_their_modes(tmp_path: Path) -> None:
    odd = tmp_path / "a b\nc é"  # spaces, a newline and non-ASCII survive the pipe
    with Writer() as files:
        run = ("run.sh", "#!/bin/sh\necho 1\n", 0o755)
        files.folder(str(odd), [run, ("config.yaml", "x: " + "y" * 200_000 + "\n", 0o644)])
        files.folder(f"{tmp_path}/e", [("empty", "", 0o644)])
    assert (odd / "run.sh").read_text() == "#!/bin/sh\necho 1\n"
    assert stat.S_IMODE((odd / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((odd / "config.yaml").stat().st_mode) == 0o644
    assert len((odd / "config.yaml").read_text()) == 200_004
    assert (tmp_path / "e" / "empty").read_text() == ""


def test_folders_are_made_with_their_files_and_missing_parents(tmp_path: Path) -> None:
    with Writer(str(tmp_path)) as files:
        files.folder(f"{tmp_path}/a/b/c", [("run.sh", "echo c\n", 0o700), ("config.yaml", "c: 1\n", 0o600)])
        files.folder(f"{tmp_path}/a/b/d")
    assert (tmp_path / "a/b/c/run.sh").read_text() == "echo c\n"
    assert stat.S_IMODE((tmp_path / "a/b/c/run.sh").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a/b/c/config.yaml").stat().st_mode) == 0o600
    assert (tmp_path / "a/b/d").is_dir() and not any((tmp_path / "a/b/d").iterdir())


def test_relative_paths_are_taken_from_the_root(tmp_path: Path) -> None:
    with Writer(str(tmp_path)) as files:
        files.folder("flat", [("run.sh", "echo flat\n", 0o755)])
        files.folder("p/q/r", [("config.yaml", "r: 1\n", 0o644)])
    assert (tmp_path / "flat" / "run.sh").read_text() == "echo flat\n"
    assert (tmp_path / "p/q/r/config.yaml").read_text() == "r: 1\n"
    with (
        pytest.raises(InputError, match=r"^two experiments would share the folder 'p/q/r'$"),
        Writer(str(tmp_path)) as files,
    ):
        files.folder("p/q/r")


def test_a_folder_that_exists_is_an_input_error_naming_it_from_the_root(tmp_path: Path) -> None:
    (tmp_path / "x" / "y").mkdir(parents=True)
    with (
        pytest.raises(InputError, match=r"^two experiments would share the folder 'x/y'$"),
        Writer(str(tmp_path)) as files,
    ):
        files.folder(f"{tmp_path}/x/y", [("run.sh", "new", 0o755)])
    assert not (tmp_path / "x" / "y" / "run.sh").exists()


def test_a_folder_under_a_file_is_a_one_line_failure(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(RuntimeFailure, match=r"File exists: .*/file$"), Writer() as files:
        files.folder(f"{tmp_path}/file/there")


def test_a_file_that_exists_is_a_one_line_failure_naming_it(tmp_path: Path) -> None:
    expected = r"writing the experiments: File exists: .*/taken$"
    with pytest.raises(RuntimeFailure, match=expected) as error, Writer() as files:
        files.folder(f"{tmp_path}/f", [("taken", "keep", 0o644), ("taken", "new", 0o644)])
    assert error.value.exit_code == 1 and "\n" not in error.value.message
    assert (tmp_path / "f" / "taken").read_text() == "keep"


def test_a_failure_reaches_the_caller_while_it_is_still_writing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(RuntimeFailure, match="File exists: "), Writer() as files:
        files.folder(f"{tmp_path}/file/folder", [("file", "x", 0o644)])
        for index in range(5_000):  # more than a pipe holds: the writer has stopped reading
            files.folder(f"{tmp_path}/f{index}", [("file", "x" * 1_000, 0o644)])


def test_an_error_in_the_block_stops_the_writer_and_passes_on(tmp_path: Path) -> None:
    with pytest.raises(KeyError), Writer() as files:
        writer = files
        files.folder(f"{tmp_path}/one", [("file", "1", 0o644)])
        raise KeyError("boom")
    assert all(child.process.returncode is not None for child in writer._children)  # none writes on


def test_folders_spread_over_the_writers_all_land_with_their_parents(tmp_path: Path) -> None:
    folders = [f"top{i % 3}/mid{i % 7}/run{i}" for i in range(1_000)]  # parents shared across writers
    with Writer(str(tmp_path), processes=3) as files:
        for index, folder in enumerate(folders):
            files.folder(folder, [("run.sh", f"echo {index}\n", 0o755)])
    assert sorted(str(p.parent.relative_to(tmp_path)) for p in tmp_path.rglob("run.sh")) == sorted(folders)
    assert (tmp_path / folders[999] / "run.sh").read_text() == "echo 999\n"
