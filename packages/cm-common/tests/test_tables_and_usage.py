"""What people and scripts see: tables through a pipe and in a narrow terminal, usage errors, --version."""

import os
import pty
import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest

from cm_common import plural

CM = [sys.executable, "-c", "from cm_common._cli import main; main()"]
IDS = [f"exp-epoch_{n}_lr_0.000{n}_optimizer_adamw_batch_{n * 128}" for n in range(6)]
TABLE = (
    "from cm_common import print_records; import sys; "
    "ids = sys.argv[1:]; "
    "print_records([{'name': i, 'state': 'done', 'attempt': 1, 'progress': 100, 'directory': '/x/' + i} "
    "for i in ids], least_useful=['directory', 'attempt'])"
)


def cm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CM, *args], capture_output=True, text=True)


def in_terminal(code: str, args: list[str], columns: int) -> str:
    """Run ``code`` with stdout on a pseudo-terminal ``columns`` wide; return what it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_table_through_a_pipe_keeps_every_id_and_header_whole() -> None:
    result = subprocess.run([sys.executable, "-c", TABLE, *IDS], capture_output=True, text=True, check=True)
    for name in [*IDS, "attempt", "progress", "directory"]:
        assert name in result.stdout
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) > 80


def test_narrow_terminal_drops_least_useful_columns_before_a_name() -> None:
    drawn = in_terminal(TABLE, IDS, 72)
    lines = drawn.splitlines()
    assert max(len(line) for line in lines) <= 72
    for name in IDS:
        assert name in drawn
    assert "state" in drawn and "/x/" not in drawn
    assert "hidden for width: attempt, directory" in drawn
    assert "…" not in drawn


def test_very_narrow_terminal_folds_the_name_but_never_cuts_it() -> None:
    drawn = in_terminal(TABLE, IDS[:1], 30)
    cells = "".join(line.strip("│┃ \r") for line in drawn.splitlines() if line.startswith("│"))
    assert IDS[0] in cells


def test_unknown_option_is_one_line_exit_2_without_far_suggestion() -> None:
    result = cm("vars", "--bogus")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: no such option: --bogus (see cm vars --help)"]
    assert result.stdout == ""


def test_close_option_and_command_are_suggested() -> None:
    option = cm("vars", "--outptu", "json")
    assert (option.returncode, option.stderr) == (
        2,
        "error: no such option: --outptu (did you mean --output?)\n",
    )
    command = cm("sett", "a=1")
    assert (command.returncode, command.stderr) == (2, "error: no such command 'sett' (did you mean set?)\n")


def test_missing_argument_and_bad_value_are_one_line() -> None:
    for args in (["get"], ["vars", "--output", "jsn"]):
        result = cm(*args)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
        assert "╭" not in result.stderr


def test_cm_version_lists_every_installed_cm_package() -> None:
    result = cm("--version")
    assert result.returncode == 0
    expected = {"cm-common": version("cm-common")}
    expected.update({ep.dist.name: ep.dist.version for ep in entry_points(group="cm.commands") if ep.dist})
    assert result.stdout.splitlines() == [f"{name} {expected[name]}" for name in sorted(expected)]


def test_subcommand_version_names_its_package_and_a_missing_one_is_a_usage_error() -> None:
    installed = {ep.name: ep.dist for ep in entry_points(group="cm.commands")}
    for name in ("sbatch", "cc", "gas", "nlp", "vm"):
        result = cm(name, "--version")
        dist = installed.get(name)
        if dist is not None:
            assert (result.returncode, result.stdout) == (0, f"{dist.name} {dist.version}\n")
        else:
            assert result.returncode == 2
            assert result.stderr.startswith(f"error: no such command '{name}'")
            assert len(result.stderr.splitlines()) == 1


def test_help_has_no_rest_markup() -> None:
    for args in (["--help"], ["set", "--help"], ["vars", "--help"]):
        out = cm(*args).stdout
        assert "``" not in out and ":func:" not in out


@pytest.mark.parametrize(
    ("count", "word", "many", "text"),
    [
        (1, "job", None, "1 job"),
        (2, "job", None, "2 jobs"),
        (0, "job", None, "0 jobs"),
        (10000, "experiment", None, "10,000 experiments"),
        (3, "directory", "directories", "3 directories"),
    ],
)
def test_plural(count: int, word: str, many: str | None, text: str) -> None:
    assert plural(count, word, many) == text
