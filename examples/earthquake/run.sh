#!/usr/bin/env bash
# The earthquake pipeline: synthetic Gutenberg-Richter events, binned, a small model trained
# over a cm-sbatch sweep of learning rates and epochs, analysed and plotted, run by cm-cc.
# Needs cm-sbatch and cm-cc on PATH (see README.md); writes everything under out/.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
mkdir -p out
cm-sbatch generate train.in.sh --config sweep.yaml --out out/sweep --force \
  --set "code.dir=$here" --set "data.bins=$here/out/bins.csv"
cm-cc run workflow.yaml --graph out/workflow.svg
run=$(cm-cc runs -o csv | sed -n 2p | cut -d, -f1)
echo "the analysis (cm-cc logs $run analyze):"
cm-cc logs "$run" analyze
