"""Analyse the sweep: rank the training runs, compare the best b with the true one, plot it.

    python3 analyze.py OUT [--true-b 1.0]      (OUT: the example's output folder)

Reads OUT/bins.csv, OUT/events.csv, OUT/sweep/manifest.jsonl and each run's result.json.
Prints the runs best loss first, writes OUT/summary.json and OUT/gutenberg-richter.svg (the
counts with the best fit), and OUT/gutenberg-richter.png as well where matplotlib is
installed. Exits 1 naming the runs that have no result.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

Row = dict[str, Any]
BEST_FIELDS = ("id", "lr", "epochs", "a", "b", "loss")


def read_results(sweep: Path) -> tuple[list[Row], list[str]]:
    """The runs' results (with id and parameters), and the ids that have none."""
    results, missing = [], []
    with open(sweep / "manifest.jsonl", encoding="utf-8") as manifest:
        entries = [json.loads(line) for line in manifest if line.strip()]
    for entry in entries:
        path = sweep / entry["directory"] / "result.json"
        if path.exists():
            results.append({"id": entry["id"], **json.loads(path.read_text(encoding="utf-8"))})
        else:
            missing.append(entry["id"])
    results.sort(key=lambda row: math.inf if row["loss"] is None else row["loss"])
    return results, missing


def aki_b(magnitudes: list[float]) -> float:
    """Aki's maximum-likelihood b-value, the textbook estimate to compare the trained one with."""
    return math.log10(math.e) / (sum(magnitudes) / len(magnitudes) - min(magnitudes))


def write(path: Path, data: str | bytes) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(partial, path)


def svg_plot(bins: list[Row], best: Row | None, title: str) -> str:
    """log10 N(>= m) against m as points, with the best fit as a line, in plain SVG."""
    width, height, pad = 560, 360, 50
    ms = [row["magnitude"] for row in bins]
    ys = [row["log10_cumulative"] for row in bins]
    x0, x1, y0, y1 = min(ms), max(ms), 0.0, max(ys) * 1.05

    def px(m: float) -> float:
        return pad + (m - x0) / (x1 - x0) * (width - 2 * pad)

    def py(y: float) -> float:
        return height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif"'
        ' font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">magnitude m</text>',
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">'
        "log10 N(&#8805; m)</text>",
    ]
    for tick in range(math.ceil(x0), math.floor(x1) + 1):
        parts.append(f'<text x="{px(tick):.1f}" y="{height - pad + 16}" text-anchor="middle">{tick}</text>')
    for tick in range(0, math.floor(y1) + 1):
        parts.append(f'<text x="{pad - 8}" y="{py(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for m, y in zip(ms, ys, strict=True):
        parts.append(f'<circle cx="{px(m):.1f}" cy="{py(y):.1f}" r="3" fill="#1f77b4"/>')
    if best is not None:
        a, b = best["a"], best["b"]
        parts.append(
            f'<line x1="{px(x0):.1f}" y1="{py(a - b * x0):.1f}" x2="{px(x1):.1f}" y2="{py(a - b * x1):.1f}"'
            ' stroke="#d62728" stroke-width="2"/>'
        )
        label = f"best fit ({best['id']}): b = {b:.3f}"
        parts.append(f'<text x="{width - pad}" y="{pad}" text-anchor="end" fill="#d62728">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png_plot(bins: list[Row], results: list[Row], path: Path, title: str) -> bool:
    """The counts with the best fit and every run's loss curve, as a PNG; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ms = [row["magnitude"] for row in bins]
    left.semilogy(ms, [row["cumulative"] for row in bins], "o", label="N(>= m)")
    best = results[0] if results and results[0]["loss"] is not None else None
    if best is not None:
        left.semilogy(ms, [10 ** (best["a"] - best["b"] * m) for m in ms], "-", label=f"b = {best['b']:.3f}")
    left.set(xlabel="magnitude m", ylabel="events of magnitude m or more", title=title)
    left.legend()
    for row in results:
        if row["curve"]:
            right.semilogy(row["curve"], label=f"lr={row['lr']} epochs={row['epochs']}")
    right.set(xlabel="step (1/50 of the epochs)", ylabel="loss", title="training loss")
    right.legend(fontsize=7)
    figure.tight_layout()
    partial = path.with_name(path.stem + ".part.png")
    figure.savefig(partial, dpi=80)
    os.replace(partial, path)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--true-b", type=float, default=1.0)
    args = parser.parse_args()
    out: Path = args.out
    with open(out / "bins.csv", newline="", encoding="utf-8") as file:
        bins = [{key: float(value) for key, value in row.items()} for row in csv.DictReader(file)]
    with open(out / "events.csv", newline="", encoding="utf-8") as file:
        magnitudes = [float(row["magnitude"]) for row in csv.DictReader(file)]
    results, missing = read_results(out / "sweep")
    converged = [row for row in results if row["loss"] is not None]
    best = converged[0] if converged else None
    for row in results:
        shown = "diverged" if row["diverged"] else f"b={row['b']:.3f}  loss={row['loss']:.2e}"
        print(f"{row['id']:<20} lr={row['lr']:<5} epochs={row['epochs']:<4} {shown}")
    summary = {
        "events": len(magnitudes),
        "true_b": args.true_b,
        "aki_b": round(aki_b(magnitudes), 4),
        "best": None if best is None else {key: best[key] for key in BEST_FIELDS},
        "runs": len(results) + len(missing),
        "diverged": [row["id"] for row in results if row["diverged"]],
        "missing": missing,
    }
    write(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    title = f"Gutenberg-Richter: {len(magnitudes)} synthetic events, true b = {args.true_b}"
    write(out / "gutenberg-richter.svg", svg_plot(bins, best, title))
    plots = [out / "gutenberg-richter.svg"]
    if png_plot(bins, results, out / "gutenberg-richter.png", title):
        plots.append(out / "gutenberg-richter.png")
    if best is not None:
        print(
            f"best: {best['id']} b={best['b']:.3f} (true {args.true_b}, Aki's estimate {summary['aki_b']});"
            f" plots: {', '.join(map(str, plots))}"
        )
    if missing:
        print(f"error: no result.json for {len(missing)} runs: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
