"""cm-sbatch generate against cloudmesh-ee 5.0.5 and against bare writes of the same files.

    python benchmarks/bench_sbatch.py [--full]

Both tools get the same template and config (a sweep of 100, 1,000 and 10,000 experiments;
100,000 with ``--full``) and run as commands. The floor is a Python process that makes the
same folders and writes files of the same sizes as cm-sbatch did, with nothing else to do.
cloudmesh-ee takes about 15 ms per experiment, so it runs up to 1,000 (10,000 with ``--full``).
Everything runs on tmpfs (``/dev/shm``) where there is one: on a shared virtual disk the same
10,000 folders take from 0.7 to 4 s from one minute to the next, for cm-sbatch and the floor alike.
``CM_BENCH_DIR`` picks another folder (a disk, to see its cost).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from _suite import (
    BIN,
    FULL,
    Run,
    Series,
    measure,
    python_floor,
    reference_venv,
    say,
    scratch,
    sizes,
    write_result,
)

# One template both tools understand: cloudmesh-ee needs ee:, system.host and a directive its
# hard-coded table knows ("ubuntu"); it replaces {experiment.x} and dotted attributes.
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
"""

REFERENCE_LIMIT = 10_000 if FULL else 1_000

# The floor: mkdir every folder and write every file cm-sbatch wrote (same names, same sizes), with
# the same system calls (os.open, os.write, os.close: no buffered file objects), on two processes, one
# per core: each takes every other experiment folder (by the hash of its first path part).
FLOOR = """
import os, sys
root, listing = sys.argv[1], sys.argv[2]
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
os.mkdir(root)
part = 1 if os.fork() == 0 else 0
for line in open(listing):
    kind, size, path = line.rstrip("\\n").split("\\t")
    if hash(path.partition("/")[0]) & 1 != part:
        continue
    if kind == "d":
        os.mkdir(f"{root}/{path}")
    else:
        fd = os.open(f"{root}/{path}", flags, 0o644)
        os.write(fd, b"x" * int(size))
        os.close(fd)
if part == 0:
    sys.exit(os.waitstatus_to_exitcode(os.wait()[1]))
"""


def workspace(root: Path, count: int) -> Path:
    """A folder with the template and a config sweeping ``count`` experiments (a multiple of 100)."""
    folder = root / f"in-{count}"
    folder.mkdir()
    (folder / "slurm.in.sh").write_text(TEMPLATE)
    (folder / "config.yaml").write_text(CONFIG.format(epochs=count // 100))
    return folder


def listing(out: Path, target: Path) -> None:
    """Write the folders (parents first) and files under ``out`` as ``kind<TAB>size<TAB>path`` lines.

    Streamed while walking: a list of 300,000 paths would raise this process's peak memory, which
    the commands it starts would then report as theirs (a child spawned with vfork inherits it)."""
    with target.open("w") as lines:
        for folder, dirs, files in os.walk(out):
            relative = os.path.relpath(folder, out)
            prefix = "" if relative == "." else f"{relative}/"
            for name in sorted(dirs):
                lines.write(f"d\t0\t{prefix}{name}\n")
            for name in sorted(files):
                lines.write(f"f\t{os.path.getsize(os.path.join(folder, name))}\t{prefix}{name}\n")


def counted(out: Path, count: int) -> None:
    made = sum(1 for _ in out.rglob("config.yaml"))
    if made != count:
        raise RuntimeError(f"{out}: {made} experiments, expected {count}")


def main() -> None:
    started = time.perf_counter()
    ours = Series("cm-sbatch generate", "ours")
    reference = Series("cloudmesh-ee 5.0.5 (cms ee generate)", "reference")
    floor = Series("bare mkdir + writes of the same files, 2 processes", "floor")
    cms_python = reference_venv("ee-5.0.5", ["cloudmesh-ee==5.0.5"])
    notes = [
        "cm-sbatch generate slurm.in.sh --config config.yaml --out out against cms ee generate --noos on"
        " the same two files; the floor makes the same folders and writes files of the same sizes,"
        " on two processes, one per core (cm-sbatch renders on one and makes the folders and files"
        " on two others).",
        f"cloudmesh-ee runs up to {REFERENCE_LIMIT:,} experiments (about 15 ms each).",
        "Below 10,000 experiments cm-sbatch is bound by its start-up: Python, Typer and PyYAML alone"
        " take longer than the floor's whole run (see Start-up: python -c 'import typer, yaml').",
    ]
    if cms_python is None:
        notes.append("cloudmesh-ee could not be installed: no reference series.")
    where = scratch()
    notes.append(f"Written under {where or tempfile.gettempdir()}.")
    with tempfile.TemporaryDirectory(prefix="bench-sbatch-", dir=where) as tmp:
        for index, count in enumerate(sizes()):
            say(f"{count} experiments")
            folder = workspace(Path(tmp), count)
            out = folder / "out"
            argv = [
                str(BIN / "cm-sbatch"),
                "generate",
                "slurm.in.sh",
                "--config",
                "config.yaml",
                "--out",
                "out",
            ]
            subprocess.run(argv, cwd=folder, check=True, capture_output=True)  # what the floor writes
            listing(out, folder / "listing.txt")
            outputs = [out, folder / "floor", folder / "ee" / "out"]
            empty = partial(fresh, *outputs)
            runs = [
                (ours, Run(argv, folder, before=empty, check=partial(counted, out, count))),
                (floor, Run([*python_floor(FLOOR), "floor", "listing.txt"], folder, before=empty)),
            ]
            if cms_python is not None and count <= REFERENCE_LIMIT:
                runs.append((reference, reference_run(cms_python.parent / "cms", folder, count, empty)))
            measure(count, runs, warm=index == 0)
            shutil.rmtree(folder)
    write_result(
        "sbatch_generate", "cm-sbatch generate", "experiments", [ours, reference, floor], notes, started
    )


def fresh(*folders: Path) -> None:
    """Remove ``folders``: every tool's output of the last repetition, so each run starts on an empty
    scratch. With another 100,000-experiment tree beside it on tmpfs, cm-sbatch took up to 2.1 s
    instead of 1.4 s on the development VM, while the floor was not slowed."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def reference_run(cms: Path, folder: Path, count: int, before: Callable[[], None]) -> Run:
    """``cms ee generate`` on a copy of the two input files; ``before`` empties the scratch."""
    ee_dir = folder / "ee"
    ee_dir.mkdir()
    for name in ("slurm.in.sh", "config.yaml"):
        shutil.copy(folder / name, ee_dir)
    argv = [str(cms), "ee", "generate", "--source=slurm.in.sh", "--config=config.yaml", "--name=b"]
    out = ee_dir / "out"
    return Run(
        [*argv, "--noos", "--output_dir=out"],
        ee_dir,
        before=before,
        check=partial(counted, out, count),
    )


if __name__ == "__main__":
    main()
