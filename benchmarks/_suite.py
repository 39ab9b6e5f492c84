"""What every benchmark script shares: timing whole commands, reference venvs and the result file.

A script measures a few *series* (this project, the reference tool, the floor) at a few *sizes*,
each point ``repeat`` times with the repetitions of all series interleaved (load that comes and
goes on a shared machine hits every series alike), and writes ``results/<name>.json``
(see README.md). ``report.py`` turns those files into tables and plots.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = Path(os.environ.get("CM_BENCH_RESULTS", HERE / "results"))
CACHE = Path(os.environ.get("CM_BENCH_CACHE", "/tmp/cm-bench"))
BIN = Path(sys.executable).parent  # cm-sbatch and cm-cc of the environment running the suite
SIZES = [100, 1_000, 10_000]
FULL = "--full" in sys.argv[1:] or os.environ.get("CM_BENCH_FULL", "") not in ("", "0")
REPEAT = int(os.environ.get("CM_BENCH_REPEAT", "3"))
LOAD_AT_START = os.getloadavg()


def sizes(extra: int = 100_000) -> list[int]:
    """100, 1,000 and 10,000; with ``--full`` also ``extra``."""
    return [*SIZES, extra] if FULL else list(SIZES)


def say(message: str) -> None:
    """Progress for the person waiting, on stderr."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    """One command: its argument list, folder and environment; ``before`` runs untimed first."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None
    check: Callable[[], None] | None = None  # raises when the command did not do its work
    warm: bool = True  # False: no untimed first run (for a reference that takes half a minute)


# Starts the command from a small process of its own: a child inherits the peak memory of the
# process that spawned it (vfork, then exec), which for a suite script that has read a large
# listing would be reported as the command's. Prints seconds, peak RSS (KiB) and exit code.
_LAUNCH = """
import os, sys, time
out, argv = int(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(out)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
os.write(out, f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
"""


def timed(run: Run) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the command or its largest child) of one run; it must exit 0."""
    if run.before is not None:
        run.before()
        os.sync()  # what before() removed or wrote is flushed now, not billed to the command
    result, end = os.pipe()
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCH, str(end), *run.argv]
    process = subprocess.Popen(
        launcher, cwd=run.cwd, env=run.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(end,)
    )
    os.close(end)
    assert process.stderr is not None
    errors = process.stderr.read()  # read before waiting: a full pipe would block the command
    process.wait()
    process.stderr.close()
    with os.fdopen(result) as answer:
        said = answer.read().split()
    code = int(said[2]) if len(said) == 3 else process.returncode
    if code != 0:
        raise RuntimeError(f"{' '.join(run.argv[:3])} ... exit {code}: {errors.decode()[-800:]}")
    if run.check is not None:
        run.check()
    return float(said[0]), int(said[1]) / 1024


@dataclass
class Series:
    """One tool's measurements: ``role`` is ours, reference or floor."""

    label: str
    role: str
    points: list[dict[str, Any]] = field(default_factory=list)

    def add(self, size: int, seconds: list[float], rss: list[float], note: str = "") -> None:
        """Record the repetitions at ``size``."""
        self.points.append(
            {
                "size": size,
                "seconds": [round(s, 4) for s in seconds],
                "min": round(min(seconds), 4),
                "median": round(statistics.median(seconds), 4),
                "max": round(max(seconds), 4),
                "peak_rss_mib": round(max(rss), 1),
                "note": note,
            }
        )


def measure(size: int, runs: Sequence[tuple[Series, Run]], repeat: int = REPEAT, warm: bool = False) -> None:
    """Time each run ``repeat`` times, round-robin, and add the results to its series; ``warm``: run
    each once untimed first (the first size of a script: file caches and byte-code, alike for all)."""
    for _, run in runs if warm else ():
        if run.warm:
            timed(run)
    seconds: list[list[float]] = [[] for _ in runs]
    rss: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for index, (_, run) in enumerate(runs):
            wall, peak = timed(run)
            seconds[index].append(wall)
            rss[index].append(peak)
    for index, (series, _) in enumerate(runs):
        series.add(size, seconds[index], rss[index])
        say(f"  {series.label:<40} {size:>7}: median {statistics.median(seconds[index]):8.3f} s")


def reference_venv(name: str, requirements: list[str]) -> Path | None:
    """The python of a throwaway venv ``CACHE/name`` holding ``requirements`` (made once), or None
    when pip cannot install them (no network): the benchmark then runs without the reference."""
    folder = CACHE / name
    python = folder / "bin" / "python"
    if (folder / ".ready").exists():
        return python
    say(f"making {folder} with {' '.join(requirements)} (once) ...")
    venv.create(folder, with_pip=True, clear=True)
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *requirements], capture_output=True, text=True
    )
    if pip.returncode != 0:
        say(f"cannot install {' '.join(requirements)}: {pip.stderr.strip()[-400:]}")
        shutil.rmtree(folder, ignore_errors=True)
        return None
    (folder / ".ready").touch()
    return python


def machine() -> dict[str, Any]:
    """Where and when: CPU, cores, memory, Python, load average."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = Path("/proc/meminfo").read_text().split()[1]
        memory_gib = round(int(memory) / 1024 / 1024, 1)
    except OSError:
        memory_gib = 0.0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start": [round(x, 2) for x in LOAD_AT_START],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(
    name: str,
    title: str,
    unit: str,
    series: list[Series],
    notes: list[str],
    started: float,
    repeat: int = REPEAT,
) -> Path:
    """Write ``results/<name>.json`` in the suite's common shape; return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "name": name,
        "script": Path(sys.argv[0]).name,
        "title": title,
        "size_unit": unit,
        "repeat": repeat,
        "full": FULL,
        "machine": machine(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "series": [{"label": s.label, "role": s.role, "points": s.points} for s in series if s.points],
        "notes": notes,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    say(f"wrote {path}")
    return path


def scratch() -> str | None:
    """Where the scripts write what they make: ``CM_BENCH_DIR``, else tmpfs (``/dev/shm``) where there
    is one, else the temp folder (None). On a shared virtual disk creating a file takes from 0.1 to
    1 ms from one minute to the next: a disk's weather, not the tool's cost."""
    return os.environ.get("CM_BENCH_DIR") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)


def python_floor(code: str) -> list[str]:
    """The argument list that runs ``code`` in a bare Python process (the floors' own cost included)."""
    return [sys.executable, "-c", code]
