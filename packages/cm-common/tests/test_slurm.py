"""The Slurm adapter on the real test cluster: only our jobs are named, in batches; timeouts and retries.

A controller that hangs or refuses cannot be made here without breaking the shared cluster, so those
tests put a stand-in ``squeue``/``sbatch`` first on PATH; every other test talks to the real Slurm.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from cm_common import (
    CommandResult,
    InputError,
    RuntimeFailure,
    SlurmJob,
    SlurmSettings,
    job_states,
    load_slurm_settings,
    max_array_size,
    run_here,
    sbatch,
    scancel,
    slurm_call,
)

FAST = SlurmSettings(timeout=10, retries=2, backoff=0.05, batch=200)  # quick retries, a patient timeout
HUNG = SlurmSettings(timeout=0.5, retries=2, backoff=0.05)  # for a controller that never answers


class Recorder:
    """A runner that runs the real command and keeps every call and its output."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, args: Sequence[str], /, *, timeout: float) -> CommandResult:
        result = run_here(args, timeout=timeout)
        self.calls.append((list(args), result.stdout))
        return result


def _submit(partition: str, folder: Path, *options: str) -> str:
    args = ["sbatch", "--parsable", "-p", partition, "-D", str(folder), "-o", "/dev/null", *options]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().split(";")[0]


