"""Fixtures for the real test services (services/*.sh), shared by every package's tests.

A test marked ``slurm`` or ``ssh`` gets the service; where it cannot start the test is
skipped with the reason, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
SERVICES = Path(os.environ.get("CM_SERVICES", "/tmp/cm-services"))  # noqa: S108 - the services scripts write there


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"service needed in CI but unavailable: {reason}")
    pytest.skip(reason)


def _start(script: str) -> str | None:
    """Run a services script; return None when it worked, else why not."""
    if os.geteuid() != 0:
        return "starting the test services needs root"
    result = subprocess.run(["bash", str(ROOT / "services" / script)], capture_output=True, text=True)
    return None if result.returncode == 0 else (result.stderr.strip() or result.stdout.strip())[-300:]


@pytest.fixture(scope="session")
def slurm() -> str:
    """The partition of a running single-node Slurm cluster."""
    why = _start("slurm.sh") if shutil.which("bash") else "no bash"
    if why or not shutil.which("sbatch"):
        _unavailable(f"single-node Slurm could not start: {why or 'sbatch not found'}")
    return "debug"


@pytest.fixture(scope="session")
def sshd() -> dict[str, str]:
    """Connection facts of the sshd on 127.0.0.1: host, port, user, key."""
    why = _start("sshd.sh")
    env_file = SERVICES / "sshd" / "env"
    if why or not env_file.exists():
        _unavailable(f"sshd on 127.0.0.1 could not start: {why or 'no env file'}")
    pairs = dict(line.split("=", 1) for line in env_file.read_text().split())
    return {
        "host": pairs["CM_SSH_HOST"],
        "port": pairs["CM_SSH_PORT"],
        "user": pairs["CM_SSH_USER"],
        "key": pairs["CM_SSH_KEY"],
    }


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's chromium (browser tests drive it through playwright, never a downloaded one)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("chromium not found (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(autouse=True)
def cm_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CM_HOME."""
    home = tmp_path_factory.mktemp("cm_home")
    monkeypatch.setenv("CM_HOME", str(home))
    return home
