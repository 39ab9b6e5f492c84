#!/usr/bin/env bash
# Start a single-node Slurm cluster (munge, slurmctld, slurmd) on this Debian machine, as root.
# Idempotent: returns at once when the node already answers. Writes its state under $CM_SERVICES.
set -euo pipefail
CM_SERVICES=${CM_SERVICES:-/tmp/cm-services}
STATE=$CM_SERVICES/slurm
mkdir -p "$STATE"/{state,spool,log}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  echo "slurm: already up"; exit 0
fi

# munge
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force
fi

node=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
conf=/etc/slurm/slurm.conf
mkdir -p /etc/slurm
cat > "$conf" <<CONF
ClusterName=cm
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MaxArraySize=1001
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
cp "$conf" /etc/slurm-llnl/slurm.conf 2>/dev/null || true

pkill -x slurmctld 2>/dev/null || true
pkill -x slurmd 2>/dev/null || true
sleep 1
/usr/sbin/slurmctld -c -f "$conf"
/usr/sbin/slurmd -f "$conf"

for _ in $(seq 1 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
    echo "slurm: up ($node, $cpus CPUs)"; exit 0
  fi
  sleep 1
done
echo "slurm: node did not come up; see $STATE/log" >&2
exit 1
