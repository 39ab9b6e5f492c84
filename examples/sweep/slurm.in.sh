#!/usr/bin/env bash
#SBATCH --job-name={cm.id}
#SBATCH --time={slurm.time}
#SBATCH --cpus-per-task=1
#SBATCH --mem={slurm.mem}
# One experiment of the sweep in config.yaml: a one-second stand-in for a training run.
# Runs under Slurm (sbatch slurm.sh) and without it (bash slurm.sh), from its own folder.
set -euo pipefail
echo "# cloudmesh status=running progress=0"
echo "job ${SLURM_JOB_ID:-local} on $(hostname): {cm.id}"
echo "epoch={epoch} lr={experiment.lr} optimizer={experiment.optimizer} batch={data.batch}"
echo "reading {data.train}"

code=$(cat <<'PY'
import json, sys, time
epoch, lr, optimizer, job = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
loss = 1.0
for step in range(1, epoch + 1):
    loss *= 1.0 - lr * (1.5 if optimizer == "adam" else 1.0)
    time.sleep(0.2)
    print(f"# cloudmesh status=running progress={25 + 50 * step // epoch}", flush=True)
json.dump(dict(epoch=epoch, lr=lr, optimizer=optimizer, loss=round(loss, 6), job=job), open("result.json", "w"))
PY
)
# With cm-sbatch installed, the run is traced (CPU or GPU use and energy into trace-JOBID.csv).
trace=()
if command -v cm-sbatch >/dev/null 2>&1; then trace=(cm-sbatch trace --interval 0.2 --); fi
"${trace[@]}" python3 -c "$code" {epoch} {experiment.lr} {experiment.optimizer} "${SLURM_JOB_ID:-local}"
echo "# cloudmesh status=done progress=100"
