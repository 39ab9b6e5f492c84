"""Write a synthetic data set, y = 2x + 1 plus seeded noise: python3 make_data.py OUT.csv [--points N]."""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path


def main() -> None:
    """Write ``x,y`` rows to the given file (through a temporary file and a rename)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(42)  # noqa: S311 - seeded test data, not a secret
    rows = [(x, 2.0 * x + 1.0 + rng.gauss(0.0, 0.1)) for x in (i / args.points for i in range(args.points))]
    part = args.out.with_suffix(".part")
    with part.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "y"])
        writer.writerows(rows)
    part.replace(args.out)
    print(f"wrote {len(rows)} points to {args.out}")


if __name__ == "__main__":
    main()
