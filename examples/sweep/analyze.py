"""Fan-in step of a sweep: gather each experiment's result.json into OUT/summary.json (and print it).

    python3 examples/sweep/analyze.py /tmp/sweep

Reads OUT/manifest.jsonl (written by cm-sbatch); an experiment without result.json is listed
as missing. Standard library only, so it runs on any host.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def gather(out: Path) -> tuple[list[dict[str, object]], list[str]]:
    """Parameters and result of every experiment of the sweep in ``out``, and the ids without a result."""
    rows: list[dict[str, object]] = []
    missing: list[str] = []
    for line in (out / "manifest.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        experiment = json.loads(line)
        result_file = out / experiment["directory"] / "result.json"
        if result_file.is_file():
            rows.append(
                {"id": experiment["id"], **experiment["parameters"], **json.loads(result_file.read_text())}
            )
        else:
            missing.append(experiment["id"])
    return rows, missing


def main() -> int:
    """Write OUT/summary.json through a temp file and a rename; print a short table."""
    if len(sys.argv) != 2:
        print("usage: analyze.py OUT", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    rows, missing = gather(out)
    summary = {"experiments": len(rows) + len(missing), "results": rows, "missing": missing}
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".summary.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(summary, handle, indent=2)
    os.replace(tmp, out / "summary.json")
    for row in rows:
        print("  ".join(f"{key}={value}" for key, value in row.items()))
    print(f"{len(rows)} results, {len(missing)} missing -> {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
