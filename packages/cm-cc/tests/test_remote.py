"""Jobs on the real sshd (127.0.0.1) and the real single-node Slurm, alone and mixed with local jobs."""

from __future__ import annotations

import asyncio
import pwd
import re
import subprocess
from pathlib import Path

import pytest
from helpers import cli, gone, wait_until, write_sweep, write_workflow

from cm_cc import Engine, Event, Host, Job, State, Store, Workflow


def lab(sshd: dict[str, str]) -> dict[str, Host]:
    return {"lab": Host(hostname=sshd["host"], port=int(sshd["port"]), user=sshd["user"], key=sshd["key"])}


def remote_folder(sshd: dict[str, str], run: str, job: str) -> Path:
    """The job's folder in the SSH user's home, which only a remote run makes (with job.sh in it)."""
    return Path(pwd.getpwnam(sshd["user"]).pw_dir) / ".cm" / "cc" / "runs" / run / job


def assert_over_ssh(sshd: dict[str, str], line: str) -> None:
    """``line`` is the job's $SSH_CONNECTION: set by sshd alone, naming its port."""
    assert re.fullmatch(rf"{re.escape(sshd['host'])} \d+ {re.escape(sshd['host'])} {sshd['port']}", line), (
        line
    )


def assert_remote_pid(sshd: dict[str, str], run: str, job: str) -> int:
    """The remote folder holds job.sh and the job's pid file; return that pid."""
    folder = remote_folder(sshd, run, job)
    assert (folder / "job.sh").is_file(), folder
    return int((folder / "job.pid").read_text())


@pytest.mark.ssh
@pytest.mark.slurm
def test_local_then_ssh_then_slurm_then_local(tmp_path: Path, sshd: dict[str, str], slurm: str) -> None:
    hosts = {
        "lab": {"hostname": sshd["host"], "port": int(sshd["port"]), "user": sshd["user"], "key": sshd["key"]}
    }
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "name": "mixed",
            "hosts": hosts,
            "jobs": [
                {"name": "prepare", "exec": f"echo prepared > {tmp_path / 'data'}"},
                {
                    "name": "remote",
                    "kind": "ssh",
                    "host": "lab",
                    "needs": ["prepare"],
                    "exec": f"echo '# cloudmesh progress=50'; cat {tmp_path / 'data'}; "
                    "echo $CM_CC_JOB $SSH_CONNECTION",
                },
                {
                    "name": "train",
                    "kind": "slurm",
                    "resources": {"partition": slurm},
                    "needs": ["remote"],
                    "exec": f"echo trained on $SLURM_JOB_PARTITION > {tmp_path / 'model'}",
                },
                {
                    "name": "remote-train",
                    "kind": "slurm",
                    "host": "lab",
                    "needs": ["remote"],
                    "resources": {"partition": slurm},
                    "exec": "echo remote $SLURM_JOB_ID",
                },
                {"name": "analyze", "exec": f"cat {tmp_path / 'model'}", "needs": ["train", "remote-train"]},
            ],
        },
    )
    result = cli("run", str(flow), "-q", "-o", "json", "--graph", str(tmp_path / "g.svg"))
    assert result.returncode == 0, result.stderr
    store = Store()
    run = store.runs()[0]
    assert run.state == "done" and run.counts == {"done": 5}
    folder = Path(run.directory)
    prepared, job_line = (folder / "remote" / "stdout").read_text().splitlines()[1:]
    assert prepared == "prepared" and job_line.startswith("remote ")
    assert_over_ssh(sshd, job_line.removeprefix("remote "))
    assert assert_remote_pid(sshd, run.id, "remote") > 1
    assert (remote_folder(sshd, run.id, "remote-train") / "stdout").read_text().startswith("remote ")
    assert (folder / "analyze" / "stdout").read_text() == f"trained on {slurm}\n"
    assert (folder / "remote-train" / "stdout").read_text().startswith("remote ")
    jobs = {job.name: job for job in store.jobs(run.id)}
    assert jobs["train"].slurm_id and jobs["remote-train"].slurm_id and jobs["remote"].host == "lab"


@pytest.mark.ssh
def test_ssh_exit_code_and_stderr_come_back(sshd: dict[str, str]) -> None:
    flow = Workflow(
        "ssh",
        [Job(name="bad", kind="ssh", host="lab", exec="echo $SSH_CONNECTION; echo oops >&2; exit 5")],
        hosts=lab(sshd),
    )
    result = flow.run()
    job = flow.status()[0]
    assert (result.state, job.state, job.exit_code) == ("failed", State.FAILED, 5)
    assert (Path(result.directory) / "bad" / "stderr").read_text() == "oops\n"
    assert_over_ssh(sshd, (Path(result.directory) / "bad" / "stdout").read_text().strip())
    assert assert_remote_pid(sshd, result.id, "bad") > 1


@pytest.mark.ssh
def test_ssh_timeout_kills_the_remote_process_group(tmp_path: Path, sshd: dict[str, str]) -> None:
    pid_file = tmp_path / "remote.pid"
    job = Job(name="slow", kind="ssh", host="lab", timeout=8, exec=f"sleep 300 & echo $! > {pid_file}; wait")
    flow = Workflow("ssh-timeout", [job], hosts=lab(sshd))
    result = flow.run()
    assert flow.status()[0].state == State.TIMEOUT
    leader = assert_remote_pid(sshd, result.id, "slow")
    wait_until(lambda: gone(int(pid_file.read_text())) and gone(leader), limit=20)


