"""Fit y = slope*x + intercept by gradient descent: python3 fit.py DATA.csv --lr LR --out result.json."""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path


def fit(points: list[tuple[float, float]], lr: float, steps: int) -> tuple[float, float, float]:
    """(slope, intercept, mean squared error) after ``steps`` full-batch gradient steps."""
    slope = intercept = 0.0
    n = len(points)
    for _ in range(steps):
        errors = [(slope * x + intercept - y, x) for x, y in points]
        slope -= lr * 2 * sum(e * x for e, x in errors) / n
        intercept -= lr * 2 * sum(e for e, _ in errors) / n
    loss = sum((slope * x + intercept - y) ** 2 for x, y in points) / n
    return slope, intercept, loss


def main() -> None:
    """Fit the data and write the parameters and the loss as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as handle:
        points = [(float(row["x"]), float(row["y"])) for row in csv.DictReader(handle)]
    slope, intercept, loss = fit(points, args.lr, args.steps)
    result = {"lr": args.lr, "steps": args.steps, "slope": slope, "intercept": intercept, "loss": loss}
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(f"lr {args.lr}: slope {slope:.3f} intercept {intercept:.3f} loss {loss:.4f}")
    if not math.isfinite(loss):
        raise SystemExit(f"lr {args.lr} diverged")


if __name__ == "__main__":
    main()
