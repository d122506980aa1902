#!/usr/bin/env bash
# Trains across the machines of an Open MPI hostfile, one rank per machine. The repository
# (binary, data, runs/) must be at the same path on every machine: a shared file system.
#   HOSTFILE=scripts/cluster/hosts.example scripts/cluster/mpirun-hostfile.sh experiments/fashion-mnist-mlp.toml
# Resume after a stop (exit 143) or a lost machine (exit 69), on any number of machines:
#   HOSTFILE=... scripts/cluster/mpirun-hostfile.sh --resume runs/fashion-mnist-mlp
set -euo pipefail
cd "$(dirname "$0")/../.."
hostfile=${HOSTFILE:?set HOSTFILE to an Open MPI hostfile (see scripts/cluster/hosts.example)}
ranks=$(grep -cvE '^\s*(#|$)' "$hostfile")
# TCP between machines; add e.g. --mca btl_tcp_if_include eth0 to pick the network.
exec mpirun -np "$ranks" --hostfile "$hostfile" --map-by node --mca btl self,vader,tcp \
    "$PWD/.build/release/shardtrain" train "$@"
