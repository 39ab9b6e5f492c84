#!/usr/bin/env bash
#SBATCH --job-name={cm.id}
#SBATCH --time={slurm.time}
#SBATCH --cpus-per-task=1
#SBATCH --mem={slurm.mem}
# One fit of the sweep in sweep.yaml, in its own folder (under Slurm: sbatch fit.sh).
set -euo pipefail
echo "# cloudmesh status=running progress=10"
echo "job ${SLURM_JOB_ID:-local} on $(hostname): {cm.id}"
python3 {code.dir}/fit.py {data.csv} --lr {experiment.lr} --out result.json
echo "slurm_job=${SLURM_JOB_ID:-}" > where.txt
echo "# cloudmesh status=done progress=100"
