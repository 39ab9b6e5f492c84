#!/usr/bin/env bash
# A VM round trip with cm-vm on the built-in dummy cloud (libcloud's dummy driver kept in
# $CM_HOME/vm/dummy): boot two VMs, list them, stop and start one, see the ssh config
# fragment that reaches them by name, terminate both. No account, nothing leaves this machine.
# Needs cm-vm on PATH (see README.md). CLOUD=aws bash run.sh uses a configured cloud instead.
set -euo pipefail
cloud=${CLOUD:-dummy}
cm-vm boot --cloud "$cloud" --name quake-vm-1
cm-vm boot --cloud "$cloud" --name quake-vm-2
cm-vm list --cloud "$cloud"
cm-vm stop quake-vm-2
cm-vm start quake-vm-2
cm-vm info quake-vm-1
echo "--- ${CM_HOME:-$HOME/.cm}/vm/ssh_config"
cat "${CM_HOME:-$HOME/.cm}/vm/ssh_config"
cm-vm terminate 'quake-vm-[1-2]' --yes
cm-vm list --cloud "$cloud"
