#!/usr/bin/env bash
#SBATCH --job-name={cm.id}
#SBATCH --time={slurm.time}
#SBATCH --cpus-per-task=1
#SBATCH --mem={slurm.mem}
# One training run of the sweep in sweep.yaml, in its own folder (under Slurm: sbatch train.sh).
set -euo pipefail
echo "# cloudmesh status=running progress=10"
echo "job ${SLURM_JOB_ID:-local} on $(hostname): {cm.id}"
python3 {code.dir}/train.py {data.bins} --lr {experiment.lr} --epochs {experiment.epochs} --out result.json
echo "# cloudmesh status=done progress=100"
