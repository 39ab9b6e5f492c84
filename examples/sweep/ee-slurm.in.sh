#!/bin/bash
#SBATCH --job-name={ee.identifier}
#SBATCH --time={ee.time}
# A template in the cloudmesh-ee form: works with `cms ee generate` and with cm-sbatch.
echo "# cloudmesh status=running progress=0"
echo "epoch {experiment.epoch} lr {experiment.lr} on {system.host}, data in {data.scratch}"
echo "# cloudmesh status=done progress=100"
