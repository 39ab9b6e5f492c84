"""Summarise a finished sweep: one row per experiment from its result.json, best loss first.

    python3 examples/sweep/analyze.py OUT        (OUT: the folder cm-sbatch generate wrote)

Reads OUT/manifest.jsonl and each experiment's result.json, prints the results, and writes
OUT/summary.json: {"experiments": N, "results": [{"id", "parameters", ...result}], "missing": [ids]}.
Exits 1, naming them, when some experiments have no result.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def main(out: Path) -> int:
    results, missing = [], []
    with open(out / "manifest.jsonl", encoding="utf-8") as manifest:
        entries = [json.loads(line) for line in manifest if line.strip()]
    for entry in entries:
        path = out / entry["directory"] / "result.json"
        if path.exists():
            results.append(
                {"id": entry["id"], "parameters": entry["parameters"], **json.loads(path.read_text())}
            )
        else:
            missing.append(entry["id"])
    results.sort(key=lambda row: row.get("loss", math.inf))
    summary = {"experiments": len(entries), "results": results, "missing": missing}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    width = max((len(row["id"]) for row in results), default=0)
    for row in results:
        print(f"{row['id']:<{width}}  loss={row.get('loss', '?')}")
    if results:
        best = results[0]
        print(f"best: {best['id']} (loss {best.get('loss', '?')}); summary in {out / 'summary.json'}")
    if missing:
        print(f"error: no result.json for {len(missing)} experiments: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: analyze.py OUT")
    sys.exit(main(Path(sys.argv[1])))
