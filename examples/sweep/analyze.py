"""Summarise a finished sweep: one row per experiment from its result.json, best loss first.

    python3 examples/sweep/analyze.py OUT        (OUT: the folder cm-sbatch generate wrote)

Reads OUT/manifest.jsonl and each experiment's result.json, prints a table, writes
OUT/summary.csv, and exits 1 naming the experiments that have no result.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path


def main(out: Path) -> int:
    rows, missing = [], []
    with open(out / "manifest.jsonl", encoding="utf-8") as manifest:
        for line in manifest:
            entry = json.loads(line)
            result = out / entry["directory"] / "result.json"
            if not result.exists():
                missing.append(entry["id"])
                continue
            rows.append({"id": entry["id"], **entry["parameters"], **json.loads(result.read_text())})
    rows.sort(key=lambda row: row["loss"])
    if rows:
        columns = list(rows[0])
        with open(out / "summary.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        width = max(len(row["id"]) for row in rows)
        for row in rows:
            print(f"{row['id']:<{width}}  loss={row['loss']:<10} job={row['job']}")
        print(f"best: {rows[0]['id']} (loss {rows[0]['loss']}); summary in {out / 'summary.csv'}")
    if missing:
        print(f"error: no result.json for {len(missing)} experiments: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: analyze.py OUT")
    sys.exit(main(Path(sys.argv[1])))
