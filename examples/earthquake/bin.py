"""Bin a catalogue by magnitude: count per 0.1 bin and the cumulative count N(>= m).

    python3 bin.py events.csv bins.csv [--width 0.1] [--min-count 5]

Bins whose cumulative count is under --min-count are left out (too few events to fit).
Writes the columns magnitude, count, cumulative, log10_cumulative.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
from pathlib import Path


def bin_magnitudes(values: list[float], width: float) -> list[tuple[float, int, int]]:
    """(lower edge, events in the bin, events at or above the edge), lowest edge first."""
    lowest = math.floor(min(values) / width + 1e-9)
    counts: dict[int, int] = {}
    for value in values:
        index = math.floor(value / width + 1e-9) - lowest
        counts[index] = counts.get(index, 0) + 1
    rows, above = [], len(values)
    for index in range(max(counts) + 1):
        rows.append((round((lowest + index) * width, 3), counts.get(index, 0), above))
        above -= counts.get(index, 0)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=float, default=0.1)
    parser.add_argument("--min-count", type=int, default=5)
    args = parser.parse_args()
    with open(args.events, newline="", encoding="utf-8") as file:
        values = [float(row["magnitude"]) for row in csv.DictReader(file)]
    rows = [row for row in bin_magnitudes(values, args.width) if row[2] >= args.min_count]
    partial = args.out.with_name(args.out.name + ".part")
    with open(partial, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["magnitude", "count", "cumulative", "log10_cumulative"])
        writer.writerows((m, n, cum, round(math.log10(cum), 6)) for m, n, cum in rows)
    os.replace(partial, args.out)
    print(f"binned {len(values)} events into {len(rows)} bins of {args.width} in {args.out}")
    print("# cloudmesh status=done progress=100")


if __name__ == "__main__":
    main()
