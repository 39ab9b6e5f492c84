"""One answer to "where does this path lead" for the upload check, the CLI's loader and the run;
env keys that are not variable names stop the CLI before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cm_cc import Job, Workflow
from cm_cc._paths import final_path, lies_inside


def test_final_path_expands_home_and_resolves_dots_and_links(tmp_path: Path) -> None:
    home = Path.home()
    assert final_path("~/../etc/passwd", tmp_path) == (home / ".." / "etc" / "passwd").resolve()
    assert final_path("a/../b", tmp_path) == tmp_path.resolve() / "b"
    assert final_path("/etc", tmp_path) == Path("/etc")
    (tmp_path / "link").symlink_to("/etc")
    assert final_path("link/passwd", tmp_path) == Path("/etc/passwd")
    assert not lies_inside("link/passwd", tmp_path) and not lies_inside("~", tmp_path)
    assert lies_inside("sub/run.sh", tmp_path)


def test_the_run_uses_the_same_answer(tmp_path: Path) -> None:
    workflow = Workflow("w", [Job(name="a", exec="pwd", workdir="~/x/..")], base=tmp_path)
    [job] = workflow.check()
    assert job.workdir == str(final_path("~/x/..", tmp_path)) == str(Path.home().resolve())


def test_cli_refuses_an_env_key_with_shell_syntax(tmp_path: Path) -> None:
    file = tmp_path / "wf.yaml"
    file.write_text(
        yaml.safe_dump({"jobs": [{"name": "a", "exec": "true", "env": {"X; touch pwned; Y": "1"}}]})
    )
    done = subprocess.run(
        [sys.executable, "-m", "cm_cc", "run", str(file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "env key 'X; touch pwned; Y'" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("key", ["PATH_2", "_x", "A"])
def test_plain_env_keys_pass(key: str) -> None:
    assert Job(name="a", exec="true", env={key: "v"}).env == {key: "v"}
