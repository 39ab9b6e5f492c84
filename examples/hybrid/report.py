"""Summarise the hybrid run in summary.json: python3 report.py OUT VM_STDOUT FORECAST.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from best import folders, results


def slurm_jobs(sweep: Path) -> list[str]:
    """The Slurm job ids the experiments ran under (none where they ran without Slurm)."""
    ids = [
        (folder / "where.txt").read_text(encoding="utf-8").strip().partition("=")[2]
        for folder in folders(sweep)
    ]
    return [job_id for job_id in ids if job_id]


def main() -> None:
    """Write ``OUT/summary.json`` and print it in a few lines."""
    out, vm_stdout, forecast = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    fits = results(out / "sweep")
    best = min(fits, key=lambda fit: fit["loss"])
    summary = {
        "fits": fits,
        "best": best,
        "slurm_jobs": slurm_jobs(out / "sweep"),
        "vm": json.loads(vm_stdout.read_text(encoding="utf-8")),
        "forecast_x10": json.loads(forecast.read_text(encoding="utf-8")),
    }
    part = out / "summary.json.part"
    part.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    part.replace(out / "summary.json")
    slope, intercept, vm = best["slope"], best["intercept"], summary["vm"]
    print(f"{len(fits)} fits; best lr {best['lr']}: slope {slope:.3f}, intercept {intercept:.3f}")
    print(f"slurm jobs: {', '.join(summary['slurm_jobs']) or 'none (kind: local)'}")
    print(f"vm job ran on {vm['hostname']} as {vm['user']} ({vm['ssh_connection']})")
    print(f"the model service at x=10: {summary['forecast_x10']:.3f}")


if __name__ == "__main__":
    main()
