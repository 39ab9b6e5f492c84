"""Run every ``benchmarks/bench_*.py`` one after the other, then build the report.

    python benchmarks/run.py                 # the default sizes (under 15 minutes on 2 cores)
    python benchmarks/run.py --full          # also the big sizes
    python benchmarks/run.py --docs          # also rewrite docs/benchmarks.md and its plots
    python benchmarks/run.py bench_cc_run    # only the scripts named (without .py)

``--full`` reaches the scripts as CM_BENCH_FULL=1, so scripts with their own options still run.
A script that fails is reported and the others go on; the exit code says whether all passed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    args = sys.argv[1:]
    names = [a for a in args if not a.startswith("--")]
    scripts = [p for p in sorted(HERE.glob("bench_*.py")) if not names or p.stem in names]
    env = {**os.environ, "CM_BENCH_FULL": "1" if "--full" in args else os.environ.get("CM_BENCH_FULL", "")}
    failed = []
    for script in scripts:
        print(f"== {script.name}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        if subprocess.run([sys.executable, str(script)], env=env, cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
        print(f"== {script.name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    report = [sys.executable, str(HERE / "report.py"), *(["--docs"] if "--docs" in args else [])]
    subprocess.run(report, check=True, cwd=HERE.parent)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
