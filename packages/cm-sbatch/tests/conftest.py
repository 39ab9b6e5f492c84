"""Fixtures of the cm-sbatch tests: a small sweep to generate."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    """A folder with a small template (slurm.in.sh) and config (config.yaml): 2 x 2 = 4 experiments."""
    (tmp_path / "slurm.in.sh").write_text(
        "#!/bin/bash\n"
        "#SBATCH --job-name={cm.id}\n"
        "#SBATCH --time={slurm.time}\n"
        "echo epoch={epoch} lr={experiment.lr} data={data.train} job=${SLURM_JOB_ID:-local} home=$HOME\n"
        "awk '{ print $1 }' /dev/null\n"
    )
    (tmp_path / "config.yaml").write_text(
        "slurm:\n  time: '00:01:00'\n"
        "data:\n  root: /scratch\n  train: '{data.root}/train'\n"
        "experiment:\n  epoch: [1, 2]\n  lr: '0.1,0.01'\n"
    )
    return tmp_path
