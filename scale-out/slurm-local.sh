#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from Debian's packages, for `deno task
# test:slurm`: installs slurm-wlm and munge when missing (apt-get update first), starts munged,
# writes a minimal slurm.conf for this host, starts slurmctld and slurmd, and waits until the
# node is idle. Run as root. `scale-out/slurm-local.sh stop` stops the daemons again.
#
# The node is declared with 16 CPUs and 4 generic GPUs whatever the hardware, so that the job
# script's own requests (--cpus-per-task=4 --gpus-per-task=1) fit four array tasks at once;
# the trials still run on the real CPUs (WebGPU through lavapipe when there is no GPU).
set -euo pipefail

if [[ "$(id -u)" != 0 ]]; then
  echo "error: scale-out/slurm-local.sh configures system daemons; run it as root" >&2
  exit 2
fi
conf=/etc/slurm/slurm.conf
marker="# scalelab single-node test cluster"

if [[ "${1:-}" == stop ]]; then
  pkill -x slurmd || true
  pkill -x slurmctld || true
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends slurm-wlm munge
fi

mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
if ! pgrep -x munged >/dev/null; then su -s /bin/sh munge -c /usr/sbin/munged; fi

host="$(hostname -s)"
if [[ -e "$conf" ]] && ! grep -qF "$marker" "$conf"; then
  echo "error: $conf exists and is not this test cluster's; not touching it" >&2
  exit 2
fi
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat >"$conf" <<CONF
$marker (written by scale-out/slurm-local.sh)
ClusterName=scalelab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
GresTypes=gpu
ReturnToService=2
KillWait=30
MpiDefault=none
NodeName=$host CPUs=16 Boards=1 SocketsPerBoard=1 CoresPerSocket=16 ThreadsPerCore=1 RealMemory=16000 Gres=gpu:4 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# Slurm's gpu plugin wants a device file per GPU: empty stand-ins (nothing opens them).
mkdir -p /run/scalelab-fake-gpus
touch /run/scalelab-fake-gpus/gpu{0,1,2,3}
cat >/etc/slurm/gres.conf <<CONF
$marker (written by scale-out/slurm-local.sh)
NodeName=$host Name=gpu File=/run/scalelab-fake-gpus/gpu[0-3]
CONF

if ! pgrep -x slurmctld >/dev/null; then slurmctld; else scontrol reconfigure; fi
if ! pgrep -x slurmd >/dev/null; then slurmd; fi
for _ in $(seq 1 60); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  if [[ "$state" == idle* || "$state" == mix* || "$state" == alloc* ]]; then
    echo "slurm: node $host is $state" >&2
    exit 0
  fi
  if [[ "$state" == down* || "$state" == drain* || "$state" == inval* ]]; then
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  fi
  sleep 1
done
echo "error: the Slurm node $host did not come up; see /var/log/slurm/" >&2
exit 1
