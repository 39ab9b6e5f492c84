"""cm-cc against cloudmesh-cc 5.0.3, side by side in one run.

    python benchmarks/bench_cc.py            # everything (about 2 minutes; the reference takes most)
    python benchmarks/bench_cc.py --no-reference

1. A 100-job chain of trivial local jobs with cloudmesh-cc 5.0.3 (once: it takes half a minute)
   and with cm-cc (best of three); the ratio.
2. A 1,000-job chain with cm-cc (target: under 5 s), with CM_HOME on disk and on tmpfs (the run
   folders cost a few file operations per job; on a busy disk they dominate).
3. Engine overhead per job against a bare ``subprocess.run(["true"])`` (target: within 3x).
4. A 10,000-job wide DAG (start -> 10,000 jobs -> end): peak RSS of the engine (target: under
   200 MB) and CPU use of both cores.

The reference runs in its own venv (cloudmesh-cc==5.0.3 with cloudmesh-common==4.3.195, the only
version it imports with), made on first use under ``$CM_BENCH_CACHE`` (default /tmp/cm-bench), and
with HOME pointing at a scratch folder, because it deletes ``~/experiment`` when it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

CACHE = Path(os.environ.get("CM_BENCH_CACHE", "/tmp/cm-bench"))
REFERENCE = ["cloudmesh-cc==5.0.3", "cloudmesh-common==4.3.195"]
TMPFS = Path("/dev/shm")  # the same chain with the run folders in memory: engine cost without the disk
REPEAT = 3  # cm-cc timings are the best of three: this machine is shared, the noise is large

# cloudmesh-cc has no API to run a workflow built in memory: jobs must be NAME.sh files in
# ~/.cloudmesh/workflow/WF/runtime/, each printing a "# cloudmesh ... progress=100" line (its only
# sign of completion), and Workflow(filename=...).run_topo() runs them one after the other.
DRIVER = """
import os, sys, time
from pathlib import Path
import yaml
from cloudmesh.cc.workflow import Workflow

count = int(sys.argv[1])
folder = Path.home() / ".cloudmesh" / "workflow" / "bench"
(folder / "runtime").mkdir(parents=True, exist_ok=True)
names = [f"j{i}" for i in range(count)]
nodes = {n: {"name": n, "kind": "local", "host": "localhost", "script": f"{n}.sh"} for n in names}
flow_file = folder / "bench.yaml"
flow_file.write_text(yaml.safe_dump({"workflow": {"nodes": nodes, "dependencies": [",".join(names)]}}))
for n in names:
    script = folder / "runtime" / f"{n}.sh"
    script.write_text("#!/usr/bin/env bash\\necho '# cloudmesh status=done progress=100'\\n")
    script.chmod(0o755)
os.chdir(folder)
flow = Workflow(filename=str(flow_file))
quiet, sys.stdout = sys.stdout, open(os.devnull, "w")
start = time.perf_counter()
flow.run_topo(show=False)
elapsed = time.perf_counter() - start
sys.stdout = quiet
done = sum(1 for n in names if flow.jobs[n]["status"] == "done")
print(f"{elapsed:.3f} {done}")
"""


def reference_python() -> Path:
    """The reference venv's python, made (pip from PyPI) when missing."""
    folder = CACHE / "cloudmesh-cc-5.0.3"
    python = folder / "bin" / "python"
    if not (folder / ".ready").exists():
        print(f"making the reference venv in {folder} (once) ...", flush=True)
        venv.create(folder, with_pip=True, clear=True)
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *REFERENCE], capture_output=True, text=True
        )
        if pip.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(REFERENCE)} failed: {pip.stderr.strip()[-500:]}")
        (folder / ".ready").touch()
    return python


def run_reference(count: int) -> tuple[float, int]:
    """Seconds cloudmesh-cc takes for a ``count``-job chain, and how many jobs it reports done."""
    python = reference_python()
    with tempfile.TemporaryDirectory(prefix="cmcc-home-") as home:
        driver = Path(home) / "driver.py"
        driver.write_text(DRIVER)
        env = {**os.environ, "HOME": home}
        out = subprocess.run(
            [str(python), str(driver), str(count)], capture_output=True, text=True, env=env, timeout=1800
        )
    if out.returncode != 0:
        raise RuntimeError(f"cloudmesh-cc failed: {(out.stderr or out.stdout).strip()[-500:]}")
    seconds, done = out.stdout.split()[-2:]
    return float(seconds), int(done)


