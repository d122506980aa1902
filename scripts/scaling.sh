#!/usr/bin/env bash
# Scaling study: trains an experiment with 1, 2, ... N workers and prints samples/s and the
# speed-up over one worker. The weights are the same for every worker count, so only the
# speed differs.
#   scripts/scaling.sh [EXPERIMENT] [MAX_WORKERS] [-- extra train args]
#   scripts/scaling.sh experiments/fashion-mnist-mlp.toml 2 -- --set training.epochs=2
set -euo pipefail
cd "$(dirname "$0")/.."

experiment=${1:-experiments/fashion-mnist-mlp.toml}
max=${2:-$(nproc)}
shift $(( $# > 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
shardtrain=${SHARDTRAIN:-.build/release/shardtrain}
[ -x "$shardtrain" ] || swift build -c release --product shardtrain >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf "%-8s %14s %9s %14s\n" workers samples/s speed-up test-accuracy
base=""
for workers in $(seq 1 "$max"); do
  json=$("$shardtrain" train "$experiment" --run-dir "$out/w$workers" --quiet --json \
         --set training.workers="$workers" "$@")
  read -r rate accuracy < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["samples_per_second"], d.get("test_accuracy"))' "$json")
  base=${base:-$rate}
  printf "%-8s %14.0f %8.2fx %14s\n" "$workers" "$rate" "$(python3 -c "print($rate / $base)")" "$accuracy"
done