def _finished(job: str, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        out = subprocess.run(
            ["squeue", "-h", "-t", "all", "-j", job, "-o", "%T"], capture_output=True, text=True
        )
        if out.stdout.strip() in {"COMPLETED", "FAILED", "CANCELLED"}:
            return
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish")


@pytest.mark.slurm
def test_queries_name_only_our_jobs_and_never_read_others(slurm: str, tmp_path: Path) -> None:
    others = [_submit(slurm, tmp_path, "--hold", "--wrap", "true") for _ in range(3)]
    other_array = _submit(slurm, tmp_path, "--hold", "--array=0-2", "--wrap", "true")
    try:
        held = _submit(slurm, tmp_path, "--hold", "--wrap", "true")
        failed = _submit(slurm, tmp_path, "--wrap", "exit 3")
        array = _submit(slurm, tmp_path, "--hold", "--array=0-3%1", "--wrap", "true")
        _finished(failed)
        ours = [held, failed, f"{array}_2", "999999"]
        recorder = Recorder()
        states = job_states(ours, recorder, FAST)
        assert {key: job.state for key, job in states.items()} == {
            held: "PENDING",
            failed: "FAILED",
            f"{array}_2": "PENDING",
            "999999": "UNKNOWN",
        }
        assert all(key == job.id for key, job in states.items())
        assert states[failed].exit_code == "3:0"
        outside = {*others, other_array}
        for args, stdout in recorder.calls:
            named = args[args.index("-j") + 1].split(",")
            assert set(named) <= set(ours), args
            seen = {line.split("|")[0].split("_")[0] for line in stdout.splitlines()}
            assert not seen & outside, stdout
        assert [args[0] for args, _ in recorder.calls] == ["squeue", "sacct"]  # sacct only for the unknown
        assert recorder.calls[1][0][-1] == "999999"
    finally:
        scancel([*others, other_array, held, array])


@pytest.mark.slurm
def test_queries_go_in_bounded_batches(slurm: str, tmp_path: Path) -> None:
    jobs = [_submit(slurm, tmp_path, "--hold", "--wrap", "true") for _ in range(5)]
    try:
        recorder = Recorder()
        states = job_states(jobs, recorder, SlurmSettings(batch=2))
        assert {job.state for job in states.values()} == {"PENDING"}
        named = [args[args.index("-j") + 1].split(",") for args, _ in recorder.calls]
        assert [len(batch) for batch in named] == [2, 2, 1]
        assert sorted(job for batch in named for job in batch) == sorted(jobs)
    finally:
        scancel(jobs)


@pytest.mark.slurm
def test_scancel_of_a_finished_job_is_no_error_and_a_live_one_is_cancelled(
    slurm: str, tmp_path: Path
) -> None:
    done = _submit(slurm, tmp_path, "--wrap", "true")
    live = _submit(slurm, tmp_path, "--hold", "--wrap", "true")
    _finished(done)
    scancel([done, live])
    _finished(live)
    assert job_states([live], settings=FAST)[live].state == "CANCELLED"


def _stand_in(folder: Path, name: str, body: str) -> Path:
    """A fake Slurm command first on PATH; it counts its calls in ``calls``."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/bash\necho call >> {folder}/calls\n{body}\n")
    script.chmod(0o755)
    return folder


def _calls(folder: Path) -> int:
    path = folder / "calls"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_hung_controller_is_a_clear_failure_after_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _stand_in(tmp_path / "bin", "squeue", "sleep 30")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    start = time.monotonic()
    with pytest.raises(RuntimeFailure) as caught:
        job_states(["1"], settings=HUNG)
    assert time.monotonic() - start < 10  # bounded: three tries of 0.5 s, never the 30 s hang
    assert _calls(bin_dir) == 3
    message = str(caught.value)
    assert "squeue: Slurm did not answer" in message
    assert "3 tries" in message and "timeout 0.5 s" in message and "slurm.timeout" in message


def test_an_unreachable_controller_is_asked_again_until_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        f'if [ "$(wc -l < {tmp_path}/bin/calls)" -lt 3 ]; then\n'
        "  echo 'squeue: error: Unable to contact slurm controller (connect failure)' >&2; exit 1\nfi\n"
        "echo '7|RUNNING|0:05|vm|0'"
    )
    bin_dir = _stand_in(tmp_path / "bin", "squeue", body)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    states = job_states(["7"], settings=FAST)
    assert (states["7"].state, states["7"].elapsed, states["7"].node) == ("RUNNING", "0:05", "vm")
    assert _calls(bin_dir) == 3


def test_an_ordinary_failure_is_not_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _stand_in(tmp_path / "bin", "squeue", "echo 'squeue: error: Invalid user' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    with pytest.raises(RuntimeFailure, match="squeue failed: squeue: error: Invalid user"):
        job_states(["1"], settings=FAST)
    assert _calls(bin_dir) == 1


def test_a_submission_that_timed_out_is_not_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cm_home: Path
) -> None:
    (cm_home / "settings.yaml").write_text("slurm:\n  timeout: 0.3\n  retries: 3\n  backoff: 0.01\n")
    bin_dir = _stand_in(tmp_path / "bin", "sbatch", "sleep 30")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\ntrue\n")
    with pytest.raises(RuntimeFailure, match=r"sbatch: Slurm did not answer \(timed out after 0.3 s; 1 try"):
        sbatch(script)
    assert _calls(bin_dir) == 1


def test_the_slurm_settings_come_from_the_settings_file(cm_home: Path) -> None:
    assert load_slurm_settings() == SlurmSettings()
    (cm_home / "settings.yaml").write_text("slurm:\n  timeout: 5\n  batch: 50\n")
    assert (load_slurm_settings().timeout, load_slurm_settings().batch) == (5.0, 50)
    (cm_home / "settings.yaml").write_text("slurm:\n  timeout: -1\n")
    with pytest.raises(InputError, match=r"field slurm.timeout: .*greater than 0 \(value -1\)"):
        load_slurm_settings()


def test_slurm_call_runs_a_command_under_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _stand_in(tmp_path / "bin", "sinfo", "echo up")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert slurm_call(["sinfo"], settings=FAST) == CommandResult(0, "up\n", "")


@pytest.mark.slurm
def test_tasks_of_an_array_cancelled_before_it_started_are_cancelled(slurm: str, tmp_path: Path) -> None:
    array = _submit(slurm, tmp_path, "--hold", "--array=0-1", "--wrap", "true")
    scancel([f"{array}_0", f"{array}_1"])  # Slurm now keeps one record, "ARRAY", for both
    _finished(array)
    recorder = Recorder()
    states = job_states([f"{array}_0", f"{array}_1"], recorder, FAST)
    assert {key: job.state for key, job in states.items()} == {
        f"{array}_0": "CANCELLED",
        f"{array}_1": "CANCELLED",
    }
    assert all(key == job.id for key, job in states.items())
    assert [args[args.index("-j") + 1] for args, _ in recorder.calls] == [f"{array}_0,{array}_1", array]


def test_each_retry_waits_twice_as_long_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin", "squeue", "echo 'squeue: error: Socket timed out on send/recv' >&2; exit 1"
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    caplog.set_level("INFO", logger="cm_common.slurm")
    with pytest.raises(RuntimeFailure, match=r"\(squeue: error: Socket timed out on send/recv; 3 tries"):
        job_states(["1"], settings=FAST)
    assert [r.getMessage() for r in caplog.records] == [
        "squeue: squeue: error: Socket timed out on send/recv; asking again in 0.05 s",
        "squeue: squeue: error: Socket timed out on send/recv; asking again in 0.1 s",
    ]


def test_sacct_answers_for_what_squeue_no_longer_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin", "squeue", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1"
    )
    _stand_in(
        bin_dir,
        "sacct",
        "printf '5|FAILED by 0|00:00:03|2:0|vm\\n6|COMPLETED|00:01:00|0:0|vm\\n9|X|0|0|vm\\n'",
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    states = job_states(["5", "6", "7"], settings=FAST)
    assert states == {
        "5": SlurmJob("5", "FAILED", "00:00:03", "2:0", "vm"),
        "6": SlurmJob("6", "COMPLETED", "00:01:00", "0:0", "vm"),
        "7": SlurmJob("7", "UNKNOWN"),
    }
    assert states["5"].finished and not states["7"].finished


def test_without_accounting_the_jobs_stay_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin", "squeue", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1"
    )
    _stand_in(bin_dir, "sacct", "echo 'Slurm accounting storage is disabled' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert job_states(["5"], settings=FAST) == {"5": SlurmJob("5", "UNKNOWN")}


def test_exit_codes_from_squeue_wait_statuses() -> None:
    from cm_common._slurm import _exit_code

    assert [_exit_code(raw) for raw in ("0", "768", "9", "3:0", "")] == ["0:0", "3:0", "0:9", "3:0", ""]


def test_scancel_says_why_it_failed_but_not_for_jobs_already_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin",
        "scancel",
        "echo 'scancel: error: Kill job error on job id 5: Access/permission denied' >&2; exit 1",
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    with pytest.raises(
        RuntimeFailure, match=r"^scancel failed: scancel: error: Kill job error on job id 5: Access"
    ):
        scancel(["5"])
    _stand_in(bin_dir, "scancel", "echo 'scancel: error: Invalid job id specified' >&2; exit 1")
    scancel(["5"])
    assert _calls(bin_dir) == 2


def test_sbatch_takes_the_id_before_a_cluster_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin", "sbatch", 'pwd > "$0.cwd"; echo "$@" > "$0.args"; echo "77;cluster"'
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    (tmp_path / "work").mkdir()
    assert sbatch(tmp_path / "job.sh", ["-p", "debug"], cwd=tmp_path / "work") == "77"
    assert (bin_dir / "sbatch.cwd").read_text() == f"{tmp_path / 'work'}\n"
    assert (bin_dir / "sbatch.args").read_text() == f"--parsable -p debug {tmp_path / 'job.sh'}\n"


@pytest.mark.slurm
def test_sbatch_submits_from_its_folder_and_max_array_size_is_the_clusters(
    slurm: str, tmp_path: Path
) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\npwd > where.txt\n")
    (tmp_path / "work").mkdir()
    job = sbatch(script, ["-p", slurm, "-o", "/dev/null"], cwd=tmp_path / "work")
    _finished(job)
    assert (tmp_path / "work" / "where.txt").read_text() == f"{tmp_path / 'work'}\n"
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, check=True).stdout
    limit = (
        next(line for line in config.splitlines() if line.startswith("MaxArraySize")).split("=")[1].strip()
    )
    assert max_array_size() == int(limit)


def test_max_array_size_is_1001_when_slurm_does_not_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _stand_in(
        tmp_path / "bin", "scontrol", "echo 'scontrol: error: Unable to contact slurm controller' >&2; exit 1"
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "settings.yaml").write_text("slurm: {timeout: 1, retries: 0}\n")
    monkeypatch.setenv("CM_HOME", str(tmp_path / "home"))
    assert max_array_size() == 1001
    _stand_in(bin_dir, "scontrol", "echo 'MaxJobCount = 10000'; echo 'MaxArraySize            = 77'")
    assert max_array_size() == 77
    _stand_in(bin_dir, "scontrol", "echo 'MaxJobCount = 10000'")
    assert max_array_size() == 1001


def test_an_array_kept_as_one_bracketed_record_answers_for_its_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        'case "$*" in *"-j 12 "*) echo "12_[0-3%1]|PENDING|0:00||0";; *) echo "12_9|RUNNING|0:01|vm|0";; esac'
    )
    bin_dir = _stand_in(tmp_path / "bin", "squeue", body)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    states = job_states(["12_1", "12_9"], settings=FAST)
    assert states == {
        "12_1": SlurmJob("12_1", "PENDING", "0:00", "0:0", ""),
        "12_9": SlurmJob("12_9", "RUNNING", "0:01", "0:0", "vm"),
    }
