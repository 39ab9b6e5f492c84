"""Independent trivial jobs: cm-cc run against bare spawns using every core, with the engine's peak RSS.

    python benchmarks/bench_cc_run.py [--full]

``cm-cc run wide.yaml -q`` of 100, 1,000 and 10,000 independent ``true`` jobs (100,000 with
``--full``), as many at once as there are cores (cm-cc's default); the floor starts the same
number of ``true`` processes the same way (asyncio, as many at once). There is no reference
series: cloudmesh-cc 5.0.3 runs none of the jobs of a workflow without dependencies (0 of 100
done) and one job at a time otherwise; ``bench_cc_chain.py`` compares it on a chain.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _cc import cm_cc_run, native_file, spawn_floor
from _suite import Series, measure, say, scratch, sizes, write_result


def main() -> None:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    ours = Series("cm-cc run", "ours")
    floor = Series(f"bare spawns of true, {cores} at a time", "floor")
    where = scratch()  # the run folders and the SQLite database
    notes = [f"Run folders and database under {where or tempfile.gettempdir()} (CM_BENCH_DIR picks another)."]
    with tempfile.TemporaryDirectory(prefix="bench-cc-run-", dir=where) as tmp:
        root = Path(tmp)
        for index, count in enumerate(sizes()):
            say(f"{count} independent jobs")
            flow = root / f"wide{count}.yaml"
            native_file(flow, count, chain=False)
            runs = [(ours, cm_cc_run(flow, root / "cm-home")), (floor, spawn_floor(root, count, cores))]
            measure(count, runs, warm=index == 0)
    notes += [
        f"{cores} cores; peak RSS is the cm-cc engine's (the largest process of the command).",
        "cloudmesh-cc 5.0.3 runs no job of a workflow without dependencies: see the chain for it.",
        "Targets: within 2x of the floor at 10,000 jobs, engine RSS under 150 MB.",
    ]
    write_result("cc_run", "cm-cc run: independent jobs", "jobs", [ours, floor], notes, started)


if __name__ == "__main__":
    main()