@pytest.mark.ssh
def test_unreachable_host_fails_the_job_not_the_engine(sshd: dict[str, str]) -> None:
    hosts = {"nowhere": Host(hostname="127.0.0.1", port=1, user="root", key=sshd["key"])}
    flow = Workflow("ssh-down", [Job(name="x", kind="ssh", host="nowhere", exec="true")], hosts=hosts)
    result = flow.run()
    assert result.state == "failed"
    assert flow.status()[0].message.startswith("ssh 127.0.0.1: ")
    assert not remote_folder(sshd, result.id, "x").exists()


@pytest.mark.slurm
def test_slurm_failure_and_cancel(tmp_path: Path, slurm: str) -> None:
    flow = Workflow(
        "slurm",
        [
            Job(name="fails", kind="slurm", exec="exit 3", resources={"partition": slurm}),
            Job(name="long", kind="slurm", exec="sleep 300", resources={"partition": slurm}),
        ],
    )
    store = Store()
    run = flow.create_run(store)
    engine = Engine(run, store=store, parallel=2, poll=0.3)

    def hook(event: Event) -> None:
        if event.job == "fails" and event.state == "failed":
            engine.cancel()

    engine.hooks.append(hook)
    assert asyncio.run(engine.run()).state == "cancelled"
    jobs = {job.name: job for job in store.jobs(run)}
    assert (jobs["fails"].state, jobs["fails"].exit_code) == (State.FAILED, 3)
    assert jobs["long"].state == State.CANCELLED
    queue = subprocess.run(
        ["squeue", "-h", "-j", jobs["long"].slurm_id, "-o", "%T"], capture_output=True, text=True
    )
    assert queue.stdout.strip() in ("", "CANCELLED", "COMPLETING")


@pytest.mark.slurm
def test_a_sweep_through_slurm(tmp_path: Path, slurm: str) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 3, 'echo "{\\"x\\": $X}" > result.json')
    result = cli(
        "run",
        "--sweep",
        str(out),
        "--kind",
        "slurm",
        "--resource",
        f"partition={slurm}",
        "-q",
        "--then",
        f"python3 -c 'import glob; print(len(glob.glob(\"{out}/*/result.json\")))'",
    )
    assert result.returncode == 0, result.stderr
    run = Store().runs()[0]
    assert (Path(run.directory) / "then" / "stdout").read_text() == "3\n"


@pytest.mark.ssh
def test_a_sweep_over_ssh(tmp_path: Path, sshd: dict[str, str]) -> None:
    out = tmp_path / "sweep"
    write_sweep(out, 2, 'echo "$SSH_CONNECTION" > where.txt')
    flow = Workflow.from_sweep(out, kind="ssh", host="lab", hosts=lab(sshd))
    result = flow.run()
    assert result.state == "done"
    for index in (0, 1):
        assert_over_ssh(sshd, (out / f"exp-{index}" / "where.txt").read_text().strip())
        assert assert_remote_pid(sshd, result.id, f"exp-exp-{index}") > 1


@pytest.mark.ssh
def test_a_broken_remote_slurm_submission_fails_the_job_and_the_run_goes_on(sshd: dict[str, str]) -> None:
    hosts = {"nowhere": Host(hostname="127.0.0.1", port=1, user="root", key=sshd["key"])}
    flow = Workflow(
        "down",
        [Job(name="remote", kind="slurm", host="nowhere", exec="true"), Job(name="local", exec="true")],
        hosts=hosts,
    )
    assert flow.run().state == "failed"
    states = {job.name: job for job in flow.status()}
    assert states["local"].state == State.DONE and states["remote"].state == State.FAILED
    assert "port 1 on 127.0.0.1" in states["remote"].message  # the connection's own error, kept


@pytest.mark.ssh
def test_cancel_after_the_engine_died_kills_the_remote_job(tmp_path: Path, sshd: dict[str, str]) -> None:
    import os
    import signal
    import sys

    hosts = {
        "lab": {"hostname": sshd["host"], "port": int(sshd["port"]), "user": sshd["user"], "key": sshd["key"]}
    }
    pid_file = tmp_path / "remote.pid"
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {
            "hosts": hosts,
            "jobs": [{"name": "r", "kind": "ssh", "host": "lab", "exec": f"echo $$ > {pid_file}; sleep 300"}],
        },
    )
    engine = subprocess.Popen(
        [sys.executable, "-m", "cm_cc", "run", str(flow), "-q"], stderr=subprocess.DEVNULL
    )
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    os.kill(engine.pid, signal.SIGKILL)
    engine.wait()
    run = Store().runs()[0].id
    result = cli("cancel", run)
    assert result.returncode == 0 and "engine was not running" in result.stderr
    assert assert_remote_pid(sshd, run, "r") == int(pid_file.read_text())  # the job ran remotely
    wait_until(lambda: gone(int(pid_file.read_text())), limit=20)
    assert Store().run(run).state == "cancelled"


@pytest.mark.ssh
def test_hosts_from_the_settings_file(tmp_path: Path, sshd: dict[str, str], cm_home: Path) -> None:
    (cm_home / "settings.yaml").write_text(
        f"cc:\n  hosts:\n    lab: {{hostname: {sshd['host']}, port: {sshd['port']}, user: {sshd['user']},"
        f" key: {sshd['key']}}}\n"
    )
    flow = write_workflow(
        tmp_path / "wf.yaml",
        {"jobs": [{"name": "r", "kind": "ssh", "host": "lab", "exec": "echo hi; echo $SSH_CONNECTION"}]},
    )
    result = cli("run", str(flow), "-q", "-o", "json")
    assert result.returncode == 0, result.stderr
    run = Store().runs()[0]
    hi, connection = (Path(run.directory) / "r" / "stdout").read_text().splitlines()
    assert hi == "hi"
    assert_over_ssh(sshd, connection)
    assert assert_remote_pid(sshd, run.id, "r") > 1
