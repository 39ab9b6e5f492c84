"""Fetch a synthetic earthquake catalogue: magnitudes following the Gutenberg-Richter law.

    python3 fetch.py events.csv [--events 5000] [--b 1.0] [--min-magnitude 2.0] [--seed 1]

The number of events of magnitude m or more falls as N(m) = 10^(a - b*m): magnitudes are
m_min - log10(U) / b for U uniform in (0, 1]. Times, latitudes, longitudes and depths are
uniform, as placeholders for a real catalogue's columns. Same seed, same catalogue.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
from pathlib import Path


def magnitudes(count: int, b: float, m_min: float, rng: random.Random) -> list[float]:
    """``count`` magnitudes of at least ``m_min`` whose counts follow 10^(-b*m)."""
    return [m_min - math.log10(1.0 - rng.random()) / b for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--b", type=float, default=1.0)
    parser.add_argument("--min-magnitude", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (synthetic data, not secrets)
    rows = [
        {
            "time": round(rng.uniform(0, 365 * 86400), 1),
            "latitude": round(rng.uniform(32.0, 42.0), 4),
            "longitude": round(rng.uniform(-124.0, -114.0), 4),
            "depth_km": round(rng.uniform(0.0, 20.0), 2),
            "magnitude": round(m, 3),
        }
        for m in magnitudes(args.events, args.b, args.min_magnitude, rng)
    ]
    rows.sort(key=lambda row: row["time"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".part")
    with open(partial, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, args.out)  # never a half-written catalogue
    print(f"fetched {len(rows)} events (b={args.b}, m>={args.min_magnitude}) into {args.out}")
    print("# cloudmesh status=done progress=100")


if __name__ == "__main__":
    main()
