#!/usr/bin/env bash
# Quick start: installs what is missing, builds in release, imports Fashion-MNIST if needed,
# trains an experiment (the default one unless given) and prints its test accuracy.
#   ./scripts/train.sh [EXPERIMENT.toml] [shardtrain train options...]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
swift build -c release --product shardtrain >&2
shardtrain=.build/release/shardtrain

if [ ! -f datasets/fashion-mnist.h5 ]; then
  "$shardtrain" import fashion-mnist --out datasets/fashion-mnist.h5 >&2
fi

experiment=${1:-experiments/fashion-mnist-mlp.toml}
[ $# -gt 0 ] && shift
# A fresh run each time: --force replaces the checkpoints of an earlier run of this experiment.
exec "$shardtrain" train "$experiment" --force "$@"
