#!/usr/bin/env bash
# Check the NVML (GPU) path of `cm-sbatch trace` on a machine with an NVIDIA GPU and driver.
#   pip install packages/cm-common packages/cm-sbatch && bash benchmarks/gpu_trace_check.sh
# Prints what NVML sees, then the head of the trace CSV of a 3-second busy loop (no GPU work:
# the GPU still reports power, memory and utilisation), and fails when no gpu rows came out.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 -c "import pynvml as n; n.nvmlInit(); print('NVML driver', n.nvmlSystemGetDriverVersion(), '-', n.nvmlDeviceGetCount(), 'GPU(s)')"
cm-sbatch trace --gpu --interval 0.25 --csv trace.csv -- \
  python3 -c "import time
end = time.time() + 3
while time.time() < end: pass"
head -6 trace.csv
python3 - <<'PY'
import csv
rows = list(csv.DictReader(open("trace.csv")))
gpu = [r for r in rows if r["device"].startswith("gpu")]
assert gpu, "no gpu rows in trace.csv"
last = gpu[-1]
print(f"{len(gpu)} gpu rows; last: power {last['power_w']} W, energy {last['energy_j']} J, memory {last['memory_mib']} MiB")
assert float(last["power_w"]) > 0 and float(last["energy_j"]) >= 0
PY
echo "gpu trace check: ok"
