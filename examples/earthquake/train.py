"""Train the Gutenberg-Richter model log10 N(>= m) = a - b*m on binned counts by gradient descent.

    python3 train.py bins.csv --lr 0.05 --epochs 500 --out result.json

A deliberately small model in pure Python: two parameters, mean squared error, full-batch
gradient descent from a = b = 0. Magnitudes are centred first, so one learning rate suits
both parameters. A learning rate too large diverges; the result says so instead of failing.
Writes {"lr", "epochs", "a", "b", "loss", "diverged", "curve": [loss every epochs/50]}.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
from pathlib import Path


def fit(m: list[float], y: list[float], lr: float, epochs: int) -> tuple[float, float, list[float]]:
    """(a, b, loss curve) of y = a - b*m after ``epochs`` steps; nan when it diverged."""
    centre = sum(m) / len(m)
    x = [value - centre for value in m]
    intercept, slope, curve = 0.0, 0.0, []
    every = max(1, epochs // 50)
    for epoch in range(epochs):
        errors = [intercept + slope * xi - yi for xi, yi in zip(x, y, strict=True)]
        loss = sum(e * e for e in errors) / len(errors)
        if not math.isfinite(loss) or loss > 1e12:
            return math.nan, math.nan, curve
        if epoch % every == 0:
            curve.append(loss)
        intercept -= lr * 2 * sum(errors) / len(errors)
        slope -= lr * 2 * sum(e * xi for e, xi in zip(errors, x, strict=True)) / len(errors)
    # y = intercept + slope * (m - centre) = (intercept - slope * centre) + slope * m
    return intercept - slope * centre, -slope, curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bins", type=Path)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", type=Path, default=Path("result.json"))
    args = parser.parse_args()
    with open(args.bins, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    m = [float(row["magnitude"]) for row in rows]
    y = [float(row["log10_cumulative"]) for row in rows]
    a, b, curve = fit(m, y, args.lr, args.epochs)
    diverged = math.isnan(b)
    loss = None
    if not diverged:
        loss = sum((a - b * mi - yi) ** 2 for mi, yi in zip(m, y, strict=True)) / len(m)
    result = {
        "lr": args.lr,
        "epochs": args.epochs,
        "a": None if diverged else round(a, 6),
        "b": None if diverged else round(b, 6),
        "loss": None if loss is None else round(loss, 8),
        "diverged": diverged,
        "curve": [round(value, 8) for value in curve],
    }
    partial = args.out.with_name(args.out.name + ".part")
    partial.write_text(json.dumps(result) + "\n", encoding="utf-8")
    os.replace(partial, args.out)
    shown = "diverged" if diverged else f"b={b:.3f} a={a:.3f} loss={loss:.2e}"
    print(f"lr={args.lr} epochs={args.epochs}: {shown}")


if __name__ == "__main__":
    main()
