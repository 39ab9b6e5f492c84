"""Start-up: ``cm-sbatch --help``, ``cm-cc --help`` (and those of cm-gas, cm-nlp and cm-vm where installed)
against cloudmesh-ee's help and a bare Python.

    python benchmarks/bench_startup.py

What every short command pays before it does anything: the interpreter, the imports, the CLI.
Ten repetitions (each is short). The size column is 1: there is nothing to grow.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _suite import BIN, Run, Series, measure, python_floor, reference_venv, say, write_result

REPEAT = 10


def main() -> None:
    started = time.perf_counter()
    series: list[Series] = []
    runs: list[tuple[Series, Run]] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "HOME": str(home), "CM_HOME": str(home / "cm")}
        for tool in [t for t in ("cm-sbatch", "cm-cc", "cm-gas", "cm-nlp", "cm-vm") if (BIN / t).exists()]:
            series.append(Series(f"{tool} --help", "ours"))
            runs.append((series[-1], Run([str(BIN / tool), "--help"], home, env)))
        ee = reference_venv("ee-5.0.5", ["cloudmesh-ee==5.0.5"])
        if ee is not None:
            series.append(Series("cloudmesh-ee 5.0.5: cms help ee", "reference"))
            runs.append((series[-1], Run([str(ee.parent / "cms"), "help", "ee"], home, env)))
        series.append(Series("python -c pass", "floor"))
        runs.append((series[-1], Run(python_floor("pass"), home, env)))
        # what any Typer command pays before its own code runs (cm-sbatch generate of 1,000
        # experiments is compared with a floor that pays only the first line)
        series.append(Series("python -c 'import typer, yaml'", "context"))
        runs.append((series[-1], Run(python_floor("import typer, yaml"), home, env)))
        say("start-up")
        measure(1, runs, repeat=REPEAT, warm=True)
    notes = [
        "Each command once untimed, then ten times round-robin; cms runs with a scratch HOME.",
        "Target: cm-sbatch --help and cm-cc --help under 0.15 s (and every other cm command with them).",
        "python -c 'import typer, yaml': the interpreter, Typer (every cm command's CLI) and PyYAML"
        " (reading a config needs it), nothing of cm.",
    ]
    write_result("startup", "Start-up (--help)", "command", series, notes, started, repeat=REPEAT)


if __name__ == "__main__":
    main()
