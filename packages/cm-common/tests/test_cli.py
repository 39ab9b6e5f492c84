import json
import re
import subprocess
import sys
from pathlib import Path

CM = [sys.executable, "-c", "from cm_common._cli import main; main()"]


def cm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CM, *args], capture_output=True, text=True)


def test_set_get_unset_vars() -> None:
    assert cm("set", "cloud=aws", "user=me").returncode == 0
    got = cm("get", "cloud")
    assert (got.returncode, got.stdout) == (0, "aws\n")
    listed = json.loads(cm("vars", "--output", "json").stdout)
    assert listed == [{"name": "cloud", "value": "aws"}, {"name": "user", "value": "me"}]
    assert cm("unset", "cloud").returncode == 0
    missing = cm("get", "cloud")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: variable 'cloud' is not set"


def test_bad_assignment_is_one_line_exit_2() -> None:
    result = cm("set", "novalue")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: expected key=value, got 'novalue'"]
    assert "Traceback" not in result.stderr


def test_malformed_settings_file_one_line(cm_home: Path) -> None:
    (cm_home / "settings.yaml").write_text("output: [unclosed\n")
    result = cm("vars")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(cm_home / "settings.yaml") in lines[0] and "invalid YAML" in lines[0]


def test_debug_shows_traceback(cm_home: Path) -> None:
    (cm_home / "settings.yaml").write_text("output: [unclosed\n")
    result = cm("--debug", "vars")
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_help_lists_only_installed() -> None:
    from importlib.metadata import entry_points

    installed = {ep.name for ep in entry_points(group="cm.commands")}
    out = cm("--help").stdout
    commands = out.partition("\nCommands:\n")[2]
    listed = {line.split()[0] for line in commands.splitlines() if re.match(r"  [a-z]+  ", line)}
    assert listed == {"set", "get", "unset", "vars", *installed}  # each a command row of its own
