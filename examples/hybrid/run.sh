#!/usr/bin/env bash
# The hybrid workflow in one file, run by cm-cc: synthetic data made here, a cm-sbatch sweep
# of fits on Slurm, a job on a VM booted with cm-vm, a call to a model served with cm-gas,
# and a report with the workflow's graph. Needs cm-sbatch, cm-cc, cm-gas and cm-vm on PATH and
# an sshd on 127.0.0.1 that takes VM_KEY for VM_USER on VM_PORT (see README.md).
# Everything it makes, its CM_HOME included, goes under out/; the VM and the service are
# stopped at the end, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
mkdir -p out/cm
export CM_HOME=$here/out/cm
cat > "$CM_HOME/settings.yaml" <<YAML
clouds:
  lab:                        # libcloud's dummy driver; its VMs get the local sshd's address
    kind: dummy
    options: {address: 127.0.0.1}
    defaults: {image: "1", size: "1", username: "${VM_USER:-$(id -un)}", key_file: "${VM_KEY:-$HOME/.ssh/id_ed25519}", port: ${VM_PORT:-22}}
cc:
  ssh_config: ["$CM_HOME/vm/ssh_config"]   # cm-cc finds hybrid-vm through cm-vm's fragment
YAML
chmod 600 "$CM_HOME/settings.yaml"

cleanup() {
  cm-gas stop hybrid-model || true
  cm-vm terminate hybrid-vm --yes || true
}
trap cleanup EXIT

cm-vm boot --cloud lab --name hybrid-vm
cm-vm wait hybrid-vm --timeout 60
cm-gas serve model.py --all --background --port 0 --name hybrid-model
GAS_URL=$(cm-gas list -o json | python3 -c \
  'import json, sys; print(next(s["url"] for s in json.load(sys.stdin) if s["name"] == "hybrid-model"))')
export GAS_URL
cm-sbatch generate fit.in.sh --config sweep.yaml --out out/sweep --force \
  --set "code.dir=$here" --set "data.csv=$here/out/data.csv"
cm-cc run workflow.yaml --graph out/workflow.svg
run=$(cm-cc runs -o csv | sed -n 2p | cut -d, -f1)
echo "the report (cm-cc logs $run report):"
cm-cc logs "$run" report