def chain(count: int, where: str | None = None) -> tuple[float, str]:
    """Seconds cm-cc takes for a ``count``-job chain of ``true`` (fresh CM_HOME under ``where``), and the
    run's state."""
    from cm_cc import Job, Workflow

    jobs = [Job(name=f"j{i}", exec="true", needs=[f"j{i - 1}"] if i else []) for i in range(count)]
    with tempfile.TemporaryDirectory(prefix="cm-cc-bench-", dir=where) as home:
        os.environ["CM_HOME"] = home
        start = time.perf_counter()
        result = Workflow("chain", jobs).run()
        return time.perf_counter() - start, result.state


def bare(count: int) -> float:
    """Seconds per bare ``subprocess.run(["true"])``."""
    start = time.perf_counter()
    for _ in range(count):
        subprocess.run(["true"], check=True)
    return (time.perf_counter() - start) / count


def wide_child(count: int) -> None:
    """(In a child process.) Run start -> ``count`` jobs -> end; print wall, CPU and peak RSS as JSON."""
    from cm_cc import Job, Workflow

    jobs = [Job(name="start", exec="true")]
    jobs += [Job(name=f"w{i}", exec="true", needs=["start"]) for i in range(count)]
    jobs.append(Job(name="end", exec="true", needs=[f"w{i}" for i in range(count)]))
    with tempfile.TemporaryDirectory(prefix="cm-cc-wide-") as home:
        os.environ["CM_HOME"] = home
        start = time.perf_counter()
        state = Workflow("wide", jobs).run().state
        wall = time.perf_counter() - start
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "state": state,
                "wall": wall,
                "engine_cpu": me.ru_utime + me.ru_stime,
                "jobs_cpu": kids.ru_utime + kids.ru_stime,
                "rss_mb": me.ru_maxrss / 1024,
            }
        )
    )


def wide(count: int) -> dict[str, float | str]:
    """The wide DAG measured in a fresh process (so peak RSS is the engine's own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--wide-child", str(count)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Run every measurement and print the numbers and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="skip cloudmesh-cc")
    parser.add_argument("--wide-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wide_child:
        wide_child(args.wide_child)
        return
    cores = os.cpu_count() or 1
    print(f"cm-cc benchmark on {cores} cores, python {sys.version.split()[0]}")
    ours_100, state = min(chain(100) for _ in range(REPEAT))
    print(f"100-job chain   cm-cc          {ours_100:8.2f} s  ({state})")
    if not args.no_reference:
        try:
            theirs, done = run_reference(100)
            print(f"100-job chain   cloudmesh-cc   {theirs:8.2f} s  ({done} of 100 done)")
            print(f"                ratio          {theirs / ours_100:8.1f}x faster")
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            print(f"cloudmesh-cc could not run: {error}")
    per_true = min(bare(500) for _ in range(REPEAT))
    for label, where in (("CM_HOME on disk", None), ("CM_HOME on tmpfs", TMPFS if TMPFS.is_dir() else None)):
        if label.endswith("tmpfs") and where is None:
            continue
        ours_1000, state = min(chain(1000, str(where) if where else None) for _ in range(REPEAT))
        per_job = ours_1000 / 1000
        print(f"1000-job chain  cm-cc          {ours_1000:8.2f} s  ({state}; {label}; target < 5 s)")
        print(
            f"per job         cm-cc {per_job * 1000:.2f} ms, bare subprocess.run(['true'])"
            f" {per_true * 1000:.2f} ms: {per_job / per_true:.2f}x (target <= 3x)"
        )
    numbers = wide(10_000)
    busy = (float(numbers["engine_cpu"]) + float(numbers["jobs_cpu"])) / float(numbers["wall"])
    print(
        f"10,000-job wide DAG: {numbers['wall']:.1f} s ({numbers['state']}), engine peak RSS"
        f" {numbers['rss_mb']:.0f} MB (target < 200 MB), CPU {busy:.2f} of {cores} cores busy"
        f" (engine {numbers['engine_cpu']:.1f} s, jobs {numbers['jobs_cpu']:.1f} s)"
    )


if __name__ == "__main__":
    main()
