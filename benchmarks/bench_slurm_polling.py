"""How hard cm-cc's Slurm poller leans on the controller: 500 pending jobs followed for a minute.

    python benchmarks/bench_slurm_polling.py                 # 500 jobs, 60 s per side (about 2.5 minutes)
    python benchmarks/bench_slurm_polling.py --jobs 100 --seconds 20

Needs a Slurm cluster (the test one: ``bash services/up.sh``). It submits ``--jobs`` held jobs that
cm-cc follows and ``--others`` held jobs that stand for other users' work, then counts, through
logging stand-ins first on PATH that run the real commands, every Slurm call made in ``--seconds``:

* before: the adapter cm had until 0.1 (and what cloudmesh tools do): the whole cluster's
  ``squeue -h -r`` and ``scontrol show job -o`` once a second;
* now: cm-cc's SlurmExecutor following the jobs (``squeue -t all -j`` per batch of ids, the pause
  doubling from 1 s up to 30 s while nothing changes).

It reports calls, job rows read and rows of the other jobs read for both, and the ratio of calls.
Every job it submitted is cancelled at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ("squeue", "scontrol", "sacct")


def _shims(folder: Path) -> Path:
    """Stand-ins for the Slurm query commands that log arguments and output, then answer as the real ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in COMMANDS:
        real = shutil.which(name)
        if real is None:
            sys.exit(f"{name} not found: this benchmark needs Slurm")
        script = folder / name
        script.write_text(
            "#!/bin/bash\n"
            f'out=$({real} "$@"); rc=$?\n'
            f'{{ echo "CALL {name} $*"; printf "%s\\n" "$out"; }} >> {folder}/log\n'
            'printf "%s\\n" "$out"; exit $rc\n'
        )
        script.chmod(0o755)
    return folder / "log"


def _submit(count: int, partition: str, folder: Path) -> list[str]:
    args = ["sbatch", "--parsable", "--hold", "-p", partition, "-D", str(folder), "-o", "/dev/null"]
    return [
        subprocess.run([*args, "--wrap", "true"], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(count)
    ]


def _tally(log: Path, others: set[str]) -> dict[str, int]:
    """Calls per command, job rows read, and rows (or ids named) that belong to the other jobs."""
    counts = dict.fromkeys(COMMANDS, 0)
    rows = foreign = 0
    for line in log.read_text().splitlines() if log.exists() else []:
        if line.startswith("CALL "):
            name = line.split()[1]
            counts[name] += 1
            named = line.split(" -j ")[1].split()[0].split(",") if " -j " in line else []
            foreign += len(others.intersection(named))
        elif line.strip():
            rows += 1
            first = line.split("|")[0].split()[0].removeprefix("JobId=").split("_")[0]
            foreign += first in others
    return {**counts, "calls": sum(counts.values()), "rows": rows, "foreign": foreign}


def _before(seconds: float) -> None:
    """The old adapter: the whole cluster's queue and job records, once a second."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        subprocess.run(["squeue", "-h", "-r", "-o", "%i|%T|%M|%N"], capture_output=True, check=False)
        subprocess.run(["scontrol", "show", "job", "-o"], capture_output=True, check=False)
        time.sleep(1.0)


async def _now(ids: list[str], seconds: float, log: Path) -> None:
    """cm-cc's executor following ``ids`` (adopted, as after a resume) for ``seconds``."""
    from cm_cc import Job
    from cm_cc._executors import JobContext
    from cm_cc._executors._slurm import SlurmExecutor

    executor = SlurmExecutor()
    folder = Path(tempfile.mkdtemp(prefix="cm-bench-poll-"))
    job = Job(name="held", kind="slurm", exec="true")
    tasks = [
        asyncio.create_task(
            executor.execute(JobContext("bench", job, folder, lambda **_: None, lambda _: None, adopt=i))
        )
        for i in ids
    ]
    await asyncio.sleep(seconds)
    counted = log.read_text() if log.exists() else ""
    subprocess.run(["scancel", *ids], check=False)
    await asyncio.wait_for(asyncio.gather(*tasks), 120)  # the poller sees the cancellation
    await executor.close()
    log.write_text(counted)


def _line(label: str, tally: dict[str, int], seconds: float) -> str:
    per = ", ".join(f"{name} {tally[name]}" for name in COMMANDS)
    return (
        f"{label:<7} {tally['calls']:>5} calls in {seconds:g} s ({per}); {tally['rows']:>7} job rows read, "
        f"{tally['foreign']:>6} of them (or ids named) other users' jobs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--others", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--partition", default="debug")
    args, _ = parser.parse_known_args()  # `nox -s bench -- --no-reference` hands on other flags
    if shutil.which("sbatch") is None:
        print("bench_slurm_polling: skipped, no Slurm here")
        return
    scratch = Path(tempfile.mkdtemp(prefix="cm-bench-slurm-"))
    others = _submit(args.others, args.partition, scratch)
    ours = _submit(args.jobs, args.partition, scratch)
    try:
        bin_dir = scratch / "bin"
        log = _shims(bin_dir)
        os.environ["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
        os.environ["CM_HOME"] = str(scratch / "home")
        _before(args.seconds)
        before = _tally(log, set(others))
        log.unlink()
        asyncio.run(_now(ours, args.seconds, log))
        now = _tally(log, set(others))
    finally:
        subprocess.run(["scancel", *others, *ours], check=False)
    print(f"Slurm polling, {args.jobs} pending jobs followed, {args.others} other jobs on the cluster")
    print(_line("before", before, args.seconds))
    print(_line("now", now, args.seconds))
    ratio = before["calls"] / max(1, now["calls"])
    print(f"ratio   {ratio:.1f}x fewer calls; other users' jobs read now: {now['foreign']}")


if __name__ == "__main__":
    main()
