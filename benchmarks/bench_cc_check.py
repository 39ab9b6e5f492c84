"""Checking a workflow file: ``cm-cc check`` against cloudmesh-cc 5.0.3 loading it and a bare YAML parse.

    python benchmarks/bench_cc_check.py [--full]

One file in the cloudmesh-cc form (a chain of ``NAME.sh`` script jobs, the scripts beside it),
read by both tools: ``cm-cc check FILE`` (parse, validate, fan out, look for every script and
for cycles, print the result) at 100, 1,000 and 10,000 jobs (100,000 with ``--full``). The
floor parses the file with PyYAML's C loader in a bare Python. cloudmesh-cc's
``Workflow(filename=...)`` grows steeply with the number of nodes (a 1,000-node file took
13 minutes on the development VM), so it loads the 100-job file only.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _cc import CC_REFERENCE, cloudmesh_file
from _suite import BIN, Run, Series, measure, python_floor, reference_venv, say, sizes, write_result

REFERENCE_LIMIT = 100
PARSE = "import sys, yaml\nwith open(sys.argv[1], 'rb') as f: yaml.load(f, Loader=yaml.CSafeLoader)"
LOAD = "import sys\nfrom cloudmesh.cc.workflow import Workflow\nWorkflow(filename=sys.argv[1])"


def main() -> None:
    started = time.perf_counter()
    ours = Series("cm-cc check", "ours")
    reference = Series("cloudmesh-cc 5.0.3 Workflow(filename=...)", "reference")
    floor = Series("bare YAML parse (C loader)", "floor")
    python = reference_venv("cc-5.0.3", CC_REFERENCE)
    with tempfile.TemporaryDirectory(prefix="bench-cc-check-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "CM_HOME": str(root / "cm-home"), "HOME": str(root)}
        for index, count in enumerate(sizes()):
            say(f"check of {count} jobs")
            flow = cloudmesh_file(root / f"flow{count}", count, chain=True)
            runs = [
                (ours, Run([str(BIN / "cm-cc"), "check", str(flow)], flow.parent, env)),
                (floor, Run([*python_floor(PARSE), str(flow)], flow.parent, env)),
            ]
            if python is not None and count <= REFERENCE_LIMIT:
                runs.append(
                    (reference, Run([str(python), "-c", LOAD, str(flow)], flow.parent, env, warm=False))
                )
            measure(count, runs, warm=index == 0)
    notes = ["Target: cm-cc check of 10,000 jobs under 1 s, within 2x of the bare parse."]
    write_result(
        "cc_check", "cm-cc check of a workflow file", "jobs", [ours, reference, floor], notes, started
    )


if __name__ == "__main__":
    main()
