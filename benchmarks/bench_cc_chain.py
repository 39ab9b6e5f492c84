"""A chain of trivial jobs (each needs the one before): cm-cc run against cloudmesh-cc 5.0.3 and bare spawns.

    python benchmarks/bench_cc_chain.py [--full]

cm-cc runs ``cm-cc run chain.yaml -q`` (100, 1,000 and 10,000 ``true`` jobs; 100,000 with
``--full``); the floor starts the same number of ``true`` processes one after the other, as
cm-cc starts local jobs. cloudmesh-cc runs one job at a time and polls each job's log; it takes
about a quarter of a second per job, so it runs the 100-job chain (1,000 with ``--full``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _cc import cloudmesh_cc_run, cm_cc_run, native_file, spawn_floor
from _suite import FULL, Series, measure, say, scratch, sizes, write_result

REFERENCE_LIMIT = 1_000 if FULL else 100


def main() -> None:
    started = time.perf_counter()
    ours = Series("cm-cc run", "ours")
    reference = Series("cloudmesh-cc 5.0.3 (run_topo)", "reference")
    floor = Series("bare spawns of true, one after the other", "floor")
    where = scratch()  # the run folders and the SQLite database
    notes = [f"Run folders and database under {where or tempfile.gettempdir()} (CM_BENCH_DIR picks another)."]
    with tempfile.TemporaryDirectory(prefix="bench-cc-chain-", dir=where) as tmp:
        root = Path(tmp)
        for index, count in enumerate(sizes()):
            say(f"{count}-job chain")
            flow = root / f"chain{count}.yaml"
            native_file(flow, count, chain=True)
            runs = [(ours, cm_cc_run(flow, root / "cm-home")), (floor, spawn_floor(root, count, 1))]
            theirs = (
                cloudmesh_cc_run(root / "cc-home", count, chain=True) if count <= REFERENCE_LIMIT else None
            )
            if theirs is not None:
                runs.append((reference, theirs))
            measure(count, runs, warm=index == 0)
    notes += [
        "cm-cc jobs run `true`; cloudmesh-cc jobs are NAME.sh scripts printing its done line (its protocol).",
        f"cloudmesh-cc runs up to {REFERENCE_LIMIT:,} jobs. Target: cm-cc within 2x of the floor at 1,000.",
    ]
    write_result("cc_chain", "cm-cc run: a chain of jobs", "jobs", [ours, reference, floor], notes, started)


if __name__ == "__main__":
    main()
