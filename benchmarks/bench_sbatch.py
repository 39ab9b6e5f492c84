"""cm-sbatch against cloudmesh-ee 5.0.5 on the same template and config, measured in the same run.

    python benchmarks/bench_sbatch.py            (or: nox -s bench)

1. 1,000 experiments: `cms ee generate` (cloudmesh-ee 5.0.5, in its own venv, made on first
   use under $CM_BENCH_EE_VENV, default /tmp/cm-bench/venv-ee) vs `cm-sbatch generate`,
   both as commands, wall time with start-up, and cm-sbatch's generate() alone; the ratios
   (target >= 100x).
2. 100,000 experiments with cm-sbatch (target < 10 s) and its peak RSS next to 10,000 (flat
   memory), next to the bare cost of the same mkdir and writes on that file system.
3. `--dry-run` counting 1,000,000 combinations (target < 1 s).

Everything runs on tmpfs (/dev/shm) where there is one: file creation on a shared VM disk
varies tenfold from one minute to the next. `--disk` repeats step 2 on the temp folder's disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cm_common import print_records

EE_VERSION = "5.0.5"
VENV = Path(os.environ.get("CM_BENCH_EE_VENV", "/tmp/cm-bench/venv-ee"))
CM_SBATCH = shutil.which("cm-sbatch") or str(Path(sys.executable).parent / "cm-sbatch")

# One template both tools understand: cloudmesh-ee needs ee:, system.host and a directive
# its hard-coded table knows ("ubuntu"); it replaces {experiment.x} and dotted attributes.
TEMPLATE = """#!/bin/bash
#SBATCH --job-name={ee.identifier}
#SBATCH --time={ee.time}
#SBATCH --mem={slurm.mem}
echo "# cloudmesh status=running progress=0"
echo "epoch {experiment.epoch} lr {experiment.lr} batch {experiment.batch} on {system.host}"
python3 train.py --epochs {experiment.epoch} --lr {experiment.lr} --data {data.train}
echo "# cloudmesh status=done progress=100"
"""
CONFIG = """ee:
  time: "01:00:00"
system:
  host: ubuntu
slurm:
  mem: 4G
data:
  root: /scratch/data
  train: "{{data.root}}/train"
