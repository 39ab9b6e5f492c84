"""The best fit of a sweep as cm-gas call arguments: python3 best.py SWEEP_OUT -> slope=S intercept=I."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def folders(out: Path) -> list[Path]:
    """The experiment folders of the sweep folder ``out``, in its manifest's order."""
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [out / json.loads(line)["directory"] for line in lines if line.strip()]


def results(out: Path) -> list[dict[str, float]]:
    """The ``result.json`` of every experiment in the sweep folder ``out``."""
    return [json.loads((folder / "result.json").read_text(encoding="utf-8")) for folder in folders(out)]


def main() -> None:
    """Print the slope and intercept of the fit with the smallest loss."""
    best = min(results(Path(sys.argv[1])), key=lambda result: result["loss"])
    print(f"slope={best['slope']!r} intercept={best['intercept']!r}")


if __name__ == "__main__":
    main()
