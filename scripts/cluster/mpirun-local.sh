#!/usr/bin/env bash
# Trains on RANKS MPI ranks on this machine (default 2), each with one worker thread per core
# it is bound to; the weights are those of a single process. Arguments go to `shardtrain train`.
#   scripts/cluster/mpirun-local.sh experiments/fashion-mnist-mlp.toml --set training.epochs=2
#   RANKS=3 scripts/cluster/mpirun-local.sh --resume runs/fashion-mnist-mlp
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release >&2
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-run-as-root)
exec mpirun "${as_root[@]}" -np "${RANKS:-2}" .build/release/shardtrain train "$@"