experiment:
  directive: ubuntu
  epoch: "[1-{epochs}]"
  lr: "0.1,0.05,0.01,0.005,0.001,0.0005,0.0001,0.00005,0.00001,0.000005"
  batch: "[1-10]"
{extra}"""


def ensure_reference() -> Path | None:
    """The `cms` of a venv holding cloudmesh-ee 5.0.5 (made once), or None when pip cannot install it."""
    cms = VENV / "bin" / "cms"
    if cms.exists():
        return cms
    print(f"creating {VENV} with cloudmesh-ee=={EE_VERSION} (once) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    result = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"cloudmesh-ee=={EE_VERSION}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        print(f"cloudmesh-ee could not be installed: {result.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return cms


def timed(command: list[str], cwd: Path) -> tuple[float, float | None]:
    """(wall seconds, peak RSS in MiB where /usr/bin/time can tell) of one command; it must exit 0."""
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        prefix = [str(gnu_time), "-f", "%M", "-o", rss.name] if gnu_time.exists() else []
        start = time.perf_counter()
        result = subprocess.run(
            [*prefix, *command], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-800:]}")
        text = rss.read().strip().splitlines()
    return seconds, (int(text[-1]) / 1024 if prefix and text and text[-1].isdigit() else None)


def workspace(root: Path, name: str, epochs: int, extra: str = "") -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "slurm.in.sh").write_text(TEMPLATE)
    (folder / "config.yaml").write_text(CONFIG.format(epochs=epochs, extra=extra))
    return folder


def count_dirs(out: Path) -> int:
    return sum(1 for _ in out.rglob("config.yaml"))


IN_PROCESS = """
import sys, time
from cm_sbatch import Experiment
start = time.perf_counter()
Experiment("slurm.in.sh", ["config.yaml"]).generate("out")
print(time.perf_counter() - start)
"""

FLOOR = """
import os, sys, time
root, count = sys.argv[1], int(sys.argv[2])
os.mkdir(root)
start = time.perf_counter()
for i in range(count):
    if i % 1000 == 0:
        os.mkdir(f"{root}/p{i // 1000}")
    folder = f"{root}/p{i // 1000}/d{i}"
    os.mkdir(folder)
    for name in ("slurm.sh", "config.yaml"):
        fd = os.open(f"{folder}/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"x" * 300)
        os.close(fd)
print(time.perf_counter() - start)
"""


def python_seconds(code: str, cwd: Path, *args: str) -> float:
    """What a small Python program run in ``cwd`` prints: seconds it measured itself."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


def row(
    case: str, tool: str, seconds: float | str, rss: float | None = None, where: str = ""
) -> dict[str, object]:
    shown = round(seconds, 3) if isinstance(seconds, float) else seconds
    return {
        "case": case,
        "tool": tool,
        "where": where,
        "seconds": shown,
        "peak_rss_mib": rss and round(rss, 1),
    }


def scale(root: Path, where: str) -> list[dict[str, object]]:
    """10,000 and 100,000 experiments on one file system, next to the bare cost of its mkdir and writes."""
    rows = []
    generate = [CM_SBATCH, "generate", "slurm.in.sh", "--config", "config.yaml", "--out", "out"]
    for epochs, label in ((10, "10,000"), (100, "100,000")):
        big = workspace(root, f"big{epochs}", epochs, '  seed: "[1-10]"\n')
        seconds, rss = timed(generate, big)
        assert count_dirs(big / "out") == epochs * 1000
        rows.append(row(f"{label} experiments", "cm-sbatch", seconds, rss, where))
        shutil.rmtree(big)
    floor = python_seconds(FLOOR, root, str(root / "floor"), "100000")
    rows.append(row("100,000 experiments", "bare mkdir + 2 writes each", floor, None, where))
    shutil.rmtree(root / "floor")
    return rows


def best_of(runs: int, measure: Callable[[], float]) -> float:
    """The fastest of ``runs`` measurements: the least disturbed by other work on a shared machine."""
    return min(measure() for _ in range(runs))


def compare(root: Path, where: str) -> list[dict[str, object]]:
    """1,000 experiments: both commands on the same template and config, in the same folder tree."""
    rows = []
    one_k = workspace(root, "1k", 10)
    command = [CM_SBATCH, "generate", "slurm.in.sh", "--config", "config.yaml", "--out", "out", "--force"]

    def ours_command() -> float:
        seconds = timed(command, one_k)[0]
        assert count_dirs(one_k / "out") == 1000
        return seconds

    def ours_inside() -> float:
        shutil.rmtree(one_k / "out", ignore_errors=True)
        return python_seconds(IN_PROCESS, one_k)

    ours = best_of(3, ours_command)
    inside = best_of(3, ours_inside)
    startup = best_of(3, lambda: timed([sys.executable, "-c", "import cm_sbatch.cli"], one_k)[0])
    rows.append(row("1,000 experiments", "cm-sbatch command (best of 3)", ours, where=where))
    rows.append(row("1,000 experiments", "cm-sbatch generate() in-process", inside, where=where))
    rows.append(row("start-up", "python -c 'import cm_sbatch.cli'", startup))
    cms = ensure_reference()
    if cms is None:
        rows.append(row("1,000 experiments", f"cloudmesh-ee {EE_VERSION}", "could not be installed"))
        return rows
    ee_dir = workspace(root, "1k-ee", 10)
    reference = [str(cms), "ee", "generate", "--source=slurm.in.sh", "--config=config.yaml", "--name=bench"]
    theirs, _ = timed([*reference, "--noos", "--output_dir=out"], ee_dir)
    made = count_dirs(ee_dir / "out")
    if made != 1000:
        print(f"warning: cloudmesh-ee wrote {made} experiments, not 1000", file=sys.stderr)
    rows.append(row("1,000 experiments", f"cloudmesh-ee {EE_VERSION} command", theirs, where=where))
    rows.append(row("1,000 experiments", "ratio of the commands", f"{theirs / ours:.0f}x faster"))
    rows.append(row("1,000 experiments", "ratio, ee command / generate()", f"{theirs / inside:.0f}x faster"))
    return rows


def main() -> None:
    """Everything on tmpfs (/dev/shm) where there is one, away from the disk's noise; --disk adds the disk."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    where = f"{base} (tmpfs)" if base == shm else str(base)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sbatch-", dir=base) as tmp:
        root = Path(tmp)
        rows += compare(root, where)
        rows += scale(root, where)
        million = workspace(root, "1m", 100, '  seed: "[1-100]"\n')
        dry_run = [CM_SBATCH, "generate", "slurm.in.sh", "-c", "config.yaml", "--dry-run", "--limit", "3"]
        seconds, rss = timed(dry_run, million)
        rows.append(row("--dry-run 1,000,000", "cm-sbatch command", seconds, rss))
    if "--disk" in sys.argv[1:] and base == shm:
        with tempfile.TemporaryDirectory(prefix="bench-sbatch-") as tmp:
            rows += scale(Path(tmp), tempfile.gettempdir())
    columns = ["case", "tool", "where", "seconds", "peak_rss_mib"]
    print_records(rows, "table", columns=columns, title="cm-sbatch benchmark")


if __name__ == "__main__":
    main()
