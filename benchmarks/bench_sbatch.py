"""cm-sbatch against cloudmesh-ee 5.0.5 on the same template and config, measured in the same run.

    python benchmarks/bench_sbatch.py            (or: nox -s bench)

1. 1,000 experiments: `cms ee generate` (cloudmesh-ee 5.0.5, in its own venv, made on first
   use under $CM_BENCH_EE_VENV, default /tmp/cm-bench/venv-ee) vs `cm-sbatch generate`,
   both as commands, wall time with start-up; the ratio (target >= 100x).
2. 100,000 experiments with cm-sbatch (target < 10 s) and its peak RSS next to 10,000 (flat memory).
3. `--dry-run` counting 1,000,000 combinations (target < 1 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one command; it must exit 0."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {stderr.strip()[-800:]}")
    return seconds, usage.ru_maxrss / 1024


def workspace(root: Path, name: str, epochs: int, extra: str = "") -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "slurm.in.sh").write_text(TEMPLATE)
    (folder / "config.yaml").write_text(CONFIG.format(epochs=epochs, extra=extra))
    return folder


def count_dirs(out: Path) -> int:
    return sum(1 for _ in out.rglob("config.yaml"))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sbatch-") as tmp:
        root = Path(tmp)
        one_k = workspace(root, "1k", 10)
        generate = [CM_SBATCH, "generate", "slurm.in.sh", "--config", "config.yaml"]
        ours, _ = timed([*generate, "--out", "out"], one_k)
        assert count_dirs(one_k / "out") == 1000
        rows.append({"case": "1,000 experiments", "tool": "cm-sbatch", "seconds": round(ours, 3)})
        cms = ensure_reference()
        if cms is not None:
            ee_dir = workspace(root, "1k-ee", 10)
            command = [
                str(cms),
                "ee",
                "generate",
                "--source=slurm.in.sh",
                "--config=config.yaml",
                "--name=bench",
            ]
            theirs, _ = timed([*command, "--noos", "--output_dir=out"], ee_dir)
            made = count_dirs(ee_dir / "out")
            rows.append(
                {
                    "case": "1,000 experiments",
                    "tool": f"cloudmesh-ee {EE_VERSION}",
                    "seconds": round(theirs, 3),
                }
            )
            rows.append(
                {"case": "1,000 experiments", "tool": "ratio", "seconds": f"{theirs / ours:.0f}x faster"}
            )
            if made != 1000:
                print(f"warning: cloudmesh-ee wrote {made} experiments, not 1000", file=sys.stderr)
        for epochs, label in ((10, "10,000"), (100, "100,000")):
            big = workspace(root, f"big{epochs}", epochs, '  seed: "[1-10]"\n')
            seconds, rss = timed([*generate, "--out", "out"], big)
            assert count_dirs(big / "out") == epochs * 1000
            rows.append(
                {
                    "case": f"{label} experiments",
                    "tool": "cm-sbatch",
                    "seconds": round(seconds, 3),
                    "peak_rss_mib": round(rss, 1),
                }
            )
            shutil.rmtree(big / "out")
        million = workspace(root, "1m", 1000, '  seed: "[1-100]"\n  fold: "[1-10]"\n')
        seconds, rss = timed([*generate, "--dry-run", "--output", "json", "--limit", "3"], million)
        rows.append(
            {
                "case": "--dry-run 1,000,000 x 10",
                "tool": "cm-sbatch",
                "seconds": round(seconds, 3),
                "peak_rss_mib": round(rss, 1),
            }
        )
    print_records(
        rows, "table", columns=["case", "tool", "seconds", "peak_rss_mib"], title="cm-sbatch benchmark"
    )


if __name__ == "__main__":
    main()
