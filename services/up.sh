#!/usr/bin/env bash
# Start every test service (Slurm, sshd). Idempotent; needs root on Debian.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/slurm.sh"
bash "$here/sshd.sh"
