#!/usr/bin/env bash
# A model served as a REST service with cm-gas and called from cm-cc workflow jobs.
# Needs cm-gas and cm-cc on PATH (see README.md); writes everything under out/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p out
cm-gas serve model.py --all --background --port 0 --name quake-model
trap 'cm-gas stop quake-model' EXIT
GAS_URL=$(cm-gas list -o json | python3 -c \
  'import json, sys; print(next(s["url"] for s in json.load(sys.stdin) if s["name"] == "quake-model"))')
export GAS_URL
cm-gas client "$GAS_URL"
cm-cc run workflow.yaml --graph out/workflow.svg
cm-cc logs "$(cm-cc runs -o csv | sed -n 2p | cut -d, -f1)" report
