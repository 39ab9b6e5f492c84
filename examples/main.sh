#!/usr/bin/env bash
# The main job: install cm into .venv, then show what cm-common does.
# (Replaced by the sweep -> workflow example once cm-sbatch and cm-cc land.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q ./packages/cm-common
export CM_HOME=${CM_HOME:-$PWD/.venv/cm-home}
.venv/bin/cm set cloud=aws
.venv/bin/cm get cloud
.venv/bin/cm vars --output table
